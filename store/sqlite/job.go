package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const jobColumns = `id, org_id, call_id, serial_key, order_at, state, step, mode, target_module, target_id,
	attempt, max_attempts, run_at, lease_owner, lease_token, lease_expires_at, last_error, created_at`

func scanJob(sc interface{ Scan(...any) error }) (leadcall.Job, error) {
	var (
		j                         leadcall.Job
		state, step, mode, module string
		orderAt, runAt, createdAt int64
		leaseExpires              sql.NullInt64
	)
	err := sc.Scan(&j.ID, &j.OrgID, &j.CallID, &j.SerialKey, &orderAt, &state, &step, &mode, &module, &j.TargetID,
		&j.Attempt, &j.MaxAttempts, &runAt, &j.LeaseOwner, &j.LeaseToken, &leaseExpires, &j.LastError, &createdAt)
	if err != nil {
		return j, err
	}
	j.OrderAt = time.UnixMilli(orderAt).UTC()
	j.State = leadcall.JobState(state)
	j.Step = leadcall.JobStep(step)
	j.Mode = leadcall.JobMode(mode)
	j.TargetModule = crm.Module(module)
	j.RunAt = time.UnixMilli(runAt).UTC()
	j.LeaseExpiresAt = fromMillis(leaseExpires)
	j.CreatedAt = time.UnixMilli(createdAt).UTC()
	return j, nil
}

// insertJobSQL enqueues a ready job at step start. The partial unique index allows one active
// (ready or running) job per call; a clash inserts nothing and returns no row.
const insertJobSQL = `INSERT INTO outbox (org_id, call_id, serial_key, order_at, state, step, mode, target_module,
		target_id, attempt, max_attempts, run_at, created_at, updated_at)
	VALUES ($1, $2, $3, $4, 'ready', 'start', $5, $6, $7, 0, $8, $9, $10, $10)
	ON CONFLICT (call_id) WHERE state IN ('ready', 'running') DO NOTHING
	RETURNING id`

// newLeaseToken returns a random positive int63; 0 means "no lease" and is never returned.
func newLeaseToken() int64 {
	var b [8]byte
	for {
		_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
		if t := int64(binary.LittleEndian.Uint64(b[:]) &^ (1 << 63)); t != 0 {
			return t
		}
	}
}

// The claim's eligibility rules, shared by its two queries ($1 = now in ms). A job is the head
// of its caller's queue when no other ready or running job of the org with the same serial key
// comes before it in (order_at, id), and no job with that serial key holds a live lease.
// Paused orgs are skipped. The repeated state IN (...) lets SQLite use the partial index.
const claimEligible = `
	NOT EXISTS (SELECT 1 FROM org_pauses p WHERE p.org_id = o.org_id AND p.paused_until > $1)
	AND NOT EXISTS (
		SELECT 1 FROM outbox e
		WHERE e.org_id = o.org_id AND e.serial_key = o.serial_key AND e.state IN ('ready', 'running')
		  AND (e.order_at < o.order_at OR (e.order_at = o.order_at AND e.id < o.id)))
	AND NOT EXISTS (
		SELECT 1 FROM outbox l
		WHERE l.org_id = o.org_id AND l.serial_key = o.serial_key AND l.state IN ('ready', 'running')
		  AND l.state = 'running' AND l.lease_expires_at >= $1 AND l.id <> o.id)`

