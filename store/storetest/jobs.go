package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

func jobTests() []test {
	return []test{
		{"Jobs/ClaimInvalid", testClaimInvalid},
		{"Jobs/ClaimReadyVsFuture", testClaimReadyVsFuture},
		{"Jobs/ClaimLease", testClaimLease},
		{"Jobs/ExpiredLeaseRescue", testExpiredLeaseRescue},
		{"Jobs/PausedOrgSkipped", testPausedOrgSkipped},
		{"Jobs/HeadOfQueue", testHeadOfQueue},
		{"Jobs/LateCallDatedEarlier", testLateCallDatedEarlier},
		{"Jobs/OnePerSerialKeyPerClaim", testOnePerSerialKey},
		{"Jobs/SerialKeysPerOrg", testSerialKeysPerOrg},
		{"Jobs/ClaimLimit", testClaimLimit},
		{"Jobs/ConcurrentClaimers", testConcurrentClaimers},
		{"Jobs/FencingStaleToken", testFencingStaleToken},
		{"Jobs/FencingEndedJob", testFencingEndedJob},
		{"Jobs/AdvanceFirstWriterWins", testAdvanceFirstWriterWins},
		{"Jobs/IntentAndFinish", testIntentAndFinish},
		{"Jobs/StateRidesAlong", testStateRidesAlong},
		{"Jobs/Retry", testRetry},
		{"Jobs/Release", testRelease},
		{"Jobs/CompleteDone", testCompleteDone},
		{"Jobs/CompleteDeadWithReview", testCompleteDeadWithReview},
		{"Jobs/CompleteReviewStatus", testCompleteReviewStatus},
		{"Jobs/EnqueueJob", testEnqueueJob},
		{"Jobs/EnqueueConflict", testEnqueueConflict},
		{"Jobs/Scope", testJobScope},
		{"Jobs/Counts", testJobCounts},
	}
}

func testClaimInvalid(t *testing.T, e *env) {
	e.enqueued("c", number(1), base)
	for name, p := range map[string]*leadcall.ClaimParams{
		"nil":      nil,
		"limit 0":  {Now: claimTime, Lease: time.Minute, Limit: 0},
		"negative": {Now: claimTime, Lease: time.Minute, Limit: -1},
		"lease 0":  {Now: claimTime, Limit: 1},
		"no now":   {Lease: time.Minute, Limit: 1},
	} {
		_, err := e.st.ClaimJobs(e.ctx, p)
		requireCode(t, err, leadcall.CodeInvalid, name)
	}
	require.Len(t, e.claim(claimTime, 1), 1, "refused claims leased nothing")
}

func testClaimReadyVsFuture(t *testing.T, e *env) {
	c := newCall(e.dev, "c-1", number(1), base)
	e.insert(e.org, leadcall.NewCall{Call: c})
	job, err := e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c.ID, Now: base.Add(2 * time.Hour)})
	require.NoError(t, err)
	require.True(t, base.Add(2*time.Hour).Equal(job.RunAt))

	require.Empty(t, e.claim(base.Add(2*time.Hour-time.Millisecond), 10), "not before RunAt")
	got := e.claimOne(base.Add(2 * time.Hour))
	require.Equal(t, job.ID, got.ID, "RunAt <= Now is ready")
}

func testClaimLease(t *testing.T, e *env) {
	e.enqueued("c-1", number(1), base)
	e.enqueued("c-2", number(2), base)
	jobs, err := e.st.ClaimJobs(e.ctx, &leadcall.ClaimParams{Owner: "worker-7", Now: claimTime, Lease: 90 * time.Second, Limit: 10})
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	for _, j := range jobs {
		require.Equal(t, leadcall.JobRunning, j.State)
		require.Equal(t, "worker-7", j.LeaseOwner)
		require.NotZero(t, j.LeaseToken)
		require.True(t, claimTime.Add(90*time.Second).Equal(j.LeaseExpiresAt), "lease expires at %v", j.LeaseExpiresAt)
		require.Equal(t, 1, j.Attempt)
		requireDiff(t, &j, e.job(e.org, j.ID), "claimed job as stored")
	}
	require.NotEqual(t, jobs[0].LeaseToken, jobs[1].LeaseToken, "each lease gets its own token")
	require.Empty(t, e.claim(claimTime, 10), "leased jobs are not claimed again")
}

func testExpiredLeaseRescue(t *testing.T, e *env) {
	e.enqueued("c-1", number(1), base)
	first := e.claimOne(claimTime) // one-minute lease
	require.Empty(t, e.claim(claimTime.Add(30*time.Second), 10), "the lease is live")
	require.Empty(t, e.claim(claimTime.Add(time.Minute), 10), "the lease is live until it expires")

	second := e.claimOne(claimTime.Add(time.Minute + time.Millisecond))
	require.Equal(t, first.ID, second.ID, "an expired lease is rescued")
	require.Equal(t, 2, second.Attempt, "a rescue counts as an attempt")
	require.NotEqual(t, first.LeaseToken, second.LeaseToken)
	require.ErrorIs(t, e.st.AdvanceJob(e.ctx, fence(first), leadcall.StepWhoResolved, nil), leadcall.ErrLeaseLost,
		"the first holder's token is dead")
	require.NoError(t, e.st.AdvanceJob(e.ctx, fence(second), leadcall.StepWhoResolved, nil))
}

