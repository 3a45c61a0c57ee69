package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const jobColumns = `id, org_id, call_id, serial_key, order_at, state, step, mode, target_module, target_id,
	attempt, max_attempts, run_at, lease_owner, lease_token, lease_expires_at, last_error, created_at`

func scanJob(sc pgx.Row) (leadcall.Job, error) {
	var (
		j                         leadcall.Job
		state, step, mode, module string
		orderAt, runAt, createdAt int64
		leaseExpires              *int64
	)
	err := sc.Scan(&j.ID, &j.OrgID, &j.CallID, &j.SerialKey, &orderAt, &state, &step, &mode, &module, &j.TargetID,
		&j.Attempt, &j.MaxAttempts, &runAt, &j.LeaseOwner, &j.LeaseToken, &leaseExpires, &j.LastError, &createdAt)
	if err != nil {
		return j, err
	}
	j.OrderAt = msTime(orderAt)
	j.State = leadcall.JobState(state)
	j.Step = leadcall.JobStep(step)
	j.Mode = leadcall.JobMode(mode)
	j.TargetModule = crm.Module(module)
	j.RunAt = msTime(runAt)
	j.LeaseExpiresAt = fromMillis(leaseExpires)
	j.CreatedAt = msTime(createdAt)
	return j, nil
}

// insertJobSQL enqueues a ready job at step start. The partial unique index allows one active
// (ready or running) job per call; a clash inserts nothing and returns no row, without
// aborting the transaction.
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

// claimEligible is the claim's eligibility rule for the outbox row o ($1 = now in ms). A job
// is the head of its caller's queue when no other ready or running job of the org with the
// same serial key comes before it in (order_at, id), and no job with that serial key holds a
// live lease. Paused orgs are skipped. The repeated state IN (...) lets the planner use the
// partial index outbox_serial.
const claimEligible = `
	NOT EXISTS (SELECT 1 FROM org_pauses p WHERE p.org_id = o.org_id AND p.paused_until > $1)
	AND NOT EXISTS (
		SELECT 1 FROM outbox e
		WHERE e.org_id = o.org_id AND e.serial_key = o.serial_key AND e.state IN ('ready', 'running')
		  AND (e.order_at, e.id) < (o.order_at, o.id))
	AND NOT EXISTS (
		SELECT 1 FROM outbox l
		WHERE l.org_id = o.org_id AND l.serial_key = o.serial_key AND l.state IN ('ready', 'running')
		  AND l.state = 'running' AND l.lease_expires_at >= $1 AND l.id <> o.id)`

// claimCandidatesSQL picks and row-locks the claim's candidates ($1 = now, $2 = limit):
// expired leases first (by expiry), then ready jobs (by run time), each branch with FOR UPDATE
// SKIP LOCKED so that concurrent claimers, and workers writing to their jobs, never wait for
// each other or take the same row. DISTINCT ON keeps one candidate per serial key. Each
// survivor then takes the serial key's advisory lock, without waiting (a key another claim
// holds is skipped this round). pass and at give the claim order back.
const claimCandidatesSQL = `
	WITH rescue AS MATERIALIZED (
		SELECT o.id, o.org_id, o.serial_key, o.order_at, 0 AS pass, o.lease_expires_at AS at
		FROM outbox o
		WHERE o.state = 'running' AND o.lease_expires_at < $1 AND ` + claimEligible + `
		ORDER BY o.lease_expires_at, o.id
		LIMIT $2
		FOR UPDATE OF o SKIP LOCKED
	), ready AS MATERIALIZED (
		SELECT o.id, o.org_id, o.serial_key, o.order_at, 1 AS pass, o.run_at AS at
		FROM outbox o
		WHERE o.state = 'ready' AND o.run_at <= $1 AND ` + claimEligible + `
		ORDER BY o.run_at, o.id
		LIMIT $2
		FOR UPDATE OF o SKIP LOCKED
	), heads AS MATERIALIZED (
		SELECT DISTINCT ON (org_id, serial_key) id, org_id, serial_key, pass, at
		FROM (SELECT * FROM rescue UNION ALL SELECT * FROM ready) c
		ORDER BY org_id, serial_key, order_at, id
	)
	SELECT id, pass, at FROM heads
	WHERE pg_try_advisory_xact_lock(hashtextextended('leadcall serial ' || current_schema() || ' ' || org_id || ' ' || serial_key, 0))`