// ClaimJobs leases up to p.Limit (at most 1000) jobs: ready jobs whose RunAt <= p.Now and
// running jobs whose lease expired before p.Now, skipping orgs paused past p.Now, and only
// the head of each caller's queue (serial keys are per org). Each claimed job gets
// state running, Attempt+1, LeaseOwner p.Owner, a fresh random LeaseToken and
// LeaseExpiresAt p.Now+p.Lease. Expired leases are rescued first, then ready jobs by
// (RunAt, ID).
//
// SQLite-specific: the whole claim is one BEGIN IMMEDIATE transaction on the single writer
// connection, so concurrent claimers are serialised and never see the same job. Postgres
// needs FOR UPDATE SKIP LOCKED (and a per-serial-key guard) instead.
func (s *Store) ClaimJobs(ctx context.Context, p *leadcall.ClaimParams) ([]leadcall.Job, error) {
	const op = "sqlite: claim jobs"
	limit, err := sqlshared.ValidateClaim(op, p)
	if err != nil {
		return nil, err
	}
	now := p.Now.UnixMilli()
	expires := p.Now.Add(p.Lease).UnixMilli()
	jobs := []leadcall.Job{}
	err = s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		jobs = jobs[:0]
		ids, err := queryIDs(ctx, tx,
			`SELECT o.id FROM outbox o WHERE o.state = 'running' AND o.lease_expires_at < $1 AND `+claimEligible+`
			 ORDER BY o.lease_expires_at, o.id LIMIT $2`, now, limit)
		if err != nil {
			return err
		}
		if len(ids) < limit {
			ready, err := queryIDs(ctx, tx,
				`SELECT o.id FROM outbox o WHERE o.state = 'ready' AND o.run_at <= $1 AND `+claimEligible+`
				 ORDER BY o.run_at, o.id LIMIT $2`, now, limit-len(ids))
			if err != nil {
				return err
			}
			ids = append(ids, ready...)
		}
		for _, id := range ids {
			j, err := scanJob(tx.QueryRowContext(ctx,
				`UPDATE outbox SET state = 'running', attempt = attempt + 1, lease_owner = $1, lease_token = $2,
					lease_expires_at = $3, updated_at = $4
				 WHERE id = $5 RETURNING `+jobColumns,
				p.Owner, newLeaseToken(), expires, now, id))
			if err != nil {
				return err
			}
			jobs = append(jobs, j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

func queryIDs(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// fencedJob is what a fenced write learns about its job.
type fencedJob struct {
	orgID   string
	callID  int64
	attempt int
}

// fence touches the job (setting step when non-empty) if and only if f still holds its
// lease: same token and state running. Otherwise it returns ErrLeaseLost and changes nothing.
func (s *Store) fence(ctx context.Context, tx *wtx, op string, f leadcall.Fence, step leadcall.JobStep, now time.Time) (fencedJob, error) {
	var fj fencedJob
	err := tx.QueryRowContext(ctx,
		`UPDATE outbox SET step = CASE WHEN $1 = '' THEN step ELSE $1 END, updated_at = $2
		 WHERE id = $3 AND lease_token = $4 AND state = 'running'
		 RETURNING org_id, call_id, attempt`,
		string(step), now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&fj.orgID, &fj.callID, &fj.attempt)
	if errors.Is(err, sql.ErrNoRows) {
		return fj, leaseLost(op, f.JobID)
	}
	return fj, err
}

// storeSyncState stores a job's progress on its call. CRM IDs and the owner are
// first-writer-wins: an ID already stored is never replaced and an empty one never clears;
// the owner is stored only once resolved. A non-empty outcome replaces the stored one.
// syncStateSQL stores a call's sync state: owner and CRM IDs first-writer-wins, outcome when
// given.
const syncStateSQL = `UPDATE calls SET
	owner_id = CASE WHEN owner_resolved OR NOT $1 THEN owner_id ELSE $2 END,
	owner_resolved = (owner_resolved OR $1),
	crm_lead_id = COALESCE(crm_lead_id, $3),
	crm_contact_id = COALESCE(crm_contact_id, $4),
	crm_call_id = COALESCE(crm_call_id, $5),
	crm_task_id = COALESCE(crm_task_id, $6),
	outcome = CASE WHEN $7 = '' THEN outcome ELSE $7 END`

func syncStateArgs(st *leadcall.CallSyncState) []any {
	return []any{st.OwnerResolved, st.OwnerID, nullString(st.CRM.LeadID), nullString(st.CRM.ContactID),
		nullString(st.CRM.CallID), nullString(st.CRM.TaskID), string(st.Outcome)}
}

func storeSyncState(ctx context.Context, tx *wtx, callID int64, st *leadcall.CallSyncState) error {
	_, err := tx.ExecContext(ctx, syncStateSQL+` WHERE id = $8`, append(syncStateArgs(st), callID)...)
	return err
}

// storeFinalSyncState is storeSyncState plus the call's final sync status, in one statement.
func storeFinalSyncState(ctx context.Context, tx *wtx, callID int64, st *leadcall.CallSyncState, status leadcall.SyncStatus, lastError string) error {
	_, err := tx.ExecContext(ctx, syncStateSQL+`, sync_status = $8, last_error = $9 WHERE id = $10`,
		append(syncStateArgs(st), string(status), lastError, callID)...)
	return err
}

// AdvanceJob moves a job to step and, when st is non-nil, stores the call's sync state
// (first-writer-wins CRM IDs and owner), fenced: ErrLeaseLost and no change when f no longer
// holds the lease. CodeInvalid for an unknown step.
func (s *Store) AdvanceJob(ctx context.Context, f leadcall.Fence, step leadcall.JobStep, st *leadcall.CallSyncState) error {
	const op = "sqlite: advance job"
	if err := sqlshared.ValidateAdvance(op, step); err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		fj, err := s.fence(ctx, tx, op, f, step, s.now())
		if err != nil || st == nil {
			return err
		}
		return storeSyncState(ctx, tx, fj.callID, st)
	})
}

const attemptColumns = `id, job_id, attempt, lease_token, op, entity_key, request_hash, started_at, finished_at,
	outcome, error_code, crm_id, error`

func scanAttempt(sc interface{ Scan(...any) error }) (leadcall.SyncAttempt, error) {
	var (
		a           leadcall.SyncAttempt
		op, outcome string
		started     int64
		finished    sql.NullInt64
	)
	err := sc.Scan(&a.ID, &a.JobID, &a.Attempt, &a.LeaseToken, &op, &a.EntityKey, &a.RequestHash, &started, &finished,
		&outcome, &a.ErrorCode, &a.CRMID, &a.Error)
	a.Op = leadcall.SyncOp(op)
	a.Outcome = leadcall.AttemptOutcome(outcome)
	a.StartedAt = time.UnixMilli(started).UTC()
	a.FinishedAt = fromMillis(finished)
	return a, err
}

// RecordIntent stores a sync attempt before the CRM request is sent, fenced, and sets a.ID.
// a.JobID (0 = f.JobID) must be f's job; a.LeaseToken becomes f's token, a zero Attempt the
// job's attempt and a zero StartedAt the store's clock. CodeInvalid when Op is empty or
// FinishedAt is set.
func (s *Store) RecordIntent(ctx context.Context, f leadcall.Fence, a *leadcall.SyncAttempt, step leadcall.JobStep, st *leadcall.CallSyncState) error {
	const op = "sqlite: record intent"
	if err := sqlshared.ValidateIntent(op, f, a, step); err != nil {
		return err
	}
	started := s.orNow(a.StartedAt)
	var id int64
	var attempt int
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		fj, err := s.fence(ctx, tx, op, f, step, s.now())
		if err != nil {
			return err
		}
		if st != nil {
			if err := storeSyncState(ctx, tx, fj.callID, st); err != nil {
				return err
			}
		}
		attempt = a.Attempt
		if attempt == 0 {
			attempt = fj.attempt
		}
		return tx.QueryRowContext(ctx,
			`INSERT INTO sync_attempts (job_id, call_id, attempt, lease_token, op, entity_key, request_hash, started_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			f.JobID, fj.callID, attempt, f.LeaseToken, string(a.Op), a.EntityKey, a.RequestHash, started.UnixMilli()).Scan(&id)
	})
	if err != nil {
		return err
	}
	a.ID, a.JobID, a.LeaseToken, a.Attempt, a.StartedAt = id, f.JobID, f.LeaseToken, attempt, sqlshared.TruncMS(started)
	return nil
}

// FinishAttempt stores the result of attempt a.ID (an attempt of f's job, CodeNotFound
// otherwise; CodeConflict when it already has a result) and, in the same transaction,
// advances the job to step (when non-empty) and stores st (when non-nil). Fenced. Outcome
// must be a known AttemptOutcome; a zero FinishedAt is the store's clock.
func (s *Store) FinishAttempt(ctx context.Context, f leadcall.Fence, a *leadcall.SyncAttempt, step leadcall.JobStep, st *leadcall.CallSyncState) error {
	const op = "sqlite: finish attempt"
	if err := sqlshared.ValidateFinish(op, a, step); err != nil {
		return err
	}
	finished := s.orNow(a.FinishedAt)
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		fj, err := s.fence(ctx, tx, op, f, step, s.now())
		if err != nil {
			return err
		}
		if err := finishAttemptTx(ctx, tx, op, f, a, finished); err != nil {
			return err
		}
		if st == nil {
			return nil
		}
		return storeSyncState(ctx, tx, fj.callID, st)
	})
	if err != nil {
		return err
	}
	a.FinishedAt = sqlshared.TruncMS(finished)
	return nil
}

// finishAttemptTx stores the result of attempt a.ID of f's job.
func finishAttemptTx(ctx context.Context, tx *wtx, op string, f leadcall.Fence, a *leadcall.SyncAttempt, finished time.Time) error {
	var done sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT finished_at FROM sync_attempts WHERE id = $1 AND job_id = $2`,
		a.ID, f.JobID).Scan(&done)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(op, "attempt %d of job %d not found", a.ID, f.JobID)
	}
	if err != nil {
		return err
	}
	if done.Valid {
		return conflict(op, "attempt %d already has a result", a.ID)
	}
	_, err = tx.ExecContext(ctx,
		`UPDATE sync_attempts SET finished_at = $1, outcome = $2, error_code = $3, crm_id = $4, error = $5 WHERE id = $6`,
		finished.UnixMilli(), string(a.Outcome), a.ErrorCode, a.CRMID, a.Error, a.ID)
	return err
}

// LastAttempt returns the job's most recent attempt (highest ID) for op, or nil when there
// is none. Jobs are addressed by ID alone here, as in the fenced methods.
func (s *Store) LastAttempt(ctx context.Context, jobID int64, op leadcall.SyncOp) (*leadcall.SyncAttempt, error) {
	const opName = "sqlite: last attempt"
	a, err := scanAttempt(s.r.QueryRowContext(ctx,
		`SELECT `+attemptColumns+` FROM sync_attempts WHERE job_id = $1 AND op = $2 ORDER BY id DESC LIMIT 1`,
		jobID, string(op)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(opName, err)
	}
	return &a, nil
}

// RetryJob makes the job ready again at runAt (zero: now) with lastError, and drops its lease.
// Fenced.
func (s *Store) RetryJob(ctx context.Context, f leadcall.Fence, runAt time.Time, lastError string, st *leadcall.CallSyncState) error {
	const op = "sqlite: retry job"
	now := s.now()
	runAt = s.orNow(runAt)
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		var callID int64
		err := tx.QueryRowContext(ctx,
			`UPDATE outbox SET state = 'ready', run_at = $1, last_error = $2, lease_owner = '', lease_token = 0,
				lease_expires_at = NULL, updated_at = $3
			 WHERE id = $4 AND lease_token = $5 AND state = 'running'
			 RETURNING call_id`,
			runAt.UnixMilli(), lastError, now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&callID)
		if errors.Is(err, sql.ErrNoRows) {
			return leaseLost(op, f.JobID)
		}
		if err != nil || st == nil {
			return err
		}
		return storeSyncState(ctx, tx, callID, st)
	})
}

