package storetest

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/device"
)

func callTests() []test {
	return []test{
		{"Calls/InsertAndGet", testCallsInsertAndGet},
		{"Calls/IdempotentBatch", testCallsIdempotentBatch},
		{"Calls/DuplicateWithinBatch", testCallsDuplicateWithinBatch},
		{"Calls/SameIDOtherDevice", testCallsSameIDOtherDevice},
		{"Calls/EnqueueJob", testCallsEnqueueJob},
		{"Calls/UnparseableSerialKey", testCallsUnparseableSerialKey},
		{"Calls/ReviewAndEvents", testCallsReviewAndEvents},
		{"Calls/InvalidBatch", testCallsInvalidBatch},
		{"Calls/UnknownDevice", testCallsUnknownDevice},
		{"Calls/OrgScope", testCallsOrgScope},
		{"Calls/ListFilters", testCallsListFilters},
		{"Calls/ListPaging", testCallsListPaging},
		{"Calls/ListBadInput", testCallsListBadInput},
		{"Calls/ByNumber", testCallsByNumber},
		{"Calls/LeadsCreatedFor", testLeadsCreatedFor},
	}
}

func testCallsInsertAndGet(t *testing.T, e *env) {
	c := &leadcall.Call{
		DeviceID: e.dev, DeviceCallID: "uuid-1", NumberRaw: "098765 43210", NumberE164: "+919876543210",
		Type: leadcall.CallInbound, StartedAt: base.Add(1234 * time.Millisecond), DurationS: 75, SIMSlot: 2,
		SIMNumber: "+919800000001", ReceivedAt: base.Add(time.Minute), DeviceKind: device.KindCampaign,
		RepID: "rep-1", Disposition: leadcall.DispositionSync, Reason: leadcall.ReasonNoAssignment,
		AssignmentID: 77, LeadSource: "Billboard", SyncStatus: leadcall.SyncPending,
	}
	want := *c
	res := e.insert(e.org, leadcall.NewCall{Call: c, Enqueue: true})
	require.Equal(t, []bool{true}, res.Inserted)
	require.NotZero(t, c.ID, "InsertCalls sets Call.ID")
	want.ID, want.OrgID = c.ID, e.org
	requireDiff(t, &want, e.call(e.org, c.ID), "stored call")

	// Zero ReceivedAt and SyncStatus get defaults.
	d := newCall(e.dev, "uuid-2", number(2), base)
	d.ReceivedAt, d.SyncStatus = time.Time{}, ""
	e.insert(e.org, leadcall.NewCall{Call: d})
	got := e.call(e.org, d.ID)
	require.False(t, got.ReceivedAt.IsZero(), "ReceivedAt filled in")
	require.Equal(t, leadcall.SyncNone, got.SyncStatus, "not enqueued: none")
	d2 := newCall(e.dev, "uuid-3", number(3), base)
	d2.SyncStatus = ""
	e.insert(e.org, leadcall.NewCall{Call: d2, Enqueue: true})
	require.Equal(t, leadcall.SyncPending, e.call(e.org, d2.ID).SyncStatus, "enqueued: pending")
}

func testCallsIdempotentBatch(t *testing.T, e *env) {
	batch := func() []leadcall.NewCall {
		var out []leadcall.NewCall
		for i := range 5 {
			c := newCall(e.dev, fmt.Sprintf("call-%d", i), number(i), base.Add(time.Duration(i)*time.Minute))
			out = append(out, leadcall.NewCall{Call: c, Enqueue: true,
				Review: &leadcall.ReviewItem{Kind: leadcall.ReviewInvalidNumber}})
		}
		return out
	}
	first := batch()
	res := e.insert(e.org, first...)
	require.Equal(t, []bool{true, true, true, true, true}, res.Inserted)
	require.Len(t, res.Events, 10, "call.ingested and review.created per call")
	evsBefore := e.events(e.org)
	jobsBefore := e.claim(claimTime, 100)
	require.Len(t, jobsBefore, 5)

	again := batch()
	res = e.insert(e.org, again...)
	require.Equal(t, []bool{false, false, false, false, false}, res.Inserted)
	require.Empty(t, res.Events, "duplicates append no events")
	for i := range again {
		require.Equal(t, first[i].Call.ID, again[i].Call.ID, "a duplicate gets the stored call's ID")
		require.Zero(t, again[i].Review.ID, "a duplicate's review is not stored")
	}
	require.Len(t, e.events(e.org), len(evsBefore))
	counts, err := e.st.JobCounts(e.ctx)
	require.NoError(t, err)
	require.Equal(t, 5, counts[leadcall.JobRunning]+counts[leadcall.JobReady], "no job for a duplicate")
	page, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Len(t, page.Items, 5)
}

