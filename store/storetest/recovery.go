package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func recoveryTests() []test {
	return []test{
		{"Recovery/MarkOnceWithEvents", testRecoveryMarkOnce},
		{"Recovery/MarkInvalid", testRecoveryMarkInvalid},
		{"Recovery/MarkRacesOneWinner", testRecoveryMarkRace},
		{"Recovery/MarksByKey", testRecoveryMarksByKey},
		{"Recovery/RecentMisses", testRecoveryRecentMisses},
		{"Recovery/CallsByNumbers", testRecoveryCallsByNumbers},
	}
}

func testRecoveryMarkOnce(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	m := &leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached, At: base.Add(time.Hour), Detail: "late"}
	ev := leadcall.Event{OrgID: e.org, Type: leadcall.EventRecoverySLA, CallID: c.ID, At: base.Add(time.Hour), Data: json.RawMessage(`{"key":1}`)}
	stored, marked, err := e.st.MarkRecovery(e.ctx, m, []leadcall.Event{ev})
	require.NoError(t, err)
	require.True(t, marked)
	require.Len(t, stored, 1)
	require.NotZero(t, stored[0].ID)

	// The second mark of the same kind stores and appends nothing.
	again := *m
	again.Detail = "other"
	stored2, marked, err := e.st.MarkRecovery(e.ctx, &again, []leadcall.Event{ev})
	require.NoError(t, err)
	require.False(t, marked)
	require.Empty(t, stored2)

	// Another kind for the same case is a mark of its own, and works without events.
	_, marked, err = e.st.MarkRecovery(e.ctx, &leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkTaskCompleted, At: base}, nil)
	require.NoError(t, err)
	require.True(t, marked)

	marks, err := e.st.RecoveryMarks(e.ctx, e.org, []int64{c.ID, c.ID, 999999})
	require.NoError(t, err)
	requireDiff(t, []leadcall.RecoveryMark{
		{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached, At: base.Add(time.Hour), Detail: "late"},
		{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkTaskCompleted, At: base},
	}, marks, "marks")

	var sla []leadcall.Event
	for _, ev := range e.events(e.org) {
		if ev.Type == leadcall.EventRecoverySLA {
			sla = append(sla, ev)
		}
	}
	requireDiff(t, stored, sla, "SLA events in the log", eventData)
}

func testRecoveryMarkInvalid(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	e.createOrg("org-b", 0)
	long := make([]byte, leadcall.MaxRecoveryMarkDetail+1)
	for i := range long {
		long[i] = 'x'
	}
	cases := map[string]struct {
		m    *leadcall.RecoveryMark
		evs  []leadcall.Event
		want leadcall.Code
	}{
		"nil mark":           {nil, nil, leadcall.CodeInvalid},
		"no org":             {&leadcall.RecoveryMark{CaseKey: c.ID, Kind: leadcall.MarkSLABreached}, nil, leadcall.CodeInvalid},
		"zero key":           {&leadcall.RecoveryMark{OrgID: e.org, Kind: leadcall.MarkSLABreached}, nil, leadcall.CodeInvalid},
		"negative key":       {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: -1, Kind: leadcall.MarkSLABreached}, nil, leadcall.CodeInvalid},
		"no kind":            {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID}, nil, leadcall.CodeInvalid},
		"huge detail":        {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached, Detail: string(long)}, nil, leadcall.CodeInvalid},
		"bad utf8 detail":    {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached, Detail: "\xff"}, nil, leadcall.CodeInvalid},
		"event of other org": {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached}, []leadcall.Event{{OrgID: "org-b", Type: leadcall.EventRecoverySLA}}, leadcall.CodeInvalid},
		"bad event json":     {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached}, []leadcall.Event{{OrgID: e.org, Type: leadcall.EventRecoverySLA, Data: json.RawMessage(`{`)}}, leadcall.CodeInvalid},
		"unknown org":        {&leadcall.RecoveryMark{OrgID: "nope", CaseKey: c.ID, Kind: leadcall.MarkSLABreached}, nil, leadcall.CodeNotFound},
		"call of other org":  {&leadcall.RecoveryMark{OrgID: "org-b", CaseKey: c.ID, Kind: leadcall.MarkSLABreached}, nil, leadcall.CodeNotFound},
		"unknown call":       {&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID + 1000, Kind: leadcall.MarkSLABreached}, nil, leadcall.CodeNotFound},
	}
	for name, tc := range cases {
		_, marked, err := e.st.MarkRecovery(e.ctx, tc.m, tc.evs)
		requireCode(t, err, tc.want, name)
		require.False(t, marked, name)
	}
	marks, err := e.st.RecoveryMarks(e.ctx, e.org, []int64{c.ID})
	require.NoError(t, err)
	require.Empty(t, marks, "no failed mark is stored")
	_, err = e.st.RecoveryMarks(e.ctx, "nope", []int64{c.ID})
	requireCode(t, err, leadcall.CodeNotFound)
	_, err = e.st.RecoveryMarks(e.ctx, e.org, make([]int64, leadcall.MaxRecoveryMarkKeys+1))
	requireCode(t, err, leadcall.CodeInvalid)
}

