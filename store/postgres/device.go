package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const deviceColumns = `org_id, id, kind, nickname, rep_id, active, model, os, app_version, battery, sims,
	created_at, enrolled_at, last_seen_at, assignments_version, token_hash, pairing_code_hash, pairing_expires_at`

func scanDevice(sc pgx.Row) (leadcall.Device, error) {
	var (
		d                              leadcall.Device
		kind, sims                     string
		created                        int64
		enrolled, lastSeen, pairingExp *int64
		token, pairing                 *string
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
	d.CreatedAt = msTime(created)
	d.EnrolledAt = fromMillis(enrolled)
	d.LastSeenAt = fromMillis(lastSeen)
	d.TokenHash = str(token)
	d.PairingCodeHash = str(pairing)
	d.PairingExpiresAt = fromMillis(pairingExp)
	return d, nil
}

// lockOrg locks the org's row (FOR NO KEY UPDATE, which inserts referencing the org do not
// wait for) and returns its seat limit; pgx.ErrNoRows when the org does not exist. Every
// transaction that may activate a device takes it before it counts, so two of them take turns
// and cannot both take the last seat.
func lockOrg(ctx context.Context, tx pgx.Tx, orgID string) (seatLimit int, err error) {
	err = tx.QueryRow(ctx, `SELECT seat_limit FROM orgs WHERE id = $1 FOR NO KEY UPDATE`, orgID).Scan(&seatLimit)
	return seatLimit, err
}

// checkSeat returns CodeSeatLimit when the org has a seat limit and as many active devices as
// it allows. The caller holds lockOrg.
func checkSeat(ctx context.Context, tx pgx.Tx, op, orgID string, seatLimit int) error {
	if seatLimit == 0 {
		return nil
	}
	var active int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM devices WHERE org_id = $1 AND active`, orgID).Scan(&active); err != nil {
		return err
	}
	if active >= seatLimit {
		return leadcall.Errorf(leadcall.CodeSeatLimit, op, "the org's seat limit of %d active devices is reached", seatLimit)
	}
	return nil
}

// CreateDevice stores a new device: CodeConflict when the ID (or a credential hash) exists,
// CodeNotFound when the org does not, CodeSeatLimit when d.Active and the org's seat limit is
// reached (checked in the same transaction). The SIM numbers it carries become own numbers. A
// zero CreatedAt is set to the store's clock (in d too); AssignmentsVersion starts at 0.
func (s *Store) CreateDevice(ctx context.Context, d *leadcall.Device) error {
	const op = "postgres: create device"
	if err := sqlshared.ValidateDevice(op, d); err != nil {
		return err
	}
	sims, err := sqlshared.ToJSON(d.SIMs)
	if err != nil {
		return invalid(op, "sims", "%v", err)
	}
	created := s.orNow(d.CreatedAt)
	err = s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		limit, err := lockOrg(ctx, tx, d.OrgID)
		if noRows(err) {
			return notFound(op, "org %q not found", d.OrgID)
		}
		if err != nil {
			return err
		}
		if d.Active {
			if err := checkSeat(ctx, tx, op, d.OrgID, limit); err != nil {
				return err
			}
		}
		// A clash on the primary key inserts nothing (no aborted transaction); a clash on a
		// credential hash is a unique violation, also CodeConflict.
		tag, err := tx.Exec(ctx,
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
		if err := affected(tag, conflict(op, "device %q already exists", d.ID)); err != nil {
			return err
		}
		return addOwnNumbers(ctx, tx, d.OrgID, simNumbers(d.SIMs))
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

// addOwnNumbers records numbers (empty ones skipped) as the org's own, in sorted order so
// that concurrent writers lock the rows in the same order.
func addOwnNumbers(ctx context.Context, q querier, orgID string, numbers []string) error {
	ns := make([]string, 0, len(numbers))
	for _, n := range numbers {
		if n != "" {
			ns = append(ns, n)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	slices.Sort(ns)
	ns = slices.Compact(ns)
	_, err := q.Exec(ctx,
		`INSERT INTO own_numbers (org_id, number) SELECT $1, n FROM unnest($2::text[]) AS n
		 ON CONFLICT (org_id, number) DO NOTHING`, orgID, ns)
	return err
}

// Device returns a device.
func (s *Store) Device(ctx context.Context, orgID, deviceID string) (*leadcall.Device, error) {
	const op = "postgres: device"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	d, err := deviceWhere(ctx, s.pool, op, `org_id = $1 AND id = $2`, orgID, deviceID)
	return d, s.wrap(ctx, op, err)
}

func deviceWhere(ctx context.Context, q querier, op, where string, args ...any) (*leadcall.Device, error) {
	d, err := scanDevice(q.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE `+where, args...))
	if noRows(err) {
		return nil, notFound(op, "device not found")
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Devices returns the org's devices ordered by nickname, then ID (byte order). An unknown
// org is CodeNotFound.
func (s *Store) Devices(ctx context.Context, orgID string) ([]leadcall.Device, error) {
	const op = "postgres: devices"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	out, err := collect(ctx, s.pool, scanDevice,
		`SELECT `+deviceColumns+` FROM devices WHERE org_id = $1 ORDER BY nickname, id`, orgID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}

// DeviceByTokenHash returns the device whose TokenHash equals hash (any org); CodeNotFound
// when none, and always for an empty hash (a device without a token never matches).
func (s *Store) DeviceByTokenHash(ctx context.Context, hash string) (*leadcall.Device, error) {
	const op = "postgres: device by token"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if hash == "" {
		return nil, notFound(op, "device not found")
	}
	d, err := deviceWhere(ctx, s.pool, op, `token_hash = $1`, hash)
	return d, s.wrap(ctx, op, err)
}

// DeviceByPairingCodeHash returns the device whose PairingCodeHash equals hash (any org);
// CodeNotFound when none, and always for an empty hash. Expiry is the caller's to check.
func (s *Store) DeviceByPairingCodeHash(ctx context.Context, hash string) (*leadcall.Device, error) {
	const op = "postgres: device by pairing code"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if hash == "" {
		return nil, notFound(op, "device not found")
	}
	d, err := deviceWhere(ctx, s.pool, op, `pairing_code_hash = $1`, hash)
	return d, s.wrap(ctx, op, err)
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
	const op = "postgres: update device"
	if err := sqlshared.ValidateDevice(op, d); err != nil {
		return err
	}
	var stored *leadcall.Device
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		// The org before the device, as CreateDevice does: a reactivation then counts every
		// activation committed before it.
		limit, err := lockOrg(ctx, tx, d.OrgID)
		if noRows(err) {
			return notFound(op, "device %q not found", d.ID)
		}
		if err != nil {
			return err
		}
		var wasActive bool
		err = tx.QueryRow(ctx, `SELECT active FROM devices WHERE org_id = $1 AND id = $2 FOR UPDATE`,
			d.OrgID, d.ID).Scan(&wasActive)
		if noRows(err) {
			return notFound(op, "device %q not found", d.ID)
		}
		if err != nil {
			return err
		}
		if d.Active && !wasActive {
			if err := checkSeat(ctx, tx, op, d.OrgID, limit); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx,
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
		stored, err = deviceWhere(ctx, tx, op, `org_id = $1 AND id = $2`, d.OrgID, d.ID)
		if err != nil {
			return err
		}
		var evs events
		if err := s.addEvent(&evs, d.OrgID, leadcall.EventDeviceUpdated, time.Time{}, 0, stored); err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
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
	const op = "postgres: record heartbeat"
	sims, err := sqlshared.ValidateHeartbeat(op, hb)
	if err != nil {
		return err
	}
	at := s.orNow(hb.At).UnixMilli()
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE devices SET last_seen_at = GREATEST(last_seen_at, $1), app_version = $2, battery = $3, sims = $4
			 WHERE org_id = $5 AND id = $6`,
			at, hb.AppVersion, hb.Battery, sims, hb.OrgID, hb.DeviceID)
		if err != nil {
			return err
		}
		if err := affected(tag, notFound(op, "device %q not found", hb.DeviceID)); err != nil {
			return err
		}
		return addOwnNumbers(ctx, tx, hb.OrgID, simNumbers(hb.SIMs))
	})
}

// OwnNumbers returns, sorted (byte order), every SIM number (as stored) the org's devices
// ever reported: at registration, in heartbeats and as calls' SIM numbers. CodeNotFound for
// an unknown org.
func (s *Store) OwnNumbers(ctx context.Context, orgID string) ([]string, error) {
	const op = "postgres: own numbers"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	out, err := collect(ctx, s.pool, scanString,
		`SELECT number FROM own_numbers WHERE org_id = $1 ORDER BY number`, orgID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}
