package leadcall

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/phone"
	"github.com/leadcall/leadcall/recovery"
)

// dispatch claims due jobs and runs each in its own goroutine, until ctx is done; then it
// waits for the running jobs, which release their leases. It keeps up to two rounds of claimed
// jobs queued ahead of the workers, so one claim transaction serves many jobs.
func (e *Engine) dispatch(ctx context.Context) {
	var wg sync.WaitGroup
	workers := e.cfg.Workers
	running := 0
	var queue []claimedJob
	finished := make(chan struct{}, workers)
	ticker := time.NewTicker(e.cfg.PollInterval)
	defer ticker.Stop()
	defer func() {
		wg.Wait()
		// Jobs claimed but never started go back at once.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, job := range queue {
			if err := e.store.ReleaseJob(bg, Fence{JobID: job.ID, LeaseToken: job.LeaseToken}, nil); err != nil && !errors.Is(err, ErrLeaseLost) {
				e.log.Warn("leadcall: release job", "job_id", job.ID, "err", err)
			}
		}
	}()
	for {
		claimed := 0
		// Refill the queue when it runs low, in one claim for up to two rounds of jobs.
		if want := 2*workers - len(queue); len(queue) <= workers/2 {
			jobs, err := e.store.ClaimJobs(ctx, &ClaimParams{
				Owner: e.cfg.WorkerID, Now: e.now().UTC(), Lease: e.cfg.Lease, Limit: want,
			})
			if err != nil && ctx.Err() == nil {
				e.log.Warn("leadcall: claim jobs", "err", err)
			}
			at := time.Now()
			for _, j := range jobs {
				queue = append(queue, claimedJob{Job: j, claimedAt: at})
			}
			claimed = len(jobs)
		}
		for running < workers && len(queue) > 0 {
			job := queue[0]
			queue = queue[1:]
			running++
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { finished <- struct{}{} }()
				e.runJob(ctx, job.Job, job.claimedAt)
			}()
		}
		if claimed > 0 && running < workers {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-finished:
			running--
		case <-ticker.C:
		}
		// Collect every other finished job without blocking.
		for drained := false; !drained; {
			select {
			case <-finished:
				running--
			default:
				drained = true
			}
		}
	}
}

// reconcileWait means an in-doubt create is not visible yet; the job waits before it may
// create again.
type reconcileWait struct{ until time.Time }

func (w *reconcileWait) Error() string {
	return "waiting for the CRM's search to show an earlier in-doubt create"
}

// jobRun is one attempt at one job.
type jobRun struct {
	e     *Engine
	job   Job
	fence Fence
	call  *Call
	org   *Org
	dev   *Device
	crm   CRM
	loc   *time.Location
	state CallSyncState

	taskDecided bool
	taskWanted  bool
	// attemptedThisRun: this run recorded a sync attempt, so later steps must look for it.
	attemptedThisRun bool
	// pendingStep and dirty hold progress not committed yet: it rides along with the next
	// write (an intent, a retry, the completion), which saves a commit per step.
	pendingStep JobStep
	dirty       bool
	// completed: the job's completion was committed (with its last create).
	completed bool
	// dry, when set, makes this a planning run (a dry-run backfill): CRM reads happen, writes
	// and store writes are recorded in dry instead (backfill.go).
	dry *dryRun
}

// unsaved returns the state when it holds changes not committed yet, else nil.
func (r *jobRun) unsaved() *CallSyncState {
	if r.dirty {
		return &r.state
	}
	return nil
}

// takeUnsaved returns the pending step and state for a write that commits them.
func (r *jobRun) takeUnsaved() (JobStep, *CallSyncState) {
	step, st := r.pendingStep, r.unsaved()
	r.pendingStep, r.dirty = "", false
	return step, st
}

// claimedJob is a job waiting for a worker, with the wall-clock time its lease began.
type claimedJob struct {
	Job
	claimedAt time.Time
}

