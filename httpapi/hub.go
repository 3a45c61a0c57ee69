package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadcall/leadcall"
)

// DefaultStreamBuffer is how many events a stream client may have queued by default.
const DefaultStreamBuffer = 256

// HubConfig configures a Hub. Every zero field takes the default named in its comment.
type HubConfig struct {
	// Buffer is how many events each stream client may have queued; a client that falls
	// further behind is evicted (it reconnects with ?after=ID and reads the rest from the
	// store). Default DefaultStreamBuffer.
	Buffer int
	// Logger receives evictions and unpublishable events. Default: discard.
	Logger *slog.Logger
	// Follow, when set, makes the hub deliver what the event log holds rather than the events
	// Notify is handed: every Notify call and every notification from Follow.Listen (events
	// committed by other replicas sharing the store) only wakes the org's reader, which reads
	// the log from the last event it delivered and fans out each event once, in ID order.
	// Set it to a Store that several replicas share (store/postgres); NewHub then listens
	// until Close. Default nil: Notify fans out the events it is handed, as one process
	// needs.
	Follow EventLog
	// Resync is how often a following hub re-reads the log of the orgs it has clients for,
	// so that a lost notification delays an event by at most this long. Default
	// DefaultHubResync; ignored without Follow.
	Resync time.Duration
}

// errHubClosed is returned by subscribe once Close has begun.
var errHubClosed = errors.New("httpapi: stream hub closed")

// Hub fans committed events out to the org's live-stream clients. It implements
// leadcall.Notifier (set it as the Engine's Config.Notifier) and is safe for concurrent use.
//
// Notify never blocks: it encodes the event once and offers it to each subscriber of the
// event's org without waiting; a subscriber whose buffer is full is evicted and its
// connection closed with StatusPolicyViolation. Nothing is lost for good: the event log is
// the durable record and a client resumes from it with ?after=ID.
type Hub struct {
	buffer int
	log    *slog.Logger

	clients   prometheus.Gauge
	evictions prometheus.Counter

	mu      sync.Mutex
	closed  bool
	orgs    map[string]map[*subscription]struct{}
	running sync.WaitGroup // one per stream handler, so Close can wait for them

	follow *follower // nil unless HubConfig.Follow is set
}

// NewHub returns a Hub for cfg, or an error if a field is out of range.
func NewHub(cfg HubConfig) (*Hub, error) {
	if cfg.Buffer < 0 {
		return nil, &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: hub config", Field: "Buffer", Message: "must not be negative"}
	}
	if cfg.Resync < 0 {
		return nil, &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: hub config", Field: "Resync", Message: "must not be negative"}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		buffer: cmp.Or(cfg.Buffer, DefaultStreamBuffer),
		log:    log,
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leadcall_stream_clients", Help: "Live-stream (GET /v1/stream) clients connected.",
		}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leadcall_stream_evictions_total", Help: "Live-stream clients evicted for falling behind.",
		}),
		orgs: make(map[string]map[*subscription]struct{}),
	}
	if cfg.Follow != nil {
		h.startFollowing(cfg.Follow, cmp.Or(cfg.Resync, DefaultHubResync))
	}
	return h, nil
}

// streamEvent is the JSON text message of one event on the stream. The org is implied by the
// credential, so it is not repeated.
type streamEvent struct {
	ID     int64              `json:"id"`
	Type   leadcall.EventType `json:"type"`
	At     time.Time          `json:"at"`
	CallID int64              `json:"call_id,omitempty"`
	Data   json.RawMessage    `json:"data,omitempty"`
}

func encodeEvent(ev leadcall.Event) ([]byte, error) {
	b, err := json.Marshal(streamEvent{ID: ev.ID, Type: ev.Type, At: ev.At, CallID: ev.CallID, Data: ev.Data})
	if err != nil {
		return nil, fmt.Errorf("httpapi: encode event %d: %w", ev.ID, err)
	}
	return b, nil
}

// streamMessage is an encoded event queued for one subscriber.
type streamMessage struct {
	id      int64
	payload []byte
}

// subscription is one stream client's queue. The hub ends it (evicted or shutting down) by
// closing done after setting reason; the stream handler owns everything else.
type subscription struct {
	orgID  string
	events chan streamMessage
	done   chan struct{}
	reason websocket.StatusCode // read only after done is closed
	once   sync.Once
}

