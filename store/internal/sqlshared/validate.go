package sqlshared

import (
	"fmt"
	"strconv"
	"time"

	"github.com/leadcall/leadcall"
)

// List and claim limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
	// MaxFilterValues bounds each list in a filter (device IDs, types, ...).
	MaxFilterValues = 500
	// MaxClaimLimit caps ClaimParams.Limit.
	MaxClaimLimit = 1000
)

// ValidDisposition reports whether d is a known disposition.
func ValidDisposition(d leadcall.Disposition) bool {
	switch d {
	case leadcall.DispositionSync, leadcall.DispositionLocal, leadcall.DispositionIgnored:
		return true
	}
	return false
}

// ValidSyncStatus reports whether st is a known sync status.
func ValidSyncStatus(st leadcall.SyncStatus) bool {
	switch st {
	case leadcall.SyncNone, leadcall.SyncPending, leadcall.SyncSynced, leadcall.SyncReview, leadcall.SyncFailed:
		return true
	}
	return false
}

// FinalSyncStatus reports whether st may end a job: synced, review, failed or none.
func FinalSyncStatus(st leadcall.SyncStatus) bool {
	return st != leadcall.SyncPending && ValidSyncStatus(st)
}

// ValidReviewKind reports whether k is a known review kind.
func ValidReviewKind(k leadcall.ReviewKind) bool {
	switch k {
	case leadcall.ReviewDuplicateLead, leadcall.ReviewAmbiguous, leadcall.ReviewInvalidNumber, leadcall.ReviewFailed:
		return true
	}
	return false
}

// ValidStep reports whether step is a known job step.
func ValidStep(step leadcall.JobStep) bool {
	switch step {
	case leadcall.StepStart, leadcall.StepWhoResolved, leadcall.StepLeadCreated, leadcall.StepCallCreated, leadcall.StepTaskCreated:
		return true
	}
	return false
}

// ValidMode reports whether m is a known job mode.
func ValidMode(m leadcall.JobMode) bool {
	switch m {
	case leadcall.ModeNormal, leadcall.ModeLogTo, leadcall.ModeCreateNew:
		return true
	}
	return false
}

// ValidAttemptOutcome reports whether o is a known attempt outcome.
func ValidAttemptOutcome(o leadcall.AttemptOutcome) bool {
	switch o {
	case leadcall.AttemptSuccess, leadcall.AttemptAdopt, leadcall.AttemptRejectedSafe, leadcall.AttemptAmbiguous, leadcall.AttemptPermanent:
		return true
	}
	return false
}

// ValidReviewAction reports whether a is a known review action.
func ValidReviewAction(a leadcall.ReviewAction) bool {
	switch a {
	case leadcall.ActionLogTo, leadcall.ActionCreateNew, leadcall.ActionIgnore, leadcall.ActionRetry:
		return true
	}
	return false
}

// ValidateNewCall checks calls[i] of an InsertCalls batch for org orgID before anything of
// the batch is written.
func ValidateNewCall(op, orgID string, i int, nc *leadcall.NewCall) error {
	c := nc.Call
	field := func(name string) string { return fmt.Sprintf("calls[%d].%s", i, name) }
	switch {
	case c == nil:
		return Invalid(op, fmt.Sprintf("calls[%d]", i), "call is nil")
	case c.OrgID != "" && c.OrgID != orgID:
		return Invalid(op, field("org_id"), "does not match the batch's org")
	case c.DeviceID == "":
		return Invalid(op, field("device_id"), "required")
	case c.DeviceCallID == "":
		return Invalid(op, field("device_call_id"), "required")
	case !c.Type.Valid():
		return Invalid(op, field("type"), "unknown call type")
	case c.StartedAt.IsZero():
		return Invalid(op, field("started_at"), "required")
	case c.DurationS < 0:
		return Invalid(op, field("duration_s"), "must not be negative")
	case !c.DeviceKind.Valid():
		return Invalid(op, field("device_kind"), "unknown device kind")
	case !ValidDisposition(c.Disposition):
		return Invalid(op, field("disposition"), "unknown disposition")
	case c.SyncStatus != "" && !ValidSyncStatus(c.SyncStatus):
		return Invalid(op, field("sync_status"), "unknown sync status")
	case nc.Enqueue && c.SyncStatus != "" && c.SyncStatus != leadcall.SyncPending:
		return Invalid(op, field("sync_status"), "a call enqueued for sync must be pending")
	}
	if r := nc.Review; r != nil {
		switch {
		case !ValidReviewKind(r.Kind):
			return Invalid(op, fmt.Sprintf("calls[%d].review.kind", i), "unknown review kind")
		case r.Status != "" && r.Status != leadcall.ReviewOpen:
			return Invalid(op, fmt.Sprintf("calls[%d].review.status", i), "a new review item is open")
		}
	}
	return nil
}