// claimUpdateSQL leases the locked candidates ($1 = now, $2 = owner, $3 = expiry, $4 = ids,
// $5 = tokens), checking eligibility again: this statement's snapshot is taken after the
// serial keys' advisory locks were granted, so it sees every claim of those keys that
// committed before, and a key never gets two live leases.
const claimUpdateSQL = `
	UPDATE outbox o SET state = 'running', attempt = o.attempt + 1, lease_owner = $2, lease_token = c.token,
		lease_expires_at = $3, updated_at = $1
	FROM unnest($4::bigint[], $5::bigint[]) AS c (id, token)
	WHERE o.id = c.id
	  AND ((o.state = 'running' AND o.lease_expires_at < $1) OR (o.state = 'ready' AND o.run_at <= $1))
	  AND ` + claimEligible + `
	RETURNING o.id, o.org_id, o.call_id, o.serial_key, o.order_at, o.state, o.step, o.mode, o.target_module,
		o.target_id, o.attempt, o.max_attempts, o.run_at, o.lease_owner, o.lease_token, o.lease_expires_at,
		o.last_error, o.created_at`

// ClaimJobs leases up to p.Limit (at most 1000) jobs: ready jobs whose RunAt <= p.Now and
// running jobs whose lease expired before p.Now, skipping orgs paused past p.Now, and only
// the head of each caller's queue (serial keys are per org). Each claimed job gets state
// running, Attempt+1, LeaseOwner p.Owner, a fresh random LeaseToken and LeaseExpiresAt
// p.Now+p.Lease. Expired leases are rescued first, then ready jobs by (RunAt, ID); the result
// is in that order.
//
// Concurrent claimers (other goroutines, other replicas) are safe: a read committed
// transaction row-locks its candidates with FOR UPDATE SKIP LOCKED, takes each candidate's
// serial-key advisory lock without waiting, and re-checks eligibility in the UPDATE that
// leases them (see claimCandidatesSQL and claimUpdateSQL). A job is never leased twice at
// once, and a caller never has two live leases. A claim never waits for a lock, so under
// contention it may return fewer jobs than are ready; the next claim gets them.
func (s *Store) ClaimJobs(ctx context.Context, p *leadcall.ClaimParams) ([]leadcall.Job, error) {
	const op = "postgres: claim jobs"
	limit, err := sqlshared.ValidateClaim(op, p)
	if err != nil {
		return nil, err
	}
	now := p.Now.UnixMilli()
	expires := p.Now.Add(p.Lease).UnixMilli()
	var jobs []leadcall.Job
	err = s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		jobs = jobs[:0]
		type candidate struct {
			id, at int64
			pass   int
		}
		rows, err := tx.Query(ctx, claimCandidatesSQL, now, limit)
		if err != nil {
			return err
		}
		var cands []candidate
		for rows.Next() {
			var c candidate
			if err := rows.Scan(&c.id, &c.pass, &c.at); err != nil {
				rows.Close()
				return err
			}
			cands = append(cands, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(cands) == 0 {
			return nil
		}
		slices.SortFunc(cands, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(a.pass, b.pass), cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id))
		})
		cands = cands[:min(len(cands), limit)]
		ids, tokens := make([]int64, len(cands)), make([]int64, len(cands))
		rank := make(map[int64]int, len(cands))
		for i, c := range cands {
			ids[i], tokens[i], rank[c.id] = c.id, newLeaseToken(), i
		}
		claimed, err := collect(ctx, tx, scanJob, claimUpdateSQL, now, p.Owner, expires, ids, tokens)
		if err != nil {
			return err
		}
		slices.SortFunc(claimed, func(a, b leadcall.Job) int { return cmp.Compare(rank[a.ID], rank[b.ID]) })
		jobs = claimed
		return nil
	})
	if err != nil {
		return nil, err
	}
	if jobs == nil {
		jobs = []leadcall.Job{}
	}
	return jobs, nil
}

