package leadcall_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/device"
)

// simpleOrg creates an org with one campaign device "line" and returns the harness.
func simpleOrg(t *testing.T, config func(*leadcall.Config)) *harness {
	t.Helper()
	h := newHarness(t, harnessOpts{config: config})
	require.NoError(t, h.eng.CreateOrg(h.ctx, &leadcall.Org{ID: "o1", Name: "One"}))
	require.NoError(t, h.eng.CreateDevice(h.ctx, &leadcall.Device{OrgID: "o1", ID: "line", Nickname: "Line", Kind: device.KindCampaign, Active: true}))
	return h
}

func TestTwoMissedCallsFromOneNewNumberTogether(t *testing.T) {
	t.Parallel()
	for _, lag := range []time.Duration{0, 200 * time.Millisecond} {
		t.Run(fmt.Sprintf("index lag %s", lag), func(t *testing.T) {
			t.Parallel()
			h := simpleOrg(t, nil)
			h.crm.SetIndexLag(lag)
			now := h.clock.Now()
			res := h.ingest("o1", "line",
				leadcall.IncomingCall{ID: "m1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-2 * time.Minute)},
				leadcall.IncomingCall{ID: "m2", Number: "+91 98765 12345", Type: "missed", StartedAt: now.Add(-time.Minute)},
			)
			require.Equal(t, leadcall.IngestAccepted, res[0].Status)
			require.Equal(t, leadcall.IngestAccepted, res[1].Status)
			h.waitIdle()
			counts := h.crm.Counts()
			require.Equal(t, 1, counts.Leads, "one Lead")
			for _, c := range h.allCalls("o1") {
				t.Logf("%s %s %s %s", c.DeviceCallID, c.SyncStatus, c.Outcome, c.LastError)
			}
			require.Equal(t, 2, counts.Calls, "two Calls")
			require.Equal(t, 1, counts.Tasks, "one Task")
			calls := h.allCalls("o1")
			require.Len(t, calls, 2)
			for _, c := range calls {
				require.Equal(t, leadcall.SyncSynced, c.SyncStatus)
				require.Equal(t, calls[0].CRM.LeadID, c.CRM.LeadID, "both calls on the same Lead")
			}
		})
	}
}

func TestIngestIdempotent(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	c := leadcall.IncomingCall{ID: "x1", Number: "9876512345", Type: "inbound", StartedAt: h.clock.Now().Add(-time.Minute), DurationS: 10}
	first := h.ingest("o1", "line", c)
	require.Equal(t, leadcall.IngestAccepted, first[0].Status)
	again := h.ingest("o1", "line", c, c)
	require.Equal(t, leadcall.IngestDuplicate, again[0].Status)
	require.Equal(t, leadcall.IngestDuplicate, again[1].Status)
	require.Equal(t, first[0].CallID, again[0].CallID)
	require.Equal(t, first[0].CallID, again[1].CallID)
	h.waitIdle()
	require.Len(t, h.allCalls("o1"), 1)
	require.Equal(t, 1, h.crm.Counts().Calls)
}

// TestIngestBadInput: malformed calls get their own clear error; the good ones in the same
// batch are stored; an unreadable number is stored and marked.
func TestIngestBadInput(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	now := h.clock.Now()
	ok := func(id string) leadcall.IncomingCall {
		return leadcall.IncomingCall{ID: id, Number: "9876512345", Type: "missed", StartedAt: now.Add(-time.Hour)}
	}
	mod := func(id string, f func(*leadcall.IncomingCall)) leadcall.IncomingCall {
		c := ok(id)
		f(&c)
		return c
	}
	batch := []leadcall.IncomingCall{
		ok("good-1"),
		mod("", func(c *leadcall.IncomingCall) {}),
		mod("bad-type", func(c *leadcall.IncomingCall) { c.Type = "voicemail-ish" }),
		mod("future", func(c *leadcall.IncomingCall) { c.StartedAt = now.Add(48 * time.Hour) }),
		mod("ancient", func(c *leadcall.IncomingCall) { c.StartedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) }),
		mod("no-time", func(c *leadcall.IncomingCall) { c.StartedAt = time.Time{} }),
		mod("negative", func(c *leadcall.IncomingCall) { c.DurationS = -5 }),
		mod("huge-duration", func(c *leadcall.IncomingCall) { c.DurationS = 1 << 40 }),
		mod("bad-slot", func(c *leadcall.IncomingCall) { c.SIMSlot = 99 }),
		mod("huge-number", func(c *leadcall.IncomingCall) { c.Number = strings.Repeat("9", 10000) }),
		mod("bad-utf8", func(c *leadcall.IncomingCall) { c.Number = "98765\xff12345" }),
		mod(strings.Repeat("i", 200), func(c *leadcall.IncomingCall) {}),
		mod("ctl\x00id", func(c *leadcall.IncomingCall) {}),
		mod("unreadable", func(c *leadcall.IncomingCall) { c.Number = "not a number; DROP TABLE calls" }),
		ok("good-2"),
	}
	res := h.ingest("o1", "line", batch...)
	wantField := map[int]string{1: "id", 2: "type", 3: "started_at", 4: "started_at", 5: "started_at",
		6: "duration_s", 7: "duration_s", 8: "sim_slot", 9: "number", 10: "number", 11: "id", 12: "id"}
	for i, r := range res {
		if f, bad := wantField[i]; bad {
			require.Equal(t, leadcall.IngestRejected, r.Status, "call %d", i)
			require.NotNil(t, r.Err)
			require.ErrorIs(t, r.Err, leadcall.ErrInvalid)
			require.Equal(t, f, r.Err.Field, "call %d", i)
			require.NotEmpty(t, r.Err.Message)
			continue
		}
		require.Equal(t, leadcall.IngestAccepted, r.Status, "call %d", i)
	}
	calls := h.allCalls("o1")
	require.Len(t, calls, 3)
	var unreadable leadcall.Call
	for _, c := range calls {
		if c.DeviceCallID == "unreadable" {
			unreadable = c
		}
	}
	require.Equal(t, leadcall.ReasonInvalidNumber, unreadable.Reason)
	require.Equal(t, "not a number; DROP TABLE calls", unreadable.NumberRaw, "stored verbatim")
	h.waitIdle()
	page, err := h.store.ListReview(h.ctx, &leadcall.ReviewFilter{OrgID: "o1"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	require.Equal(t, leadcall.ReviewInvalidNumber, page.Items[0].Kind)
}

func TestIngestWholeBatchErrors(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, func(c *leadcall.Config) { c.MaxBatch = 10 })
	big := make([]leadcall.IncomingCall, 11)
	_, err := h.eng.Ingest(h.ctx, "o1", "line", big)
	require.ErrorIs(t, err, leadcall.ErrInvalid)
	_, err = h.eng.Ingest(h.ctx, "o1", "nope", nil)
	require.ErrorIs(t, err, leadcall.ErrNotFound, "unknown device")
	_, err = h.eng.Ingest(h.ctx, "other-org", "line", nil)
	require.ErrorIs(t, err, leadcall.ErrNotFound, "unknown org")
	require.Empty(t, h.allCalls("o1"))
}

// TestSyncSurvivesFaults: rate limits, outages and lost responses never duplicate a record.
func TestSyncSurvivesFaults(t *testing.T) {
	t.Parallel()
	// Enough attempts that random faults cannot exhaust them: this test is about duplicates.
	h := simpleOrg(t, func(c *leadcall.Config) { c.MaxAttempts = 1000 })
	for _, op := range memcrm.Ops() {
		h.crm.FailRandomly(op, 0.2, memcrm.Fault{Code: leadcall.CodeUnavailable})
	}
	h.crm.FailRandomly(memcrm.OpCreateLead, 0.2, memcrm.Fault{Code: leadcall.CodeUnavailable, Commit: true})
	h.crm.FailRandomly(memcrm.OpCreateCall, 0.2, memcrm.Fault{Code: leadcall.CodeUnavailable, Commit: true})
	h.crm.FailRandomly(memcrm.OpCreateBundle, 0.3, memcrm.Fault{Code: leadcall.CodeUnavailable, Commit: true})
	h.crm.FailNext(memcrm.OpFindByPhone, 2, memcrm.Fault{Code: leadcall.CodeRateLimited, RetryAfter: 30 * time.Millisecond})
	now := h.clock.Now()
	var calls []leadcall.IncomingCall
	for i := range 40 {
		calls = append(calls, leadcall.IncomingCall{
			ID: fmt.Sprintf("c%d", i), Number: fmt.Sprintf("98765%05d", i%10), Type: []string{"missed", "inbound"}[i%2],
			StartedAt: now.Add(time.Duration(i-60) * time.Second), DurationS: 20 * (i % 2),
		})
	}
	h.ingest("o1", "line", calls...)
	h.waitIdle()
	counts := h.crm.Counts()
	require.Equal(t, 10, counts.Leads, "one Lead per number")
	require.Equal(t, 40, counts.Calls, "one Call per call")
	seen := map[string]bool{}
	for _, c := range h.crm.Calls() {
		require.False(t, seen[c.SyncKey], "duplicate Call")
		seen[c.SyncKey] = true
	}
	for _, c := range h.allCalls("o1") {
		require.Equal(t, leadcall.SyncSynced, c.SyncStatus, "call %s: %s", c.DeviceCallID, c.LastError)
	}
	require.Positive(t, h.events.types()[leadcall.EventSyncPaused], "the rate limit paused the org")
}

func TestPermanentErrorGoesToReview(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	h.crm.FailNext(memcrm.OpCreateBundle, 1, memcrm.Fault{Code: leadcall.CodeInvalid})
	h.ingest("o1", "line", leadcall.IncomingCall{ID: "p1", Number: "9876512345", Type: "missed", StartedAt: h.clock.Now().Add(-time.Minute)})
	h.waitIdle()
	calls := h.allCalls("o1")
	require.Equal(t, leadcall.SyncFailed, calls[0].SyncStatus)
	page, err := h.store.ListReview(h.ctx, &leadcall.ReviewFilter{OrgID: "o1"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	item := page.Items[0]
	require.Equal(t, leadcall.ReviewFailed, item.Kind)

	// Retry from review: the CRM works now.
	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: item.ID, Action: leadcall.ActionRetry, By: "manager"})
	require.NoError(t, err)
	h.waitIdle()
	calls = h.allCalls("o1")
	require.Equal(t, leadcall.SyncSynced, calls[0].SyncStatus)
	require.Equal(t, 1, h.crm.Counts().Leads)
	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: item.ID, Action: leadcall.ActionRetry})
	require.ErrorIs(t, err, leadcall.ErrConflict, "already resolved")
}