func testCallsDuplicateWithinBatch(t *testing.T, e *env) {
	a := newCall(e.dev, "same", number(1), base)
	b := newCall(e.dev, "same", number(1), base)
	c := newCall(e.dev, "other", number(2), base)
	res := e.insert(e.org, leadcall.NewCall{Call: a, Enqueue: true}, leadcall.NewCall{Call: b, Enqueue: true}, leadcall.NewCall{Call: c, Enqueue: true})
	require.Equal(t, []bool{true, false, true}, res.Inserted)
	require.Equal(t, a.ID, b.ID)
	require.NotEqual(t, a.ID, c.ID)
	require.Len(t, res.Events, 2)
	require.Len(t, e.claim(claimTime, 10), 2, "one job per stored call")
}

func testCallsSameIDOtherDevice(t *testing.T, e *env) {
	e.createDevice(e.org, "dev-2")
	a := newCall(e.dev, "c-1", number(1), base)
	b := newCall("dev-2", "c-1", number(1), base)
	res := e.insert(e.org, leadcall.NewCall{Call: a}, leadcall.NewCall{Call: b})
	require.Equal(t, []bool{true, true}, res.Inserted, "idempotency is per (org, device, device call ID)")
	require.NotEqual(t, a.ID, b.ID)

	e.createOrg("org-b", 0)
	e.createDevice("org-b", e.dev)
	c := newCall(e.dev, "c-1", number(1), base)
	res = e.insert("org-b", leadcall.NewCall{Call: c})
	require.Equal(t, []bool{true}, res.Inserted, "and per org")
}

func testCallsEnqueueJob(t *testing.T, e *env) {
	c := newCall(e.dev, "c-1", number(1), base.Add(5*time.Minute))
	c.ReceivedAt = base.Add(time.Hour)
	plain := newCall(e.dev, "c-2", number(2), base)
	e.insert(e.org, leadcall.NewCall{Call: c, Enqueue: true}, leadcall.NewCall{Call: plain})

	require.Empty(t, e.claim(base.Add(59*time.Minute), 10), "the job runs from the call's ReceivedAt")
	j := e.claimOne(base.Add(time.Hour))
	require.Equal(t, c.ID, j.CallID)
	require.Equal(t, e.org, j.OrgID)
	require.Equal(t, number(1), j.SerialKey)
	require.True(t, c.StartedAt.Equal(j.OrderAt), "OrderAt = StartedAt")
	require.True(t, c.ReceivedAt.Equal(j.RunAt), "RunAt = ReceivedAt")
	require.Equal(t, leadcall.JobRunning, j.State)
	require.Equal(t, leadcall.StepStart, j.Step)
	require.Equal(t, leadcall.ModeNormal, j.Mode)
	require.Equal(t, 1, j.Attempt)
	require.Positive(t, j.MaxAttempts)
	require.False(t, j.CreatedAt.IsZero())
	_, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: base.Add(time.Hour)})
	require.NoError(t, err)
	require.Empty(t, e.claim(claimTime, 10), "no job without Enqueue")
}

func testCallsUnparseableSerialKey(t *testing.T, e *env) {
	a := newCall(e.dev, "c-1", "", base)
	a.NumberRaw = "not a number"
	b := newCall(e.dev, "c-2", "", base.Add(-time.Minute))
	b.NumberRaw = "also not"
	e.insert(e.org, leadcall.NewCall{Call: a, Enqueue: true}, leadcall.NewCall{Call: b, Enqueue: true})
	jobs := e.claim(claimTime, 10)
	require.Len(t, jobs, 2, "unparseable numbers share no queue")
	keys := map[int64]string{}
	for _, j := range jobs {
		keys[j.CallID] = j.SerialKey
	}
	require.Equal(t, "call:"+strconv.FormatInt(a.ID, 10), keys[a.ID])
	require.Equal(t, "call:"+strconv.FormatInt(b.ID, 10), keys[b.ID])
}