// fencedJob is what a fenced write learns about its job.
type fencedJob struct {
	orgID   string
	callID  int64
	attempt int
}

// fence touches the job (setting step when non-empty) if and only if f still holds its
// lease: same token and state running. Otherwise it returns ErrLeaseLost and changes nothing.
// The UPDATE locks the job's row until commit, so a concurrent claim cannot rescue the job in
// between (it skips locked rows) and a fenced write racing a rescue sees the new token.
func fence(ctx context.Context, tx pgx.Tx, op string, f leadcall.Fence, step leadcall.JobStep, now time.Time) (fencedJob, error) {
	var fj fencedJob
	err := tx.QueryRow(ctx,
		`UPDATE outbox SET step = CASE WHEN $1 = '' THEN step ELSE $1 END, updated_at = $2
		 WHERE id = $3 AND lease_token = $4 AND state = 'running'
		 RETURNING org_id, call_id, attempt`,
		string(step), now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&fj.orgID, &fj.callID, &fj.attempt)
	if noRows(err) {
		return fj, leaseLost(op, f.JobID)
	}
	return fj, err
}

// syncStateSQL stores a call's sync state: owner and CRM IDs first-writer-wins (a stored ID
// is never replaced and an empty one never clears it; the owner is stored once resolved),
// the outcome when given.
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

func storeSyncState(ctx context.Context, tx pgx.Tx, callID int64, st *leadcall.CallSyncState) error {
	_, err := tx.Exec(ctx, syncStateSQL+` WHERE id = $8`, append(syncStateArgs(st), callID)...)
	return err
}

// storeFinalSyncState is storeSyncState plus the call's final sync status, in one statement
// that also returns the stored call (for the completion event).
func storeFinalSyncState(ctx context.Context, tx pgx.Tx, op, orgID string, callID int64, st *leadcall.CallSyncState, status leadcall.SyncStatus, lastError string) (*leadcall.Call, error) {
	c, err := scanCall(tx.QueryRow(ctx, syncStateSQL+`, sync_status = $8, last_error = $9 WHERE id = $10 AND org_id = $11
		RETURNING `+callColumns, append(syncStateArgs(st), string(status), lastError, callID, orgID)...))
	if noRows(err) {
		return nil, notFound(op, "call %d not found", callID)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// AdvanceJob moves a job to step and, when st is non-nil, stores the call's sync state
// (first-writer-wins CRM IDs and owner), fenced: ErrLeaseLost and no change when f no longer
// holds the lease. CodeInvalid for an unknown step.
func (s *Store) AdvanceJob(ctx context.Context, f leadcall.Fence, step leadcall.JobStep, st *leadcall.CallSyncState) error {
	const op = "postgres: advance job"
	if err := sqlshared.ValidateAdvance(op, step); err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		fj, err := fence(ctx, tx, op, f, step, s.now())
		if err != nil || st == nil {
			return err
		}
		return storeSyncState(ctx, tx, fj.callID, st)
	})
}

const attemptColumns = `id, job_id, attempt, lease_token, op, entity_key, request_hash, started_at, finished_at,
	outcome, error_code, crm_id, error`

