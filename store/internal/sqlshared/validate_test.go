package sqlshared

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

const op = "test: op"

// requireInvalid checks that err is CodeInvalid about field with op, and that its message
// contains msg.
func requireInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	var le *leadcall.Error
	require.True(t, errors.As(err, &le), "%v", err)
	require.Equal(t, leadcall.CodeInvalid, le.Code)
	require.Equal(t, op, le.Op)
	require.Equal(t, field, le.Field)
	require.Contains(t, le.Message, msg)
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func goodCall() *leadcall.Call {
	return &leadcall.Call{DeviceID: "d1", DeviceCallID: "c1", Type: leadcall.CallInbound, StartedAt: t0,
		DeviceKind: device.KindSalesRep, Disposition: leadcall.DispositionSync}
}

func TestValidateNewCall(t *testing.T) {
	require.NoError(t, ValidateNewCall(op, "org", 0, &leadcall.NewCall{Call: goodCall()}))
	require.NoError(t, ValidateNewCall(op, "org", 0, &leadcall.NewCall{Call: goodCall(), Enqueue: true,
		Review: &leadcall.ReviewItem{Kind: leadcall.ReviewInvalidNumber}}))

	for _, tc := range []struct {
		name, field, msg string
		edit             func(*leadcall.NewCall)
	}{
		{"nil", "calls[3]", "call is nil", func(nc *leadcall.NewCall) { nc.Call = nil }},
		{"org", "calls[3].org_id", "does not match", func(nc *leadcall.NewCall) { nc.Call.OrgID = "other" }},
		{"device", "calls[3].device_id", "required", func(nc *leadcall.NewCall) { nc.Call.DeviceID = "" }},
		{"device call", "calls[3].device_call_id", "required", func(nc *leadcall.NewCall) { nc.Call.DeviceCallID = "" }},
		{"type", "calls[3].type", "unknown call type", func(nc *leadcall.NewCall) { nc.Call.Type = "fax" }},
		{"started", "calls[3].started_at", "required", func(nc *leadcall.NewCall) { nc.Call.StartedAt = time.Time{} }},
		{"duration", "calls[3].duration_s", "negative", func(nc *leadcall.NewCall) { nc.Call.DurationS = -1 }},
		{"kind", "calls[3].device_kind", "unknown device kind", func(nc *leadcall.NewCall) { nc.Call.DeviceKind = "x" }},
		{"disposition", "calls[3].disposition", "unknown disposition", func(nc *leadcall.NewCall) { nc.Call.Disposition = "" }},
		{"status", "calls[3].sync_status", "unknown sync status", func(nc *leadcall.NewCall) { nc.Call.SyncStatus = "x" }},
		{"enqueue", "calls[3].sync_status", "must be pending", func(nc *leadcall.NewCall) {
			nc.Enqueue, nc.Call.SyncStatus = true, leadcall.SyncSynced
		}},
		{"review kind", "calls[3].review.kind", "unknown review kind", func(nc *leadcall.NewCall) {
			nc.Review = &leadcall.ReviewItem{Kind: "x"}
		}},
		{"review status", "calls[3].review.status", "open", func(nc *leadcall.NewCall) {
			nc.Review = &leadcall.ReviewItem{Kind: leadcall.ReviewFailed, Status: leadcall.ReviewResolved}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := &leadcall.NewCall{Call: goodCall()}
			tc.edit(nc)
			requireInvalid(t, ValidateNewCall(op, "org", 3, nc), tc.field, tc.msg)
		})
	}
}

func TestNormalizeCall(t *testing.T) {
	now := t0.Add(time.Hour + 123456*time.Nanosecond)
	in := *goodCall()
	in.ID, in.StartedAt = 9, t0.Add(999*time.Microsecond)
	got := NormalizeCall(in, "org", false, now)
	require.Equal(t, "org", got.OrgID)
	require.Zero(t, got.ID)
	require.Equal(t, t0, got.StartedAt)
	require.Equal(t, TruncMS(now), got.ReceivedAt)
	require.Equal(t, leadcall.SyncNone, got.SyncStatus)
	require.Equal(t, leadcall.SyncPending, NormalizeCall(in, "org", true, now).SyncStatus)
	in.SyncStatus, in.ReceivedAt = leadcall.SyncSynced, t0
	got = NormalizeCall(in, "org", true, now)
	require.Equal(t, leadcall.SyncSynced, got.SyncStatus)
	require.Equal(t, t0, got.ReceivedAt)
}

func TestSerialKey(t *testing.T) {
	require.Equal(t, "+441632960000", SerialKey(&leadcall.Call{ID: 5, NumberE164: "+441632960000"}))
	require.Equal(t, "call:5", SerialKey(&leadcall.Call{ID: 5}))
}

