package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// Event list limits.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// AppendEvents stores events in one transaction, setting their IDs (and a zero At to the
// store's clock), and returns them. Each event needs an OrgID of an existing org
// (CodeNotFound otherwise), a Type, and Data that is empty or valid JSON (CodeInvalid).
func (s *Store) AppendEvents(ctx context.Context, evs []leadcall.Event) ([]leadcall.Event, error) {
	const op = "sqlite: append events"
	for i := range evs {
		if err := sqlshared.ValidateEvent(op, &evs[i]); err != nil {
			return nil, err
		}
	}
	if len(evs) == 0 {
		return []leadcall.Event{}, nil
	}
	out := slices.Clone(evs)
	for i := range out {
		out[i].At = s.orNow(out[i].At)
	}
	if err := s.prepareBulk(ctx, bulkEvents, len(out)); err != nil {
		return nil, wrap(op, err)
	}
	err := s.write(ctx, op, func(ctx context.Context, tx *wtx) error {
		return s.insertEvents(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	copy(evs, out)
	return out, nil
}

// insertEvent appends ev inside tx and sets its ID; a zero At becomes the store's clock.
func (s *Store) insertEvent(ctx context.Context, tx *wtx, ev *leadcall.Event) error {
	ev.At = s.orNow(ev.At)
	var data any
	if len(ev.Data) > 0 {
		data = string(ev.Data)
	}
	err := tx.QueryRowContext(ctx,
		`INSERT INTO events (org_id, type, at, call_id, data) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		ev.OrgID, string(ev.Type), ev.At.UnixMilli(), nullID(ev.CallID), data,
	).Scan(&ev.ID)
	if err != nil {
		return err
	}
	ev.At = sqlshared.TruncMS(ev.At)
	return nil
}

// newEvent builds an event whose Data is the JSON of v.
func (s *Store) newEvent(orgID string, typ leadcall.EventType, at time.Time, callID int64, v any) (leadcall.Event, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return leadcall.Event{}, err
	}
	return leadcall.Event{OrgID: orgID, Type: typ, At: s.orNow(at), CallID: callID, Data: data}, nil
}

// appendEvent builds and inserts an event in tx, and adds it to *out.
func (s *Store) appendEvent(ctx context.Context, tx *wtx, out *[]leadcall.Event, orgID string,
	typ leadcall.EventType, at time.Time, callID int64, v any) error {
	ev, err := s.newEvent(orgID, typ, at, callID, v)
	if err != nil {
		return err
	}
	if err := s.insertEvent(ctx, tx, &ev); err != nil {
		return err
	}
	*out = append(*out, ev)
	return nil
}

// Events returns up to limit events of the org with ID > afterID, in ID order. limit <= 0
// means 100; it is capped at 1000. An unknown org is CodeNotFound.
func (s *Store) Events(ctx context.Context, orgID string, afterID int64, limit int) ([]leadcall.Event, error) {
	const op = "sqlite: events"
	if limit <= 0 {
		limit = defaultEventLimit
	}
	limit = min(limit, maxEventLimit)
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, org_id, type, at, call_id, data FROM events
		 WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, afterID, limit)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []leadcall.Event{}
	for rows.Next() {
		var (
			ev     leadcall.Event
			typ    string
			at     int64
			callID sql.NullInt64
			data   sql.NullString
		)
		if err := rows.Scan(&ev.ID, &ev.OrgID, &typ, &at, &callID, &data); err != nil {
			return nil, wrap(op, err)
		}
		ev.Type = leadcall.EventType(typ)
		ev.At = time.UnixMilli(at).UTC()
		ev.CallID = callID.Int64
		if data.Valid {
			ev.Data = json.RawMessage(data.String)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
