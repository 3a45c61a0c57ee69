package leadcall

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leadcall/leadcall/crm"
)

// Backfill limits.
const (
	// MaxBackfillRange is the longest From–To range of one backfill.
	MaxBackfillRange = 366 * 24 * time.Hour
	// MaxBackfillCalls is the most calls one backfill looks at; narrow the range beyond it.
	MaxBackfillCalls = 10000
	// MaxBackfillDevices is the most devices one backfill names.
	MaxBackfillDevices = 100
	// backfillProgressEvery is how many enqueued calls make one backfill.progress event.
	backfillProgressEvery = 100
)

// BackfillParams are the arguments of Engine.Backfill.
type BackfillParams struct {
	OrgID string
	// From and To select calls by start, in [From, To). Both required.
	From, To time.Time
	// DeviceIDs limits the backfill to these devices; empty means every device.
	DeviceIDs []string
	// DryRun plans without writing: CRM reads only, nothing enqueued.
	DryRun bool
}

// BackfillOp is a planned CRM write (or link) of a backfill.
type BackfillOp string

// Backfill ops. Link is not a write: it names the existing record a call's activity goes to.
const (
	BackfillCreateLead BackfillOp = "create_lead"
	BackfillCreateCall BackfillOp = "create_call"
	BackfillCreateTask BackfillOp = "create_task"
	BackfillLink       BackfillOp = "link"
)

// BackfillWrite is one planned CRM write of a dry-run backfill.
type BackfillWrite struct {
	CallID int64      `json:"call_id"`
	Op     BackfillOp `json:"op"`
	Module crm.Module `json:"module"`
	// SyncKey is the record's sync key (empty for a link).
	SyncKey string `json:"sync_key,omitempty"`
	// Summary describes the record as it would be written (DescribeWrite).
	Summary string `json:"summary"`
}

// BackfillSkip is a call in the range that the backfill leaves alone, and why.
type BackfillSkip struct {
	CallID int64  `json:"call_id"`
	Reason string `json:"reason"`
}

// BackfillResult is what a backfill did, or would do.
type BackfillResult struct {
	// ID names a real backfill in its events; empty for a dry run.
	ID     string `json:"backfill_id,omitempty"`
	DryRun bool   `json:"dry_run"`
	// Calls is the number of calls to sync (dry run) or enqueued (real run).
	Calls int `json:"calls"`
	// Writes are the CRM writes the sync would make, in order (dry run only).
	Writes  []BackfillWrite `json:"writes"`
	Skipped []BackfillSkip  `json:"skipped"`
}