func scanAttempt(sc pgx.Row) (leadcall.SyncAttempt, error) {
	var (
		a           leadcall.SyncAttempt
		op, outcome string
		started     int64
		finished    *int64
	)
	err := sc.Scan(&a.ID, &a.JobID, &a.Attempt, &a.LeaseToken, &op, &a.EntityKey, &a.RequestHash, &started, &finished,
		&outcome, &a.ErrorCode, &a.CRMID, &a.Error)
	a.Op = leadcall.SyncOp(op)
	a.Outcome = leadcall.AttemptOutcome(outcome)
	a.StartedAt = msTime(started)
	a.FinishedAt = fromMillis(finished)
	return a, err
}

// RecordIntent stores a sync attempt before the CRM request is sent, fenced, and sets a.ID.
// a.JobID (0 = f.JobID) must be f's job; a.LeaseToken becomes f's token, a zero Attempt the
// job's attempt and a zero StartedAt the store's clock. CodeInvalid when Op is empty or
// FinishedAt is set.
func (s *Store) RecordIntent(ctx context.Context, f leadcall.Fence, a *leadcall.SyncAttempt, step leadcall.JobStep, st *leadcall.CallSyncState) error {
	const op = "postgres: record intent"
	if err := sqlshared.ValidateIntent(op, f, a, step); err != nil {
		return err
	}
	started := s.orNow(a.StartedAt)
	var id int64
	var attempt int
	// One statement, so one round trip and no explicit transaction: the fence (the job's
	// UPDATE, which holds its row lock until the statement commits), the call's sync state
	// and the attempt's row are written together or not at all.
	sql, args := recordIntentSQL(f, a, step, st, s.now(), started)
	err := s.statement(ctx, op, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, sql, args...).Scan(&id, &attempt)
		if noRows(err) {
			return leaseLost(op, f.JobID)
		}
		return err
	})
	if err != nil {
		return err
	}
	a.ID, a.JobID, a.LeaseToken, a.Attempt, a.StartedAt = id, f.JobID, f.LeaseToken, attempt, sqlshared.TruncMS(started)
	return nil
}

// placeholder matches a $N parameter of a statement.
var placeholder = regexp.MustCompile(`\$[0-9]+`)

// recordIntentSQL is RecordIntent's statement: the fence, the call's sync state (when st is
// non-nil) and the attempt's insert, as data-modifying CTEs of one INSERT. It returns no
// row when f no longer holds the lease.
func recordIntentSQL(f leadcall.Fence, a *leadcall.SyncAttempt, step leadcall.JobStep, st *leadcall.CallSyncState, now, started time.Time) (string, []any) {
	args := []any{string(step), now.UnixMilli(), f.JobID, f.LeaseToken, a.Attempt, string(a.Op), a.EntityKey, a.RequestHash, started.UnixMilli()}
	state := ""
	if st != nil {
		// syncStateSQL numbers its arguments $1..$7: shift them after ours.
		shift := len(args)
		set := placeholder.ReplaceAllStringFunc(syncStateSQL, func(p string) string {
			n, _ := strconv.Atoi(p[1:])
			return "$" + strconv.Itoa(n+shift)
		})
		state = `, s AS (` + set + ` FROM f WHERE calls.id = f.call_id)`
		args = append(args, syncStateArgs(st)...)
	}
	return `WITH f AS (
			UPDATE outbox SET step = CASE WHEN $1 = '' THEN step ELSE $1 END, updated_at = $2
			WHERE id = $3 AND lease_token = $4 AND state = 'running'
			RETURNING call_id, attempt)` + state + `
		INSERT INTO sync_attempts (job_id, call_id, attempt, lease_token, op, entity_key, request_hash, started_at)
		SELECT $3, f.call_id, CASE WHEN $5::bigint = 0 THEN f.attempt ELSE $5::bigint END, $4, $6, $7, $8, $9 FROM f
		RETURNING id, attempt`, args
}

