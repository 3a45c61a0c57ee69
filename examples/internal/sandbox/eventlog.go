package sandbox

import (
	"context"
	"fmt"
	"sync"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// LocalEventLog lets the live-stream hub follow the event log of a store that one process owns
// (store/sqlite), so that the stream delivers events in ID order however the Engine's Notify
// calls interleave.
//
// Why it is needed: the Engine hands events to its Notifier after their commit, one call at a
// time but in the order its goroutines reach the Notifier, not in ID order: a sync job that
// committed event 22 can publish before the one that committed event 20. A hub without
// HubConfig.Follow fans events out as it is handed them, and the stream skips an event whose
// ID is not above the last one it sent, so event 20 never reaches a live client. A following
// hub takes Notify as a wake-up and reads the log from the last event it delivered; in a store
// whose event IDs increase in commit order (SQLite has one writer) that read sees every event
// once, in order.
type LocalEventLog struct {
	store leadcall.Store

	mu   sync.Mutex
	head map[string]int64 // per org, the highest event ID a LastEventID has seen
}

var _ httpapi.EventLog = (*LocalEventLog)(nil)

// NewLocalEventLog returns the event log of st for a hub's HubConfig.Follow. st's event IDs
// must increase in commit order, and no other process may write to it.
func NewLocalEventLog(st leadcall.Store) *LocalEventLog {
	return &LocalEventLog{store: st, head: map[string]int64{}}
}

// Events returns the store's events of orgID after afterID.
func (l *LocalEventLog) Events(ctx context.Context, orgID string, afterID int64, limit int) ([]leadcall.Event, error) {
	return l.store.Events(ctx, orgID, afterID, limit)
}

// Listen reports once that any org may have new events, then waits for ctx: no other process
// writes to the store, and the local Engine's Notify calls wake the hub themselves.
func (l *LocalEventLog) Listen(ctx context.Context, fn func(orgID string, eventID int64)) error {
	fn("", 0)
	<-ctx.Done()
	return nil
}

// eventPage is how many events one LastEventID read asks for (store/sqlite caps it at 1000).
const eventPage = 1000

// LastEventID returns the highest event ID of orgID, reading the log forward from the highest
// it saw before (the first call reads the whole log, page by page).
func (l *LocalEventLog) LastEventID(ctx context.Context, orgID string) (int64, error) {
	l.mu.Lock()
	last := l.head[orgID]
	l.mu.Unlock()
	for {
		evs, err := l.store.Events(ctx, orgID, last, eventPage)
		if err != nil {
			return 0, fmt.Errorf("sandbox: last event of %q: %w", orgID, err)
		}
		if len(evs) > 0 {
			last = evs[len(evs)-1].ID
		}
		if len(evs) < eventPage {
			break
		}
	}
	l.mu.Lock()
	l.head[orgID] = max(l.head[orgID], last)
	l.mu.Unlock()
	return last, nil
}
