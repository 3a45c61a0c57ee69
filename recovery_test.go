package leadcall_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/recovery"
)

// recoveryOrg is simpleOrg plus a rep "r1" (Asha) with the sales-rep phone "asha".
func recoveryOrg(t *testing.T, config func(*leadcall.Config)) *harness {
	t.Helper()
	h := simpleOrg(t, config)
	require.NoError(t, h.eng.CreateRep(h.ctx, &leadcall.Rep{OrgID: "o1", ID: "r1", Name: "Asha", Email: "asha@example.com"}))
	require.NoError(t, h.eng.CreateDevice(h.ctx, &leadcall.Device{OrgID: "o1", ID: "asha", Nickname: "Asha's phone",
		Kind: device.KindSalesRep, RepID: "r1", Active: true}))
	return h
}

// allStatuses lists every case.
var allStatuses = []recovery.Status{recovery.StatusOpen, recovery.StatusAttempted, recovery.StatusRecovered, recovery.StatusExpired}

func (h *harness) cases(f leadcall.RecoveryFilter) ([]leadcall.RecoveryCase, recovery.Summary) {
	h.t.Helper()
	cases, sum, err := h.eng.RecoveryCases(h.ctx, "o1", f)
	require.NoError(h.t, err)
	return cases, sum
}

// slaEvents counts the recovery.sla_breached events in the store's log, by case key.
func (h *harness) eventsByKey(typ leadcall.EventType) map[int64]int {
	h.t.Helper()
	out := map[int64]int{}
	evs, err := h.store.Events(h.ctx, "o1", 0, 1000)
	require.NoError(h.t, err)
	for _, ev := range evs {
		if ev.Type != typ {
			continue
		}
		var c leadcall.RecoveryCase
		require.NoError(h.t, json.Unmarshal(ev.Data, &c))
		require.Equal(h.t, ev.CallID, c.Key, "event's call ID is the case key")
		out[c.Key]++
	}
	return out
}

