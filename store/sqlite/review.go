package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const reviewColumns = `id, org_id, kind, call_id, number_e164, candidates, status, detail, resolution, created_at`

func scanReview(sc interface{ Scan(...any) error }) (leadcall.ReviewItem, error) {
	var (
		r                  leadcall.ReviewItem
		kind, status, cand string
		resolution         sql.NullString
		created            int64
	)
	if err := sc.Scan(&r.ID, &r.OrgID, &kind, &r.CallID, &r.NumberE164, &cand, &status, &r.Detail, &resolution, &created); err != nil {
		return r, err
	}
	r.Kind = leadcall.ReviewKind(kind)
	r.Status = leadcall.ReviewStatus(status)
	r.CreatedAt = time.UnixMilli(created).UTC()
	if err := sqlshared.FromJSON(cand, &r.Candidates); err != nil {
		return r, err
	}
	if resolution.Valid {
		r.Resolution = new(leadcall.Resolution)
		if err := sqlshared.FromJSON(resolution.String, r.Resolution); err != nil {
			return r, err
		}
	}
	return r, nil
}

// insertReview stores r (OrgID, CallID, Status and CreatedAt already set) and sets r.ID.
func insertReview(ctx context.Context, tx *wtx, r *leadcall.ReviewItem) error {
	cand, err := sqlshared.ToJSON(r.Candidates)
	if err != nil {
		return err
	}
	var resolution any
	if r.Resolution != nil {
		s, err := sqlshared.ToJSON(r.Resolution)
		if err != nil {
			return err
		}
		resolution = s
	}
	return tx.QueryRowContext(ctx,
		`INSERT INTO review_items (org_id, kind, call_id, number_e164, candidates, status, detail, resolution, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		r.OrgID, string(r.Kind), r.CallID, r.NumberE164, cand, string(r.Status), r.Detail, resolution,
		r.CreatedAt.UnixMilli()).Scan(&r.ID)
}

// ReviewItem returns a review item; CodeNotFound when it is not in the org.
func (s *Store) ReviewItem(ctx context.Context, orgID string, id int64) (*leadcall.ReviewItem, error) {
	const op = "sqlite: review item"
	r, err := reviewByID(ctx, s.r, op, orgID, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	return r, nil
}

func reviewByID(ctx context.Context, q querier, op, orgID string, id int64) (*leadcall.ReviewItem, error) {
	r, err := scanReview(q.QueryRowContext(ctx,
		`SELECT `+reviewColumns+` FROM review_items WHERE org_id = $1 AND id = $2`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "review item %d not found", id)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// ListReview returns review items matching f, newest (highest ID) first, with a cursor for the
// next page. Limit defaults to 100 and is capped at 1000. A malformed cursor, an unknown
// status, more than 500 kinds or a negative limit is CodeInvalid; an unknown org CodeNotFound.
func (s *Store) ListReview(ctx context.Context, f *leadcall.ReviewFilter) (*leadcall.ReviewPage, error) {
	const op = "sqlite: list review"
	limit, after, err := sqlshared.ValidateReviewFilter(op, f)
	if err != nil {
		return nil, err
	}
	var a args
	where := []string{"org_id = " + a.add(f.OrgID)}
	if f.Status != "" {
		where = append(where, "status = "+a.add(string(f.Status)))
	}
	if len(f.Kinds) > 0 {
		where = append(where, "kind IN "+in(&a, f.Kinds))
	}
	if f.RepID != "" {
		// Items of the rep's calls: the rep role sees only those (Call.RepID).
		where = append(where, "call_id IN (SELECT id FROM calls WHERE org_id = "+a.add(f.OrgID)+" AND rep_id = "+a.add(f.RepID)+")")
	}
	if f.Cursor != "" {
		where = append(where, "id < "+a.add(after))
	}
	if err := requireOrg(ctx, s.r, op, f.OrgID); err != nil {
		return nil, wrap(op, err)
	}
	items, err := collect(ctx, s.r, scanReview, `SELECT `+reviewColumns+` FROM review_items WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT `+a.add(limit+1), a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return sqlshared.ReviewPage(items, limit), nil
}

// ResolveReview marks an open item resolved with p.Resolution (a zero At is the store's
// clock) and appends a review.resolved event (Data: the resolved item), in one transaction
// that also, when p.Enqueue is set, enqueues a sync job for the item's call (its OrgID and
// CallID may be left zero; CodeConflict when the call has an active job) or, when
// p.CallOutcome is set, sets the call's sync status to none with that outcome. The two are
// exclusive (CodeInvalid). CodeConflict when the item is already resolved; CodeNotFound when
// it is not in the org.
func (s *Store) ResolveReview(ctx context.Context, p *leadcall.ResolveReviewParams) (*leadcall.ReviewItem, []leadcall.Event, error) {
	const op = "sqlite: resolve review"
	enq, err := sqlshared.ValidateResolve(op, p)
	if err != nil {
		return nil, nil, err
	}
	resolution := p.Resolution
	resolution.At = sqlshared.TruncMS(s.orNow(resolution.At))
	resJSON, err := sqlshared.ToJSON(resolution)
	if err != nil {
		return nil, nil, invalid(op, "resolution", "%v", err)
	}
	var (
		item *leadcall.ReviewItem
		evs  []leadcall.Event
	)
	err = s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		evs = nil
		var err error
		item, err = reviewByID(ctx, tx, op, p.OrgID, p.ID)
		if err != nil {
			return err
		}
		if item.Status != leadcall.ReviewOpen {
			return conflict(op, "review item %d is already resolved", item.ID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE review_items SET status = $1, resolution = $2 WHERE id = $3`,
			string(leadcall.ReviewResolved), resJSON, item.ID); err != nil {
			return err
		}
		item.Status = leadcall.ReviewResolved
		item.Resolution = &resolution
		if enq != nil {
			e := *enq
			if e.CallID == 0 {
				e.CallID = item.CallID
			}
			if e.CallID != item.CallID {
				return invalid(op, "enqueue.call_id", "does not match the item's call")
			}
			if _, err := s.enqueue(ctx, tx, op, &e); err != nil {
				return err
			}
		}
		if p.CallOutcome != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE calls SET sync_status = $1, outcome = $2 WHERE id = $3`,
				string(leadcall.SyncNone), string(p.CallOutcome), item.CallID); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, &evs, p.OrgID, leadcall.EventReviewResolved, resolution.At, item.CallID, item)
	})
	if err != nil {
		return nil, nil, err
	}
	return item, evs, nil
}