func testCallsReviewAndEvents(t *testing.T, e *env) {
	c := newCall(e.dev, "c-1", "", base)
	c.NumberRaw, c.Disposition, c.Reason, c.SyncStatus = "12ab", leadcall.DispositionIgnored, leadcall.ReasonInvalidNumber, leadcall.SyncNone
	r := &leadcall.ReviewItem{Kind: leadcall.ReviewInvalidNumber, Detail: "could not parse",
		Candidates: []leadcall.Candidate{{Module: crm.ModuleLeads, ID: "L1", Name: "Ann"}}, CreatedAt: base.Add(time.Second)}
	plain := newCall(e.dev, "c-2", number(2), base)
	res := e.insert(e.org, leadcall.NewCall{Call: c, Review: r}, leadcall.NewCall{Call: plain, Enqueue: true})

	require.NotZero(t, r.ID, "the review item's ID is set")
	require.Equal(t, c.ID, r.CallID)
	require.Equal(t, []leadcall.EventType{leadcall.EventCallIngested, leadcall.EventReviewCreated, leadcall.EventCallIngested}, eventTypes(res.Events))
	requireIncreasing(t, res.Events)
	for _, ev := range res.Events {
		require.Equal(t, e.org, ev.OrgID)
		require.False(t, ev.At.IsZero())
	}
	require.Equal(t, c.ID, res.Events[0].CallID)
	require.Equal(t, c.ID, res.Events[1].CallID)
	require.Equal(t, plain.ID, res.Events[2].CallID)

	stored := e.call(e.org, c.ID)
	requireDiff(t, *stored, decode[leadcall.Call](t, res.Events[0]), "call.ingested data",
		ignoreOwnerResolved)
	item, err := e.st.ReviewItem(e.ctx, e.org, r.ID)
	require.NoError(t, err)
	require.Equal(t, leadcall.ReviewOpen, item.Status)
	require.Nil(t, item.Resolution)
	requireDiff(t, &leadcall.ReviewItem{OrgID: e.org, ID: r.ID, Kind: leadcall.ReviewInvalidNumber, CallID: c.ID,
		Candidates: r.Candidates, Status: leadcall.ReviewOpen, Detail: "could not parse", CreatedAt: base.Add(time.Second)}, item, "stored review item")
	requireDiff(t, *item, decode[leadcall.ReviewItem](t, res.Events[1]), "review.created data")

	// The returned events are the stored ones.
	requireDiff(t, res.Events, e.events(e.org), "stored events", eventData)
}

func testCallsInvalidBatch(t *testing.T, e *env) {
	valid := func() *leadcall.Call { return newCall(e.dev, "ok", number(1), base) }
	cases := map[string]func(c *leadcall.Call){
		"no device":       func(c *leadcall.Call) { c.DeviceID = "" },
		"no call id":      func(c *leadcall.Call) { c.DeviceCallID = "" },
		"bad type":        func(c *leadcall.Call) { c.Type = "voicemail" },
		"zero start":      func(c *leadcall.Call) { c.StartedAt = time.Time{} },
		"bad kind":        func(c *leadcall.Call) { c.DeviceKind = "" },
		"bad disposition": func(c *leadcall.Call) { c.Disposition = "maybe" },
		"negative":        func(c *leadcall.Call) { c.DurationS = -1 },
		"other org":       func(c *leadcall.Call) { c.OrgID = "org-b" },
	}
	for name, mod := range cases {
		bad := newCall(e.dev, "bad", number(2), base)
		mod(bad)
		_, err := e.st.InsertCalls(e.ctx, e.org, []leadcall.NewCall{{Call: valid(), Enqueue: true}, {Call: bad}})
		requireCode(t, err, leadcall.CodeInvalid, name)
	}
	_, err := e.st.InsertCalls(e.ctx, e.org, []leadcall.NewCall{{Call: valid()}, {Call: nil}})
	requireCode(t, err, leadcall.CodeInvalid, "nil call")
	_, err = e.st.InsertCalls(e.ctx, "", []leadcall.NewCall{{Call: valid()}})
	requireCode(t, err, leadcall.CodeInvalid, "no org")
	_, err = e.st.InsertCalls(e.ctx, e.org, []leadcall.NewCall{{Call: valid(), Review: &leadcall.ReviewItem{Kind: "bogus"}}})
	requireCode(t, err, leadcall.CodeInvalid, "bad review kind")
	synced := valid()
	synced.SyncStatus = leadcall.SyncSynced
	_, err = e.st.InsertCalls(e.ctx, e.org, []leadcall.NewCall{{Call: synced, Enqueue: true}})
	requireCode(t, err, leadcall.CodeInvalid, "enqueued but not pending")

	page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Empty(t, page.Items, "a rejected batch stores nothing")
	require.Empty(t, e.events(e.org))

	res, err := e.st.InsertCalls(e.ctx, e.org, nil)
	require.NoError(t, err, "an empty batch is fine")
	require.Empty(t, res.Inserted)
}

