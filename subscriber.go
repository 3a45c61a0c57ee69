package leadcall

import "context"

// EventSubscriber is an optional interface of a Store that several processes share
// (store/postgres implements it; store/sqlite, which one process owns, does not). It tells
// each process when any of them committed events, so that live consumers (the HTTP stream of
// every replica) see the events of every replica, not just the ones their own Engine handed
// to its Notifier.
//
// Notifications are wake-ups, not the data: the consumer reads the events with Store.Events
// from its own cursor. Because event IDs increase in commit order within an org, a
// notification for eventID promises that every event of the org with a lower ID is already
// committed and readable.
type EventSubscriber interface {
	// Listen calls fn(orgID, eventID) after events of orgID up to eventID were committed by any
	// process sharing the store, from one goroutine, until ctx is done (then it returns nil)
	// or it stops listening (then it returns an error: notifications may have been missed, so
	// re-read the log and call Listen again). fn("", 0) means that any org may have new events:
	// Listen calls it once as soon as it listens, and for notifications it cannot attribute to
	// one org. fn must return quickly. Notifications may be lost or arrive late and out of
	// order relative to the Notifier's calls; they are never a reason to skip a read.
	Listen(ctx context.Context, fn func(orgID string, eventID int64)) error
	// LastEventID returns the highest event ID of the org, 0 when it has none. Every event of
	// the org with an ID up to it is committed. CodeNotFound for an unknown org.
	LastEventID(ctx context.Context, orgID string) (int64, error)
}