// runJob runs one claimed job and settles its lease: completed, retried, released or dead.
func (e *Engine) runJob(ctx context.Context, job Job, claimedAt time.Time) {
	// Stop well before the lease ends, so no request of ours can overlap another worker's.
	jctx, cancel := context.WithDeadline(ctx, claimedAt.Add(e.cfg.Lease*3/4))
	defer cancel()
	r := &jobRun{e: e, job: job, fence: Fence{JobID: job.ID, LeaseToken: job.LeaseToken}}
	err := r.run(jctx)
	if err == nil {
		return
	}
	bg, cancelBG := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelBG()
	e.settleFailure(bg, ctx, r, err)
}

func (e *Engine) settleFailure(bg, ctx context.Context, r *jobRun, err error) {
	job := r.job
	now := e.now().UTC()
	log := e.log.With("job_id", job.ID, "call_id", job.CallID, "org_id", job.OrgID, "attempt", job.Attempt)
	var wait *reconcileWait
	var serr error
	switch {
	case errors.Is(err, ErrLeaseLost):
		log.Warn("leadcall: job lease lost; another worker owns it")
		return
	case ctx.Err() != nil:
		serr = e.store.ReleaseJob(bg, r.fence, r.unsaved())
	case errors.As(err, &wait):
		serr = e.store.RetryJob(bg, r.fence, wait.until, err.Error(), r.unsaved())
	case isCode(err, CodeRateLimited):
		until := now.Add(cmp.Or(RetryAfterOf(err), e.cfg.RateLimitPause))
		serr = e.pause(bg, job.OrgID, until, "rate_limited", r)
	case isCode(err, CodeUnauthorized):
		serr = e.pause(bg, job.OrgID, now.Add(e.cfg.AuthPause), "crm_unauthorized", r)
	case isCode(err, CodeReconnectRequired):
		serr = e.pause(bg, job.OrgID, now.Add(e.cfg.AuthPause), "reconnect_required", r)
	case errors.As(err, new(*crmNotConnected)):
		// Waiting for a connection costs the calls no attempts; ResumeSync ends the wait
		// as soon as one is made.
		serr = e.pause(bg, job.OrgID, now.Add(e.cfg.AuthPause), "crm_not_connected", r)
	case isCode(err, CodeInvalid) || job.Attempt >= e.cfg.MaxAttempts:
		log.Warn("leadcall: sync failed for good", "err", err)
		serr = r.complete(bg, SyncFailed, OutcomeFailed, err.Error(), &ReviewItem{
			OrgID: job.OrgID, Kind: ReviewFailed, CallID: job.CallID, Status: ReviewOpen,
			Detail: err.Error(), CreatedAt: now,
		})
	default:
		delay := e.backoff(job.Attempt)
		log.Info("leadcall: sync attempt failed; retrying", "in", delay, "err", err)
		serr = e.store.RetryJob(bg, r.fence, now.Add(delay), err.Error(), r.unsaved())
	}
	if serr != nil && !errors.Is(serr, ErrLeaseLost) {
		log.Warn("leadcall: settle job", "err", serr)
	}
}

// pause pauses an org's sync and gives the job back without counting the attempt: a pause is
// not the job's fault.
// crmNotConnected is the CRMProvider's CodeNotFound: the org has no CRM connection yet.
type crmNotConnected struct{ err error }

func (e *crmNotConnected) Error() string {
	return "leadcall: sync: the org has no CRM connection: " + e.err.Error()
}
func (e *crmNotConnected) Unwrap() error { return e.err }

// ResumeSync ends the org's sync pause at once, for every replica sharing the store (a CRM was
// connected or reconnected: there is no need to wait out Config.AuthPause), publishes the
// sync.resumed event and wakes the workers. reason is the event's (e.g. "crm_connected").
func (e *Engine) ResumeSync(ctx context.Context, orgID, reason string) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	evs, err := e.store.ResumeOrg(ctx, orgID, reason)
	if err != nil {
		return err
	}
	e.publish(ctx, evs)
	e.Wake()
	return nil
}

func (e *Engine) pause(ctx context.Context, orgID string, until time.Time, reason string, r *jobRun) error {
	evs, err := e.store.PauseOrg(ctx, orgID, until, reason)
	if err != nil {
		return err
	}
	e.log.Warn("leadcall: org sync paused", "org_id", orgID, "until", until, "reason", reason)
	e.publish(ctx, evs)
	return e.store.ReleaseJob(ctx, r.fence, r.unsaved())
}

