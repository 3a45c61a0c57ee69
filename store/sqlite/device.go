package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const deviceColumns = `org_id, id, kind, nickname, rep_id, active, model, os, app_version, battery, sims,
	created_at, enrolled_at, last_seen_at, assignments_version, token_hash, pairing_code_hash, pairing_expires_at`

func scanDevice(sc interface{ Scan(...any) error }) (leadcall.Device, error) {
	var (
		d                              leadcall.Device
		kind, sims                     string
		created                        int64
		enrolled, lastSeen, pairingExp sql.NullInt64
		token, pairing                 sql.NullString
	)
	err := sc.Scan(&d.OrgID, &d.ID, &kind, &d.Nickname, &d.RepID, &d.Active, &d.Model, &d.OS, &d.AppVersion,
		&d.Battery, &sims, &created, &enrolled, &lastSeen, &d.AssignmentsVersion, &token, &pairing, &pairingExp)
	if err != nil {
		return d, err
	}
	d.Kind = device.Kind(kind)
	if err := sqlshared.FromJSON(sims, &d.SIMs); err != nil {
		return d, fmt.Errorf("device %q sims: %w", d.ID, err)
	}
	d.CreatedAt = time.UnixMilli(created).UTC()
	d.EnrolledAt = fromMillis(enrolled)
	d.LastSeenAt = fromMillis(lastSeen)
	d.TokenHash = token.String
	d.PairingCodeHash = pairing.String
	d.PairingExpiresAt = fromMillis(pairingExp)
	return d, nil
}

// checkSeat returns CodeSeatLimit when the org has a seat limit and as many active devices as
// it allows, and CodeNotFound when the org does not exist. It runs inside the write
// transaction that activates a device, so two activations cannot both take the last seat.
func checkSeat(ctx context.Context, tx *wtx, op, orgID string) error {
	var limit, active int
	err := tx.QueryRowContext(ctx,
		`SELECT seat_limit, (SELECT COUNT(*) FROM devices WHERE org_id = $1 AND active = TRUE) FROM orgs WHERE id = $1`,
		orgID).Scan(&limit, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(op, "org %q not found", orgID)
	}
	if err != nil {
		return err
	}
	if limit > 0 && active >= limit {
		return leadcall.Errorf(leadcall.CodeSeatLimit, op, "the org's seat limit of %d active devices is reached", limit)
	}
	return nil
}

