package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const assignmentColumns = `org_id, id, device_id, lead_source, metadata, start_at, end_at, created_by`

func scanAssignment(sc interface{ Scan(...any) error }) (leadcall.Assignment, error) {
	var (
		a        leadcall.Assignment
		metadata string
		start    int64
		end      sql.NullInt64
	)
	if err := sc.Scan(&a.OrgID, &a.ID, &a.DeviceID, &a.LeadSource, &metadata, &start, &end, &a.CreatedBy); err != nil {
		return a, err
	}
	if err := sqlshared.FromJSON(metadata, &a.Metadata); err != nil {
		return a, err
	}
	a.Start = time.UnixMilli(start).UTC()
	a.End = fromMillis(end)
	return a, nil
}

// requireDevice returns CodeNotFound when the device is not in the org.
func requireDevice(ctx context.Context, q querier, op, orgID, deviceID string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM devices WHERE org_id = $1 AND id = $2`, orgID, deviceID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(op, "device %q not found", deviceID)
	}
	return err
}

// bumpAssignmentsVersion records a change to the device's timeline.
func bumpAssignmentsVersion(ctx context.Context, tx *wtx, orgID, deviceID string) error {
	_, err := tx.ExecContext(ctx,
		`UPDATE devices SET assignments_version = assignments_version + 1 WHERE org_id = $1 AND id = $2`,
		orgID, deviceID)
	return err
}

// closeOpenAssignment closes the device's open assignment at `at` and bumps the device's
// AssignmentsVersion. It reports whether there was one to close; CodeInvalid when `at` is
// before its start.
func closeOpenAssignment(ctx context.Context, tx *wtx, op, orgID, deviceID string, at time.Time) (bool, error) {
	var id, start int64
	err := tx.QueryRowContext(ctx,
		`SELECT id, start_at FROM assignments WHERE org_id = $1 AND device_id = $2 AND end_at IS NULL`,
		orgID, deviceID).Scan(&id, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	end := at.UnixMilli()
	if end < start {
		return false, invalid(op, "at", "%s is before the open assignment's start %s",
			at.UTC().Format(time.RFC3339Nano), time.UnixMilli(start).UTC().Format(time.RFC3339Nano))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE assignments SET end_at = $1 WHERE id = $2`, end, id); err != nil {
		return false, err
	}
	return true, bumpAssignmentsVersion(ctx, tx, orgID, deviceID)
}

// SetAssignment closes the device's open assignment (if any) at a.Start and opens a, in one
// transaction, sets a.ID and increments the device's AssignmentsVersion. a.Start must not be
// before the open assignment's start, nor (with none open) before the end of the device's
// last closed assignment: history is never rewritten (CodeInvalid). a.End must be zero.
// Times are kept to the millisecond; a.Start is truncated to match.
func (s *Store) SetAssignment(ctx context.Context, a *leadcall.Assignment) error {
	const op = "sqlite: set assignment"
	metadata, err := sqlshared.ValidateAssignment(op, a)
	if err != nil {
		return err
	}
	start := a.Start.UnixMilli()
	var id int64
	err = s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		if err := requireDevice(ctx, tx, op, a.OrgID, a.DeviceID); err != nil {
			return err
		}
		var historyEnd sql.NullInt64
		if err := tx.QueryRowContext(ctx,
			`SELECT MAX(end_at) FROM assignments WHERE org_id = $1 AND device_id = $2 AND end_at IS NOT NULL`,
			a.OrgID, a.DeviceID).Scan(&historyEnd); err != nil {
			return err
		}
		if historyEnd.Valid && start < historyEnd.Int64 {
			return invalid(op, "start", "before the end of the device's recorded assignment history")
		}
		if _, err := closeOpenAssignment(ctx, tx, op, a.OrgID, a.DeviceID, a.Start); err != nil {
			if leadcall.CodeOf(err) == leadcall.CodeInvalid {
				return invalid(op, "start", "before the open assignment's start")
			}
			return err
		}
		if err := tx.QueryRowContext(ctx,
			`INSERT INTO assignments (org_id, device_id, lead_source, metadata, start_at, end_at, created_by)
			 VALUES ($1, $2, $3, $4, $5, NULL, $6) RETURNING id`,
			a.OrgID, a.DeviceID, a.LeadSource, metadata, start, a.CreatedBy).Scan(&id); err != nil {
			return err
		}
		return bumpAssignmentsVersion(ctx, tx, a.OrgID, a.DeviceID)
	})
	if err != nil {
		return err
	}
	a.ID = id
	a.Start = sqlshared.TruncMS(a.Start)
	return nil
}