func TestValidateCallFilter(t *testing.T) {
	limit, after, err := ValidateCallFilter(op, &leadcall.CallFilter{})
	require.NoError(t, err)
	require.Equal(t, DefaultListLimit, limit)
	require.Nil(t, after)
	limit, _, err = ValidateCallFilter(op, &leadcall.CallFilter{Limit: 1 << 40})
	require.NoError(t, err)
	require.Equal(t, MaxListLimit, limit)
	limit, after, err = ValidateCallFilter(op, &leadcall.CallFilter{Limit: 7, DeviceIDs: make([]string, MaxFilterValues),
		Cursor: EncodeCursor(CallCursorTag, 1700000000000, 42)})
	require.NoError(t, err)
	require.Equal(t, 7, limit)
	require.Equal(t, []int64{1700000000000, 42}, after)

	_, _, err = ValidateCallFilter(op, nil)
	requireInvalid(t, err, "filter", "required")
	_, _, err = ValidateCallFilter(op, &leadcall.CallFilter{Limit: -1})
	requireInvalid(t, err, "limit", "negative")
	_, _, err = ValidateCallFilter(op, &leadcall.CallFilter{From: t0, To: t0.Add(-time.Millisecond)})
	requireInvalid(t, err, "to", "before from")
	for field, f := range map[string]*leadcall.CallFilter{
		"device_ids":  {DeviceIDs: make([]string, MaxFilterValues+1)},
		"types":       {Types: make([]leadcall.CallType, MaxFilterValues+1)},
		"sync_status": {SyncStatus: make([]leadcall.SyncStatus, 100_000)},
		"outcomes":    {Outcomes: make([]leadcall.SyncOutcome, MaxFilterValues+1)},
		"disposition": {Disposition: make([]leadcall.Disposition, MaxFilterValues+1)},
	} {
		_, _, err := ValidateCallFilter(op, f)
		requireInvalid(t, err, field, "at most 500 values")
	}
	for name, cursor := range map[string]string{
		"review cursor": EncodeCursor(ReviewCursorTag, 5),
		"garbage":       "%%%",
		"huge":          strings.Repeat("Y2FsbHMxOjE6Mg", 1000),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ValidateCallFilter(op, &leadcall.CallFilter{Cursor: cursor})
			requireInvalid(t, err, "cursor", "malformed cursor")
		})
	}
}