// CreateDevice stores a new device: CodeConflict when the ID (or a credential hash) exists,
// CodeNotFound when the org does not, CodeSeatLimit when d.Active and the org's seat limit is
// reached (checked in the same transaction). The SIM numbers it carries become own numbers. A
// zero CreatedAt is set to the store's clock (in d too); AssignmentsVersion starts at 0.
func (s *Store) CreateDevice(ctx context.Context, d *leadcall.Device) error {
	const op = "sqlite: create device"
	if err := sqlshared.ValidateDevice(op, d); err != nil {
		return err
	}
	sims, err := sqlshared.ToJSON(d.SIMs)
	if err != nil {
		return invalid(op, "sims", "%v", err)
	}
	created := s.orNow(d.CreatedAt)
	err = s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		if err := requireOrg(ctx, tx, op, d.OrgID); err != nil {
			return err
		}
		if d.Active {
			if err := checkSeat(ctx, tx, op, d.OrgID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO devices (org_id, id, kind, nickname, rep_id, active, model, os, app_version, battery, sims,
				created_at, enrolled_at, last_seen_at, assignments_version, token_hash, pairing_code_hash, pairing_expires_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $16, $17)
			 ON CONFLICT (org_id, id) DO NOTHING`,
			d.OrgID, d.ID, string(d.Kind), d.Nickname, d.RepID, d.Active, d.Model, d.OS, d.AppVersion, d.Battery, sims,
			created.UnixMilli(), millis(d.EnrolledAt), millis(d.LastSeenAt),
			nullString(d.TokenHash), nullString(d.PairingCodeHash), millis(d.PairingExpiresAt))
		if err != nil {
			return err
		}
		if err := affected(res, conflict(op, "device %q already exists", d.ID)); err != nil {
			return err
		}
		return addOwnNumbers(ctx, tx, d.OrgID, simNumbers(d.SIMs)...)
	})
	if err != nil {
		return err
	}
	d.CreatedAt = sqlshared.TruncMS(created)
	d.AssignmentsVersion = 0
	return nil
}

func simNumbers(sims []leadcall.SIM) []string {
	out := make([]string, 0, len(sims))
	for _, s := range sims {
		out = append(out, s.Number)
	}
	return out
}

// addOwnNumbers records numbers (empty ones skipped) as the org's own.
func addOwnNumbers(ctx context.Context, q querier, orgID string, numbers ...string) error {
	for _, n := range numbers {
		if n == "" {
			continue
		}
		if _, err := q.ExecContext(ctx,
			`INSERT INTO own_numbers (org_id, number) VALUES ($1, $2) ON CONFLICT (org_id, number) DO NOTHING`,
			orgID, n); err != nil {
			return err
		}
	}
	return nil
}

// Device returns a device.
func (s *Store) Device(ctx context.Context, orgID, deviceID string) (*leadcall.Device, error) {
	const op = "sqlite: device"
	return s.deviceWhere(ctx, s.r, op, `org_id = $1 AND id = $2`, orgID, deviceID)
}

func (s *Store) deviceWhere(ctx context.Context, q querier, op, where string, args ...any) (*leadcall.Device, error) {
	d, err := scanDevice(q.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "device not found")
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return &d, nil
}

// Devices returns the org's devices ordered by nickname, then ID. An unknown org is
// CodeNotFound.
func (s *Store) Devices(ctx context.Context, orgID string) ([]leadcall.Device, error) {
	const op = "sqlite: devices"
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	out, err := collect(ctx, s.r, scanDevice,
		`SELECT `+deviceColumns+` FROM devices WHERE org_id = $1 ORDER BY nickname, id`, orgID)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// DeviceByTokenHash returns the device whose TokenHash equals hash (any org); CodeNotFound
// when none, and always for an empty hash (a device without a token never matches).
func (s *Store) DeviceByTokenHash(ctx context.Context, hash string) (*leadcall.Device, error) {
	const op = "sqlite: device by token"
	if hash == "" {
		return nil, notFound(op, "device not found")
	}
	return s.deviceWhere(ctx, s.r, op, `token_hash = $1`, hash)
}

// DeviceByPairingCodeHash returns the device whose PairingCodeHash equals hash (any org);
// CodeNotFound when none, and always for an empty hash. Expiry is the caller's to check.
func (s *Store) DeviceByPairingCodeHash(ctx context.Context, hash string) (*leadcall.Device, error) {
	const op = "sqlite: device by pairing code"
	if hash == "" {
		return nil, notFound(op, "device not found")
	}
	return s.deviceWhere(ctx, s.r, op, `pairing_code_hash = $1`, hash)
}

// UpdateDevice replaces the device's kind, nickname, rep, active flag, enrollment time,
// credentials (token and pairing hashes, pairing expiry) and client info (model, OS, app
// version, battery). Last-seen time and SIMs belong to RecordHeartbeat, and CreatedAt and
// AssignmentsVersion to the store; they are not changed.
//
// Reactivating a device checks the seat limit like CreateDevice (CodeSeatLimit). When
// closeAssignmentAt is non-zero the open assignment (if any) is closed at that instant in the
// same transaction (CodeInvalid when that is before its start). A device.updated event (Data:
// the stored Device) is appended. On success *d is the stored device.
func (s *Store) UpdateDevice(ctx context.Context, d *leadcall.Device, closeAssignmentAt time.Time) error {
	const op = "sqlite: update device"
	if err := sqlshared.ValidateDevice(op, d); err != nil {
		return err
	}
	var stored *leadcall.Device
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		var wasActive bool
		err := tx.QueryRowContext(ctx, `SELECT active FROM devices WHERE org_id = $1 AND id = $2`,
			d.OrgID, d.ID).Scan(&wasActive)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "device %q not found", d.ID)
		}
		if err != nil {
			return err
		}
		if d.Active && !wasActive {
			if err := checkSeat(ctx, tx, op, d.OrgID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE devices SET kind = $1, nickname = $2, rep_id = $3, active = $4, model = $5, os = $6,
				app_version = $7, battery = $8, enrolled_at = $9, token_hash = $10, pairing_code_hash = $11,
				pairing_expires_at = $12
			 WHERE org_id = $13 AND id = $14`,
			string(d.Kind), d.Nickname, d.RepID, d.Active, d.Model, d.OS, d.AppVersion, d.Battery,
			millis(d.EnrolledAt), nullString(d.TokenHash), nullString(d.PairingCodeHash), millis(d.PairingExpiresAt),
			d.OrgID, d.ID); err != nil {
			return err
		}
		if !closeAssignmentAt.IsZero() {
			if _, err := closeOpenAssignment(ctx, tx, op, d.OrgID, d.ID, closeAssignmentAt); err != nil {
				return err
			}
		}
		stored, err = s.deviceWhere(ctx, tx, op, `org_id = $1 AND id = $2`, d.OrgID, d.ID)
		if err != nil {
			return err
		}
		var evs []leadcall.Event
		return s.appendEvent(ctx, tx, &evs, d.OrgID, leadcall.EventDeviceUpdated, time.Time{}, 0, stored)
	})
	if err != nil {
		return err
	}
	*d = *stored
	return nil
}

// RecordHeartbeat stores the device's last-seen time (which never moves backwards), app
// version, battery and SIMs; the SIM numbers become own numbers. A zero At is the store's
// clock. CodeNotFound when the device is not in the org.
func (s *Store) RecordHeartbeat(ctx context.Context, hb *leadcall.Heartbeat) error {
	const op = "sqlite: record heartbeat"
	sims, err := sqlshared.ValidateHeartbeat(op, hb)
	if err != nil {
		return err
	}
	at := s.orNow(hb.At).UnixMilli()
	return s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE devices SET
				last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < $1 THEN $1 ELSE last_seen_at END,
				app_version = $2, battery = $3, sims = $4
			 WHERE org_id = $5 AND id = $6`,
			at, hb.AppVersion, hb.Battery, sims, hb.OrgID, hb.DeviceID)
		if err != nil {
			return err
		}
		if err := affected(res, notFound(op, "device %q not found", hb.DeviceID)); err != nil {
			return err
		}
		return addOwnNumbers(ctx, tx, hb.OrgID, simNumbers(hb.SIMs)...)
	})
}

// OwnNumbers returns, sorted, every SIM number (as stored) the org's devices ever reported:
// at registration, in heartbeats and as calls' SIM numbers. CodeNotFound for an unknown org.
func (s *Store) OwnNumbers(ctx context.Context, orgID string) ([]string, error) {
	const op = "sqlite: own numbers"
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT number FROM own_numbers WHERE org_id = $1 ORDER BY number`, orgID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
