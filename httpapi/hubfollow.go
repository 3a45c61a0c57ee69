package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/leadcall/leadcall"
)

// DefaultHubResync is how often a following hub re-reads the log of the orgs it has clients
// for (HubConfig.Resync).
const DefaultHubResync = 5 * time.Second

// hubReadPage is how many events an org's reader asks the log for at once.
const hubReadPage = DefaultStreamPageSize

// Backoff between Listen attempts when the notification connection keeps failing.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// EventLog is the event log a hub follows when several replicas share one store: the events
// themselves (leadcall.Store's Events) and the notifications that another replica committed
// some (leadcall.EventSubscriber). store/postgres's Store implements it.
type EventLog interface {
	leadcall.EventSubscriber
	// Events returns up to limit events of the org with ID > afterID, in ID order.
	Events(ctx context.Context, orgID string, afterID int64, limit int) ([]leadcall.Event, error)
}

// follower is the state of a hub that follows an EventLog.
type follower struct {
	log    EventLog
	ctx    context.Context // cancelled by Hub.Close
	cancel context.CancelFunc
	// workers counts the listen and resync loops and the running org readers.
	workers sync.WaitGroup
	// orgs holds a reader for each org with subscribers (guarded by Hub.mu).
	orgs map[string]*orgReader
}

// orgReader delivers one org's events from the log. Fields are guarded by Hub.mu.
//
// The invariant that makes a late subscriber miss nothing: every event with an ID up to
// delivered is committed (it was read from the log, or the log's LastEventID said so), so a
// subscriber's catch-up read, which starts after it subscribed, sees it; every later event
// is fanned out to the subscriber by this reader.
type orgReader struct {
	delivered int64 // highest event ID fanned out (or known committed when the reader began)
	pending   bool  // a wake-up arrived since the reader last began a read
	reading   bool  // a read goroutine is running
}

func (h *Hub) startFollowing(log EventLog, resync time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{log: log, ctx: ctx, cancel: cancel, orgs: make(map[string]*orgReader)}
	h.follow = f
	f.workers.Add(2)
	go h.listen()
	go h.resync(resync)
}

// listen runs the log's Listen until the hub closes, re-listening after failures; after each
// failure it has every org re-read, since notifications may have been lost meanwhile.
func (h *Hub) listen() {
	f := h.follow
	defer f.workers.Done()
	wait := listenRetryMin
	for {
		began := time.Now()
		err := f.log.Listen(f.ctx, h.signal)
		if f.ctx.Err() != nil {
			return
		}
		h.log.Warn("httpapi: stream hub: event notifications interrupted; re-reading the log", "err", err)
		h.signal("", 0)
		if time.Since(began) > listenRetryMax {
			wait = listenRetryMin // it had been listening fine: retry at once
		}
		select {
		case <-f.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// resync wakes every org's reader periodically, so a lost notification costs latency only.
func (h *Hub) resync(every time.Duration) {
	f := h.follow
	defer f.workers.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
			h.signal("", 0)
		}
	}
}

// signal says that events of orgID up to eventID are committed; orgID "" (or eventID 0) says
// that any org (or the org) may have new events. It never blocks on the log.
func (h *Hub) signal(orgID string, eventID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if orgID == "" {
		for org, r := range h.follow.orgs {
			h.wakeLocked(org, r)
		}
		return
	}
	r := h.follow.orgs[orgID]
	if r == nil || (eventID > 0 && eventID <= r.delivered) {
		return // no subscribers, or already delivered (the local Notify and NOTIFY both came)
	}
	h.wakeLocked(orgID, r)
}

func (h *Hub) wakeLocked(orgID string, r *orgReader) {
	r.pending = true
	if r.reading {
		return // the running read loop picks the wake-up up
	}
	r.reading = true
	h.follow.workers.Add(1)
	go h.read(orgID, r)
}

// read delivers the org's events after r.delivered until no wake-up is pending.
func (h *Hub) read(orgID string, r *orgReader) {
	f := h.follow
	defer f.workers.Done()
	for {
		h.mu.Lock()
		if !r.pending || h.closed || f.orgs[orgID] != r {
			r.reading = false
			h.mu.Unlock()
			return
		}
		r.pending = false
		after := r.delivered
		h.mu.Unlock()
		if !h.readFrom(orgID, r, after) {
			h.mu.Lock()
			r.reading = false // the next wake-up (at the latest the resync) tries again
			h.mu.Unlock()
			return
		}
	}
}

// readFrom fans out the org's events after `after`, page by page, until a short page. It
// reports false when the log could not be read or the reader is no longer current.
func (h *Hub) readFrom(orgID string, r *orgReader, after int64) bool {
	f := h.follow
	for {
		evs, err := f.log.Events(f.ctx, orgID, after, hubReadPage)
		if err != nil {
			if f.ctx.Err() == nil {
				h.log.Warn("httpapi: stream hub: reading the event log", "org_id", orgID, "after", after, "err", err)
			}
			return false
		}
		msgs := make([]streamMessage, 0, len(evs))
		for _, ev := range evs {
			payload, err := encodeEvent(ev)
			if err != nil {
				h.log.Error("httpapi: stream hub: event not publishable", "org_id", orgID, "event_id", ev.ID, "err", err)
				payload = nil // skipped below, but still delivered past
			}
			msgs = append(msgs, streamMessage{id: ev.ID, payload: payload})
		}
		h.mu.Lock()
		if h.closed || f.orgs[orgID] != r {
			h.mu.Unlock()
			return false
		}
		for _, m := range msgs {
			if m.id <= r.delivered {
				continue // a read that overlapped this one's range
			}
			if m.payload != nil {
				h.offerLocked(orgID, m)
			}
			r.delivered = m.id
		}
		after = r.delivered
		h.mu.Unlock()
		if len(evs) < hubReadPage {
			return true
		}
	}
}
