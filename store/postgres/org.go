package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// CreateOrg stores a new org; CodeConflict when the ID exists. A zero CreatedAt is set to the
// store's clock (in o too).
func (s *Store) CreateOrg(ctx context.Context, o *leadcall.Org) error {
	const op = "postgres: create org"
	settings, err := sqlshared.ValidateOrg(op, o)
	if err != nil {
		return err
	}
	created := s.orNow(o.CreatedAt)
	err = s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`INSERT INTO orgs (id, name, settings, seat_limit, created_at) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (id) DO NOTHING`,
			o.ID, o.Name, settings, o.SeatLimit, created.UnixMilli())
		if err != nil {
			return err
		}
		if err := affected(tag, conflict(op, "org %q already exists", o.ID)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO event_locks (org_id) VALUES ($1)`, o.ID)
		return err
	})
	if err != nil {
		return err
	}
	o.CreatedAt = sqlshared.TruncMS(created)
	return nil
}

// Org returns an org.
func (s *Store) Org(ctx context.Context, orgID string) (*leadcall.Org, error) {
	const op = "postgres: org"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	var (
		o        leadcall.Org
		settings string
		created  int64
	)
	err := s.pool.QueryRow(ctx,
		`SELECT id, name, settings, seat_limit, created_at FROM orgs WHERE id = $1`, orgID,
	).Scan(&o.ID, &o.Name, &settings, &o.SeatLimit, &created)
	if noRows(err) {
		return nil, notFound(op, "org %q not found", orgID)
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	if err := sqlshared.FromJSON(settings, &o.Settings); err != nil {
		return nil, leadcall.NewError(leadcall.CodeInternal, op, err)
	}
	o.CreatedAt = msTime(created)
	return &o, nil
}

// UpdateOrg replaces the org's name, settings and seat limit, and appends a settings.updated
// event (Data: the Settings). Lowering the seat limit never deactivates devices.
func (s *Store) UpdateOrg(ctx context.Context, o *leadcall.Org) error {
	const op = "postgres: update org"
	settings, err := sqlshared.ValidateOrg(op, o)
	if err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE orgs SET name = $1, settings = $2, seat_limit = $3 WHERE id = $4`,
			o.Name, settings, o.SeatLimit, o.ID)
		if err != nil {
			return err
		}
		if err := affected(tag, notFound(op, "org %q not found", o.ID)); err != nil {
			return err
		}
		var evs events
		if err := s.addEvent(&evs, o.ID, leadcall.EventSettingsUpdated, time.Time{}, 0, o.Settings); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
}

// requireOrg returns CodeNotFound when the org does not exist.
func requireOrg(ctx context.Context, q querier, op, orgID string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM orgs WHERE id = $1`, orgID).Scan(&one)
	if noRows(err) {
		return notFound(op, "org %q not found", orgID)
	}
	return err
}

// CreateRep stores a new rep; CodeConflict when the ID exists in the org, CodeNotFound when
// the org does not exist. A zero CreatedAt is set to the store's clock (in r too).
func (s *Store) CreateRep(ctx context.Context, r *leadcall.Rep) error {
	const op = "postgres: create rep"
	if err := sqlshared.ValidateRep(op, r); err != nil {
		return err
	}
	created := s.orNow(r.CreatedAt)
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		if err := requireOrg(ctx, tx, op, r.OrgID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO reps (org_id, id, name, email, crm_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (org_id, id) DO NOTHING`,
			r.OrgID, r.ID, r.Name, r.Email, r.CRMUserID, created.UnixMilli())
		if err != nil {
			return err
		}
		return affected(tag, conflict(op, "rep %q already exists", r.ID))
	})
	if err != nil {
		return err
	}
	r.CreatedAt = sqlshared.TruncMS(created)
	return nil
}

const repColumns = `org_id, id, name, email, crm_user_id, created_at`

func scanRep(sc pgx.Row) (leadcall.Rep, error) {
	var (
		r       leadcall.Rep
		created int64
	)
	err := sc.Scan(&r.OrgID, &r.ID, &r.Name, &r.Email, &r.CRMUserID, &created)
	r.CreatedAt = msTime(created)
	return r, err
}