// backoff is the exponential retry delay with jitter in [d/2, d].
func (e *Engine) backoff(attempt int) time.Duration {
	d := e.cfg.RetryBase
	for i := 1; i < attempt && d < e.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, e.cfg.RetryMax)
	return d/2 + rand.N(d/2+1)
}

func (r *jobRun) run(ctx context.Context) error {
	e := r.e
	var err error
	if r.call, err = e.store.Call(ctx, r.job.OrgID, r.job.CallID); err != nil {
		return err
	}
	now := e.now()
	if r.org, err = e.orgs.get(r.job.OrgID, now, func() (*Org, error) { return e.store.Org(ctx, r.job.OrgID) }); err != nil {
		return err
	}
	devKey := r.job.OrgID + "\x00" + r.call.DeviceID
	if r.dev, err = e.devices.get(devKey, now, func() (*Device, error) { return e.store.Device(ctx, r.job.OrgID, r.call.DeviceID) }); err != nil {
		return err
	}
	if r.crm, err = e.crms.CRM(ctx, r.job.OrgID); err != nil {
		if isCode(err, CodeNotFound) {
			return &crmNotConnected{err: err}
		}
		return err
	}
	r.loc = e.location(r.org.Settings.TimeZone)
	r.state = CallSyncState{
		OwnerID: r.call.OwnerID, OwnerResolved: r.call.OwnerResolved,
		CRM: r.call.CRM, Outcome: r.call.Outcome,
	}
	step := r.job.Step
	if !r.state.OwnerResolved {
		// Resolved once, at the first attempt, and kept for every retry (history is immutable).
		if r.state.OwnerID, err = r.resolveOwner(ctx); err != nil {
			return err
		}
		r.state.OwnerResolved = true
		r.dirty = true // committed with the next write, a retry included
	}
	if step == StepStart {
		done, err := r.resolveWho(ctx)
		if err != nil || done {
			return err
		}
		step = StepWhoResolved
	}
	if step == StepWhoResolved {
		if r.state.CRM.Who().IsZero() {
			if step, err = r.createLead(ctx); err != nil {
				return err
			}
		} else {
			step = StepLeadCreated
		}
	}
	if step == StepLeadCreated {
		want, err := r.wantTask(ctx)
		if err != nil {
			return err
		}
		if err := r.createCall(ctx, !want); err != nil {
			return err
		}
		step = StepCallCreated
	}
	if step == StepCallCreated && !r.completed {
		want, err := r.wantTask(ctx)
		if err != nil {
			return err
		}
		if want {
			if err := r.createTask(ctx); err != nil {
				return err
			}
		}
	}
	if r.completed {
		return nil
	}
	return r.complete(ctx, SyncSynced, r.state.Outcome, "", nil)
}

func (r *jobRun) complete(ctx context.Context, status SyncStatus, outcome SyncOutcome, lastErr string, review *ReviewItem) error {
	return r.completeWith(ctx, &CompleteJobParams{
		SyncStatus: status, Outcome: outcome, LastError: lastErr, Review: review,
	})
}

// completeWith ends the job with p (State filled in from the run).
func (r *jobRun) completeWith(ctx context.Context, p *CompleteJobParams) error {
	if r.dry != nil {
		r.dry.complete(r)
		return nil
	}
	p.Now = r.e.now().UTC()
	p.Dead = p.SyncStatus == SyncFailed
	p.State = r.state
	evs, err := r.e.store.CompleteJob(ctx, r.fence, p)
	if err != nil {
		return err
	}
	r.pendingStep, r.dirty, r.completed = "", false, true
	r.e.publish(ctx, evs)
	return nil
}

func (r *jobRun) resolveOwner(ctx context.Context) (string, error) {
	repID := cmp.Or(r.call.RepID, r.dev.RepID)
	if repID == "" {
		return "", nil
	}
	rep, err := r.e.store.Rep(ctx, r.job.OrgID, repID)
	if isCode(err, CodeNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return rep.CRMUserID, nil
}

func (r *jobRun) crmCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.e.cfg.CRMTimeout)
}