func testPausedOrgSkipped(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	a := e.enqueued("a", number(1), base)
	b := newCall("dev-b", "b", number(1), base)
	e.insert("org-b", leadcall.NewCall{Call: b, Enqueue: true})

	_, err := e.st.PauseOrg(e.ctx, e.org, claimTime.Add(time.Hour), "rate limited")
	require.NoError(t, err)
	j := e.claimOne(claimTime)
	require.Equal(t, b.ID, j.CallID, "only the unpaused org's job")
	_, err = e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime})
	require.NoError(t, err)
	require.Empty(t, e.claim(claimTime.Add(time.Hour-time.Millisecond), 10), "paused until then")
	j = e.claimOne(claimTime.Add(time.Hour))
	require.Equal(t, a.ID, j.CallID, "claimed once the pause is over")

	// Expired leases of a paused org wait too.
	_, err = e.st.PauseOrg(e.ctx, e.org, claimTime.Add(5*time.Hour), "again")
	require.NoError(t, err)
	require.Empty(t, e.claim(claimTime.Add(3*time.Hour), 10), "no rescue while paused")
}

func testHeadOfQueue(t *testing.T, e *env) {
	n := number(1)
	c2 := e.enqueued("c-2", n, base.Add(2*time.Minute))
	c3 := e.enqueued("c-3", n, base.Add(3*time.Minute))
	c1 := e.enqueued("c-1", n, base.Add(time.Minute)) // arrives last, dated first

	j := e.claimOne(claimTime)
	require.Equal(t, c1.ID, j.CallID, "the caller's earliest call runs first")
	require.Empty(t, e.claim(claimTime, 10), "one job per caller at a time")
	_, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime})
	require.NoError(t, err)

	j = e.claimOne(claimTime)
	require.Equal(t, c2.ID, j.CallID)
	// A retry scheduled later keeps the head: later calls wait behind it.
	require.NoError(t, e.st.RetryJob(e.ctx, fence(j), claimTime.Add(time.Hour), "503", nil))
	require.Empty(t, e.claim(claimTime.Add(time.Minute), 10), "c-3 waits for the retried c-2")
	j = e.claimOne(claimTime.Add(time.Hour))
	require.Equal(t, c2.ID, j.CallID)
	_, err = e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime, Dead: true})
	require.NoError(t, err)
	j = e.claimOne(claimTime.Add(time.Hour))
	require.Equal(t, c3.ID, j.CallID, "a dead job no longer blocks the queue")
}

func testLateCallDatedEarlier(t *testing.T, e *env) {
	n := number(1)
	a := e.enqueued("a", n, base.Add(10*time.Minute))
	ja := e.claimOne(claimTime)
	require.Equal(t, a.ID, ja.CallID)

	// A call dated before the running one arrives late.
	b := e.enqueued("b", n, base)
	require.Empty(t, e.claim(claimTime.Add(30*time.Second), 10), "the running job holds the caller's live lease")

	// Once that lease expires the earlier call is the head, ahead of the rescue.
	jb := e.claimOne(claimTime.Add(2 * time.Minute))
	require.Equal(t, b.ID, jb.CallID)
	require.Empty(t, e.claim(claimTime.Add(2*time.Minute), 10))
	_, err := e.st.CompleteJob(e.ctx, fence(jb), &leadcall.CompleteJobParams{Now: claimTime})
	require.NoError(t, err)

	// Then the expired one is rescued.
	again := e.claimOne(claimTime.Add(3 * time.Minute))
	require.Equal(t, ja.ID, again.ID)
	require.Equal(t, 2, again.Attempt)
}

func testOnePerSerialKey(t *testing.T, e *env) {
	first := map[string]int64{}
	for k := range 3 {
		for i := 2; i >= 0; i-- {
			c := e.enqueued(fmt.Sprintf("k%d-c%d", k, i), number(k), base.Add(time.Duration(i)*time.Minute))
			if i == 0 {
				first[number(k)] = c.ID
			}
		}
	}
	jobs := e.claim(claimTime, 100)
	require.Len(t, jobs, 3, "one job per caller per claim")
	got := map[string]int64{}
	for _, j := range jobs {
		_, dup := got[j.SerialKey]
		require.False(t, dup, "serial key %d claimed twice", j.ID)
		got[j.SerialKey] = j.CallID
	}
	require.Equal(t, first, got, "each caller's earliest call")
}

func testSerialKeysPerOrg(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	b := newCall("dev-b", "b", number(1), base)
	e.insert("org-b", leadcall.NewCall{Call: b, Enqueue: true})
	jb := e.claimOne(claimTime)
	require.Equal(t, "org-b", jb.OrgID)

	a := e.enqueued("a", number(1), base.Add(time.Minute))
	ja := e.claimOne(claimTime)
	require.Equal(t, a.ID, ja.CallID, "another org's job for the same number does not block")
}

func testClaimLimit(t *testing.T, e *env) {
	for i := range 5 {
		e.enqueued(fmt.Sprintf("c-%d", i), number(i), base.Add(time.Duration(i)*time.Second))
	}
	require.Len(t, e.claim(claimTime, 3), 3)
	require.Len(t, e.claim(claimTime, 3), 2)
	require.Empty(t, e.claim(claimTime, 3))
}

