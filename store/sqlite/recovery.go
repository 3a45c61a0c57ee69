package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// MarkRecovery stores a recovery mark and appends evs in the same transaction; see
// leadcall.RecoveryStore. The primary key (org, case key, kind) decides which of two racing
// writers marks the case.
func (s *Store) MarkRecovery(ctx context.Context, m *leadcall.RecoveryMark, evs []leadcall.Event) ([]leadcall.Event, bool, error) {
	const op = "sqlite: mark recovery"
	if err := sqlshared.ValidateMark(op, m, evs); err != nil {
		return nil, false, err
	}
	at := sqlshared.TruncMS(s.orNow(m.At))
	var (
		out    []leadcall.Event
		marked bool
	)
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		out, marked = nil, false
		if err := requireOrg(ctx, tx, op, m.OrgID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM calls WHERE org_id = $1 AND id = $2`, m.OrgID, m.CaseKey).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "call %d not found", m.CaseKey)
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO recovery_marks (org_id, case_key, kind, at, detail) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (org_id, case_key, kind) DO NOTHING`,
			m.OrgID, m.CaseKey, string(m.Kind), at.UnixMilli(), m.Detail)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		marked = true
		for _, ev := range evs {
			ev.At = s.orNow(ev.At)
			if err := s.insertEvent(ctx, tx, &ev); err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	m.At = at
	return out, marked, nil
}

// RecoveryMarks returns the org's marks of the cases in caseKeys; see leadcall.RecoveryStore.
func (s *Store) RecoveryMarks(ctx context.Context, orgID string, caseKeys []int64) ([]leadcall.RecoveryMark, error) {
	const op = "sqlite: recovery marks"
	if err := sqlshared.ValidateMarkKeys(op, caseKeys); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	out := []leadcall.RecoveryMark{}
	keys := slices.Compact(slices.Sorted(slices.Values(caseKeys)))
	// SQLite binds at most a few thousand parameters per statement: ask in chunks.
	for chunk := range slices.Chunk(keys, 500) {
		args := make([]any, 0, len(chunk)+1)
		args = append(args, orgID)
		marks := make([]string, len(chunk))
		for i, k := range chunk {
			args = append(args, k)
			marks[i] = "?"
		}
		rows, err := s.r.QueryContext(ctx,
			`SELECT case_key, kind, at, detail FROM recovery_marks WHERE org_id = ? AND case_key IN (`+
				strings.Join(marks, ",")+`) ORDER BY case_key, kind`, args...)
		if err != nil {
			return nil, wrap(op, err)
		}
		for rows.Next() {
			m := leadcall.RecoveryMark{OrgID: orgID}
			var kind string
			var at int64
			if err := rows.Scan(&m.CaseKey, &kind, &at, &m.Detail); err != nil {
				rows.Close()
				return nil, wrap(op, err)
			}
			m.Kind, m.At = leadcall.RecoveryMarkKind(kind), time.UnixMilli(at).UTC()
			out = append(out, m)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrap(op, err)
		}
	}
	return out, nil
}

// RecentMisses returns missed campaign calls across orgs; see leadcall.RecoveryStore.
func (s *Store) RecentMisses(ctx context.Context, q *leadcall.MissQuery) ([]leadcall.MissRef, error) {
	const op = "sqlite: recent misses"
	limit, err := sqlshared.MissLimit(op, q)
	if err != nil {
		return nil, err
	}
	afterMS, afterID := sqlshared.MissCursor(q)
	rows, err := s.r.QueryContext(ctx,
		`SELECT org_id, id, number_e164, started_at FROM calls
		 WHERE call_type = 'missed' AND started_at < $1 AND (started_at > $2 OR (started_at = $2 AND id > $3))
		   AND started_at >= $4 AND device_kind = 'campaign' AND number_e164 <> ''
		 ORDER BY started_at, id LIMIT $5`,
		q.To.UnixMilli(), afterMS, afterID, q.From.UnixMilli(), limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []leadcall.MissRef{}
	for rows.Next() {
		var r leadcall.MissRef
		var at int64
		if err := rows.Scan(&r.OrgID, &r.CallID, &r.NumberE164, &at); err != nil {
			return nil, wrap(op, err)
		}
		r.StartedAt = time.UnixMilli(at).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