// NormalizeCall returns the call as InsertCalls stores it: in org orgID, without an ID, times
// truncated to the millisecond, a zero ReceivedAt set to now and an empty SyncStatus set to
// pending when enqueued, else none.
func NormalizeCall(c leadcall.Call, orgID string, enqueue bool, now time.Time) leadcall.Call {
	c.OrgID = orgID
	c.ID = 0
	c.StartedAt = TruncMS(c.StartedAt)
	if c.ReceivedAt.IsZero() {
		c.ReceivedAt = now
	}
	c.ReceivedAt = TruncMS(c.ReceivedAt)
	if c.SyncStatus == "" {
		c.SyncStatus = leadcall.SyncNone
		if enqueue {
			c.SyncStatus = leadcall.SyncPending
		}
	}
	return c
}

// SerialKey is the key that serialises a caller's jobs: the E.164 number, or the call's own
// key when the number could not be parsed (such calls share no caller).
func SerialKey(c *leadcall.Call) string {
	if c.NumberE164 != "" {
		return c.NumberE164
	}
	return "call:" + strconv.FormatInt(c.ID, 10)
}

// ListLimit applies the default and the cap; negative is CodeInvalid.
func ListLimit(op string, limit int) (int, error) {
	if limit < 0 {
		return 0, Invalid(op, "limit", "must not be negative")
	}
	if limit == 0 {
		return DefaultListLimit, nil
	}
	return min(limit, MaxListLimit), nil
}

// ValidateCallFilter checks a ListCalls filter and returns its page size and, when f has a
// cursor, the (started_at in unix ms, ID) the page starts after: the filter is required, the
// limit must not be negative, To must not be before From, each list holds at most
// MaxFilterValues values and the cursor must be one of CallPage's.
func ValidateCallFilter(op string, f *leadcall.CallFilter) (limit int, after []int64, err error) {
	if f == nil {
		return 0, nil, Invalid(op, "filter", "required")
	}
	limit, err = ListLimit(op, f.Limit)
	if err != nil {
		return 0, nil, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return 0, nil, Invalid(op, "to", "before from")
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"device_ids", len(f.DeviceIDs)}, {"types", len(f.Types)}, {"sync_status", len(f.SyncStatus)},
		{"outcomes", len(f.Outcomes)}, {"disposition", len(f.Disposition)}} {
		if l.n > MaxFilterValues {
			return 0, nil, Invalid(op, l.name, "at most %d values", MaxFilterValues)
		}
	}
	if f.Cursor != "" {
		after, err = DecodeCursor(f.Cursor, CallCursorTag, 2)
		if err != nil {
			return 0, nil, Invalid(op, "cursor", "%v", err)
		}
	}
	return limit, after, nil
}

// ValidateClaim checks ClaimJobs' parameters and returns the capped limit.
func ValidateClaim(op string, p *leadcall.ClaimParams) (limit int, err error) {
	switch {
	case p == nil:
		return 0, Invalid(op, "params", "required")
	case p.Limit <= 0:
		return 0, Invalid(op, "limit", "must be positive")
	case p.Lease <= 0:
		return 0, Invalid(op, "lease", "must be positive")
	case p.Now.IsZero():
		return 0, Invalid(op, "now", "required")
	}
	return min(p.Limit, MaxClaimLimit), nil
}

// ValidateAdvance checks AdvanceJob's step.
func ValidateAdvance(op string, step leadcall.JobStep) error {
	if !ValidStep(step) {
		return Invalid(op, "step", "unknown step")
	}
	return nil
}

// ValidateIntent checks RecordIntent's arguments for the job fenced by f.
func ValidateIntent(op string, f leadcall.Fence, a *leadcall.SyncAttempt, step leadcall.JobStep) error {
	switch {
	case step != "" && !ValidStep(step):
		return Invalid(op, "step", "unknown step")
	case a == nil:
		return Invalid(op, "attempt", "required")
	case a.JobID != 0 && a.JobID != f.JobID:
		return Invalid(op, "job_id", "does not match the fence")
	case a.Op == "":
		return Invalid(op, "op", "required")
	case !a.FinishedAt.IsZero():
		return Invalid(op, "finished_at", "an intent is not finished yet")
	}
	return nil
}

// ValidateFinish checks FinishAttempt's arguments.
func ValidateFinish(op string, a *leadcall.SyncAttempt, step leadcall.JobStep) error {
	switch {
	case a == nil:
		return Invalid(op, "attempt", "required")
	case a.ID <= 0:
		return Invalid(op, "id", "required")
	case !ValidAttemptOutcome(a.Outcome):
		return Invalid(op, "outcome", "unknown attempt outcome")
	case step != "" && !ValidStep(step):
		return Invalid(op, "step", "unknown step")
	}
	return nil
}

// Completion is what CompleteJob stores, derived from its parameters.
type Completion struct {
	Status leadcall.SyncStatus    // the call's final sync status
	State  leadcall.JobState      // done, or dead
	Sync   leadcall.CallSyncState // p.State with p.Outcome, when set, as its outcome
	Review *leadcall.ReviewItem   // p.Review
}