func TestReviewResolutions(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	human, err := h.crm.AddLead(memcrm.Person{LastName: "Human", Phones: map[string]string{"Phone": "9876512345"}})
	require.NoError(t, err)
	now := h.clock.Now()
	h.ingest("o1", "line",
		leadcall.IncomingCall{ID: "d1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-3 * time.Minute)},
		leadcall.IncomingCall{ID: "d2", Number: "9876512345", Type: "inbound", DurationS: 40, StartedAt: now.Add(-2 * time.Minute)},
		leadcall.IncomingCall{ID: "d3", Number: "9876512345", Type: "inbound", DurationS: 40, StartedAt: now.Add(-time.Minute)},
	)
	h.waitIdle()
	require.Zero(t, h.crm.Counts().Calls, "nothing written for a duplicate Lead")
	page, err := h.store.ListReview(h.ctx, &leadcall.ReviewFilter{OrgID: "o1"})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	byCall := map[string]leadcall.ReviewItem{}
	for _, it := range page.Items {
		c, err := h.store.Call(h.ctx, "o1", it.CallID)
		require.NoError(t, err)
		byCall[c.DeviceCallID] = it
	}
	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: byCall["d1"].ID, Action: leadcall.ActionLogTo, RecordID: "not-a-candidate"})
	require.ErrorIs(t, err, leadcall.ErrInvalid)
	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: byCall["d1"].ID, Action: "shrug"})
	require.ErrorIs(t, err, leadcall.ErrInvalid)

	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: byCall["d1"].ID, Action: leadcall.ActionLogTo, RecordID: human})
	require.NoError(t, err)
	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: byCall["d2"].ID, Action: leadcall.ActionIgnore})
	require.NoError(t, err)
	_, err = h.eng.ResolveReview(h.ctx, leadcall.ResolveParams{OrgID: "o1", ID: byCall["d3"].ID, Action: leadcall.ActionCreateNew})
	require.NoError(t, err)
	h.waitIdle()

	got := map[string]leadcall.Call{}
	for _, c := range h.allCalls("o1") {
		got[c.DeviceCallID] = c
	}
	require.Equal(t, human, got["d1"].CRM.LeadID)
	require.Equal(t, leadcall.OutcomeLinkedLead, got["d1"].Outcome)
	require.NotEmpty(t, got["d1"].CRM.TaskID, "missed call logged to the chosen Lead gets its Task")
	require.Equal(t, leadcall.OutcomeIgnored, got["d2"].Outcome)
	require.Equal(t, leadcall.SyncNone, got["d2"].SyncStatus)
	require.Equal(t, leadcall.OutcomeCreatedLead, got["d3"].Outcome)
	require.NotEqual(t, human, got["d3"].CRM.LeadID)
	counts := h.crm.Counts()
	require.Equal(t, 2, counts.Leads)
	require.Equal(t, 2, counts.Calls)
	require.Equal(t, 1, counts.Tasks)
}

