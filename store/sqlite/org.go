package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// CreateOrg stores a new org; CodeConflict when the ID exists. A zero CreatedAt is set to the
// store's clock (in o too).
func (s *Store) CreateOrg(ctx context.Context, o *leadcall.Org) error {
	const op = "sqlite: create org"
	settings, err := sqlshared.ValidateOrg(op, o)
	if err != nil {
		return err
	}
	created := s.orNow(o.CreatedAt)
	err = s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO orgs (id, name, settings, seat_limit, created_at) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (id) DO NOTHING`,
			o.ID, o.Name, settings, o.SeatLimit, created.UnixMilli())
		if err != nil {
			return err
		}
		return affected(res, conflict(op, "org %q already exists", o.ID))
	})
	if err != nil {
		return err
	}
	o.CreatedAt = sqlshared.TruncMS(created)
	return nil
}

// affected returns errNone when res changed no row.
func affected(res sql.Result, errNone error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errNone
	}
	return nil
}

// Org returns an org.
func (s *Store) Org(ctx context.Context, orgID string) (*leadcall.Org, error) {
	const op = "sqlite: org"
	var (
		o        leadcall.Org
		settings string
		created  int64
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT id, name, settings, seat_limit, created_at FROM orgs WHERE id = $1`, orgID,
	).Scan(&o.ID, &o.Name, &settings, &o.SeatLimit, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "org %q not found", orgID)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	if err := sqlshared.FromJSON(settings, &o.Settings); err != nil {
		return nil, leadcall.NewError(leadcall.CodeInternal, op, err)
	}
	o.CreatedAt = time.UnixMilli(created).UTC()
	return &o, nil
}

// UpdateOrg replaces the org's name, settings and seat limit, and appends a settings.updated
// event (Data: the Settings). Lowering the seat limit never deactivates devices.
func (s *Store) UpdateOrg(ctx context.Context, o *leadcall.Org) error {
	const op = "sqlite: update org"
	settings, err := sqlshared.ValidateOrg(op, o)
	if err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE orgs SET name = $1, settings = $2, seat_limit = $3 WHERE id = $4`,
			o.Name, settings, o.SeatLimit, o.ID)
		if err != nil {
			return err
		}
		if err := affected(res, notFound(op, "org %q not found", o.ID)); err != nil {
			return err
		}
		var evs []leadcall.Event
		return s.appendEvent(ctx, tx, &evs, o.ID, leadcall.EventSettingsUpdated, time.Time{}, 0, o.Settings)
	})
}

// requireOrg returns CodeNotFound when the org does not exist.
func requireOrg(ctx context.Context, q querier, op, orgID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM orgs WHERE id = $1`, orgID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(op, "org %q not found", orgID)
	}
	return err
}

// CreateRep stores a new rep; CodeConflict when the ID exists in the org, CodeNotFound when
// the org does not exist. A zero CreatedAt is set to the store's clock (in r too).
func (s *Store) CreateRep(ctx context.Context, r *leadcall.Rep) error {
	const op = "sqlite: create rep"
	if err := sqlshared.ValidateRep(op, r); err != nil {
		return err
	}
	created := s.orNow(r.CreatedAt)
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		if err := requireOrg(ctx, tx, op, r.OrgID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO reps (org_id, id, name, email, crm_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (org_id, id) DO NOTHING`,
			r.OrgID, r.ID, r.Name, r.Email, r.CRMUserID, created.UnixMilli())
		if err != nil {
			return err
		}
		return affected(res, conflict(op, "rep %q already exists", r.ID))
	})
	if err != nil {
		return err
	}
	r.CreatedAt = sqlshared.TruncMS(created)
	return nil
}

const repColumns = `org_id, id, name, email, crm_user_id, created_at`

func scanRep(sc interface{ Scan(...any) error }) (leadcall.Rep, error) {
	var (
		r       leadcall.Rep
		created int64
	)
	err := sc.Scan(&r.OrgID, &r.ID, &r.Name, &r.Email, &r.CRMUserID, &created)
	r.CreatedAt = time.UnixMilli(created).UTC()
	return r, err
}

// Rep returns a rep.
func (s *Store) Rep(ctx context.Context, orgID, repID string) (*leadcall.Rep, error) {
	const op = "sqlite: rep"
	r, err := scanRep(s.r.QueryRowContext(ctx,
		`SELECT `+repColumns+` FROM reps WHERE org_id = $1 AND id = $2`, orgID, repID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "rep %q not found", repID)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return &r, nil
}

// Reps returns the org's reps ordered by name, then ID. An unknown org is CodeNotFound.
func (s *Store) Reps(ctx context.Context, orgID string) ([]leadcall.Rep, error) {
	const op = "sqlite: reps"
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	out, err := collect(ctx, s.r, scanRep,
		`SELECT `+repColumns+` FROM reps WHERE org_id = $1 ORDER BY name, id`, orgID)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// UpdateRep replaces the rep's name, email and CRM user mapping. Past calls keep the owner
// they were synced with (calls store their own owner).
func (s *Store) UpdateRep(ctx context.Context, r *leadcall.Rep) error {
	const op = "sqlite: update rep"
	if err := sqlshared.ValidateRep(op, r); err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE reps SET name = $1, email = $2, crm_user_id = $3 WHERE org_id = $4 AND id = $5`,
			r.Name, r.Email, r.CRMUserID, r.OrgID, r.ID)
		if err != nil {
			return err
		}
		return affected(res, notFound(op, "rep %q not found", r.ID))
	})
}