// resolveWho looks the caller up and applies the decision table. done is true when the job
// ended in review.
func (r *jobRun) resolveWho(ctx context.Context) (done bool, err error) {
	c := r.call
	switch r.job.Mode {
	case ModeLogTo:
		r.link(crm.Ref{Module: r.job.TargetModule, ID: r.job.TargetID})
	case ModeCreateNew:
		r.state.Outcome = OutcomeCreatedLead
	default:
		variants, err := phone.SearchVariants(c.NumberE164)
		if err != nil {
			return false, NewError(CodeInvalid, "leadcall: sync: caller number", err)
		}
		cctx, cancel := r.crmCtx(ctx)
		matches, err := r.crm.FindByPhone(cctx, variants)
		cancel()
		if err != nil {
			return false, err
		}
		matches = r.dry.withPlannedLead(c, matches)
		leadKey := crm.LeadKey(c.OrgID, c.NumberE164)
		d := crm.Decide(crm.DecideInput{Matches: matches, LeadKey: leadKey})
		var known []string
		if d.Action == crm.ActionCreateLead || d.Action == crm.ActionReviewDuplicateLead {
			// Only these answers can change with the Leads we remember creating (a CRM
			// without sync keys, or a search index that lags).
			if known, err = r.e.store.LeadsCreatedFor(ctx, c.OrgID, c.NumberE164); err != nil {
				return false, err
			}
			known = r.dry.withPlannedLeadID(c, known)
			d = crm.Decide(crm.DecideInput{Matches: matches, LeadKey: leadKey, KnownLeadIDs: known})
		}
		switch d.Action {
		case crm.ActionCreateLead:
			r.state.Outcome = OutcomeCreatedLead
			if len(known) > 0 {
				// We created this caller's Lead before but the search does not show it: the
				// index lags. Our own record says which Lead it is; if it was deleted since,
				// the Call create fails and the call goes to review, never to a second Lead.
				r.link(crm.Ref{Module: crm.ModuleLeads, ID: known[0]})
			}
		case crm.ActionLinkContact, crm.ActionLinkLead:
			r.link(d.Who)
		case crm.ActionReviewDuplicateLead, crm.ActionReviewAmbiguous:
			kind, outcome := ReviewDuplicateLead, OutcomeReviewDuplicateLead
			if d.Action == crm.ActionReviewAmbiguous {
				kind, outcome = ReviewAmbiguous, OutcomeReviewAmbiguous
			}
			cands := make([]Candidate, len(d.Candidates))
			for i, m := range d.Candidates {
				cands[i] = Candidate{Module: m.Module, ID: m.ID, Name: m.Name}
			}
			r.state.Outcome = outcome
			return true, r.complete(ctx, SyncReview, outcome, "", &ReviewItem{
				OrgID: c.OrgID, Kind: kind, CallID: c.ID, NumberE164: c.NumberE164,
				Candidates: cands, Status: ReviewOpen, CreatedAt: r.e.now().UTC(),
			})
		}
	}
	r.pendingStep, r.dirty = StepWhoResolved, true // committed with the first intent
	return false, nil
}

// link points the call at an existing record.
func (r *jobRun) link(ref crm.Ref) {
	r.dry.link(r, ref)
	if ref.Module == crm.ModuleContacts {
		r.state.CRM.ContactID = ref.ID
		r.state.Outcome = OutcomeLinkedContact
	} else {
		r.state.CRM.LeadID = ref.ID
		r.state.Outcome = OutcomeLinkedLead
	}
}

// createLead creates the caller's Lead (with its Call and Task in one request when the CRM can
// bundle them) and returns the step reached.
func (r *jobRun) createLead(ctx context.Context) (JobStep, error) {
	lead, err := r.buildLead(ctx)
	if err != nil {
		return "", err
	}
	if b, ok := r.crm.(Bundler); ok {
		first, err := r.noAttemptsYet(ctx, OpCreateBundle, OpCreateLead)
		if err != nil {
			return "", err
		}
		if first {
			return r.createBundle(ctx, b, lead)
		}
	}
	err = r.createForeign(ctx, OpCreateLead, crm.ModuleLeads, lead.SyncKey, lead, StepLeadCreated, false,
		func(ctx context.Context) (*crm.Created, error) { return r.crm.CreateLead(ctx, lead) },
		func(id string) { r.state.CRM.LeadID = id })
	return StepLeadCreated, err
}