func testConcurrentClaimers(t *testing.T, e *env) {
	const (
		callers        = 30
		callsPerCaller = 4
		workers        = 8
		total          = callers * callsPerCaller
	)
	var batch []leadcall.NewCall
	for k := range callers {
		for i := range callsPerCaller {
			// Calls of a caller interleave with other callers' and arrive out of order.
			at := base.Add(time.Duration((callsPerCaller-i)*callers+k) * time.Second)
			batch = append(batch, leadcall.NewCall{Call: newCall(e.dev, fmt.Sprintf("k%d-%d", k, i), number(k), at), Enqueue: true})
		}
	}
	e.insert(e.org, batch...)

	var (
		mu       sync.Mutex
		claimed  = map[int64]int{}
		inFlight = map[string]int64{}
		order    = map[string][]time.Time{}
		problems []string
		done     atomic.Int64
		wg       sync.WaitGroup
	)
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	for w := range workers {
		wg.Go(func() {
			for iter := 0; done.Load() < total && iter < 20*total; iter++ {
				jobs, err := e.st.ClaimJobs(e.ctx, &leadcall.ClaimParams{Owner: fmt.Sprintf("w%d", w), Now: claimTime, Lease: time.Hour, Limit: 3})
				if err != nil {
					report("claim: %v", err)
					return
				}
				for _, j := range jobs {
					mu.Lock()
					claimed[j.ID]++
					if claimed[j.ID] > 1 {
						problems = append(problems, fmt.Sprintf("job %d claimed %d times", j.ID, claimed[j.ID]))
					}
					if other, busy := inFlight[j.SerialKey]; busy {
						problems = append(problems, fmt.Sprintf("jobs %d and %d of one caller leased at once", other, j.ID))
					}
					inFlight[j.SerialKey] = j.ID
					order[j.SerialKey] = append(order[j.SerialKey], j.OrderAt)
					mu.Unlock()
				}
				for _, j := range jobs {
					// Leave the in-flight set before the job ends: the next job of the caller
					// can only be claimed after CompleteJob commits.
					mu.Lock()
					delete(inFlight, j.SerialKey)
					mu.Unlock()
					if _, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime}); err != nil {
						report("complete %d: %v", j.ID, err)
						return
					}
					done.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, problems)
	require.Len(t, claimed, total, "every job claimed")
	for key, ts := range order {
		require.Len(t, ts, callsPerCaller)
		require.Truef(t, slices.IsSortedFunc(ts, func(a, b time.Time) int { return a.Compare(b) }),
			"caller %s's jobs ran out of call-time order: %v", key, ts)
	}
	counts, err := e.st.JobCounts(e.ctx)
	require.NoError(t, err)
	require.Equal(t, total, counts[leadcall.JobDone])
}

// staleSetup claims a job, records an intent under that lease, lets the lease expire and
// rescues the job: the first fence is stale, the second live.
func (e *env) staleSetup() (call *leadcall.Call, stale, live leadcall.Job, intent *leadcall.SyncAttempt) {
	e.t.Helper()
	call = e.enqueued("c-1", number(1), base)
	stale = e.claimOne(claimTime)
	intent = &leadcall.SyncAttempt{Op: leadcall.OpCreateLead, EntityKey: "lead-key", RequestHash: "h1", StartedAt: claimTime}
	require.NoError(e.t, e.st.RecordIntent(e.ctx, fence(stale), intent, "", nil))
	live = e.claimOne(claimTime.Add(2 * time.Minute))
	require.Equal(e.t, stale.ID, live.ID)
	return call, stale, live, intent
}

// fencedCalls returns every fenced method bound to its arguments, for one fence.
func (e *env) fencedCalls(intentID int64) map[string]func(f leadcall.Fence) error {
	st := &leadcall.CallSyncState{OwnerID: "owner", OwnerResolved: true, Outcome: leadcall.OutcomeCreatedLead,
		CRM: leadcall.CRMRefs{LeadID: "L-stale", CallID: "C-stale"}}
	return map[string]func(f leadcall.Fence) error{
		"AdvanceJob": func(f leadcall.Fence) error {
			return e.st.AdvanceJob(e.ctx, f, leadcall.StepLeadCreated, st)
		},
		"RecordIntent": func(f leadcall.Fence) error {
			return e.st.RecordIntent(e.ctx, f, &leadcall.SyncAttempt{Op: leadcall.OpCreateLead, EntityKey: "k", StartedAt: claimTime},
				leadcall.StepWhoResolved, st)
		},
		"FinishAttempt": func(f leadcall.Fence) error {
			return e.st.FinishAttempt(e.ctx, f, &leadcall.SyncAttempt{ID: intentID, Outcome: leadcall.AttemptSuccess, CRMID: "L-stale",
				FinishedAt: claimTime}, leadcall.StepLeadCreated, st)
		},
		"RetryJob": func(f leadcall.Fence) error {
			return e.st.RetryJob(e.ctx, f, claimTime.Add(time.Hour), "stale", st)
		},
		"ReleaseJob": func(f leadcall.Fence) error {
			return e.st.ReleaseJob(e.ctx, f, st)
		},
		"CompleteJob": func(f leadcall.Fence) error {
			_, err := e.st.CompleteJob(e.ctx, f, &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncSynced,
				Outcome: leadcall.OutcomeCreatedLead, State: *st, Review: &leadcall.ReviewItem{Kind: leadcall.ReviewFailed},
				Attempt: &leadcall.SyncAttempt{ID: intentID, Outcome: leadcall.AttemptSuccess, CRMID: "L-stale", FinishedAt: claimTime}})
			return err
		},
	}
}

// snapshot is what a fenced method could change.
type snapshot struct {
	Job     *leadcall.Job
	Call    *leadcall.Call
	Attempt *leadcall.SyncAttempt
	Events  int
	Reviews int
}

func (e *env) snapshot(jobID, callID int64) snapshot {
	e.t.Helper()
	a, err := e.st.LastAttempt(e.ctx, jobID, leadcall.OpCreateLead)
	require.NoError(e.t, err)
	page, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org})
	require.NoError(e.t, err)
	return snapshot{Job: e.job(e.org, jobID), Call: e.call(e.org, callID), Attempt: a, Events: len(e.events(e.org)), Reviews: len(page.Items)}
}