// FinishAttempt stores the result of attempt a.ID (an attempt of f's job, CodeNotFound
// otherwise; CodeConflict when it already has a result) and, in the same transaction,
// advances the job to step (when non-empty) and stores st (when non-nil). Fenced. Outcome
// must be a known AttemptOutcome; a zero FinishedAt is the store's clock.
func (s *Store) FinishAttempt(ctx context.Context, f leadcall.Fence, a *leadcall.SyncAttempt, step leadcall.JobStep, st *leadcall.CallSyncState) error {
	const op = "postgres: finish attempt"
	if err := sqlshared.ValidateFinish(op, a, step); err != nil {
		return err
	}
	finished := s.orNow(a.FinishedAt)
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		fj, err := fence(ctx, tx, op, f, step, s.now())
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

// finishAttemptTx stores the result of attempt a.ID of f's job. The caller holds the job's
// row lock (fence), so two results for one attempt cannot race.
func finishAttemptTx(ctx context.Context, tx pgx.Tx, op string, f leadcall.Fence, a *leadcall.SyncAttempt, finished time.Time) error {
	tag, err := tx.Exec(ctx,
		`UPDATE sync_attempts SET finished_at = $1, outcome = $2, error_code = $3, crm_id = $4, error = $5
		 WHERE id = $6 AND job_id = $7 AND finished_at IS NULL`,
		finished.UnixMilli(), string(a.Outcome), a.ErrorCode, a.CRMID, a.Error, a.ID, f.JobID)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	// Nothing updated: say why (the uncommon path costs the extra round trip).
	var done *int64
	err = tx.QueryRow(ctx, `SELECT finished_at FROM sync_attempts WHERE id = $1 AND job_id = $2`,
		a.ID, f.JobID).Scan(&done)
	if noRows(err) {
		return notFound(op, "attempt %d of job %d not found", a.ID, f.JobID)
	}
	if err != nil {
		return err
	}
	return conflict(op, "attempt %d already has a result", a.ID)
}

// LastAttempt returns the job's most recent attempt (highest ID) for op, or nil when there
// is none. Jobs are addressed by ID alone here, as in the fenced methods.
func (s *Store) LastAttempt(ctx context.Context, jobID int64, op leadcall.SyncOp) (*leadcall.SyncAttempt, error) {
	const opName = "postgres: last attempt"
	if err := s.usable(ctx, opName); err != nil {
		return nil, err
	}
	a, err := scanAttempt(s.pool.QueryRow(ctx,
		`SELECT `+attemptColumns+` FROM sync_attempts WHERE job_id = $1 AND op = $2 ORDER BY id DESC LIMIT 1`,
		jobID, string(op)))
	if noRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap(ctx, opName, err)
	}
	return &a, nil
}