// Backfill re-runs the CRM sync for the calls of an org in a range (and devices) that were
// never synced or whose sync failed; calls already synced, pending, in review, or not to be
// synced by the rules are listed as skipped with the reason.
//
// A dry run makes CRM reads only (lookups, field metadata) and runs the sync's own decision
// code on each call in call-time order, as the sync workers would, with the effect of the
// writes planned for earlier calls (two calls from one new caller give one Lead): it returns
// exactly the writes a real run would make now. A real run enqueues a sync job per call and
// appends backfill.progress events ({backfill_id, done, total}) and a final backfill.done
// (the result without writes) to the event log.
//
// CodeInvalid for bad parameters or more than MaxBackfillCalls calls in the range;
// CodeNotFound for an unknown org or device.
func (e *Engine) Backfill(ctx context.Context, p BackfillParams) (*BackfillResult, error) {
	const op = "leadcall: backfill"
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if err := e.checkBackfill(ctx, &p); err != nil {
		return nil, err
	}
	eligible, skipped, err := e.backfillCalls(ctx, &p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	res := &BackfillResult{DryRun: p.DryRun, Skipped: skipped, Writes: []BackfillWrite{}}
	if p.DryRun {
		res.Writes, err = e.planBackfill(ctx, p.OrgID, eligible)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		res.Calls = len(eligible)
		return res, nil
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	res.ID = "bf_" + hex.EncodeToString(b[:])
	now := e.now().UTC()
	total := len(eligible)
	for i, c := range eligible {
		_, err := e.store.EnqueueJob(ctx, &EnqueueParams{OrgID: p.OrgID, CallID: c.ID, Mode: ModeNormal, Now: now, MaxAttempts: e.cfg.MaxAttempts})
		switch {
		case isCode(err, CodeConflict):
			res.Skipped = append(res.Skipped, BackfillSkip{CallID: c.ID, Reason: "a sync job is already queued"})
		case err != nil:
			return nil, fmt.Errorf("%s: enqueue call %d: %w", op, c.ID, err)
		default:
			res.Calls++
		}
		if done := i + 1; done%backfillProgressEvery == 0 || done == total {
			e.backfillEvent(ctx, p.OrgID, EventBackfillProgress, map[string]any{"backfill_id": res.ID, "done": done, "total": total})
		}
	}
	slices.SortFunc(res.Skipped, func(a, b BackfillSkip) int { return cmp.Compare(a.CallID, b.CallID) })
	e.backfillEvent(ctx, p.OrgID, EventBackfillDone, map[string]any{"backfill_id": res.ID, "done": total,
		"total": total, "calls": res.Calls, "skipped": len(res.Skipped)})
	if res.Calls > 0 {
		e.Wake()
	}
	return res, nil
}

func (e *Engine) backfillEvent(ctx context.Context, orgID string, typ EventType, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		e.log.Warn("leadcall: backfill event", "err", err)
		return
	}
	e.appendEvents(ctx, Event{OrgID: orgID, Type: typ, At: e.now().UTC(), Data: data})
}

func (e *Engine) checkBackfill(ctx context.Context, p *BackfillParams) error {
	const op = "leadcall: backfill"
	bad := func(field, format string, args ...any) error {
		return &Error{Code: CodeInvalid, Op: op, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case p.From.IsZero() || p.To.IsZero():
		return bad("from", "from and to are required")
	case !p.From.Before(p.To):
		return bad("from", "must be before to")
	case p.To.Sub(p.From) > MaxBackfillRange:
		return bad("from", "the range is longer than %d days", int(MaxBackfillRange.Hours()/24))
	case len(p.DeviceIDs) > MaxBackfillDevices:
		return bad("device_ids", "at most %d devices, got %d", MaxBackfillDevices, len(p.DeviceIDs))
	}
	if err := checkID("org_id", p.OrgID); err != nil {
		return err
	}
	if _, err := e.store.Org(ctx, p.OrgID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	p.DeviceIDs = slices.Compact(slices.Sorted(slices.Values(p.DeviceIDs)))
	for _, d := range p.DeviceIDs {
		if err := checkID("device_ids", d); err != nil {
			return err
		}
		if _, err := e.store.Device(ctx, p.OrgID, d); err != nil {
			return fmt.Errorf("%s: device %q: %w", op, d, err)
		}
	}
	return nil
}

// backfillCalls reads the calls of the range and splits them into those to sync, in
// call-time order, and those skipped.
func (e *Engine) backfillCalls(ctx context.Context, p *BackfillParams) ([]Call, []BackfillSkip, error) {
	var all []Call
	f := CallFilter{OrgID: p.OrgID, From: p.From, To: p.To, DeviceIDs: p.DeviceIDs}
	err := EachCall(ctx, e.store, f, func(c *Call) (bool, error) {
		if len(all) == MaxBackfillCalls {
			return false, Errorf(CodeInvalid, "leadcall: backfill", "more than %d calls in the range; narrow it", MaxBackfillCalls)
		}
		all = append(all, *c)
		return true, nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(all, func(a, b Call) int { return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID)) })
	var eligible []Call
	skipped := []BackfillSkip{}
	for _, c := range all {
		if reason := backfillSkipReason(&c); reason != "" {
			skipped = append(skipped, BackfillSkip{CallID: c.ID, Reason: reason})
			continue
		}
		eligible = append(eligible, c)
	}
	return eligible, skipped, nil
}

// backfillSkipReason says why a call is not backfilled ("" when it is): only calls the rules
// sync whose sync never ran or failed for good are.
func backfillSkipReason(c *Call) string {
	if c.Disposition != DispositionSync {
		return fmt.Sprintf("not synced by the rules: %s (%s)", c.Disposition, c.Reason)
	}
	switch c.SyncStatus {
	case SyncSynced:
		return "already synced"
	case SyncPending:
		return "sync pending: a job is queued"
	case SyncReview:
		return "in review: resolve the review item"
	case SyncNone:
		if c.Outcome == OutcomeIgnored {
			return "ignored in review"
		}
	}
	return ""
}

// planBackfill runs the sync decisions for calls without writing, in order.
func (e *Engine) planBackfill(ctx context.Context, orgID string, calls []Call) ([]BackfillWrite, error) {
	d := &dryRun{leads: map[string]string{}, refs: map[int64]CRMRefs{}, writes: []BackfillWrite{}}
	for _, c := range calls {
		r := &jobRun{e: e, job: Job{OrgID: orgID, CallID: c.ID, Step: StepStart, Mode: ModeNormal, Attempt: 1}, dry: d}
		if err := r.run(ctx); err != nil {
			return nil, fmt.Errorf("plan call %d: %w", c.ID, err)
		}
	}
	return d.writes, nil
}

// dryRun records what a planning run would write. Its methods are called from the sync code
// (sync.go) where it would write; those called on every run are no-ops on a nil *dryRun.
type dryRun struct {
	writes []BackfillWrite
	seq    int
	// leads are the Leads planned so far, by caller number; refs the CRM records planned for
	// each call, so later calls see the effect of earlier planned writes.
	leads map[string]string
	refs  map[int64]CRMRefs
}

// plannedPrefix starts the IDs of planned records; no CRM gives such IDs.
const plannedPrefix = "planned:"

func (d *dryRun) newID(m crm.Module) string {
	d.seq++
	return fmt.Sprintf("%s%s:%d", plannedPrefix, strings.ToLower(string(m)), d.seq)
}

// withPlannedLead adds the Lead planned for the caller to the lookup's matches, as the CRM
// would show it once created.
func (d *dryRun) withPlannedLead(c *Call, matches []crm.Record) []crm.Record {
	if d == nil {
		return matches
	}
	if id, ok := d.leads[c.NumberE164]; ok {
		matches = append(slices.Clone(matches), crm.Record{Module: crm.ModuleLeads, ID: id,
			Phones: []string{c.NumberE164}, SyncKey: crm.LeadKey(c.OrgID, c.NumberE164)})
	}
	return matches
}

// withPlannedLeadID adds the planned Lead to the Leads leadcall remembers creating.
func (d *dryRun) withPlannedLeadID(c *Call, known []string) []string {
	if d == nil {
		return known
	}
	if id, ok := d.leads[c.NumberE164]; ok {
		known = append(slices.Clone(known), id)
	}
	return known
}

// overlay fills in the planned CRM records of calls planned earlier.
func (d *dryRun) overlay(calls []Call) {
	if d == nil {
		return
	}
	for i := range calls {
		if refs, ok := d.refs[calls[i].ID]; ok {
			calls[i].CRM = mergeRefs(calls[i].CRM, refs)
		}
	}
}

func mergeRefs(stored, planned CRMRefs) CRMRefs {
	stored.LeadID = cmp.Or(stored.LeadID, planned.LeadID)
	stored.ContactID = cmp.Or(stored.ContactID, planned.ContactID)
	stored.CallID = cmp.Or(stored.CallID, planned.CallID)
	stored.TaskID = cmp.Or(stored.TaskID, planned.TaskID)
	return stored
}

// link records that the call's activity goes to an existing (or planned) record.
func (d *dryRun) link(r *jobRun, ref crm.Ref) {
	if d == nil {
		return
	}
	target := string(ref.Module) + " " + ref.ID
	if strings.HasPrefix(ref.ID, plannedPrefix) {
		target = "the Lead planned for an earlier call"
	}
	d.writes = append(d.writes, BackfillWrite{CallID: r.call.ID, Op: BackfillLink, Module: ref.Module, Summary: "link to " + target})
}

// create records one planned create in place of createForeign.
func (d *dryRun) create(ctx context.Context, r *jobRun, payload any, apply func(string), last bool) error {
	w := DescribeWrite(payload)
	w.CallID = r.call.ID
	d.writes = append(d.writes, w)
	id := d.newID(w.Module)
	apply(id)
	if w.Op == BackfillCreateLead {
		d.leads[r.call.NumberE164] = id
	}
	if last {
		return r.completeWith(ctx, &CompleteJobParams{SyncStatus: SyncSynced, Outcome: r.state.Outcome})
	}
	return nil
}

// bundle records a planned bundle in place of createBundle, part by part.
func (d *dryRun) bundle(ctx context.Context, r *jobRun, b *crm.Bundle) (JobStep, error) {
	if err := d.create(ctx, r, b.Lead, func(id string) { r.state.CRM.LeadID = id }, false); err != nil {
		return "", err
	}
	if b.Task == nil {
		return StepCallCreated, d.create(ctx, r, b.Call, func(id string) { r.state.CRM.CallID = id }, true)
	}
	if err := d.create(ctx, r, b.Call, func(id string) { r.state.CRM.CallID = id }, false); err != nil {
		return "", err
	}
	return StepTaskCreated, d.create(ctx, r, b.Task, func(id string) { r.state.CRM.TaskID = id }, true)
}

// complete records the planned state of a finished call.
func (d *dryRun) complete(r *jobRun) {
	d.refs[r.call.ID] = r.state.CRM
	r.pendingStep, r.dirty, r.completed = "", false, true
}

// DescribeWrite describes a CRM record leadcall writes (*crm.Lead, *crm.Call or *crm.Task)
// as a dry-run backfill lists it: op, module, sync key and a one-line summary. The summary
// names the linked record's module but not its ID, which a planned record does not have
// yet. Other values give an empty BackfillWrite.
func DescribeWrite(record any) BackfillWrite {
	switch v := record.(type) {
	case *crm.Lead:
		var fields []string
		for _, k := range slices.Sorted(maps.Keys(v.Fields)) {
			fields = append(fields, fmt.Sprintf("%s=%q", k, v.Fields[k]))
		}
		s := fmt.Sprintf("Lead %q, phone %s, Lead Source %q, owner %q", v.LastName, v.Phone, v.LeadSource, v.OwnerID)
		if len(fields) > 0 {
			s += ", " + strings.Join(fields, ", ")
		}
		return BackfillWrite{Op: BackfillCreateLead, Module: crm.ModuleLeads, SyncKey: v.SyncKey, Summary: s}
	case *crm.Call:
		return BackfillWrite{Op: BackfillCreateCall, Module: crm.ModuleCalls, SyncKey: v.SyncKey,
			Summary: fmt.Sprintf("Call %q (%s) at %s, %s, result %q, owner %q, on %s", v.Subject, v.Type,
				v.Start.Format(time.RFC3339), v.Duration, v.Result, v.OwnerID, whoModule(v.Who))}
	case *crm.Task:
		return BackfillWrite{Op: BackfillCreateTask, Module: crm.ModuleTasks, SyncKey: v.SyncKey,
			Summary: fmt.Sprintf("Task %q due %s, %s, %s priority, owner %q, on %s", v.Subject,
				v.Due.Format("2006-01-02"), v.Status, v.Priority, v.OwnerID, whoModule(v.Who))}
	}
	return BackfillWrite{}
}

func whoModule(ref crm.Ref) string {
	if ref.IsZero() {
		return "the new Lead"
	}
	return string(ref.Module)
}