func testFencingStaleToken(t *testing.T, e *env) {
	call, stale, live, intent := e.staleSetup()
	before := e.snapshot(live.ID, call.ID)
	for name, fn := range e.fencedCalls(intent.ID) {
		err := fn(fence(stale))
		require.ErrorIsf(t, err, leadcall.ErrLeaseLost, "%s with a stale token", name)
		requireDiff(t, before, e.snapshot(live.ID, call.ID), name+" with a stale token must change nothing")
	}
	for name, fn := range e.fencedCalls(intent.ID) {
		err := fn(leadcall.Fence{JobID: live.ID + 1000, LeaseToken: live.LeaseToken})
		require.ErrorIsf(t, err, leadcall.ErrLeaseLost, "%s for an unknown job", name)
	}
	requireDiff(t, before, e.snapshot(live.ID, call.ID), "after calls for an unknown job")

	// The live token works (so the refusals above were about the token).
	require.NoError(t, e.st.AdvanceJob(e.ctx, fence(live), leadcall.StepWhoResolved, nil))
	require.Equal(t, leadcall.StepWhoResolved, e.job(e.org, live.ID).Step)
}

func testFencingEndedJob(t *testing.T, e *env) {
	for _, dead := range []bool{false, true} {
		c := e.enqueued(fmt.Sprintf("c-%v", dead), number(1), base)
		j := e.claimOne(claimTime)
		require.Equal(t, c.ID, j.CallID)
		intent := &leadcall.SyncAttempt{Op: leadcall.OpCreateLead, EntityKey: "k"}
		require.NoError(t, e.st.RecordIntent(e.ctx, fence(j), intent, "", nil))
		_, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime, Dead: dead})
		require.NoError(t, err)
		before := e.snapshot(j.ID, c.ID)
		for name, fn := range e.fencedCalls(intent.ID) {
			require.ErrorIsf(t, fn(fence(j)), leadcall.ErrLeaseLost, "%s on an ended job (dead=%v)", name, dead)
		}
		requireDiff(t, before, e.snapshot(j.ID, c.ID), "an ended job changes no more")
	}
}

func testAdvanceFirstWriterWins(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	f := fence(j)

	require.NoError(t, e.st.AdvanceJob(e.ctx, f, leadcall.StepWhoResolved, &leadcall.CallSyncState{OwnerID: "u-1", OwnerResolved: true}))
	require.Equal(t, leadcall.StepWhoResolved, e.job(e.org, j.ID).Step)
	got := e.call(e.org, c.ID)
	require.Equal(t, "u-1", got.OwnerID)
	require.True(t, got.OwnerResolved)

	require.NoError(t, e.st.AdvanceJob(e.ctx, f, leadcall.StepLeadCreated, &leadcall.CallSyncState{
		OwnerID: "u-2", OwnerResolved: true, Outcome: leadcall.OutcomeCreatedLead, CRM: leadcall.CRMRefs{LeadID: "L-1"}}))
	got = e.call(e.org, c.ID)
	require.Equal(t, "u-1", got.OwnerID, "the owner is resolved once and kept")
	require.Equal(t, "L-1", got.CRM.LeadID)
	require.Equal(t, leadcall.OutcomeCreatedLead, got.Outcome)

	require.NoError(t, e.st.AdvanceJob(e.ctx, f, leadcall.StepCallCreated, &leadcall.CallSyncState{
		CRM: leadcall.CRMRefs{LeadID: "L-2", CallID: "C-1"}}))
	got = e.call(e.org, c.ID)
	require.Equal(t, leadcall.CRMRefs{LeadID: "L-1", CallID: "C-1"}, got.CRM, "a stored CRM ID is never replaced")
	require.Equal(t, leadcall.OutcomeCreatedLead, got.Outcome, "an empty outcome keeps the stored one")

	require.NoError(t, e.st.AdvanceJob(e.ctx, f, leadcall.StepTaskCreated, &leadcall.CallSyncState{CRM: leadcall.CRMRefs{TaskID: "T-1"}}))
	got = e.call(e.org, c.ID)
	require.Equal(t, leadcall.CRMRefs{LeadID: "L-1", CallID: "C-1", TaskID: "T-1"}, got.CRM, "empty IDs never clear stored ones")

	// The same holds at completion.
	_, err := e.st.CompleteJob(e.ctx, f, &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncSynced,
		State: leadcall.CallSyncState{CRM: leadcall.CRMRefs{LeadID: "L-3", ContactID: "K-1"}}})
	require.NoError(t, err)
	got = e.call(e.org, c.ID)
	require.Equal(t, leadcall.CRMRefs{LeadID: "L-1", ContactID: "K-1", CallID: "C-1", TaskID: "T-1"}, got.CRM)
	require.Equal(t, leadcall.OutcomeCreatedLead, got.Outcome)

	// An owner that is not resolved is not stored.
	c2 := e.enqueued("c-2", number(2), base)
	j2 := e.claimOne(claimTime)
	require.NoError(t, e.st.AdvanceJob(e.ctx, fence(j2), leadcall.StepWhoResolved, &leadcall.CallSyncState{OwnerID: "u-9"}))
	got = e.call(e.org, c2.ID)
	require.False(t, got.OwnerResolved)
	require.Empty(t, got.OwnerID)
	// Resolving to "no owner" is a resolution too.
	require.NoError(t, e.st.AdvanceJob(e.ctx, fence(j2), leadcall.StepWhoResolved, &leadcall.CallSyncState{OwnerResolved: true}))
	require.NoError(t, e.st.AdvanceJob(e.ctx, fence(j2), leadcall.StepWhoResolved, &leadcall.CallSyncState{OwnerID: "late", OwnerResolved: true}))
	got = e.call(e.org, c2.ID)
	require.True(t, got.OwnerResolved)
	require.Empty(t, got.OwnerID)

	requireCode(t, e.st.AdvanceJob(e.ctx, fence(j2), "teleported", nil), leadcall.CodeInvalid)
}