func testCallsUnknownDevice(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	for _, dev := range []string{"nope", "dev-b"} {
		_, err := e.st.InsertCalls(e.ctx, e.org, []leadcall.NewCall{
			{Call: newCall(e.dev, "ok", number(1), base), Enqueue: true},
			{Call: newCall(dev, "x", number(2), base)},
		})
		requireCode(t, err, leadcall.CodeNotFound, "device %s", dev)
	}
	_, err := e.st.InsertCalls(e.ctx, "nope", []leadcall.NewCall{{Call: newCall(e.dev, "x", number(2), base)}})
	requireCode(t, err, leadcall.CodeNotFound, "unknown org")
	page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Empty(t, page.Items)
}

func testCallsOrgScope(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	b := newCall("dev-b", "b-1", number(1), base)
	e.insert("org-b", leadcall.NewCall{Call: b, Enqueue: true})
	a := e.enqueued("a-1", number(1), base)

	_, err := e.st.Call(e.ctx, e.org, b.ID)
	requireCode(t, err, leadcall.CodeNotFound, "another org's call")
	page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, a.ID, page.Items[0].ID)
	page, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, DeviceIDs: []string{"dev-b"}})
	require.NoError(t, err)
	require.Empty(t, page.Items, "another org's device filters to nothing")
	calls, err := e.st.CallsByNumber(e.ctx, e.org, number(1), time.Time{})
	require.NoError(t, err)
	require.Len(t, calls, 1)
	require.Equal(t, a.ID, calls[0].ID)
	_, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: "nope"})
	requireCode(t, err, leadcall.CodeNotFound)
	_, err = e.st.CallsByNumber(e.ctx, "nope", number(1), time.Time{})
	requireCode(t, err, leadcall.CodeNotFound)
}

func ids(calls []leadcall.Call) []int64 {
	out := make([]int64, len(calls))
	for i, c := range calls {
		out[i] = c.ID
	}
	return out
}