// RetryJob makes the job ready again at runAt (zero: now) with lastError, and drops its lease.
// Fenced.
func (s *Store) RetryJob(ctx context.Context, f leadcall.Fence, runAt time.Time, lastError string, st *leadcall.CallSyncState) error {
	const op = "postgres: retry job"
	now := s.now()
	runAt = s.orNow(runAt)
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		var callID int64
		err := tx.QueryRow(ctx,
			`UPDATE outbox SET state = 'ready', run_at = $1, last_error = $2, lease_owner = '', lease_token = 0,
				lease_expires_at = NULL, updated_at = $3
			 WHERE id = $4 AND lease_token = $5 AND state = 'running'
			 RETURNING call_id`,
			runAt.UnixMilli(), lastError, now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&callID)
		if noRows(err) {
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
	const op = "postgres: release job"
	now := s.now()
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		var callID int64
		err := tx.QueryRow(ctx,
			`UPDATE outbox SET state = 'ready', attempt = GREATEST(attempt - 1, 0),
				lease_owner = '', lease_token = 0, lease_expires_at = NULL, updated_at = $1
			 WHERE id = $2 AND lease_token = $3 AND state = 'running'
			 RETURNING call_id`,
			now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&callID)
		if noRows(err) {
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
	const op = "postgres: complete job"
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
		evs    events
		review leadcall.ReviewItem
	)
	err = s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		evs = nil
		var orgID string
		var callID int64
		err := tx.QueryRow(ctx,
			`UPDATE outbox SET state = $1, last_error = $2, lease_owner = '', lease_token = 0, lease_expires_at = NULL,
				updated_at = $3
			 WHERE id = $4 AND lease_token = $5 AND state = 'running'
			 RETURNING org_id, call_id`,
			string(state), p.LastError, now.UnixMilli(), f.JobID, f.LeaseToken).Scan(&orgID, &callID)
		if noRows(err) {
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
		c, err := storeFinalSyncState(ctx, tx, op, orgID, callID, &st, status, p.LastError)
		if err != nil {
			return err
		}
		if typ, ok := completionEvents[status]; ok {
			if err := s.addEvent(&evs, orgID, typ, now, callID, c); err != nil {
				return err
			}
		}
		if p.Review != nil {
			review = *p.Review
			review.OrgID, review.CallID, review.Status, review.Resolution = orgID, callID, leadcall.ReviewOpen, nil
			if review.CreatedAt.IsZero() {
				review.CreatedAt = now
			}
			review.CreatedAt = sqlshared.TruncMS(review.CreatedAt)
			if err := insertReview(ctx, tx, &review); err != nil {
				return err
			}
			if err := s.addEvent(&evs, orgID, leadcall.EventReviewCreated, now, callID, &review); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, evs)
	})
	if err != nil {
		return nil, err
	}
	if p.Review != nil {
		*p.Review = review
	}
	if evs == nil {
		evs = events{}
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
	const op = "postgres: enqueue job"
	if err := sqlshared.ValidateEnqueue(op, p); err != nil {
		return nil, err
	}
	var job *leadcall.Job
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
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
func (s *Store) enqueue(ctx context.Context, tx pgx.Tx, op string, p *leadcall.EnqueueParams) (*leadcall.Job, error) {
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
	err = tx.QueryRow(ctx, insertJobSQL, p.OrgID, c.ID, sqlshared.SerialKey(c), c.StartedAt.UnixMilli(), string(mode),
		string(p.TargetModule), p.TargetID, maxAttempts, now.UnixMilli(), now.UnixMilli()).Scan(&id)
	if noRows(err) {
		return nil, conflict(op, "call %d already has an active sync job", c.ID)
	}
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE calls SET sync_status = $1 WHERE id = $2`,
		string(leadcall.SyncPending), c.ID); err != nil {
		return nil, err
	}
	return jobByID(ctx, tx, op, p.OrgID, id)
}

// Job returns a job by ID; CodeNotFound when it is not in the org.
func (s *Store) Job(ctx context.Context, orgID string, jobID int64) (*leadcall.Job, error) {
	const op = "postgres: job"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	j, err := jobByID(ctx, s.pool, op, orgID, jobID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return j, nil
}

func jobByID(ctx context.Context, q querier, op, orgID string, jobID int64) (*leadcall.Job, error) {
	j, err := scanJob(q.QueryRow(ctx, `SELECT `+jobColumns+` FROM outbox WHERE org_id = $1 AND id = $2`,
		orgID, jobID))
	if noRows(err) {
		return nil, notFound(op, "job %d not found", jobID)
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// JobCounts returns the number of jobs in each state across orgs; every state is present.
func (s *Store) JobCounts(ctx context.Context) (map[leadcall.JobState]int, error) {
	const op = "postgres: job counts"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	out := map[leadcall.JobState]int{leadcall.JobReady: 0, leadcall.JobRunning: 0, leadcall.JobDone: 0, leadcall.JobDead: 0}
	type count struct {
		state string
		n     int
	}
	counts, err := collect(ctx, s.pool, func(r pgx.Row) (count, error) {
		var c count
		err := r.Scan(&c.state, &c.n)
		return c, err
	}, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	for _, c := range counts {
		out[leadcall.JobState(c.state)] = c.n
	}
	return out, nil
}