func testIntentAndFinish(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	f := fence(j)

	none, err := e.st.LastAttempt(e.ctx, j.ID, leadcall.OpCreateLead)
	require.NoError(t, err)
	require.Nil(t, none)

	a := &leadcall.SyncAttempt{Op: leadcall.OpCreateLead, EntityKey: "lc1:lead", RequestHash: "sha", StartedAt: claimTime}
	require.NoError(t, e.st.RecordIntent(e.ctx, f, a, "", nil))
	require.NotZero(t, a.ID)
	want := leadcall.SyncAttempt{ID: a.ID, JobID: j.ID, Attempt: 1, LeaseToken: j.LeaseToken, Op: leadcall.OpCreateLead,
		EntityKey: "lc1:lead", RequestHash: "sha", StartedAt: claimTime}
	requireDiff(t, want, *a, "intent as set")
	last, err := e.st.LastAttempt(e.ctx, j.ID, leadcall.OpCreateLead)
	require.NoError(t, err)
	requireDiff(t, &want, last, "stored intent")
	require.True(t, last.FinishedAt.IsZero(), "an intent is in doubt until finished")

	none, err = e.st.LastAttempt(e.ctx, j.ID, leadcall.OpCreateCall)
	require.NoError(t, err)
	require.Nil(t, none, "attempts are per op")

	a.Outcome, a.CRMID, a.FinishedAt = leadcall.AttemptSuccess, "L-1", claimTime.Add(time.Second)
	require.NoError(t, e.st.FinishAttempt(e.ctx, f, a, leadcall.StepLeadCreated,
		&leadcall.CallSyncState{CRM: leadcall.CRMRefs{LeadID: "L-1"}, Outcome: leadcall.OutcomeCreatedLead}))
	last, err = e.st.LastAttempt(e.ctx, j.ID, leadcall.OpCreateLead)
	require.NoError(t, err)
	want.Outcome, want.CRMID, want.FinishedAt = leadcall.AttemptSuccess, "L-1", claimTime.Add(time.Second)
	requireDiff(t, &want, last, "finished attempt")
	require.Equal(t, leadcall.StepLeadCreated, e.job(e.org, j.ID).Step, "the step advances with the result")
	require.Equal(t, "L-1", e.call(e.org, c.ID).CRM.LeadID, "the CRM ID is stored with the result")

	requireCode(t, e.st.FinishAttempt(e.ctx, f, a, "", nil), leadcall.CodeConflict, "a result is written once")
	requireCode(t, e.st.FinishAttempt(e.ctx, f, &leadcall.SyncAttempt{ID: a.ID + 999, Outcome: leadcall.AttemptSuccess}, "", nil), leadcall.CodeNotFound)
	requireCode(t, e.st.FinishAttempt(e.ctx, f, &leadcall.SyncAttempt{ID: a.ID, Outcome: "maybe"}, "", nil), leadcall.CodeInvalid)
	requireCode(t, e.st.RecordIntent(e.ctx, f, &leadcall.SyncAttempt{}, "", nil), leadcall.CodeInvalid, "no op")
	requireCode(t, e.st.RecordIntent(e.ctx, f, &leadcall.SyncAttempt{Op: leadcall.OpCreateCall, JobID: j.ID + 1}, "", nil), leadcall.CodeInvalid, "other job")

	// A second attempt of the same op is the latest; finishing without a step keeps the step.
	b := &leadcall.SyncAttempt{Op: leadcall.OpCreateLead, EntityKey: "lc1:lead", StartedAt: claimTime.Add(time.Minute)}
	require.NoError(t, e.st.RecordIntent(e.ctx, f, b, "", nil))
	require.Greater(t, b.ID, a.ID)
	b.Outcome, b.ErrorCode, b.Error = leadcall.AttemptAmbiguous, "unavailable", "timeout"
	require.NoError(t, e.st.FinishAttempt(e.ctx, f, b, "", nil))
	last, err = e.st.LastAttempt(e.ctx, j.ID, leadcall.OpCreateLead)
	require.NoError(t, err)
	require.Equal(t, b.ID, last.ID)
	require.Equal(t, leadcall.AttemptAmbiguous, last.Outcome)
	require.Equal(t, "unavailable", last.ErrorCode)
	require.Equal(t, "timeout", last.Error)
	require.False(t, last.FinishedAt.IsZero(), "a zero FinishedAt is filled in")
	require.Equal(t, leadcall.StepLeadCreated, e.job(e.org, j.ID).Step)
}