func TestCallPage(t *testing.T) {
	calls := []leadcall.Call{{ID: 3, StartedAt: t0.Add(2 * time.Second)}, {ID: 2, StartedAt: t0.Add(time.Second)}, {ID: 1, StartedAt: t0}}
	page := CallPage(calls[:2], 2)
	require.Len(t, page.Items, 2)
	require.Empty(t, page.NextCursor, "no more rows than the limit: the last page")

	page = CallPage(calls, 2)
	require.Equal(t, calls[:2], page.Items)
	_, after, err := ValidateCallFilter(op, &leadcall.CallFilter{Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Equal(t, []int64{t0.Add(time.Second).UnixMilli(), 2}, after, "the next page starts after the last call")
}

func TestReviewPage(t *testing.T) {
	items := []leadcall.ReviewItem{{ID: 9}, {ID: 7}, {ID: 4}}
	require.Empty(t, ReviewPage(items, 3).NextCursor)
	page := ReviewPage(items, 1)
	require.Equal(t, items[:1], page.Items)
	_, after, err := ValidateReviewFilter(op, &leadcall.ReviewFilter{Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Equal(t, int64(9), after)
}

func TestValidateClaim(t *testing.T) {
	limit, err := ValidateClaim(op, &leadcall.ClaimParams{Now: t0, Lease: time.Minute, Limit: 5000})
	require.NoError(t, err)
	require.Equal(t, MaxClaimLimit, limit)
	for field, p := range map[string]*leadcall.ClaimParams{
		"params": nil,
		"limit":  {Now: t0, Lease: time.Minute},
		"lease":  {Now: t0, Limit: 1, Lease: -time.Second},
		"now":    {Limit: 1, Lease: time.Minute},
	} {
		_, err := ValidateClaim(op, p)
		requireInvalid(t, err, field, "")
	}
}

func TestValidateJobSteps(t *testing.T) {
	f := leadcall.Fence{JobID: 4, LeaseToken: 9}
	require.NoError(t, ValidateAdvance(op, leadcall.StepLeadCreated))
	requireInvalid(t, ValidateAdvance(op, ""), "step", "unknown step")

	intent := func() *leadcall.SyncAttempt { return &leadcall.SyncAttempt{Op: "create_lead"} }
	require.NoError(t, ValidateIntent(op, f, intent(), ""))
	requireInvalid(t, ValidateIntent(op, f, intent(), "x"), "step", "unknown step")
	requireInvalid(t, ValidateIntent(op, f, nil, ""), "attempt", "required")
	requireInvalid(t, ValidateIntent(op, f, &leadcall.SyncAttempt{JobID: 5, Op: "x"}, ""), "job_id", "fence")
	requireInvalid(t, ValidateIntent(op, f, &leadcall.SyncAttempt{}, ""), "op", "required")
	requireInvalid(t, ValidateIntent(op, f, &leadcall.SyncAttempt{Op: "x", FinishedAt: t0}, ""), "finished_at", "not finished")

	done := &leadcall.SyncAttempt{ID: 1, Outcome: leadcall.AttemptSuccess}
	require.NoError(t, ValidateFinish(op, done, leadcall.StepCallCreated))
	requireInvalid(t, ValidateFinish(op, nil, ""), "attempt", "required")
	requireInvalid(t, ValidateFinish(op, &leadcall.SyncAttempt{Outcome: leadcall.AttemptSuccess}, ""), "id", "required")
	requireInvalid(t, ValidateFinish(op, &leadcall.SyncAttempt{ID: 1}, ""), "outcome", "unknown attempt outcome")
	requireInvalid(t, ValidateFinish(op, done, "x"), "step", "unknown step")
}

func TestValidateComplete(t *testing.T) {
	c, err := ValidateComplete(op, &leadcall.CompleteJobParams{Outcome: leadcall.SyncOutcome("lead_created"),
		State: leadcall.CallSyncState{OwnerID: "u1"}})
	require.NoError(t, err)
	require.Equal(t, leadcall.SyncSynced, c.Status)
	require.Equal(t, leadcall.JobDone, c.State)
	require.Equal(t, "u1", c.Sync.OwnerID)
	require.Equal(t, leadcall.SyncOutcome("lead_created"), c.Sync.Outcome)

	c, err = ValidateComplete(op, &leadcall.CompleteJobParams{Dead: true})
	require.NoError(t, err)
	require.Equal(t, leadcall.SyncFailed, c.Status)
	require.Equal(t, leadcall.JobDead, c.State)

	c, err = ValidateComplete(op, &leadcall.CompleteJobParams{SyncStatus: leadcall.SyncNone})
	require.NoError(t, err)
	require.Equal(t, leadcall.SyncNone, c.Status)

	for field, p := range map[string]*leadcall.CompleteJobParams{
		"params":          nil,
		"sync_status":     {SyncStatus: leadcall.SyncPending},
		"review.kind":     {Review: &leadcall.ReviewItem{Kind: leadcall.ReviewKind(strings.Repeat("x", 1<<16))}},
		"attempt.id":      {Attempt: &leadcall.SyncAttempt{Outcome: leadcall.AttemptSuccess}},
		"attempt.outcome": {Attempt: &leadcall.SyncAttempt{ID: 1}},
	} {
		_, err := ValidateComplete(op, p)
		requireInvalid(t, err, field, "")
	}
}

func TestValidateEnqueue(t *testing.T) {
	require.NoError(t, ValidateEnqueue(op, &leadcall.EnqueueParams{OrgID: "org", CallID: 1}))
	require.NoError(t, ValidateEnqueue(op, &leadcall.EnqueueParams{OrgID: "org", CallID: 1, Mode: leadcall.ModeLogTo,
		TargetModule: "Leads", TargetID: "9"}))
	for field, p := range map[string]*leadcall.EnqueueParams{
		"params":       nil,
		"org_id":       {CallID: 1},
		"call_id":      {OrgID: "org"},
		"mode":         {OrgID: "org", CallID: 1, Mode: "x"},
		"target_id":    {OrgID: "org", CallID: 1, Mode: leadcall.ModeLogTo, TargetModule: "Leads"},
		"max_attempts": {OrgID: "org", CallID: 1, MaxAttempts: -1},
	} {
		requireInvalid(t, ValidateEnqueue(op, p), field, "")
	}
}

func TestValidateResolve(t *testing.T) {
	ignore := leadcall.Resolution{Action: leadcall.ActionIgnore}
	enq, err := ValidateResolve(op, &leadcall.ResolveReviewParams{OrgID: "org", Resolution: ignore})
	require.NoError(t, err)
	require.Nil(t, enq)

	in := &leadcall.EnqueueParams{CallID: 3}
	enq, err = ValidateResolve(op, &leadcall.ResolveReviewParams{OrgID: "org", Resolution: ignore, Enqueue: in})
	require.NoError(t, err)
	require.Equal(t, &leadcall.EnqueueParams{OrgID: "org", CallID: 3}, enq)
	require.Empty(t, in.OrgID, "the caller's params are not changed")

	for field, p := range map[string]*leadcall.ResolveReviewParams{
		"params":            nil,
		"org_id":            {Resolution: ignore},
		"resolution.action": {OrgID: "org"},
		"call_outcome":      {OrgID: "org", Resolution: ignore, Enqueue: in, CallOutcome: "x"},
		"enqueue.org_id":    {OrgID: "org", Resolution: ignore, Enqueue: &leadcall.EnqueueParams{OrgID: "b"}},
		"mode":              {OrgID: "org", Resolution: ignore, Enqueue: &leadcall.EnqueueParams{Mode: "x"}},
	} {
		_, err := ValidateResolve(op, p)
		requireInvalid(t, err, field, "")
	}
}
