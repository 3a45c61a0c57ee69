package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// Event list limits.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// EventChannel is the LISTEN/NOTIFY channel on which every transaction that appends events
// announces them, once per org: the payload is the JSON {"org_id": ..., "event_id": ...} with
// the highest event ID it appended for that org. See Subscribe.
const EventChannel = "leadcall_events"

// events collects the events a write transaction appends. They are inserted by insertEvents
// as the transaction's last step, because that takes the orgs' event locks (see the schema),
// which are then held only until the commit and never while the transaction waits for
// anything else.
type events []leadcall.Event

// AppendEvents stores events in one transaction, setting their IDs (and a zero At to the
// store's clock), and returns them. Each event needs an OrgID of an existing org
// (CodeNotFound otherwise), a Type, and Data that is empty or valid JSON (CodeInvalid). IDs
// increase in the order of evs, across orgs too.
func (s *Store) AppendEvents(ctx context.Context, evs []leadcall.Event) ([]leadcall.Event, error) {
	const op = "postgres: append events"
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
		out[i].At = sqlshared.TruncMS(s.orNow(out[i].At))
	}
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		return insertEvents(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	copy(evs, out)
	return out, nil
}

// addEvent builds an event whose Data is the JSON of v (At: the store's clock when zero,
// truncated) and adds it to *evs.
func (s *Store) addEvent(evs *events, orgID string, typ leadcall.EventType, at time.Time, callID int64, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	*evs = append(*evs, leadcall.Event{OrgID: orgID, Type: typ, At: sqlshared.TruncMS(s.orNow(at)), CallID: callID, Data: data})
	return nil
}

// notifyPayload is the payload of a notification on EventChannel.
type notifyPayload struct {
	OrgID   string `json:"org_id"`
	EventID int64  `json:"event_id"`
}

// maxNotifyOrgID is the longest org ID a notification names. NOTIFY payloads are limited to
// 8000 bytes; a longer ID is sent as "" (the listener then checks every org it follows).
const maxNotifyOrgID = 4000

// insertEvents appends evs (At set) inside tx and sets their IDs; it must be the last thing
// the transaction does before it commits. It locks the event rows of the orgs involved (in
// org order, so two batches never deadlock), takes IDs from the event_ids sequence in the
// order of evs, inserts the rows and queues one notification per org on EventChannel, which
// PostgreSQL delivers at commit. CodeNotFound when an org does not exist.
func insertEvents(ctx context.Context, tx pgx.Tx, evs []leadcall.Event) error {
	if len(evs) == 0 {
		return nil
	}
	orgs := make([]string, 0, 1)
	for _, ev := range evs {
		orgs = append(orgs, ev.OrgID)
	}
	slices.Sort(orgs)
	orgs = slices.Compact(orgs)

	locked, err := collect(ctx, tx, scanString,
		`SELECT org_id FROM event_locks WHERE org_id = ANY($1) ORDER BY org_id FOR UPDATE`, orgs)
	if err != nil {
		return err
	}
	if len(locked) != len(orgs) {
		for _, o := range orgs {
			if !slices.Contains(locked, o) {
				return notFound("postgres: append events", "org %q not found", o)
			}
		}
	}

	ids, err := collect(ctx, tx, scanInt64, `SELECT nextval('event_ids') FROM generate_series(1, $1)`, len(evs))
	if err != nil {
		return err
	}
	slices.SortFunc(ids, cmp.Compare)

	var (
		idCol, callCol  = make([]int64, len(evs)), make([]*int64, len(evs))
		atCol           = make([]int64, len(evs))
		orgCol, typeCol = make([]string, len(evs)), make([]string, len(evs))
		dataCol         = make([]*string, len(evs))
		last            = map[string]int64{}
	)
	for i := range evs {
		ev := &evs[i]
		ev.ID = ids[i]
		idCol[i], orgCol[i], typeCol[i], atCol[i], callCol[i] = ev.ID, ev.OrgID, string(ev.Type), ev.At.UnixMilli(), nullID(ev.CallID)
		if len(ev.Data) > 0 {
			d := string(ev.Data)
			dataCol[i] = &d
		}
		last[ev.OrgID] = ev.ID
	}
	payloads := make([]string, 0, len(orgs))
	for _, o := range orgs {
		p := notifyPayload{OrgID: o, EventID: last[o]}
		if len(o) > maxNotifyOrgID {
			p.OrgID = ""
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		payloads = append(payloads, string(b))
	}
	_, err = tx.Exec(ctx, `
		WITH ins AS (
			INSERT INTO events (id, org_id, type, at, call_id, data)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
		)
		SELECT pg_notify($7, p) FROM unnest($8::text[]) AS p`,
		idCol, orgCol, typeCol, atCol, callCol, dataCol, EventChannel, payloads)
	return err
}

func scanString(r pgx.Row) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}

func scanInt64(r pgx.Row) (int64, error) {
	var v int64
	err := r.Scan(&v)
	return v, err
}

// Events returns up to limit events of the org with ID > afterID, in ID order. limit <= 0
// means 100; it is capped at 1000. An unknown org is CodeNotFound.
func (s *Store) Events(ctx context.Context, orgID string, afterID int64, limit int) ([]leadcall.Event, error) {
	const op = "postgres: events"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = defaultEventLimit
	}
	limit = min(limit, maxEventLimit)
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	out, err := collect(ctx, s.pool, scanEvent,
		`SELECT id, org_id, type, at, call_id, data FROM events
		 WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3`, orgID, afterID, limit)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}

func scanEvent(r pgx.Row) (leadcall.Event, error) {
	var (
		ev     leadcall.Event
		typ    string
		at     int64
		callID *int64
		data   *string
	)
	if err := r.Scan(&ev.ID, &ev.OrgID, &typ, &at, &callID, &data); err != nil {
		return ev, err
	}
	ev.Type = leadcall.EventType(typ)
	ev.At = msTime(at)
	ev.CallID = id(callID)
	if data != nil {
		ev.Data = json.RawMessage(*data)
	}
	return ev, nil
}