// testStateRidesAlong: the writes that carry a job's progress with them (an intent, a retry, a
// release, a completion with its last attempt) store it in the same call.
func testStateRidesAlong(t *testing.T, e *env) {
	owner := &leadcall.CallSyncState{OwnerID: "u-1", OwnerResolved: true}

	// An intent carries the step before it and the state.
	c := e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	who := &leadcall.CallSyncState{OwnerID: "u-1", OwnerResolved: true, CRM: leadcall.CRMRefs{ContactID: "K-1"},
		Outcome: leadcall.OutcomeLinkedContact}
	a := &leadcall.SyncAttempt{Op: leadcall.OpCreateCall, EntityKey: "call-key", StartedAt: claimTime}
	require.NoError(t, e.st.RecordIntent(e.ctx, fence(j), a, leadcall.StepWhoResolved, who))
	require.Equal(t, leadcall.StepWhoResolved, e.job(e.org, j.ID).Step)
	got := e.call(e.org, c.ID)
	require.Equal(t, "u-1", got.OwnerID)
	require.True(t, got.OwnerResolved)
	require.Equal(t, "K-1", got.CRM.ContactID)
	requireCode(t, e.st.RecordIntent(e.ctx, fence(j), &leadcall.SyncAttempt{Op: leadcall.OpCreateTask}, "sideways", nil),
		leadcall.CodeInvalid, "unknown step")

	// The completion records the last attempt's result in the same call.
	a.Outcome, a.CRMID, a.FinishedAt = leadcall.AttemptSuccess, "CALL-1", claimTime.Add(time.Second)
	who.CRM.CallID = "CALL-1"
	_, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncSynced,
		State: *who, Attempt: a})
	require.NoError(t, err)
	last, err := e.st.LastAttempt(e.ctx, j.ID, leadcall.OpCreateCall)
	require.NoError(t, err)
	require.Equal(t, leadcall.AttemptSuccess, last.Outcome)
	require.Equal(t, "CALL-1", last.CRMID)
	require.True(t, last.FinishedAt.Equal(claimTime.Add(time.Second)))
	require.Equal(t, leadcall.JobDone, e.job(e.org, j.ID).State)
	require.Equal(t, "CALL-1", e.call(e.org, c.ID).CRM.CallID)

	// A completion whose attempt is unknown changes nothing.
	c2 := e.enqueued("c-2", number(2), base)
	j2 := e.claimOne(claimTime)
	_, err = e.st.CompleteJob(e.ctx, fence(j2), &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncSynced,
		Attempt: &leadcall.SyncAttempt{ID: a.ID, Outcome: leadcall.AttemptSuccess}})
	requireCode(t, err, leadcall.CodeNotFound, "another job's attempt")
	require.Equal(t, leadcall.JobRunning, e.job(e.org, j2.ID).State, "nothing committed")
	require.Equal(t, leadcall.SyncPending, e.call(e.org, c2.ID).SyncStatus)

	// A retry and a release keep the owner resolved at the first attempt.
	require.NoError(t, e.st.RetryJob(e.ctx, fence(j2), claimTime, "lookup failed", owner))
	require.Equal(t, "u-1", e.call(e.org, c2.ID).OwnerID)
	j2 = e.claimOne(claimTime)
	require.NoError(t, e.st.ReleaseJob(e.ctx, fence(j2), &leadcall.CallSyncState{OwnerID: "u-2", OwnerResolved: true}))
	require.Equal(t, "u-1", e.call(e.org, c2.ID).OwnerID, "first writer wins")
	require.Equal(t, leadcall.JobReady, e.job(e.org, j2.ID).State)
}

func testRetry(t *testing.T, e *env) {
	e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	runAt := claimTime.Add(10 * time.Minute)
	require.NoError(t, e.st.RetryJob(e.ctx, fence(j), runAt, "zoho: 503", nil))
	got := e.job(e.org, j.ID)
	require.Equal(t, leadcall.JobReady, got.State)
	require.True(t, runAt.Equal(got.RunAt))
	require.Equal(t, "zoho: 503", got.LastError)
	require.Zero(t, got.LeaseToken, "the lease is dropped")
	require.True(t, got.LeaseExpiresAt.IsZero())
	require.Equal(t, 1, got.Attempt)

	require.Empty(t, e.claim(runAt.Add(-time.Millisecond), 10))
	again := e.claimOne(runAt)
	require.Equal(t, 2, again.Attempt)
	require.ErrorIs(t, e.st.RetryJob(e.ctx, fence(j), runAt, "late", nil), leadcall.ErrLeaseLost, "the old lease is gone")
}

func testRelease(t *testing.T, e *env) {
	e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	require.NoError(t, e.st.ReleaseJob(e.ctx, fence(j), nil))
	got := e.job(e.org, j.ID)
	require.Equal(t, leadcall.JobReady, got.State)
	require.Equal(t, 0, got.Attempt, "a released claim does not count")
	require.Zero(t, got.LeaseToken)
	again := e.claimOne(claimTime)
	require.Equal(t, j.ID, again.ID, "released jobs are ready at once")
	require.Equal(t, 1, again.Attempt)
	require.ErrorIs(t, e.st.ReleaseJob(e.ctx, fence(j), nil), leadcall.ErrLeaseLost)
}