// CloseAssignment closes the device's open assignment at `at` and increments the device's
// AssignmentsVersion. With no open assignment it does nothing and returns nil. CodeInvalid
// when `at` is zero or before the open one's start; CodeNotFound when the device is not in
// the org.
func (s *Store) CloseAssignment(ctx context.Context, orgID, deviceID string, at time.Time) error {
	const op = "sqlite: close assignment"
	if at.IsZero() {
		return invalid(op, "at", "required")
	}
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		if err := requireDevice(ctx, tx, op, orgID, deviceID); err != nil {
			return err
		}
		_, err := closeOpenAssignment(ctx, tx, op, orgID, deviceID, at)
		return err
	})
}

// Assignments returns the device's assignments ordered by start, then ID (oldest first).
// CodeNotFound when the device is not in the org.
func (s *Store) Assignments(ctx context.Context, orgID, deviceID string) ([]leadcall.Assignment, error) {
	const op = "sqlite: assignments"
	if err := requireDevice(ctx, s.r, op, orgID, deviceID); err != nil {
		return nil, wrap(op, err)
	}
	out, err := collect(ctx, s.r, scanAssignment,
		`SELECT `+assignmentColumns+` FROM assignments WHERE org_id = $1 AND device_id = $2 ORDER BY start_at, id`,
		orgID, deviceID)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Assignment returns one assignment, CodeNotFound when it is not in the org.
func (s *Store) Assignment(ctx context.Context, orgID string, id int64) (*leadcall.Assignment, error) {
	const op = "sqlite: assignment"
	a, err := assignmentByID(ctx, s.r, op, orgID, id)
	if err != nil {
		return nil, wrap(op, err)
	}
	return a, nil
}

func assignmentByID(ctx context.Context, q querier, op, orgID string, id int64) (*leadcall.Assignment, error) {
	a, err := scanAssignment(q.QueryRowContext(ctx,
		`SELECT `+assignmentColumns+` FROM assignments WHERE org_id = $1 AND id = $2`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "assignment %d not found", id)
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CorrectAssignment changes the Lead Source and metadata of a closed assignment, records an
// audit entry (before, after, by, reason, at) and increments the device's AssignmentsVersion,
// all in one transaction. CodeInvalid for an open assignment or a blank reason; CodeNotFound
// when it is not in the org. A zero At is the store's clock.
func (s *Store) CorrectAssignment(ctx context.Context, c *leadcall.AssignmentCorrection) error {
	const op = "sqlite: correct assignment"
	after, metadata, err := sqlshared.ValidateCorrection(op, c)
	if err != nil {
		return err
	}
	at := s.orNow(c.At)
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		a, err := assignmentByID(ctx, tx, op, c.OrgID, c.AssignmentID)
		if err != nil {
			return err
		}
		if a.Open() {
			return invalid(op, "assignment_id", "assignment %d is open: close it or set a new one instead", a.ID)
		}
		before, err := sqlshared.ToJSON(sqlshared.AssignmentPayload{LeadSource: a.LeadSource, Metadata: a.Metadata})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignments SET lead_source = $1, metadata = $2 WHERE id = $3`,
			c.LeadSource, metadata, a.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO assignment_corrections (org_id, assignment_id, before_json, after_json, corrected_by, reason, corrected_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.OrgID, a.ID, before, after, c.By, c.Reason, at.UnixMilli()); err != nil {
			return err
		}
		return bumpAssignmentsVersion(ctx, tx, a.OrgID, a.DeviceID)
	})
}