func testCallsListFilters(t *testing.T, e *env) {
	e.createDevice(e.org, "dev-2", func(d *leadcall.Device) { d.Kind = device.KindSalesRep; d.RepID = "rep-9" })
	mk := func(id, dev string, at time.Duration, mod func(*leadcall.Call)) *leadcall.Call {
		c := newCall(dev, id, number(int(at/time.Minute)), base.Add(at))
		if mod != nil {
			mod(c)
		}
		return c
	}
	c1 := mk("c1", e.dev, 0, nil)
	c2 := mk("c2", e.dev, time.Minute, func(c *leadcall.Call) {
		c.Type = leadcall.CallInbound
		c.SyncStatus = leadcall.SyncSynced
		c.Outcome = leadcall.OutcomeCreatedLead
	})
	c3 := mk("c3", "dev-2", 2*time.Minute, func(c *leadcall.Call) {
		c.Type, c.DeviceKind, c.RepID = leadcall.CallOutbound, device.KindSalesRep, "rep-9"
		c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionLocal, leadcall.ReasonSalesRep, leadcall.SyncNone
	})
	c4 := mk("c4", e.dev, 3*time.Minute, func(c *leadcall.Call) {
		c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionIgnored, leadcall.ReasonBlocked, leadcall.SyncNone
	})
	e.insert(e.org, leadcall.NewCall{Call: c1}, leadcall.NewCall{Call: c2}, leadcall.NewCall{Call: c3}, leadcall.NewCall{Call: c4})

	list := func(f leadcall.CallFilter) []int64 {
		t.Helper()
		f.OrgID = e.org
		page, err := e.st.ListCalls(e.ctx, &f)
		require.NoError(t, err)
		require.Empty(t, page.NextCursor)
		return ids(page.Items)
	}
	require.Equal(t, []int64{c4.ID, c3.ID, c2.ID, c1.ID}, list(leadcall.CallFilter{}), "newest first")
	require.Equal(t, []int64{c3.ID, c2.ID}, list(leadcall.CallFilter{From: base.Add(time.Minute), To: base.Add(3 * time.Minute)}), "[From, To)")
	require.Equal(t, []int64{c3.ID}, list(leadcall.CallFilter{DeviceIDs: []string{"dev-2"}}))
	require.Equal(t, []int64{c3.ID}, list(leadcall.CallFilter{RepID: "rep-9"}))
	require.Empty(t, list(leadcall.CallFilter{RepID: "rep-unknown"}))
	require.Equal(t, []int64{c3.ID, c2.ID}, list(leadcall.CallFilter{Types: []leadcall.CallType{leadcall.CallInbound, leadcall.CallOutbound}}))
	require.Equal(t, []int64{c2.ID}, list(leadcall.CallFilter{SyncStatus: []leadcall.SyncStatus{leadcall.SyncSynced}}))
	require.Equal(t, []int64{c2.ID}, list(leadcall.CallFilter{Outcomes: []leadcall.SyncOutcome{leadcall.OutcomeCreatedLead}}))
	require.Equal(t, []int64{c4.ID, c3.ID}, list(leadcall.CallFilter{Disposition: []leadcall.Disposition{leadcall.DispositionLocal, leadcall.DispositionIgnored}}))
	require.Equal(t, []int64{c1.ID}, list(leadcall.CallFilter{DeviceIDs: []string{e.dev}, Types: []leadcall.CallType{leadcall.CallMissed}, Disposition: []leadcall.Disposition{leadcall.DispositionSync}}), "filters combine with AND")
}

func testCallsListPaging(t *testing.T, e *env) {
	var all []leadcall.NewCall
	for i := range 25 {
		// Pairs share a start time, so the ID breaks ties.
		all = append(all, leadcall.NewCall{Call: newCall(e.dev, fmt.Sprintf("c-%02d", i), number(i), base.Add(time.Duration(i/2)*time.Second))})
	}
	e.insert(e.org, all...)

	var got []int64
	cursor := ""
	pages := 0
	for {
		page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Limit: 10, Cursor: cursor})
		require.NoError(t, err)
		pages++
		require.LessOrEqual(t, len(page.Items), 10)
		got = append(got, ids(page.Items)...)
		if page.NextCursor == "" {
			break
		}
		require.Less(t, pages, 5, "paging must end")
		cursor = page.NextCursor
	}
	require.Equal(t, 3, pages)
	var want []int64
	for i := len(all) - 1; i >= 0; i-- {
		want = append(want, all[i].Call.ID)
	}
	require.Equal(t, want, got, "every call once, newest first, ties by ID descending")

	// A page exactly at the end has no next cursor.
	page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Limit: 25})
	require.NoError(t, err)
	require.Len(t, page.Items, 25)
	require.Empty(t, page.NextCursor)
	// Default limit covers them all.
	page, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Len(t, page.Items, 25)
}