func testCompleteDone(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	before := len(e.events(e.org))
	done := claimTime.Add(5 * time.Second)
	evs, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{
		Now: done, SyncStatus: leadcall.SyncSynced, Outcome: leadcall.OutcomeLinkedContact,
		State: leadcall.CallSyncState{OwnerID: "u-1", OwnerResolved: true, CRM: leadcall.CRMRefs{ContactID: "K-1", CallID: "C-1", TaskID: "T-1"}},
	})
	require.NoError(t, err)
	got := e.job(e.org, j.ID)
	require.Equal(t, leadcall.JobDone, got.State)
	require.Zero(t, got.LeaseToken)

	call := e.call(e.org, c.ID)
	require.Equal(t, leadcall.SyncSynced, call.SyncStatus)
	require.Equal(t, leadcall.OutcomeLinkedContact, call.Outcome)
	require.Equal(t, leadcall.CRMRefs{ContactID: "K-1", CallID: "C-1", TaskID: "T-1"}, call.CRM)
	require.Equal(t, "u-1", call.OwnerID)

	require.Equal(t, []leadcall.EventType{leadcall.EventCallSynced}, eventTypes(evs))
	require.Equal(t, c.ID, evs[0].CallID)
	requireDiff(t, *call, decode[leadcall.Call](t, evs[0]), "call.synced data", ignoreOwnerResolved)
	stored := e.events(e.org)
	require.Len(t, stored, before+1)
	requireDiff(t, evs[0], stored[len(stored)-1], "stored event", eventData)
	requireIncreasing(t, stored)
}

func testCompleteDeadWithReview(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	review := &leadcall.ReviewItem{Kind: leadcall.ReviewFailed, NumberE164: number(1), Detail: "validation: Last_Name"}
	evs, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{
		Now: claimTime, Dead: true, Outcome: leadcall.OutcomeFailed, LastError: "INVALID_DATA", Review: review,
	})
	require.NoError(t, err)
	require.Equal(t, leadcall.JobDead, e.job(e.org, j.ID).State)
	require.Equal(t, "INVALID_DATA", e.job(e.org, j.ID).LastError)
	call := e.call(e.org, c.ID)
	require.Equal(t, leadcall.SyncFailed, call.SyncStatus, "a dead job without a status fails the call")
	require.Equal(t, leadcall.OutcomeFailed, call.Outcome)
	require.Equal(t, "INVALID_DATA", call.LastError)

	require.Equal(t, []leadcall.EventType{leadcall.EventCallFailed, leadcall.EventReviewCreated}, eventTypes(evs))
	requireIncreasing(t, evs)
	require.NotZero(t, review.ID)
	item, err := e.st.ReviewItem(e.ctx, e.org, review.ID)
	require.NoError(t, err)
	require.Equal(t, c.ID, item.CallID, "the review is for the job's call")
	require.Equal(t, leadcall.ReviewOpen, item.Status)
	require.Equal(t, "validation: Last_Name", item.Detail)
	requireDiff(t, *item, decode[leadcall.ReviewItem](t, evs[1]), "review.created data")

	// A dead job does not block a new one for the call.
	job, err := e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c.ID, Now: claimTime})
	require.NoError(t, err)
	require.Equal(t, leadcall.JobReady, job.State)
	require.Equal(t, leadcall.SyncPending, e.call(e.org, c.ID).SyncStatus)
}

func testCompleteReviewStatus(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	evs, err := e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{
		Now: claimTime, SyncStatus: leadcall.SyncReview, Outcome: leadcall.OutcomeReviewAmbiguous,
		Review: &leadcall.ReviewItem{Kind: leadcall.ReviewAmbiguous, NumberE164: number(1), Candidates: []leadcall.Candidate{
			{Module: crm.ModuleLeads, ID: "L-1", Name: "A"}, {Module: crm.ModuleContacts, ID: "K-1", Name: "B"}}},
	})
	require.NoError(t, err)
	require.Equal(t, []leadcall.EventType{leadcall.EventCallReview, leadcall.EventReviewCreated}, eventTypes(evs))
	require.Equal(t, leadcall.JobDone, e.job(e.org, j.ID).State)
	call := e.call(e.org, c.ID)
	require.Equal(t, leadcall.SyncReview, call.SyncStatus)
	require.Equal(t, leadcall.OutcomeReviewAmbiguous, call.Outcome)

	c2 := e.enqueued("c-2", number(2), base)
	j2 := e.claimOne(claimTime)
	require.Equal(t, c2.ID, j2.CallID)
	_, err = e.st.CompleteJob(e.ctx, fence(j2), &leadcall.CompleteJobParams{Now: claimTime, SyncStatus: leadcall.SyncPending})
	requireCode(t, err, leadcall.CodeInvalid, "pending is not a final status")
	_, err = e.st.CompleteJob(e.ctx, fence(j2), &leadcall.CompleteJobParams{Now: claimTime, Review: &leadcall.ReviewItem{Kind: "x"}})
	requireCode(t, err, leadcall.CodeInvalid, "unknown review kind")
	_, err = e.st.CompleteJob(e.ctx, fence(j2), nil)
	requireCode(t, err, leadcall.CodeInvalid)
	require.Equal(t, leadcall.JobRunning, e.job(e.org, j2.ID).State, "refused completions change nothing")
}