// PauseOrg pauses the org's sync until `until`, never shortening an existing pause: when the
// stored pause ends later, it (and its reason) stays. It appends a sync.paused event whose
// Data ({until, reason}) is the pause in force afterwards, and returns it.
func (s *Store) PauseOrg(ctx context.Context, orgID string, until time.Time, reason string) ([]leadcall.Event, error) {
	const op = "sqlite: pause org"
	if until.IsZero() {
		return nil, invalid(op, "until", "required")
	}
	var evs []leadcall.Event
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		if err := requireOrg(ctx, tx, op, orgID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO org_pauses (org_id, paused_until, reason) VALUES ($1, $2, $3)
			 ON CONFLICT (org_id) DO UPDATE SET paused_until = excluded.paused_until, reason = excluded.reason
			 WHERE excluded.paused_until > org_pauses.paused_until`,
			orgID, until.UnixMilli(), reason)
		if err != nil {
			return err
		}
		var p sqlshared.PauseData
		var ms int64
		if err := tx.QueryRowContext(ctx,
			`SELECT paused_until, reason FROM org_pauses WHERE org_id = $1`, orgID).Scan(&ms, &p.Reason); err != nil {
			return err
		}
		p.Until = time.UnixMilli(ms).UTC()
		return s.appendEvent(ctx, tx, &evs, orgID, leadcall.EventSyncPaused, time.Time{}, 0, p)
	})
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// ResumeOrg ends the org's pause and appends a sync.resumed event when there was one.
func (s *Store) ResumeOrg(ctx context.Context, orgID, reason string) ([]leadcall.Event, error) {
	const op = "sqlite: resume org"
	var evs []leadcall.Event
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		evs = nil
		if err := requireOrg(ctx, tx, op, orgID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM org_pauses WHERE org_id = $1 AND paused_until > $2`, orgID, s.now().UnixMilli())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return s.appendEvent(ctx, tx, &evs, orgID, leadcall.EventSyncResumed, time.Time{}, 0, sqlshared.ResumeData{Reason: reason})
	})
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// OrgPause returns until when the org's sync is paused and why; the zero time and "" when it
// is not paused, including when the last pause has ended by the store's clock.
func (s *Store) OrgPause(ctx context.Context, orgID string) (time.Time, string, error) {
	const op = "sqlite: org pause"
	var (
		ms     sql.NullInt64
		reason sql.NullString
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT p.paused_until, p.reason FROM orgs o LEFT JOIN org_pauses p ON p.org_id = o.id WHERE o.id = $1`,
		orgID).Scan(&ms, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, "", notFound(op, "org %q not found", orgID)
	}
	if err != nil {
		return time.Time{}, "", wrap(op, err)
	}
	until := fromMillis(ms)
	if until.IsZero() || !until.After(s.now()) {
		return time.Time{}, "", nil
	}
	return until, reason.String, nil
}
