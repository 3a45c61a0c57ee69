package postgres

import (
	"context"
	"encoding/json"
	"fmt"
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

// EventChannel is the LISTEN/NOTIFY channel on which the Store announces the events of every
// transaction that appends some, once per org, right after the commit: the payload is the
// JSON {"org_id": ..., "event_id": ...} with the highest event ID it appended for that org.
// See Subscribe.
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

// insertEventsSQL appends events in one statement, so that the org's event lock is held for
// as short a time as possible: from this statement to the commit, whose WAL flush every
// event-appending transaction of the org waits for in turn. It locks the orgs' event_locks
// rows in org order ($1, sorted; so two batches never deadlock), and only then (e is
// correlated with the lock's count, so no ID is drawn before every lock is held) draws one ID
// per event from event_ids in the order of the arrays ($2..$6) and inserts the rows. It
// returns how many orgs it locked (fewer than $7: an org does not exist, and nothing was
// inserted) and the IDs in input order. The notifications are sent after the commit (see
// notifier): a NOTIFY inside the transaction would hold PostgreSQL's database-wide notify
// lock through the commit's flush, so the event-appending commits of every org would take
// turns.
const insertEventsSQL = `
	WITH l AS MATERIALIZED (
		SELECT count(*) AS n
		FROM (SELECT org_id FROM event_locks WHERE org_id = ANY($1::text[]) ORDER BY org_id FOR UPDATE) x
	), e AS MATERIALIZED (
		SELECT u.ord, nextval('event_ids') AS id, u.org_id, u.type, u.at, u.call_id, u.data
		FROM l CROSS JOIN LATERAL (
			SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
				WITH ORDINALITY AS v (org_id, type, at, call_id, data, ord)
			WHERE l.n = $7
		) u
		ORDER BY u.ord
	), ins AS (
		INSERT INTO events (id, org_id, type, at, call_id, data)
		SELECT id, org_id, type, at, call_id, data FROM e
	)
	SELECT (SELECT n FROM l), COALESCE((SELECT array_agg(id ORDER BY ord) FROM e), '{}')`

// insertEvents appends evs (At set) inside tx and sets their IDs; it must be the last thing
// the transaction does before it commits (see insertEventsSQL: it takes the orgs' event
// locks, which are then held until the commit). IDs increase in the order of evs. The
// notifications (one per org, with its last ID) go to the notifier in ctx, which write sends
// after the commit; without one (not inside write) they are queued in tx. CodeNotFound when
// an org does not exist.
func insertEvents(ctx context.Context, tx pgx.Tx, evs []leadcall.Event) error {
	if len(evs) == 0 {
		return nil
	}
	orgs := make([]string, 0, 1)
	var (
		orgCol, typeCol = make([]string, len(evs)), make([]string, len(evs))
		atCol, callCol  = make([]int64, len(evs)), make([]*int64, len(evs))
		dataCol         = make([]*string, len(evs))
	)
	for i := range evs {
		ev := &evs[i]
		orgs = append(orgs, ev.OrgID)
		orgCol[i], typeCol[i], atCol[i], callCol[i] = ev.OrgID, string(ev.Type), ev.At.UnixMilli(), nullID(ev.CallID)
		if len(ev.Data) > 0 {
			d := string(ev.Data)
			dataCol[i] = &d
		}
	}
	slices.Sort(orgs)
	orgs = slices.Compact(orgs)

	var (
		locked int
		ids    []int64
	)
	err := tx.QueryRow(ctx, insertEventsSQL, orgs, orgCol, typeCol, atCol, callCol, dataCol, len(orgs)).Scan(&locked, &ids)
	if err != nil {
		return err
	}
	if locked != len(orgs) {
		found, err := collect(ctx, tx, scanString, `SELECT org_id FROM event_locks WHERE org_id = ANY($1)`, orgs)
		if err != nil {
			return err
		}
		for _, o := range orgs {
			if !slices.Contains(found, o) {
				return notFound("postgres: append events", "org %q not found", o)
			}
		}
		return fmt.Errorf("postgres: append events: locked %d of %d orgs", locked, len(orgs))
	}
	if len(ids) != len(evs) || !slices.IsSorted(ids) {
		return fmt.Errorf("postgres: append events: got IDs %v for %d events", ids, len(evs))
	}
	last := make(map[string]int64, len(orgs))
	for i := range evs {
		evs[i].ID = ids[i]
		last[evs[i].OrgID] = ids[i]
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
	if n, ok := ctx.Value(notifierKey{}).(*notifier); ok {
		n.payloads = append(n.payloads, payloads...)
		return nil
	}
	_, err = tx.Exec(ctx, notifySQL, EventChannel, payloads)
	return err
}

// notifySQL sends the payloads $2 on channel $1.
const notifySQL = `SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`

// notifierKey is the context key of the notifier of the write in progress.
type notifierKey struct{}

// notifier collects the notifications of one write transaction, which write sends once the
// transaction has committed: one statement of its own, which (writing no WAL) commits
// without waiting for a flush and holds the notify lock only for that moment. A replica that
// dies between the commit and that statement sends nothing; listeners re-read the log
// periodically (httpapi's hub does), so that costs latency, not events.
type notifier struct {
	payloads []string
}

// send delivers the collected notifications; a failure is logged, since the transaction has
// committed and the notifications are wake-ups only.
func (n *notifier) send(ctx context.Context, s *Store, op string) {
	if len(n.payloads) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultConnectTimeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, notifySQL, EventChannel, n.payloads); err != nil {
		s.cfg.Logger.Warn("postgres: notifying listeners after a commit", "op", op, "err", err)
	}
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