// mayHaveAttempts reports whether the job may have recorded sync attempts. Creates happen only
// after the step who_resolved is committed, so a job claimed at step start has none until this
// run records one.
func (r *jobRun) mayHaveAttempts() bool {
	return r.job.Step != StepStart || r.attemptedThisRun
}

func (r *jobRun) noAttemptsYet(ctx context.Context, ops ...SyncOp) (bool, error) {
	if !r.mayHaveAttempts() {
		return true, nil
	}
	for _, op := range ops {
		a, err := r.e.store.LastAttempt(ctx, r.job.ID, op)
		if err != nil {
			return false, err
		}
		if a != nil {
			return false, nil
		}
	}
	return true, nil
}

func (r *jobRun) createCall(ctx context.Context, last bool) error {
	call, err := r.buildCall(ctx)
	if err != nil {
		return err
	}
	return r.createForeign(ctx, OpCreateCall, crm.ModuleCalls, call.SyncKey, call, StepCallCreated, last,
		func(ctx context.Context) (*crm.Created, error) { return r.crm.CreateCall(ctx, call) },
		func(id string) { r.state.CRM.CallID = id })
}

func (r *jobRun) createTask(ctx context.Context) error {
	task := r.buildTask()
	return r.createForeign(ctx, OpCreateTask, crm.ModuleTasks, task.SyncKey, task, StepTaskCreated, true,
		func(ctx context.Context) (*crm.Created, error) { return r.crm.CreateTask(ctx, task) },
		func(id string) { r.state.CRM.TaskID = id })
}

// createForeign performs one CRM create with the no-duplicate protocol of
// research/reliability.md §8.4: reconcile an in-doubt earlier attempt by sync key, record the
// intent, send, then record the result and advance the job in one fenced transaction.
func (r *jobRun) createForeign(ctx context.Context, op SyncOp, module crm.Module, key string, payload any,
	next JobStep, last bool, do func(context.Context) (*crm.Created, error), apply func(id string)) error {
	if r.dry != nil {
		return r.dry.create(ctx, r, payload, apply, last)
	}
	e := r.e
	var prev *SyncAttempt
	var err error
	if r.mayHaveAttempts() {
		if prev, err = e.store.LastAttempt(ctx, r.job.ID, op); err != nil {
			return err
		}
	}
	if prev == nil && op != OpCreateBundle && r.mayHaveAttempts() {
		if prev, err = e.store.LastAttempt(ctx, r.job.ID, OpCreateBundle); err != nil {
			return err
		}
	}
	if prev != nil && (prev.FinishedAt.IsZero() || prev.Outcome == AttemptAmbiguous) {
		cctx, cancel := r.crmCtx(ctx)
		id, err := r.crm.FindBySyncKey(cctx, module, key)
		cancel()
		if err != nil {
			return err
		}
		if id != "" {
			a := r.newAttempt(op, key, payload)
			if err := r.recordIntent(ctx, a); err != nil {
				return err
			}
			a.FinishedAt, a.Outcome, a.CRMID = e.now().UTC(), AttemptAdopt, id
			apply(id)
			return r.finishSuccess(ctx, a, next, last)
		}
		if until := prev.StartedAt.Add(e.cfg.ReconcileGrace); e.now().Before(until) {
			return &reconcileWait{until: until}
		}
	}
	a := r.newAttempt(op, key, payload)
	if err := r.recordIntent(ctx, a); err != nil {
		return err
	}
	cctx, cancel := r.crmCtx(ctx)
	created, cerr := do(cctx)
	cancel()
	a.FinishedAt = e.now().UTC()
	if cerr == nil && (created == nil || created.ID == "") {
		cerr = Errorf(CodeUnavailable, "leadcall: sync", "CRM returned no record ID for %s", op)
	}
	if cerr == nil {
		a.Outcome, a.CRMID = AttemptSuccess, created.ID
		if created.Adopted {
			a.Outcome = AttemptAdopt
		}
		apply(created.ID)
		return r.finishSuccess(ctx, a, next, last)
	}
	var le *Error
	if errors.As(cerr, &le) && le.Code == CodeConflict && le.ExistingID != "" {
		a.Outcome, a.CRMID = AttemptAdopt, le.ExistingID
		apply(le.ExistingID)
		return r.finishSuccess(ctx, a, next, last)
	}
	a.Outcome = classifyWrite(cerr)
	a.ErrorCode = CodeOf(cerr).String()
	a.Error = truncate(cerr.Error(), 1000)
	bg, cancelBG := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelBG()
	if err := e.store.FinishAttempt(bg, r.fence, a, "", nil); err != nil {
		return errors.Join(cerr, err)
	}
	return cerr
}