// ValidateComplete checks CompleteJob's parameters and derives what it stores: an empty
// status is synced, or failed when p.Dead; the status must be final; the review kind and the
// attempt's ID and outcome must be valid.
func ValidateComplete(op string, p *leadcall.CompleteJobParams) (Completion, error) {
	if p == nil {
		return Completion{}, Invalid(op, "params", "required")
	}
	c := Completion{Status: p.SyncStatus, State: leadcall.JobDone, Sync: p.State}
	if c.Status == "" {
		c.Status = leadcall.SyncSynced
		if p.Dead {
			c.Status = leadcall.SyncFailed
		}
	}
	if !FinalSyncStatus(c.Status) {
		return Completion{}, Invalid(op, "sync_status", "must be synced, review, failed or none")
	}
	if p.Review != nil && !ValidReviewKind(p.Review.Kind) {
		return Completion{}, Invalid(op, "review.kind", "unknown review kind")
	}
	if p.Dead {
		c.State = leadcall.JobDead
	}
	if p.Outcome != "" {
		c.Sync.Outcome = p.Outcome
	}
	if p.Attempt != nil {
		switch {
		case p.Attempt.ID <= 0:
			return Completion{}, Invalid(op, "attempt.id", "required")
		case !ValidAttemptOutcome(p.Attempt.Outcome):
			return Completion{}, Invalid(op, "attempt.outcome", "unknown attempt outcome")
		}
	}
	return c, nil
}

// ValidateEnqueue checks EnqueueJob's parameters.
func ValidateEnqueue(op string, p *leadcall.EnqueueParams) error {
	switch {
	case p == nil:
		return Invalid(op, "params", "required")
	case p.OrgID == "":
		return Invalid(op, "org_id", "required")
	case p.CallID <= 0:
		return Invalid(op, "call_id", "required")
	}
	return ValidateJobOptions(op, p)
}

// ValidateJobOptions checks the mode, target and attempts of an enqueue.
func ValidateJobOptions(op string, p *leadcall.EnqueueParams) error {
	switch {
	case p.Mode != "" && !ValidMode(p.Mode):
		return Invalid(op, "mode", "unknown job mode")
	case p.Mode == leadcall.ModeLogTo && (p.TargetModule == "" || p.TargetID == ""):
		return Invalid(op, "target_id", "log_to needs a target module and ID")
	case p.MaxAttempts < 0:
		return Invalid(op, "max_attempts", "must not be negative")
	}
	return nil
}

// ValidateResolve checks ResolveReview's parameters and returns the enqueue it asks for (nil
// when none), its OrgID defaulted to p.OrgID.
func ValidateResolve(op string, p *leadcall.ResolveReviewParams) (*leadcall.EnqueueParams, error) {
	switch {
	case p == nil:
		return nil, Invalid(op, "params", "required")
	case p.OrgID == "":
		return nil, Invalid(op, "org_id", "required")
	case !ValidReviewAction(p.Resolution.Action):
		return nil, Invalid(op, "resolution.action", "unknown review action")
	case p.Enqueue != nil && p.CallOutcome != "":
		return nil, Invalid(op, "call_outcome", "cannot both enqueue a job and set an outcome")
	}
	if p.Enqueue == nil {
		return nil, nil
	}
	e := *p.Enqueue
	if e.OrgID == "" {
		e.OrgID = p.OrgID
	}
	if e.OrgID != p.OrgID {
		return nil, Invalid(op, "enqueue.org_id", "does not match the item's org")
	}
	if err := ValidateJobOptions(op, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// ValidateReviewFilter checks a ListReview filter and returns its page size and, when f has
// a cursor, the ID the page starts after: the filter is required, the limit must not be
// negative, the status is open, resolved or empty, there are at most MaxFilterValues kinds
// and the cursor must be one of ReviewPage's.
func ValidateReviewFilter(op string, f *leadcall.ReviewFilter) (limit int, after int64, err error) {
	if f == nil {
		return 0, 0, Invalid(op, "filter", "required")
	}
	limit, err = ListLimit(op, f.Limit)
	if err != nil {
		return 0, 0, err
	}
	if f.Status != "" && f.Status != leadcall.ReviewOpen && f.Status != leadcall.ReviewResolved {
		return 0, 0, Invalid(op, "status", "must be open, resolved or empty")
	}
	if len(f.Kinds) > MaxFilterValues {
		return 0, 0, Invalid(op, "kinds", "at most %d values", MaxFilterValues)
	}
	if f.Cursor != "" {
		c, err := DecodeCursor(f.Cursor, ReviewCursorTag, 1)
		if err != nil {
			return 0, 0, Invalid(op, "cursor", "%v", err)
		}
		after = c[0]
	}
	return limit, after, nil
}

// CallPage is the page of ListCalls from items, the rows of a query for limit+1 rows: with a
// cursor after its last call when there are more.
func CallPage(items []leadcall.Call, limit int) *leadcall.CallPage {
	page := &leadcall.CallPage{Items: items}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = EncodeCursor(CallCursorTag, last.StartedAt.UnixMilli(), last.ID)
	}
	return page
}

// ReviewPage is the page of ListReview from items, the rows of a query for limit+1 rows: with
// a cursor after its last item when there are more.
func ReviewPage(items []leadcall.ReviewItem, limit int) *leadcall.ReviewPage {
	page := &leadcall.ReviewPage{Items: items}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = EncodeCursor(ReviewCursorTag, page.Items[limit-1].ID)
	}
	return page
}