// testRecoveryMarkRace: replicas racing to raise one case's SLA event; exactly one wins and
// exactly one event is logged.
func testRecoveryMarkRace(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	const racers = 8
	var wg sync.WaitGroup
	wins := make(chan bool, racers)
	for range racers {
		wg.Go(func() {
			_, marked, err := e.st.MarkRecovery(e.ctx,
				&leadcall.RecoveryMark{OrgID: e.org, CaseKey: c.ID, Kind: leadcall.MarkSLABreached},
				[]leadcall.Event{{OrgID: e.org, Type: leadcall.EventRecoverySLA, CallID: c.ID}})
			if err != nil {
				t.Errorf("mark: %v", err)
			}
			wins <- marked
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	require.Equal(t, 1, n, "exactly one racer marks the case")
	count := 0
	for _, ev := range e.events(e.org) {
		if ev.Type == leadcall.EventRecoverySLA {
			count++
		}
	}
	require.Equal(t, 1, count, "exactly one SLA event")
}

func testRecoveryMarksByKey(t *testing.T, e *env) {
	var keys []int64
	for i := range 3 {
		c := e.enqueued("c-"+string(rune('a'+i)), number(i), base.Add(time.Duration(i)*time.Minute))
		keys = append(keys, c.ID)
	}
	for _, k := range []int64{keys[2], keys[0]} {
		_, marked, err := e.st.MarkRecovery(e.ctx, &leadcall.RecoveryMark{OrgID: e.org, CaseKey: k, Kind: leadcall.MarkSLABreached, At: base}, nil)
		require.NoError(t, err)
		require.True(t, marked)
	}
	got, err := e.st.RecoveryMarks(e.ctx, e.org, []int64{keys[2], keys[1], keys[0]})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, keys[0], got[0].CaseKey, "ordered by case key")
	require.Equal(t, keys[2], got[1].CaseKey)
	got, err = e.st.RecoveryMarks(e.ctx, e.org, []int64{keys[1]})
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = e.st.RecoveryMarks(e.ctx, e.org, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}

func testRecoveryRecentMisses(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	e.createDevice(e.org, "rep-phone", func(d *leadcall.Device) { d.Kind = "sales_rep" })
	var want []leadcall.MissRef
	add := func(org, dev, id, num string, at time.Time, typ leadcall.CallType, mutate func(*leadcall.Call)) *leadcall.Call {
		c := newCall(dev, id, num, at)
		c.Type = typ
		if mutate != nil {
			mutate(c)
		}
		e.insert(org, leadcall.NewCall{Call: c})
		return c
	}
	for i := range 5 {
		at := base.Add(time.Duration(i) * time.Minute)
		c := add(e.org, e.dev, "m-"+string(rune('a'+i)), number(i), at, leadcall.CallMissed, nil)
		want = append(want, leadcall.MissRef{OrgID: e.org, CallID: c.ID, NumberE164: number(i), StartedAt: at})
		if i == 2 {
			b := add("org-b", "dev-b", "b-1", number(i), at, leadcall.CallMissed, nil)
			want = append(want, leadcall.MissRef{OrgID: "org-b", CallID: b.ID, NumberE164: number(i), StartedAt: at})
		}
	}
	// Left out: answered and outbound calls, misses on rep phones, unparsed numbers, and
	// misses outside the range.
	add(e.org, e.dev, "in", number(9), base.Add(time.Minute), leadcall.CallInbound, nil)
	add(e.org, e.dev, "out", number(9), base.Add(time.Minute), leadcall.CallOutbound, nil)
	add(e.org, "rep-phone", "rep", number(9), base.Add(time.Minute), leadcall.CallMissed, func(c *leadcall.Call) { c.DeviceKind = "sales_rep" })
	add(e.org, e.dev, "bad", "", base.Add(time.Minute), leadcall.CallMissed, func(c *leadcall.Call) { c.NumberRaw = "xyz" })
	add(e.org, e.dev, "early", number(9), base.Add(-time.Minute), leadcall.CallMissed, nil)
	add(e.org, e.dev, "late", number(9), base.Add(time.Hour), leadcall.CallMissed, nil)

	q := &leadcall.MissQuery{From: base, To: base.Add(time.Hour), Limit: 2}
	var got []leadcall.MissRef
	for page := 0; ; page++ {
		require.Less(t, page, 10, "paging must end")
		batch, err := e.st.RecentMisses(e.ctx, q)
		require.NoError(t, err)
		got = append(got, batch...)
		if len(batch) < q.Limit {
			break
		}
		last := batch[len(batch)-1]
		q.AfterStartedAt, q.AfterID = last.StartedAt, last.CallID
	}
	// Same start: ordered by ID.
	if want[2].CallID > want[3].CallID {
		want[2], want[3] = want[3], want[2]
	}
	requireDiff(t, want, got, "recent misses")

	for name, bad := range map[string]*leadcall.MissQuery{
		"nil":            nil,
		"no range":       {},
		"reversed range": {From: base, To: base.Add(-time.Hour)},
		"negative limit": {From: base, To: base.Add(time.Hour), Limit: -1},
	} {
		_, err := e.st.RecentMisses(e.ctx, bad)
		requireCode(t, err, leadcall.CodeInvalid, name)
	}
}

// CallsByNumbers gives what CallsByNumber gives for each number, numbers in order.
func testRecoveryCallsByNumbers(t *testing.T, e *env) {
	a, b, c := number(21), number(22), number(23)
	for i, n := range []string{b, a, c, a, b, a} {
		e.enqueued(fmt.Sprintf("cn-%d", i), n, base.Add(time.Duration(6-i)*time.Minute))
	}
	since := base.Add(2 * time.Minute)
	var want []leadcall.Call
	for _, n := range []string{a, b} { // sorted, as the result is
		got, err := e.st.CallsByNumber(e.ctx, e.org, n, since)
		require.NoError(t, err)
		want = append(want, got...)
	}
	got, err := e.st.CallsByNumbers(e.ctx, e.org, []string{b, a, b, "", number(99)}, since)
	require.NoError(t, err)
	require.Equal(t, ids(want), ids(got))
	require.Len(t, got, 4, "a's calls at 3 and 5 minutes, b's at 2 (since is inclusive) and 6")

	got, err = e.st.CallsByNumbers(e.ctx, e.org, nil, time.Time{})
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Empty(t, got)
	got, err = e.st.CallsByNumbers(e.ctx, e.org, []string{"' OR '1'='1", ""}, time.Time{})
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = e.st.CallsByNumbers(e.ctx, e.org, make([]string, leadcall.MaxCallsByNumbers+1), time.Time{})
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = e.st.CallsByNumbers(e.ctx, "no-such-org", []string{a}, time.Time{})
	requireCode(t, err, leadcall.CodeNotFound)
}