// recordIntent commits an attempt's intent together with any progress not committed yet.
func (r *jobRun) recordIntent(ctx context.Context, a *SyncAttempt) error {
	step, st := r.takeUnsaved()
	if err := r.e.store.RecordIntent(ctx, r.fence, a, step, st); err != nil {
		return err
	}
	r.attemptedThisRun = true
	return nil
}

// finishSuccess commits a successful create: with the job's completion when it was the last
// create, else by advancing the job to next.
func (r *jobRun) finishSuccess(ctx context.Context, a *SyncAttempt, next JobStep, last bool) error {
	if last {
		return r.completeWith(ctx, &CompleteJobParams{SyncStatus: SyncSynced, Outcome: r.state.Outcome, Attempt: a})
	}
	return r.e.store.FinishAttempt(ctx, r.fence, a, next, &r.state)
}

// classifyWrite says whether a failed create may have been applied.
func classifyWrite(err error) AttemptOutcome {
	switch CodeOf(err) {
	case CodeRateLimited, CodeUnauthorized, CodeReconnectRequired:
		return AttemptRejectedSafe
	case CodeInvalid:
		return AttemptPermanent
	default:
		return AttemptAmbiguous
	}
}

func (r *jobRun) newAttempt(op SyncOp, key string, payload any) *SyncAttempt {
	body, _ := json.Marshal(payload)
	sum := sha256.Sum256(body)
	return &SyncAttempt{
		JobID:       r.job.ID,
		Attempt:     r.job.Attempt,
		LeaseToken:  r.job.LeaseToken,
		Op:          op,
		EntityKey:   key,
		RequestHash: hex.EncodeToString(sum[:]),
		StartedAt:   r.e.now().UTC(),
	}
}

// createBundle creates Lead, Call and (when wanted) Task in one request and returns the step
// reached. A part that failed leaves the job at the step before it; the next attempt goes on
// with single creates, reconciling first when the bundle's result was in doubt.
func (r *jobRun) createBundle(ctx context.Context, b Bundler, lead *crm.Lead) (JobStep, error) {
	e := r.e
	call, err := r.buildCall(ctx)
	if err != nil {
		return "", err
	}
	var task *crm.Task
	want, err := r.wantTask(ctx)
	if err != nil {
		return "", err
	}
	if want {
		task = r.buildTask()
	}
	bundle := &crm.Bundle{Lead: lead, Call: call, Task: task}
	if r.dry != nil {
		return r.dry.bundle(ctx, r, bundle)
	}
	a := r.newAttempt(OpCreateBundle, lead.SyncKey, bundle)
	if err := r.recordIntent(ctx, a); err != nil {
		return "", err
	}
	cctx, cancel := r.crmCtx(ctx)
	res, cerr := b.CreateBundle(cctx, bundle)
	cancel()
	a.FinishedAt = e.now().UTC()
	step := StepWhoResolved
	if cerr == nil {
		parts := []struct {
			p     crm.PartResult
			want  bool
			step  JobStep
			apply func(string)
		}{
			{res.Lead, true, StepLeadCreated, func(id string) { r.state.CRM.LeadID = id }},
			{res.Call, true, StepCallCreated, func(id string) { r.state.CRM.CallID = id }},
			{res.Task, task != nil, StepTaskCreated, func(id string) { r.state.CRM.TaskID = id }},
		}
		for _, part := range parts {
			if !part.want || errors.Is(part.p.Err, crm.ErrNotAttempted) {
				break // nothing written: the run goes on with single creates
			}
			id, perr := partID(part.p)
			if perr != nil {
				cerr = perr
				break
			}
			part.apply(id)
			step = part.step
		}
	}
	a.CRMID = r.state.CRM.LeadID
	if cerr == nil {
		a.Outcome = AttemptSuccess
	} else {
		a.Outcome, a.ErrorCode, a.Error = classifyWrite(cerr), CodeOf(cerr).String(), truncate(cerr.Error(), 1000)
	}
	final := StepCallCreated
	if task != nil {
		final = StepTaskCreated
	}
	if cerr == nil && step == final {
		return step, r.completeWith(ctx, &CompleteJobParams{SyncStatus: SyncSynced, Outcome: r.state.Outcome, Attempt: a})
	}
	var st *CallSyncState
	advance := JobStep("")
	if step != StepWhoResolved {
		st, advance = &r.state, step
	}
	bg, cancelBG := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelBG()
	if err := e.store.FinishAttempt(bg, r.fence, a, advance, st); err != nil {
		return step, errors.Join(cerr, err)
	}
	return step, cerr
}