// TestRecoveryMatchingAndSLA: the table of the must-show cases, through ingest,
// RecoveryCases and the recovery check; each breach raises its event exactly once, however
// often the check runs and on however many Engines.
func TestRecoveryMatchingAndSLA(t *testing.T) {
	t.Parallel()
	h := recoveryOrg(t, nil)
	// An Engine that is not started: no check runs between the ingests (a check between a
	// miss and its callback's upload would rightly see the miss alone).
	eng, err := leadcall.New(leadcall.Config{Store: h.store, CRMs: h.crms, NowFunc: h.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	now := h.clock.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) time.Time { return now.Add(d) }
	type call struct {
		dev      string
		typ      string
		number   string
		at       time.Time
		duration int
	}
	tests := []struct {
		name       string
		calls      []call
		status     recovery.Status
		misses     int
		attempts   int
		breached   bool
		recoverBy  string
		recoverRep string
	}{
		{"callback within the SLA from another rep's phone", []call{
			{"line", "missed", "9876500001", at(-60 * time.Minute), 0},
			{"asha", "outbound", "9876500001", at(-50 * time.Minute), 30},
		}, recovery.StatusRecovered, 1, 1, false, "asha", "r1"},
		{"no callback", []call{
			{"line", "missed", "9876500002", at(-60 * time.Minute), 0},
		}, recovery.StatusOpen, 1, 0, true, "", ""},
		{"late callback still breached", []call{
			{"line", "missed", "9876500003", at(-60 * time.Minute), 0},
			{"line", "outbound", "9876500003", at(-30 * time.Minute), 30},
		}, recovery.StatusRecovered, 1, 1, true, "line", ""},
		{"short attempt in time", []call{
			{"line", "missed", "9876500004", at(-60 * time.Minute), 0},
			{"asha", "outbound", "9876500004", at(-55 * time.Minute), 0},
		}, recovery.StatusAttempted, 1, 1, false, "", ""},
		{"callback before the miss does not count", []call{
			{"asha", "outbound", "9876500005", at(-70 * time.Minute), 30},
			{"line", "missed", "9876500005", at(-60 * time.Minute), 0},
		}, recovery.StatusOpen, 1, 0, true, "", ""},
		{"two misses then one callback, numbers in different formats", []call{
			{"line", "missed", "9876500006", at(-60 * time.Minute), 0},
			{"line", "missed", "+91 98765 00006", at(-58 * time.Minute), 0},
			{"asha", "outbound", "098765-00006", at(-50 * time.Minute), 45},
		}, recovery.StatusRecovered, 2, 1, false, "asha", "r1"},
		{"connected inbound call from the customer", []call{
			{"line", "missed", "9876500007", at(-60 * time.Minute), 0},
			{"asha", "inbound", "9876500007", at(-40 * time.Minute), 20},
		}, recovery.StatusRecovered, 1, 0, true, "asha", "r1"},
		{"expired, too old for an SLA event", []call{
			{"line", "missed", "9876500008", at(-8 * 24 * time.Hour), 0},
		}, recovery.StatusExpired, 1, 0, false, "", ""},
	}
	for i, tc := range tests {
		for j, c := range tc.calls {
			res, err := eng.Ingest(h.ctx, "o1", c.dev, []leadcall.IncomingCall{{ID: fmt.Sprintf("c%d-%d", i, j),
				Number: c.number, Type: c.typ, StartedAt: c.at, DurationS: c.duration}})
			require.NoError(t, err)
			require.Equal(t, leadcall.IngestAccepted, res[0].Status, tc.name)
		}
	}
	for range 3 {
		require.NoError(t, eng.CheckRecovery(h.ctx))
	}
	// A second Engine on the same store (a replica, or the next start) raises nothing again.
	other, err := leadcall.New(leadcall.Config{Store: h.store, CRMs: h.crms, NowFunc: h.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	require.NoError(t, other.CheckRecovery(h.ctx))

	cases, sum := h.cases(leadcall.RecoveryFilter{Statuses: allStatuses, From: at(-9 * 24 * time.Hour)})
	require.Len(t, cases, len(tests))
	byNumber := map[string]leadcall.RecoveryCase{}
	for _, c := range cases {
		byNumber[c.NumberE164] = c
	}
	sla := h.eventsByKey(leadcall.EventRecoverySLA)
	updated := h.eventsByKey(leadcall.EventRecoveryUpdated)
	for i, tc := range tests {
		c, ok := byNumber[fmt.Sprintf("+9198765%05d", i+1)]
		require.True(t, ok, tc.name)
		require.Equal(t, tc.status, c.Status, tc.name)
		require.Equal(t, tc.misses, c.Misses, tc.name)
		require.Equal(t, tc.attempts, c.Attempts, tc.name)
		require.Equal(t, tc.breached, c.SLABreached, tc.name)
		require.Equal(t, tc.recoverBy, c.RecoveredByDeviceID, tc.name)
		require.Equal(t, tc.recoverRep, c.RecoveredByRepID, tc.name)
		require.Equal(t, "line", c.DeviceID, tc.name)
		require.Equal(t, c.FirstMissedAt.Add(leadcall.DefaultRecoverySLA), c.SLADueAt, tc.name)
		want := 0
		if tc.breached {
			want = 1
		}
		require.Equal(t, want, sla[c.Key], "%s: SLA events", tc.name)
		require.GreaterOrEqual(t, updated[c.Key], 1, "%s: recovery.updated", tc.name)
		if tc.status == recovery.StatusRecovered {
			require.NotNil(t, c.TimeToConnectS, tc.name)
			require.Equal(t, c.ConnectedAt.Sub(c.FirstMissedAt).Seconds(), *c.TimeToConnectS, tc.name)
		} else {
			require.Nil(t, c.ConnectedAt, tc.name)
		}
	}
	require.Equal(t, recovery.Summary{Cases: 8, Open: 2, Attempted: 1, Recovered: 4, Expired: 1,
		Misses: 9, Attempts: 4, RecoveryRate: 0.5, WithAttempt: 4, Connected: 4,
		MedianTimeToFirstAttempt: sum.MedianTimeToFirstAttempt, MedianTimeToConnect: sum.MedianTimeToConnect}, sum)
	// Attempts after 10, 30, 5 and 10 minutes (the early callback of case 5 does not count;
	// the inbound call of case 7 is no attempt).
	require.Equal(t, 10*time.Minute, sum.MedianTimeToFirstAttempt)
	// Connections after 10, 30, 10 and 20 minutes.
	require.Equal(t, 15*time.Minute, sum.MedianTimeToConnect)

	// The default filter: open and attempted cases of the last window.
	active, _ := h.cases(leadcall.RecoveryFilter{})
	require.Len(t, active, 3)
	for _, c := range active {
		require.True(t, c.Status.Active())
	}
	// By device: the cases Asha's phone recovered.
	mine, _ := h.cases(leadcall.RecoveryFilter{Statuses: allStatuses, DeviceIDs: []string{"asha"}})
	require.Len(t, mine, 3)
	byRep, _ := h.cases(leadcall.RecoveryFilter{Statuses: allStatuses, RepID: "r1"})
	require.Equal(t, mine, byRep)
}

func TestRecoveryCasesBadFilter(t *testing.T) {
	t.Parallel()
	h := recoveryOrg(t, nil)
	now := h.clock.Now()
	for name, f := range map[string]leadcall.RecoveryFilter{
		"unknown status":  {Statuses: []recovery.Status{"lost"}},
		"hostile status":  {Statuses: []recovery.Status{recovery.Status(strings.Repeat("x", 10000))}},
		"reversed range":  {From: now, To: now.Add(-time.Hour)},
		"range too long":  {From: now.Add(-400 * 24 * time.Hour), To: now},
		"bad device id":   {DeviceIDs: []string{"a b"}},
		"too many device": {DeviceIDs: make([]string, 101)},
		"ancient":         {From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(1, 2, 1, 0, 0, 0, 0, time.UTC)},
	} {
		_, _, err := h.eng.RecoveryCases(h.ctx, "o1", f)
		require.ErrorIs(t, err, leadcall.ErrInvalid, name)
	}
	_, _, err := h.eng.RecoveryCases(h.ctx, "nope", leadcall.RecoveryFilter{})
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
}

// TestRecoveryCompletesTask: with CompleteTasksOnRecovery, a connected callback completes the
// Task leadcall created for the missed call, once, with the delay in its note; transient CRM
// errors are retried; nothing happens with the option off or without a leadcall Task.
func TestRecoveryCompletesTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		on        bool
		tasks     bool
		fault     bool
		wantTasks int
		wantDone  int
		// inbound: the customer calls again and is answered, instead of a callback.
		inbound bool
	}{
		{"on", true, true, false, 1, 1, false},
		{"on, answered inbound call", true, true, false, 1, 1, true},
		{"on, transient error first", true, true, true, 1, 1, false},
		{"off by default", false, true, false, 1, 0, false},
		{"no leadcall task", true, false, false, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := recoveryOrg(t, func(c *leadcall.Config) { c.CompleteTasksOnRecovery = tc.on })
			if !tc.tasks {
				s := leadcall.DefaultSettings()
				s.TasksEnabled = false
				_, err := h.eng.UpdateSettings(h.ctx, "o1", s)
				require.NoError(t, err)
			}
			now := h.clock.Now().UTC().Truncate(time.Second)
			h.ingest("o1", "line", leadcall.IncomingCall{ID: "m1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-20 * time.Minute)})
			h.waitIdle()
			require.Len(t, h.crm.Tasks(), tc.wantTasks)
			if tc.fault {
				h.crm.FailNext(memcrm.OpCompleteTask, 1, memcrm.Fault{Code: leadcall.CodeUnavailable})
			}
			// Called back 12 min 30 s after the miss, for 40 s.
			typ := "outbound"
			if tc.inbound {
				typ = "inbound"
			}
			h.ingest("o1", "asha", leadcall.IncomingCall{ID: "cb", Number: "+919876512345", Type: typ,
				StartedAt: now.Add(-20*time.Minute + 12*time.Minute + 30*time.Second), DurationS: 40})
			for range 2 {
				require.NoError(t, h.eng.CheckRecovery(h.ctx))
			}
			if tc.fault {
				require.Equal(t, 0, completed(h.crm), "the failed attempt completed nothing")
				h.clock.Set(h.clock.Now().Add(2*leadcall.DefaultCRMTimeout + time.Second))
				for range 2 {
					require.NoError(t, h.eng.CheckRecovery(h.ctx))
				}
			}
			require.Equal(t, tc.wantDone, completed(h.crm))
			wantRequests := tc.wantDone
			if tc.fault {
				wantRequests++
			}
			require.Equal(t, wantRequests, h.crm.Requests(memcrm.OpCompleteTask), "CompleteTask requests")
			cases, _ := h.cases(leadcall.RecoveryFilter{Statuses: allStatuses})
			require.Len(t, cases, 1)
			require.Equal(t, tc.wantDone == 1, cases[0].TaskCompleted)
			if tc.wantDone == 1 {
				task := h.crm.Tasks()[0]
				how := "Called back"
				if tc.inbound {
					how = "Caller reached on an answered call"
				}
				require.Contains(t, task.Description, how+" after 12m30s by Asha's phone (Asha)")
				require.Equal(t, task.ID, cases[0].TaskID)
			}
		})
	}
}

// completed counts the completed Tasks of a memcrm.
func completed(c *memcrm.CRM) int {
	n := 0
	for _, t := range c.Tasks() {
		if t.Status == "Completed" {
			n++
		}
	}
	return n
}

// TestRecoveryTaskCompletedOnceAcrossEngines: two Engines sharing the store check at the same
// time; the Task is completed by one request.
func TestRecoveryTaskCompletedOnceAcrossEngines(t *testing.T) {
	t.Parallel()
	h := recoveryOrg(t, func(c *leadcall.Config) { c.CompleteTasksOnRecovery = true })
	now := h.clock.Now().UTC().Truncate(time.Second)
	h.ingest("o1", "line", leadcall.IncomingCall{ID: "m1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-20 * time.Minute)})
	h.waitIdle()
	require.Len(t, h.crm.Tasks(), 1)
	var engines []*leadcall.Engine
	for range 3 {
		eng, err := leadcall.New(leadcall.Config{Store: h.store, CRMs: h.crms, NowFunc: h.clock.Now, CompleteTasksOnRecovery: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		engines = append(engines, eng)
	}
	_, err := engines[0].Ingest(h.ctx, "o1", "asha", []leadcall.IncomingCall{{ID: "cb", Number: "9876512345", Type: "outbound",
		StartedAt: now.Add(-10 * time.Minute), DurationS: 40}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, eng := range append(engines, h.eng) {
		wg.Go(func() { require.NoError(t, eng.CheckRecovery(h.ctx)) })
	}
	wg.Wait()
	require.Equal(t, 1, h.crm.Requests(memcrm.OpCompleteTask), "one CompleteTask request")
	require.Equal(t, 1, completed(h.crm))
	require.Equal(t, 1, strings.Count(h.crm.Tasks()[0].Description, "Called back after 10m00s"), "the note once")
}
