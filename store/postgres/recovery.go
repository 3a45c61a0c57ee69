package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// MarkRecovery stores a recovery mark and appends evs in the same transaction; see
// leadcall.RecoveryStore. Of two replicas inserting the same mark, the second waits for the
// first to commit and then finds the key taken: only one appends the events.
func (s *Store) MarkRecovery(ctx context.Context, m *leadcall.RecoveryMark, evs []leadcall.Event) ([]leadcall.Event, bool, error) {
	const op = "postgres: mark recovery"
	if err := sqlshared.ValidateMark(op, m, evs); err != nil {
		return nil, false, err
	}
	at := sqlshared.TruncMS(s.orNow(m.At))
	var (
		out    events
		marked bool
	)
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		out, marked = nil, false
		if err := requireOrg(ctx, tx, op, m.OrgID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM calls WHERE org_id = $1 AND id = $2`, m.OrgID, m.CaseKey).Scan(&one)
		if noRows(err) {
			return notFound(op, "call %d not found", m.CaseKey)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO recovery_marks (org_id, case_key, kind, at, detail) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (org_id, case_key, kind) DO NOTHING`,
			m.OrgID, m.CaseKey, string(m.Kind), at.UnixMilli(), m.Detail)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		marked = true
		for _, ev := range evs {
			ev.At = sqlshared.TruncMS(s.orNow(ev.At))
			out = append(out, ev)
		}
		return insertEvents(ctx, tx, out)
	})
	if err != nil {
		return nil, false, err
	}
	m.At = at
	return out, marked, nil
}

// RecoveryMarks returns the org's marks of the cases in caseKeys; see leadcall.RecoveryStore.
func (s *Store) RecoveryMarks(ctx context.Context, orgID string, caseKeys []int64) ([]leadcall.RecoveryMark, error) {
	const op = "postgres: recovery marks"
	if err := sqlshared.ValidateMarkKeys(op, caseKeys); err != nil {
		return nil, err
	}
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	keys := slices.Compact(slices.Sorted(slices.Values(caseKeys)))
	if keys == nil {
		keys = []int64{}
	}
	out, err := collect(ctx, s.pool, func(r pgx.Row) (leadcall.RecoveryMark, error) {
		m := leadcall.RecoveryMark{OrgID: orgID}
		var kind string
		var at int64
		err := r.Scan(&m.CaseKey, &kind, &at, &m.Detail)
		m.Kind, m.At = leadcall.RecoveryMarkKind(kind), msTime(at)
		return m, err
	}, `SELECT case_key, kind, at, detail FROM recovery_marks WHERE org_id = $1 AND case_key = ANY($2)
	    ORDER BY case_key, kind`, orgID, keys)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}

// RecentMisses returns missed campaign calls across orgs; see leadcall.RecoveryStore.
func (s *Store) RecentMisses(ctx context.Context, q *leadcall.MissQuery) ([]leadcall.MissRef, error) {
	const op = "postgres: recent misses"
	limit, err := sqlshared.MissLimit(op, q)
	if err != nil {
		return nil, err
	}
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	afterMS, afterID := sqlshared.MissCursor(q)
	out, err := collect(ctx, s.pool, func(r pgx.Row) (leadcall.MissRef, error) {
		var m leadcall.MissRef
		var at int64
		err := r.Scan(&m.OrgID, &m.CallID, &m.NumberE164, &at)
		m.StartedAt = msTime(at)
		return m, err
	}, `SELECT org_id, id, number_e164, started_at FROM calls
	    WHERE call_type = 'missed' AND (started_at, id) > ($2, $3) AND started_at < $1
	      AND started_at >= $4 AND device_kind = 'campaign' AND number_e164 <> ''
	    ORDER BY started_at, id LIMIT $5`,
		q.To.UnixMilli(), afterMS, afterID, q.From.UnixMilli(), limit)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}
