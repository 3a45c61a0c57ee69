package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// InsertCalls stores calls in one transaction, idempotently on (org, device, device call
// ID). For each call that was new it also, in the same transaction: sets Call.ID, enqueues a
// sync job when Enqueue is set (SerialKey = NumberE164, or "call:<id>" when that is empty;
// OrderAt = StartedAt; RunAt = ReceivedAt), stores Review (with OrgID and CallID set), records
// the call's SIM number as an own number, and appends a call.ingested event (Data: the stored
// Call) and, with a review, a review.created event (Data: the ReviewItem), in the order of
// calls. Inserted[i] tells whether calls[i] was new; for a duplicate (already stored, or
// earlier in the same batch) Calls[i].Call.ID is set to the stored call's ID and nothing else
// happens.
//
// For a new call, *Call becomes the stored call: OrgID set, times truncated to the
// millisecond, a zero ReceivedAt set to the store's clock, an empty SyncStatus set to pending
// (Enqueue) or none. Every call is checked before anything is written; one invalid call
// rejects the batch with CodeInvalid naming its index. CodeNotFound when a device is not in
// the org.
//
// The batch costs a fixed number of statements whatever its size: each table gets one
// INSERT ... SELECT FROM unnest(<one array per column>). Batches of one device are
// serialised (see requireDevices): two carrying the same call at once are safe, the second
// waits for the first to commit and then finds the call stored.
func (s *Store) InsertCalls(ctx context.Context, orgID string, calls []leadcall.NewCall) (*leadcall.InsertCallsResult, error) {
	const op = "postgres: insert calls"
	if err := sqlshared.ValidateInsert(op, orgID, calls); err != nil {
		return nil, err
	}
	res := &leadcall.InsertCallsResult{Inserted: make([]bool, len(calls)), Events: []leadcall.Event{}}
	if len(calls) == 0 {
		return res, nil
	}
	now := s.now()
	stored := sqlshared.NormalizeCalls(calls, orgID, now)
	reviews := make([]leadcall.ReviewItem, len(calls))
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		clear(res.Inserted)
		res.Events = res.Events[:0]
		for i := range stored {
			stored[i].ID = 0
		}
		if err := requireDevices(ctx, tx, op, orgID, stored); err != nil {
			return err
		}
		newIDs, err := insertCallRows(ctx, tx, stored)
		if err != nil {
			return err
		}
		dups := sqlshared.MatchInserted(stored, newIDs, res.Inserted)
		if err := lookupCallIDs(ctx, tx, orgID, stored, dups); err != nil {
			return err
		}

		var (
			sims []string
			jobs []*leadcall.Call
			evs  events
		)
		for i := range stored {
			if !res.Inserted[i] {
				continue
			}
			c := &stored[i]
			sims = append(sims, c.SIMNumber)
			if calls[i].Enqueue {
				jobs = append(jobs, c)
			}
			if err := s.addEvent(&evs, orgID, leadcall.EventCallIngested, now, c.ID, c); err != nil {
				return err
			}
			if calls[i].Review == nil {
				continue
			}
			r := *calls[i].Review
			r.OrgID, r.CallID, r.Status = orgID, c.ID, leadcall.ReviewOpen
			r.CreatedAt = sqlshared.TruncMS(s.orNow(r.CreatedAt))
			if err := insertReview(ctx, tx, &r); err != nil {
				return err
			}
			reviews[i] = r
			if err := s.addEvent(&evs, orgID, leadcall.EventReviewCreated, now, c.ID, &r); err != nil {
				return err
			}
		}
		if err := addOwnNumbers(ctx, tx, orgID, sims); err != nil {
			return err
		}
		if err := insertJobRows(ctx, tx, orgID, jobs, s.cfg.MaxAttempts, now); err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		res.Events = append(res.Events, evs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sqlshared.ApplyInserted(calls, stored, res.Inserted, reviews)
	return res, nil
}

// requireDevices returns CodeNotFound unless every call's device is in the org, and takes each
// device's ingest lock (an advisory lock, in device order): batches of one device commit one
// after the other. A device re-sending a batch to two replicas at once then cannot deadlock
// the two inserts on each other's rows (the loser would wait a second for the deadlock
// detector), and the second finds the calls stored.
func requireDevices(ctx context.Context, tx pgx.Tx, op, orgID string, calls []leadcall.Call) error {
	ids := make([]string, 0, 1)
	for i := range calls {
		ids = append(ids, calls[i].DeviceID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	found, err := collect(ctx, tx, scanString, `SELECT id FROM devices WHERE org_id = $1 AND id = ANY($2)`, orgID, ids)
	if err != nil {
		return err
	}
	if len(found) != len(ids) {
		for _, d := range ids {
			if !slices.Contains(found, d) {
				return notFound(op, "device %q not found", d)
			}
		}
	}
	// unnest yields the sorted array in order, so every batch takes the locks in one order.
	_, err = tx.Exec(ctx, `SELECT count(*) FROM (
		SELECT pg_advisory_xact_lock(hashtextextended('leadcall ingest ' || current_schema() || ' ' || $1 || ' ' || d, 0))
		FROM unnest($2::text[]) AS d) locked`, orgID, ids)
	return err
}

// insertCallRows inserts the calls that are not stored yet, in batch order, and returns the
// new IDs by key. ON CONFLICT DO NOTHING skips stored calls and repeats within the batch
// without aborting the transaction.
func insertCallRows(ctx context.Context, tx pgx.Tx, calls []leadcall.Call) (map[sqlshared.CallKey]int64, error) {
	// One array per column; unnest turns them back into rows.
	n := len(calls)
	texts := func() []string { return make([]string, n) }
	ints := func() []int64 { return make([]int64, n) }
	nullTexts := func() []*string { return make([]*string, n) }
	var (
		orgs, devices, dcids, raws, e164s, types = texts(), texts(), texts(), texts(), texts(), texts()
		starts, durations, slots, receiveds      = ints(), ints(), ints(), ints()
		sims, kinds, reps, disps, reasons        = texts(), texts(), texts(), texts(), texts()
		assignments                              = make([]*int64, n)
		sources, statuses, outcomes              = texts(), texts(), texts()
		leads, contacts, crmCalls, tasks         = nullTexts(), nullTexts(), nullTexts(), nullTexts()
		owners, lastErrs                         = texts(), texts()
		resolved                                 = make([]bool, n)
	)
	for i := range calls {
		c := &calls[i]
		orgs[i], devices[i], dcids[i], raws[i], e164s[i], types[i] = c.OrgID, c.DeviceID, c.DeviceCallID, c.NumberRaw, c.NumberE164, string(c.Type)
		starts[i], durations[i], slots[i], receiveds[i] = c.StartedAt.UnixMilli(), int64(c.DurationS), int64(c.SIMSlot), c.ReceivedAt.UnixMilli()
		sims[i], kinds[i], reps[i], disps[i], reasons[i] = c.SIMNumber, string(c.DeviceKind), c.RepID, string(c.Disposition), string(c.Reason)
		assignments[i] = nullID(c.AssignmentID)
		sources[i], statuses[i], outcomes[i] = c.LeadSource, string(c.SyncStatus), string(c.Outcome)
		leads[i], contacts[i], crmCalls[i], tasks[i] = nullString(c.CRM.LeadID), nullString(c.CRM.ContactID), nullString(c.CRM.CallID), nullString(c.CRM.TaskID)
		owners[i], resolved[i], lastErrs[i] = c.OwnerID, c.OwnerResolved, c.LastError
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO calls (org_id, device_id, device_call_id, number_raw, number_e164, call_type, started_at,
			duration_s, sim_slot, sim_number, received_at, device_kind, rep_id, disposition, reason, assignment_id,
			lead_source, sync_status, outcome, crm_lead_id, crm_contact_id, crm_call_id, crm_task_id, owner_id,
			owner_resolved, last_error)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
			$8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[],
			$16::bigint[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
			$24::text[], $25::boolean[], $26::text[])
		ON CONFLICT (org_id, device_id, device_call_id) DO NOTHING
		RETURNING id, device_id, device_call_id`,
		orgs, devices, dcids, raws, e164s, types, starts, durations, slots, sims, receiveds, kinds, reps, disps, reasons,
		assignments, sources, statuses, outcomes, leads, contacts, crmCalls, tasks, owners, resolved, lastErrs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make(map[sqlshared.CallKey]int64, n)
	for rows.Next() {
		var (
			id int64
			k  sqlshared.CallKey
		)
		if err := rows.Scan(&id, &k.Device, &k.ID); err != nil {
			return nil, err
		}
		ids[k] = id
	}
	return ids, rows.Err()
}

// lookupCallIDs sets the ID of calls[i] for each i in idx from the stored calls. It asks once
// per device, with the call IDs as one array: an index scan of the calls' unique key.
func lookupCallIDs(ctx context.Context, tx pgx.Tx, orgID string, calls []leadcall.Call, idx []int) error {
	if len(idx) == 0 {
		return nil
	}
	byDevice := sqlshared.DeviceCallIDs(calls, idx)
	found := make(map[sqlshared.CallKey]int64, len(idx))
	for dev, dcids := range byDevice {
		rows, err := tx.Query(ctx,
			`SELECT id, device_call_id FROM calls WHERE org_id = $1 AND device_id = $2 AND device_call_id = ANY($3)`,
			orgID, dev, dcids)
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				id  int64
				dci string
			)
			if err := rows.Scan(&id, &dci); err != nil {
				rows.Close()
				return err
			}
			found[sqlshared.CallKey{Device: dev, ID: dci}] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return sqlshared.SetFoundIDs("postgres: insert calls", calls, idx, found)
}

// insertJobRows enqueues a ready normal-mode job for each call.
func insertJobRows(ctx context.Context, tx pgx.Tx, orgID string, calls []*leadcall.Call, maxAttempts int, now time.Time) error {
	if len(calls) == 0 {
		return nil
	}
	n := len(calls)
	callIDs, orderAts, runAts := make([]int64, n), make([]int64, n), make([]int64, n)
	keys := make([]string, n)
	for i, c := range calls {
		callIDs[i], keys[i], orderAts[i], runAts[i] = c.ID, sqlshared.SerialKey(c), c.StartedAt.UnixMilli(), c.ReceivedAt.UnixMilli()
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO outbox (org_id, call_id, serial_key, order_at, state, step, mode, target_module, target_id,
			attempt, max_attempts, run_at, created_at, updated_at)
		SELECT $1, k.call_id, k.serial_key, k.order_at, 'ready', 'start', 'normal', '', '', 0, $2, k.run_at, $3, $3
		FROM unnest($4::bigint[], $5::text[], $6::bigint[], $7::bigint[]) AS k (call_id, serial_key, order_at, run_at)`,
		orgID, maxAttempts, now.UnixMilli(), callIDs, keys, orderAts, runAts)
	return err
}