func testEnqueueJob(t *testing.T, e *env) {
	c := newCall(e.dev, "c-1", number(1), base)
	c.SyncStatus = leadcall.SyncReview
	e.insert(e.org, leadcall.NewCall{Call: c})
	job, err := e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c.ID, Mode: leadcall.ModeLogTo,
		TargetModule: crm.ModuleLeads, TargetID: "L-7", Now: claimTime, MaxAttempts: 3})
	require.NoError(t, err)
	want := &leadcall.Job{ID: job.ID, OrgID: e.org, CallID: c.ID, SerialKey: number(1), OrderAt: base, State: leadcall.JobReady,
		Step: leadcall.StepStart, Mode: leadcall.ModeLogTo, TargetModule: crm.ModuleLeads, TargetID: "L-7", MaxAttempts: 3,
		RunAt: claimTime, CreatedAt: claimTime}
	requireDiff(t, want, job, "enqueued job")
	requireDiff(t, want, e.job(e.org, job.ID), "stored job")
	require.Equal(t, leadcall.SyncPending, e.call(e.org, c.ID).SyncStatus)

	c2 := newCall(e.dev, "c-2", number(2), base)
	e.insert(e.org, leadcall.NewCall{Call: c2})
	j2, err := e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c2.ID, Now: claimTime})
	require.NoError(t, err)
	require.Equal(t, leadcall.ModeNormal, j2.Mode, "mode defaults to normal")
	require.Positive(t, j2.MaxAttempts, "max attempts defaults to the store's")

	for name, p := range map[string]*leadcall.EnqueueParams{
		"nil":          nil,
		"no org":       {CallID: c.ID},
		"no call":      {OrgID: e.org},
		"bad mode":     {OrgID: e.org, CallID: c2.ID, Mode: "yolo"},
		"log_to no id": {OrgID: e.org, CallID: c2.ID, Mode: leadcall.ModeLogTo, TargetModule: crm.ModuleLeads},
		"negative max": {OrgID: e.org, CallID: c2.ID, MaxAttempts: -1},
	} {
		_, err := e.st.EnqueueJob(e.ctx, p)
		requireCode(t, err, leadcall.CodeInvalid, name)
	}
	_, err = e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: 999999, Now: claimTime})
	requireCode(t, err, leadcall.CodeNotFound)
	e.createOrg("org-b", 0)
	_, err = e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: "org-b", CallID: c.ID, Now: claimTime})
	requireCode(t, err, leadcall.CodeNotFound, "another org's call")
}

func testEnqueueConflict(t *testing.T, e *env) {
	c := e.enqueued("c-1", number(1), base)
	_, err := e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c.ID, Now: claimTime})
	requireCode(t, err, leadcall.CodeConflict, "a ready job exists")
	j := e.claimOne(claimTime)
	_, err = e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c.ID, Now: claimTime})
	requireCode(t, err, leadcall.CodeConflict, "a running job exists")
	_, err = e.st.CompleteJob(e.ctx, fence(j), &leadcall.CompleteJobParams{Now: claimTime})
	require.NoError(t, err)
	require.Equal(t, leadcall.SyncSynced, e.call(e.org, c.ID).SyncStatus)
	j2, err := e.st.EnqueueJob(e.ctx, &leadcall.EnqueueParams{OrgID: e.org, CallID: c.ID, Now: claimTime})
	require.NoError(t, err, "a done job does not block")
	require.NotEqual(t, j.ID, j2.ID)
	require.Equal(t, leadcall.SyncPending, e.call(e.org, c.ID).SyncStatus)
}

func testJobScope(t *testing.T, e *env) {
	e.enqueued("c-1", number(1), base)
	j := e.claimOne(claimTime)
	e.createOrg("org-b", 0)
	_, err := e.st.Job(e.ctx, "org-b", j.ID)
	requireCode(t, err, leadcall.CodeNotFound, "another org's job")
	_, err = e.st.Job(e.ctx, e.org, j.ID+1000)
	requireCode(t, err, leadcall.CodeNotFound)
}

func testJobCounts(t *testing.T, e *env) {
	counts, err := e.st.JobCounts(e.ctx)
	require.NoError(t, err)
	for _, s := range []leadcall.JobState{leadcall.JobReady, leadcall.JobRunning, leadcall.JobDone, leadcall.JobDead} {
		require.Zero(t, counts[s], s)
	}
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	for i := range 4 {
		e.enqueued(fmt.Sprintf("a-%d", i), number(i), base)
	}
	e.insert("org-b", leadcall.NewCall{Call: newCall("dev-b", "b", number(9), base), Enqueue: true})
	jobs := e.claim(claimTime, 3)
	require.Len(t, jobs, 3)
	_, err = e.st.CompleteJob(e.ctx, fence(jobs[0]), &leadcall.CompleteJobParams{Now: claimTime})
	require.NoError(t, err)
	_, err = e.st.CompleteJob(e.ctx, fence(jobs[1]), &leadcall.CompleteJobParams{Now: claimTime, Dead: true})
	require.NoError(t, err)

	counts, err = e.st.JobCounts(e.ctx)
	require.NoError(t, err)
	require.Equal(t, map[leadcall.JobState]int{leadcall.JobReady: 2, leadcall.JobRunning: 1, leadcall.JobDone: 1, leadcall.JobDead: 1}, counts)
}
