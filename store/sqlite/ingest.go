package sqlite

import (
	"context"
	"slices"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// keysPerLookup bounds the IN list that finds the IDs of duplicate calls.
const keysPerLookup = 500

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
// The batch is written with multi-row statements: a few statements per batch rather than
// several per call.
func (s *Store) InsertCalls(ctx context.Context, orgID string, calls []leadcall.NewCall) (*leadcall.InsertCallsResult, error) {
	const op = "sqlite: insert calls"
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
	enqueued, withReview := 0, 0
	for _, nc := range calls {
		if nc.Enqueue {
			enqueued++
		}
		if nc.Review != nil {
			withReview++
		}
	}
	for _, p := range []struct {
		k *bulkKind
		n int
	}{{bulkCalls, len(calls)}, {bulkJobs, enqueued}, {bulkEvents, len(calls) + withReview}} {
		if err := s.prepareBulk(ctx, p.k, p.n); err != nil {
			return nil, wrap(op, err)
		}
	}
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		clear(res.Inserted)
		res.Events = res.Events[:0]
		devices := map[string]bool{}
		for _, c := range stored {
			if !devices[c.DeviceID] {
				if err := requireDevice(ctx, tx, op, orgID, c.DeviceID); err != nil {
					return err
				}
				devices[c.DeviceID] = true
			}
		}

		newIDs, err := s.insertCallRows(ctx, tx, stored)
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
			evs  []leadcall.Event
		)
		for i := range stored {
			if !res.Inserted[i] {
				continue
			}
			c := &stored[i]
			if c.SIMNumber != "" {
				sims = append(sims, c.SIMNumber)
			}
			if calls[i].Enqueue {
				jobs = append(jobs, c)
			}
			ev, err := s.newEvent(orgID, leadcall.EventCallIngested, now, c.ID, c)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
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
			if ev, err = s.newEvent(orgID, leadcall.EventReviewCreated, now, c.ID, &r); err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		slices.Sort(sims)
		if err := addOwnNumbers(ctx, tx, orgID, slices.Compact(sims)...); err != nil {
			return err
		}
		if err := s.insertJobRows(ctx, tx, orgID, jobs, now); err != nil {
			return err
		}
		if err := s.insertEvents(ctx, tx, evs); err != nil {
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