func testCallsListBadInput(t *testing.T, e *env) {
	for i := range 3 {
		e.enqueued(fmt.Sprintf("c-%d", i), number(i), base.Add(time.Duration(i)*time.Minute))
	}
	page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, page.NextCursor)
	reviewPage, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Empty(t, reviewPage.NextCursor)

	for name, cursor := range map[string]string{
		"not base64":     "!!!",
		"garbage":        base64.RawURLEncoding.EncodeToString([]byte("garbage")),
		"sql":            "' OR 1=1 --",
		"truncated":      page.NextCursor[:len(page.NextCursor)/2],
		"huge":           string(make([]byte, 1<<16)),
		"padded garbage": page.NextCursor + "AAAA",
	} {
		_, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Cursor: cursor})
		requireCode(t, err, leadcall.CodeInvalid, "cursor %s", name)
	}
	_, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Limit: -1})
	requireCode(t, err, leadcall.CodeInvalid, "negative limit")
	_, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, From: base.Add(time.Hour), To: base})
	requireCode(t, err, leadcall.CodeInvalid, "To before From")
	_, err = e.st.ListCalls(e.ctx, nil)
	requireCode(t, err, leadcall.CodeInvalid, "nil filter")
	_, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, DeviceIDs: make([]string, 100000)})
	requireCode(t, err, leadcall.CodeInvalid, "a huge filter list")

	page, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Limit: 1_000_000})
	require.NoError(t, err, "a huge limit is capped, not refused")
	require.Len(t, page.Items, 3)
}

func testCallsByNumber(t *testing.T, e *env) {
	n := number(7)
	late := e.enqueued("c-3", n, base.Add(2*time.Hour))
	early := e.enqueued("c-1", n, base)
	mid := e.enqueued("c-2", n, base.Add(time.Hour))
	justBefore := e.enqueued("c-0", n, base.Add(time.Hour-time.Millisecond))
	e.enqueued("x", number(8), base)

	got, err := e.st.CallsByNumber(e.ctx, e.org, n, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []int64{early.ID, justBefore.ID, mid.ID, late.ID}, ids(got), "oldest first")
	got, err = e.st.CallsByNumber(e.ctx, e.org, n, base.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, []int64{mid.ID, late.ID}, ids(got), "since is inclusive")
	got, err = e.st.CallsByNumber(e.ctx, e.org, number(9), time.Time{})
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = e.st.CallsByNumber(e.ctx, e.org, "' OR '1'='1", time.Time{})
	require.NoError(t, err)
	require.Empty(t, got)
}

func testLeadsCreatedFor(t *testing.T, e *env) {
	n := number(1)
	c2 := e.enqueued("c-2", n, base.Add(time.Minute))
	c1 := e.enqueued("c-1", n, base)

	leads, err := e.st.LeadsCreatedFor(e.ctx, e.org, n)
	require.NoError(t, err)
	require.Empty(t, leads)

	// The first call creates the Lead; the second links to it.
	j := e.claimOne(claimTime)
	require.Equal(t, c1.ID, j.CallID, "the earliest call of the caller runs first")
	other := e.enqueued("c-3", number(2), base)
	_, err = e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncSynced,
		Outcome: leadcall.OutcomeCreatedLead, State: leadcall.CallSyncState{CRM: leadcall.CRMRefs{LeadID: "L-100", CallID: "C-1"}}})
	require.NoError(t, err)
	jobs := e.claim(claimTime, 10)
	require.Len(t, jobs, 2)
	for _, j := range jobs {
		p := &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncSynced, Outcome: leadcall.OutcomeLinkedLead,
			State: leadcall.CallSyncState{CRM: leadcall.CRMRefs{LeadID: "L-100"}}}
		if j.CallID == other.ID {
			p.Outcome, p.State.CRM.LeadID = leadcall.OutcomeLinkedContact, ""
			p.State.CRM.ContactID = "K-1"
		}
		_, err = e.st.CompleteJob(e.ctx, fence(j), p)
		require.NoError(t, err)
	}
	require.Equal(t, leadcall.OutcomeLinkedLead, e.call(e.org, c2.ID).Outcome)

	leads, err = e.st.LeadsCreatedFor(e.ctx, e.org, n)
	require.NoError(t, err)
	require.Equal(t, []string{"L-100"}, leads, "one Lead, listed once")
	leads, err = e.st.LeadsCreatedFor(e.ctx, e.org, number(2))
	require.NoError(t, err)
	require.Empty(t, leads, "a linked Contact is not a created Lead")
	_, err = e.st.LeadsCreatedFor(e.ctx, "nope", n)
	requireCode(t, err, leadcall.CodeNotFound)

	e.createOrg("org-b", 0)
	leads, err = e.st.LeadsCreatedFor(e.ctx, "org-b", n)
	require.NoError(t, err)
	require.Empty(t, leads, "another org's Leads never show")
}