func TestAssignmentChecks(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	require.NoError(t, h.crm.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{{DisplayValue: "Google Ads", ActualValue: "google"}}))
	a, warns, err := h.eng.SetAssignment(h.ctx, leadcall.SetAssignmentParams{OrgID: "o1", DeviceID: "line", LeadSource: "google",
		Metadata: map[string]string{"City": "Pune", "Shoe size": "9", "Created Time": "now"}})
	require.NoError(t, err)
	require.Equal(t, "Google Ads", a.LeadSource, "display value stored")
	require.Len(t, warns, 2)
	_, _, err = h.eng.SetAssignment(h.ctx, leadcall.SetAssignmentParams{OrgID: "o1", DeviceID: "line", LeadSource: "Billboard"})
	var le *leadcall.Error
	require.True(t, errors.As(err, &le))
	require.Equal(t, "lead_source", le.Field)
	require.Contains(t, le.Message, "invalid_lead_source")

	// A sales-rep phone holds no assignment; switching closes the open one.
	kind := device.KindSalesRep
	_, err = h.eng.UpdateDevice(h.ctx, "o1", "line", leadcall.DevicePatch{Kind: &kind})
	require.NoError(t, err)
	hist, err := h.store.Assignments(h.ctx, "o1", "line")
	require.NoError(t, err)
	require.Len(t, hist, 1)
	require.False(t, hist[0].End.IsZero(), "closed when the device became a sales-rep phone")
	_, _, err = h.eng.SetAssignment(h.ctx, leadcall.SetAssignmentParams{OrgID: "o1", DeviceID: "line", LeadSource: "google"})
	require.ErrorIs(t, err, leadcall.ErrInvalid)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	_, err := leadcall.New(leadcall.Config{})
	require.ErrorIs(t, err, leadcall.ErrInvalid)
	require.ErrorContains(t, err, "Store")
	require.ErrorContains(t, err, "CRMs")
	_, err = leadcall.New(leadcall.Config{Store: nil, CRMs: leadcall.SingleCRM{}, Lease: time.Second, CRMTimeout: time.Second})
	require.ErrorContains(t, err, "Lease")
	_, err = leadcall.New(leadcall.Config{Workers: -1})
	require.ErrorContains(t, err, "Workers")
}