// ReleaseJob gives the lease back without counting the attempt (Attempt is decremented) and
// leaves the job ready to run at once. Fenced.
func (s *Store) ReleaseJob(ctx context.Context, f leadcall.Fence, st *leadcall.CallSyncState) error {
	const op = "sqlite: release job"
	now := s.now()
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		var callID int64
		err := tx.QueryRowContext(ctx,
			`UPDATE outbox SET state = 'ready', attempt = CASE WHEN attempt > 0 THEN attempt - 1 ELSE 0 END,
				lease_owner = '', lease_token = 0, lease_expires_at = NULL, updated_at = $1
			 WHERE id = $2 AND lease_token = $3 AND state = 'running'
			 RETURNING call_id`,
			now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&callID)
		if errors.Is(err, sql.ErrNoRows) {
			return leaseLost(op, f.JobID)
		}
		if err != nil || st == nil {
			return err
		}
		return storeSyncState(ctx, tx, callID, st)
	})
}

// CompleteJob ends the job (done, or dead when p.Dead), drops its lease and, in the same
// transaction, stores the call's final sync status (empty: synced, or failed when p.Dead),
// outcome (when non-empty; else p.State.Outcome when non-empty), last error, CRM refs and
// owner (first-writer-wins), stores p.Review (open, for the job's call) when non-nil, and
// appends the matching events, which it returns: call.synced, call.review or call.failed
// (Data: the stored Call; none for status none), then review.created. Fenced.
func (s *Store) CompleteJob(ctx context.Context, f leadcall.Fence, p *leadcall.CompleteJobParams) ([]leadcall.Event, error) {
	const op = "sqlite: complete job"
	done, err := sqlshared.ValidateComplete(op, p)
	if err != nil {
		return nil, err
	}
	status, state, st := done.Status, done.State, done.Sync
	now := s.orNow(p.Now)
	var attemptFinished time.Time
	if p.Attempt != nil {
		attemptFinished = s.orNow(p.Attempt.FinishedAt)
	}
	var (
		evs    []leadcall.Event
		review leadcall.ReviewItem
	)
	err = s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		evs = nil
		var orgID string
		var callID int64
		err := tx.QueryRowContext(ctx,
			`UPDATE outbox SET state = $1, last_error = $2, lease_owner = '', lease_token = 0, lease_expires_at = NULL,
				updated_at = $3
			 WHERE id = $4 AND lease_token = $5 AND state = 'running'
			 RETURNING org_id, call_id`,
			string(state), p.LastError, now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&orgID, &callID)
		if errors.Is(err, sql.ErrNoRows) {
			return leaseLost(op, f.JobID)
		}
		if err != nil {
			return err
		}
		if p.Attempt != nil {
			if err := finishAttemptTx(ctx, tx, op, f, p.Attempt, attemptFinished); err != nil {
				return err
			}
		}
		if err := storeFinalSyncState(ctx, tx, callID, &st, status, p.LastError); err != nil {
			return err
		}
		c, err := callByID(ctx, tx, op, orgID, callID)
		if err != nil {
			return err
		}
		if typ, ok := completionEvents[status]; ok {
			if err := s.appendEvent(ctx, tx, &evs, orgID, typ, now, callID, c); err != nil {
				return err
			}
		}
		if p.Review == nil {
			return nil
		}
		review = *p.Review
		review.OrgID, review.CallID, review.Status, review.Resolution = orgID, callID, leadcall.ReviewOpen, nil
		if review.CreatedAt.IsZero() {
			review.CreatedAt = now
		}
		review.CreatedAt = sqlshared.TruncMS(review.CreatedAt)
		if err := insertReview(ctx, tx, &review); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &evs, orgID, leadcall.EventReviewCreated, now, callID, &review)
	})
	if err != nil {
		return nil, err
	}
	if p.Review != nil {
		*p.Review = review
	}
	return evs, nil
}