// partID returns the ID of a successful part, adopting an existing record on a key clash.
func partID(p crm.PartResult) (string, error) {
	if p.Err != nil {
		var le *Error
		if errors.As(p.Err, &le) && le.Code == CodeConflict && le.ExistingID != "" {
			return le.ExistingID, nil
		}
		return "", p.Err
	}
	if p.Created == nil || p.Created.ID == "" {
		return "", Errorf(CodeUnavailable, "leadcall: sync", "CRM returned no record ID in a bundle")
	}
	return p.Created.ID, nil
}

// wantTask decides, once per run, whether a follow-up Task is created: for missed calls when
// tasks are on, one Task per recovery episode (DESIGN.md §10): none when an earlier missed
// call of the same episode already got a leadcall Task for the same record.
func (r *jobRun) wantTask(ctx context.Context) (bool, error) {
	if r.taskDecided {
		return r.taskWanted, nil
	}
	c := r.call
	want := c.Type == CallMissed && r.org.Settings.TasksEnabled
	if want && !r.state.CRM.Who().IsZero() {
		calls, err := r.e.store.CallsByNumber(ctx, c.OrgID, c.NumberE164, c.StartedAt.Add(-r.e.cfg.RecoveryWindow))
		if err != nil {
			return false, err
		}
		r.dry.overlay(calls)
		open, err := r.e.episodeHasTask(calls, c, r.state.CRM.Who(), r.org.Settings.Rules.ConnectedMinSeconds)
		if err != nil {
			return false, err
		}
		want = !open
	}
	r.taskDecided, r.taskWanted = true, want
	return want, nil
}

// episodeHasTask reports whether cur belongs to a recovery episode (a case of package
// recovery: misses from one caller until a connected callback or the window's end) in which
// an earlier missed call already got a leadcall Task linked to who. calls are the caller's
// calls around cur, cur included.
func (e *Engine) episodeHasTask(calls []Call, cur *Call, who crm.Ref, connectedMinSeconds int) (bool, error) {
	m, err := recovery.New(recovery.Config{ConnectedMinSeconds: connectedMinSeconds, Window: e.cfg.RecoveryWindow})
	if err != nil {
		return false, NewError(CodeInternal, "leadcall: recovery config", err)
	}
	all := append(slices.Clone(calls), *cur) // cur is usually among calls already
	in := make([]recovery.Call, 0, len(all))
	byID := make(map[int64]*Call, len(all))
	for i := range all {
		c := &all[i]
		if _, dup := byID[c.ID]; dup {
			continue
		}
		byID[c.ID] = c
		in = append(in, RecoveryCall(c))
	}
	cases, err := m.Build(in, cur.StartedAt)
	if err != nil {
		return false, NewError(CodeInternal, "leadcall: recovery cases", err)
	}
	for _, k := range cases {
		for _, id := range k.MissedCallIDs {
			if id == cur.ID {
				for _, earlier := range k.MissedCallIDs {
					if p := byID[earlier]; earlier != cur.ID && p.StartedAt.Before(cur.StartedAt) &&
						p.CRM.TaskID != "" && p.CRM.Who() == who {
						return true, nil
					}
				}
				return false, nil
			}
		}
	}
	return false, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// String renders a job for logs.
func (j Job) String() string { return fmt.Sprintf("job %d (call %d, step %s)", j.ID, j.CallID, j.Step) }