func (s *subscription) end(reason websocket.StatusCode) {
	s.once.Do(func() {
		s.reason = reason
		close(s.done)
	})
}

// Notify offers ev to every subscriber of ev.OrgID without blocking. It fails only when the
// event cannot be encoded (Data that is not JSON); a closed hub drops events.
//
// A hub with HubConfig.Follow only takes ev as a wake-up: its org's reader delivers the event
// from the log, in order with the other replicas' events.
func (h *Hub) Notify(_ context.Context, ev leadcall.Event) error {
	if h.follow != nil {
		h.signal(ev.OrgID, ev.ID)
		return nil
	}
	payload, err := encodeEvent(ev)
	if err != nil {
		return err
	}
	msg := streamMessage{id: ev.ID, payload: payload}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.offerLocked(ev.OrgID, msg)
	return nil
}

// offerLocked queues msg for every subscriber of orgID without blocking, evicting those whose
// buffer is full. Caller holds h.mu.
func (h *Hub) offerLocked(orgID string, msg streamMessage) {
	for sub := range h.orgs[orgID] {
		select {
		case sub.events <- msg:
		default:
			h.removeLocked(sub)
			sub.end(websocket.StatusPolicyViolation)
			h.evictions.Inc()
			h.log.Warn("httpapi: stream client evicted: buffer full", "org_id", orgID, "event_id", msg.id, "buffer", h.buffer)
		}
	}
}

// Subscribers reports how many stream clients of orgID are connected.
func (h *Hub) Subscribers(orgID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.orgs[orgID])
}

// Close ends every subscription with StatusGoingAway, refuses new ones, and waits for the
// stream handlers to close their connections (each close is bounded by the stream's write
// timeout and the WebSocket close handshake). Call it before http.Server.Shutdown, which does
// not wait for hijacked connections. Close is idempotent and always returns nil.
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	if h.follow != nil {
		h.follow.cancel()
	}
	for _, subs := range h.orgs {
		for sub := range subs {
			h.removeLocked(sub)
			sub.end(websocket.StatusGoingAway)
		}
	}
	h.mu.Unlock()
	h.running.Wait()
	if h.follow != nil {
		h.follow.workers.Wait()
	}
	return nil
}

// subscribe registers a subscriber of orgID; the caller must call unsubscribe when done.
// A following hub that has no subscriber of the org yet first asks the log for the org's last
// event ID (where its reader starts), which is why it needs ctx.
func (h *Hub) subscribe(ctx context.Context, orgID string) (*subscription, error) {
	var head int64
	headKnown := false
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.follow != nil && !h.closed && h.follow.orgs[orgID] == nil {
		if headKnown {
			h.follow.orgs[orgID] = &orgReader{delivered: head}
			break
		}
		h.mu.Unlock()
		var err error
		head, err = h.follow.log.LastEventID(ctx, orgID)
		h.mu.Lock()
		if err != nil {
			return nil, fmt.Errorf("httpapi: stream hub: %w", err)
		}
		headKnown = true
	}
	if h.closed {
		return nil, errHubClosed
	}
	sub := &subscription{orgID: orgID, events: make(chan streamMessage, h.buffer), done: make(chan struct{})}
	subs := h.orgs[orgID]
	if subs == nil {
		subs = make(map[*subscription]struct{})
		h.orgs[orgID] = subs
	}
	subs[sub] = struct{}{}
	h.clients.Inc()
	// Added under mu before closed is set, so Close's Wait never races an Add.
	h.running.Add(1)
	return sub, nil
}

// unsubscribe removes sub if the hub has not already, and marks its handler finished.
func (h *Hub) unsubscribe(sub *subscription) {
	h.mu.Lock()
	h.removeLocked(sub)
	h.mu.Unlock()
	h.running.Done()
}

func (h *Hub) removeLocked(sub *subscription) {
	subs := h.orgs[sub.orgID]
	if _, ok := subs[sub]; !ok {
		return
	}
	delete(subs, sub)
	if len(subs) == 0 {
		delete(h.orgs, sub.orgID)
		if h.follow != nil {
			delete(h.follow.orgs, sub.orgID) // its reader, if running, sees that and stops
		}
	}
	h.clients.Dec()
}

// collectors are the hub's metrics, registered by Server.WithStream.
func (h *Hub) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.clients, h.evictions}
}
