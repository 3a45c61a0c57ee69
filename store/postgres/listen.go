package postgres

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
)

// Notification says that an org's event log grew: events up to EventID were committed.
// It is a wake-up, not the data: read the events with Store.Events from your own cursor.
// Notifications of one transaction arrive together, after its commit: the Store sends them
// in a statement of its own right after the commit (see the package doc), so they usually
// follow commit order but may not, and a process that dies between its commit and that
// statement sends none. Follow them for latency, and re-read the log periodically for
// completeness (httpapi's following hub does both). OrgID is empty for an org ID too long to
// send; then any org may have new events.
type Notification struct {
	OrgID   string
	EventID int64
}

// Subscription receives the Notifications of every Store sharing the database (all
// replicas), over a connection of its own, outside the pool. Next must not be called from
// two goroutines at once, nor concurrently with Close.
type Subscription struct {
	conn      *pgx.Conn
	closeOnce sync.Once
	closeErr  error
}

// Subscribe opens a connection and LISTENs on EventChannel. Notifications for transactions
// that commit after Subscribe returns are delivered; to miss nothing, subscribe first, then
// read the log from your cursor, then follow Next. The caller must Close the subscription.
func (s *Store) Subscribe(ctx context.Context) (*Subscription, error) {
	const op = "postgres: subscribe"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+EventChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, s.wrap(ctx, op, err)
	}
	return &Subscription{conn: conn}, nil
}

// Next waits for the next notification. A payload this package did not write (someone else
// using the channel) is skipped. When ctx is done Next returns its error (CodeUnavailable)
// and the subscription stays usable; any other error means the connection is gone and
// notifications may have been missed: Close the subscription, subscribe again and re-read
// the log from your cursor.
func (sub *Subscription) Next(ctx context.Context) (Notification, error) {
	const op = "postgres: subscription next"
	for {
		n, err := sub.conn.WaitForNotification(ctx)
		if err != nil {
			return Notification{}, wrap(ctx, op, err)
		}
		if n.Channel != EventChannel {
			continue
		}
		if note, ok := parseNotification(n.Payload); ok {
			return note, nil
		}
	}
}

// parseNotification reads a payload written by insertEvents; ok is false for anything else.
func parseNotification(payload string) (n Notification, ok bool) {
	var p notifyPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.EventID <= 0 || len(p.OrgID) > maxNotifyOrgID {
		return Notification{}, false
	}
	return Notification{OrgID: p.OrgID, EventID: p.EventID}, true
}

// Close closes the subscription's connection. Calling it again returns the first result.
func (sub *Subscription) Close() error {
	sub.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), DefaultConnectTimeout)
		defer cancel()
		sub.closeErr = sub.conn.Close(ctx)
	})
	return sub.closeErr
}

// Listen subscribes (see Subscribe) and calls fn for every notification, from this goroutine,
// until ctx is done (then it returns nil) or the connection fails (then it returns an error
// with CodeUnavailable, and notifications may have been missed: re-read the log and call
// Listen again). As soon as it listens it calls fn("", 0), "any org may have new events", so
// a caller re-reads the log from its cursors and misses nothing committed before. fn should
// return quickly. It implements leadcall.EventSubscriber.
func (s *Store) Listen(ctx context.Context, fn func(orgID string, eventID int64)) error {
	sub, err := s.Subscribe(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer sub.Close()
	fn("", 0)
	for {
		n, err := sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return leadcall.NewError(leadcall.CodeUnavailable, "postgres: listen", err)
		}
		fn(n.OrgID, n.EventID)
	}
}

// LastEventID returns the highest event ID of the org (0 when it has none); every event of
// the org up to it is committed (see the schema's event_locks). CodeNotFound for an unknown
// org. It implements leadcall.EventSubscriber.
func (s *Store) LastEventID(ctx context.Context, orgID string) (int64, error) {
	const op = "postgres: last event id"
	if err := s.usable(ctx, op); err != nil {
		return 0, err
	}
	var (
		last   int64
		exists bool
	)
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1),
		COALESCE((SELECT max(id) FROM events WHERE org_id = $1), 0)`, orgID).Scan(&exists, &last)
	if err != nil {
		return 0, s.wrap(ctx, op, err)
	}
	if !exists {
		return 0, notFound(op, "org %q not found", orgID)
	}
	return last, nil
}