var completionEvents = map[leadcall.SyncStatus]leadcall.EventType{
	leadcall.SyncSynced: leadcall.EventCallSynced,
	leadcall.SyncReview: leadcall.EventCallReview,
	leadcall.SyncFailed: leadcall.EventCallFailed,
}

// EnqueueJob adds a ready sync job for an existing call (review resolution, backfill) and
// sets the call's sync status to pending, in one transaction. Mode defaults to normal;
// log_to needs TargetModule and TargetID; MaxAttempts 0 is the configured default; the job
// runs from p.Now (zero: the store's clock). CodeNotFound when the call is not in the org,
// CodeConflict when it already has an active (ready or running) job.
func (s *Store) EnqueueJob(ctx context.Context, p *leadcall.EnqueueParams) (*leadcall.Job, error) {
	const op = "sqlite: enqueue job"
	if err := sqlshared.ValidateEnqueue(op, p); err != nil {
		return nil, err
	}
	var job *leadcall.Job
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		var err error
		job, err = s.enqueue(ctx, tx, op, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return job, nil
}

// enqueue is EnqueueJob inside tx; p has been validated.
func (s *Store) enqueue(ctx context.Context, tx *wtx, op string, p *leadcall.EnqueueParams) (*leadcall.Job, error) {
	c, err := callByID(ctx, tx, op, p.OrgID, p.CallID)
	if err != nil {
		return nil, err
	}
	mode := p.Mode
	if mode == "" {
		mode = leadcall.ModeNormal
	}
	maxAttempts := p.MaxAttempts
	if maxAttempts == 0 {
		maxAttempts = s.cfg.MaxAttempts
	}
	now := s.orNow(p.Now)
	var id int64
	err = tx.QueryRowContext(ctx, insertJobSQL, p.OrgID, c.ID, sqlshared.SerialKey(c), c.StartedAt.UnixMilli(), string(mode),
		string(p.TargetModule), p.TargetID, maxAttempts, now.UnixMilli(), now.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, conflict(op, "call %d already has an active sync job", c.ID)
	}
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE calls SET sync_status = $1 WHERE id = $2`,
		string(leadcall.SyncPending), c.ID); err != nil {
		return nil, err
	}
	return jobByID(ctx, tx, op, p.OrgID, id)
}

// Job returns a job by ID; CodeNotFound when it is not in the org.
func (s *Store) Job(ctx context.Context, orgID string, jobID int64) (*leadcall.Job, error) {
	const op = "sqlite: job"
	j, err := jobByID(ctx, s.r, op, orgID, jobID)
	if err != nil {
		return nil, wrap(op, err)
	}
	return j, nil
}

func jobByID(ctx context.Context, q querier, op, orgID string, jobID int64) (*leadcall.Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM outbox WHERE org_id = $1 AND id = $2`,
		orgID, jobID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "job %d not found", jobID)
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// JobCounts returns the number of jobs in each state across orgs; every state is present.
func (s *Store) JobCounts(ctx context.Context) (map[leadcall.JobState]int, error) {
	const op = "sqlite: job counts"
	out := map[leadcall.JobState]int{leadcall.JobReady: 0, leadcall.JobRunning: 0, leadcall.JobDone: 0, leadcall.JobDead: 0}
	rows, err := s.r.QueryContext(ctx, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			state string
			n     int
		)
		if err := rows.Scan(&state, &n); err != nil {
			return nil, wrap(op, err)
		}
		out[leadcall.JobState(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