// Rep returns a rep.
func (s *Store) Rep(ctx context.Context, orgID, repID string) (*leadcall.Rep, error) {
	const op = "postgres: rep"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	r, err := scanRep(s.pool.QueryRow(ctx,
		`SELECT `+repColumns+` FROM reps WHERE org_id = $1 AND id = $2`, orgID, repID))
	if noRows(err) {
		return nil, notFound(op, "rep %q not found", repID)
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return &r, nil
}

// Reps returns the org's reps ordered by name, then ID (byte order). An unknown org is
// CodeNotFound.
func (s *Store) Reps(ctx context.Context, orgID string) ([]leadcall.Rep, error) {
	const op = "postgres: reps"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	out, err := collect(ctx, s.pool, scanRep,
		`SELECT `+repColumns+` FROM reps WHERE org_id = $1 ORDER BY name, id`, orgID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}

// UpdateRep replaces the rep's name, email and CRM user mapping. Past calls keep the owner
// they were synced with (calls store their own owner).
func (s *Store) UpdateRep(ctx context.Context, r *leadcall.Rep) error {
	const op = "postgres: update rep"
	if err := sqlshared.ValidateRep(op, r); err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE reps SET name = $1, email = $2, crm_user_id = $3 WHERE org_id = $4 AND id = $5`,
			r.Name, r.Email, r.CRMUserID, r.OrgID, r.ID)
		if err != nil {
			return err
		}
		return affected(tag, notFound(op, "rep %q not found", r.ID))
	})
}

// PauseOrg pauses the org's sync until `until`, never shortening an existing pause: when the
// stored pause ends later, it (and its reason) stays. It appends a sync.paused event whose
// Data ({until, reason}) is the pause in force afterwards, and returns it.
func (s *Store) PauseOrg(ctx context.Context, orgID string, until time.Time, reason string) ([]leadcall.Event, error) {
	const op = "postgres: pause org"
	if until.IsZero() {
		return nil, invalid(op, "until", "required")
	}
	var evs events
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		evs = nil
		if err := requireOrg(ctx, tx, op, orgID); err != nil {
			return err
		}
		// The upsert waits for a concurrent pause of the org and then compares with what it
		// committed, so the pause in force is the latest end whichever commits first.
		var (
			p  sqlshared.PauseData
			ms int64
		)
		err := tx.QueryRow(ctx,
			`INSERT INTO org_pauses AS p (org_id, paused_until, reason) VALUES ($1, $2, $3)
			 ON CONFLICT (org_id) DO UPDATE SET
				paused_until = GREATEST(p.paused_until, excluded.paused_until),
				reason = CASE WHEN excluded.paused_until > p.paused_until THEN excluded.reason ELSE p.reason END
			 RETURNING paused_until, reason`,
			orgID, until.UnixMilli(), reason).Scan(&ms, &p.Reason)
		if err != nil {
			return err
		}
		p.Until = msTime(ms)
		if err := s.addEvent(&evs, orgID, leadcall.EventSyncPaused, time.Time{}, 0, p); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// ResumeOrg ends the org's pause and appends a sync.resumed event when there was one.
func (s *Store) ResumeOrg(ctx context.Context, orgID, reason string) ([]leadcall.Event, error) {
	const op = "postgres: resume org"
	var evs events
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		evs = nil
		if err := requireOrg(ctx, tx, op, orgID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM org_pauses WHERE org_id = $1 AND paused_until > $2`, orgID, s.now().UnixMilli())
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if err := s.addEvent(&evs, orgID, leadcall.EventSyncResumed, time.Time{}, 0, sqlshared.ResumeData{Reason: reason}); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// OrgPause returns until when the org's sync is paused and why; the zero time and "" when it
// is not paused, including when the last pause has ended by the store's clock.
func (s *Store) OrgPause(ctx context.Context, orgID string) (time.Time, string, error) {
	const op = "postgres: org pause"
	if err := s.usable(ctx, op); err != nil {
		return time.Time{}, "", err
	}
	var (
		ms     *int64
		reason *string
	)
	err := s.pool.QueryRow(ctx,
		`SELECT p.paused_until, p.reason FROM orgs o LEFT JOIN org_pauses p ON p.org_id = o.id WHERE o.id = $1`,
		orgID).Scan(&ms, &reason)
	if noRows(err) {
		return time.Time{}, "", notFound(op, "org %q not found", orgID)
	}
	if err != nil {
		return time.Time{}, "", s.wrap(ctx, op, err)
	}
	until := fromMillis(ms)
	if until.IsZero() || !until.After(s.now()) {
		return time.Time{}, "", nil
	}
	return until, str(reason), nil
}

// collect runs a query and scans every row with scan. It returns an empty, non-nil slice
// when there are none.
func collect[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
