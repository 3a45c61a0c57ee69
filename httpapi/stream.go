package httpapi

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/leadcall/leadcall"
)

// Stream protocol constants.
const (
	// StreamPath is where WithStream serves the live stream.
	StreamPath = "/v1/stream"
	// StreamProtocol is the WebSocket subprotocol the stream negotiates when offered.
	StreamProtocol = "leadcall.v1"
	// StreamTokenProtocolPrefix carries the bearer token as a WebSocket subprotocol
	// ("bearer.<token>") for clients that cannot set headers (browsers). It is never echoed.
	StreamTokenProtocolPrefix = "bearer."
)

// Defaults for zero StreamConfig fields.
const (
	DefaultStreamWriteTimeout = 10 * time.Second
	DefaultStreamPingInterval = 30 * time.Second
	DefaultStreamPageSize     = 500
	// MaxStreamPageSize bounds one Store.Events read.
	MaxStreamPageSize = 10_000
)

// StreamConfig configures the live stream. Hub is required; every other zero field takes the
// default named in its comment.
type StreamConfig struct {
	// Hub delivers live events; it must be the Engine's Config.Notifier. Required.
	Hub *Hub
	// OriginPatterns lists the browser origins allowed besides the request's own host
	// (websocket.AcceptOptions.OriginPatterns: host patterns such as "dash.example.com", or
	// "https://*.example.com" with a scheme). Default: same host only.
	OriginPatterns []string
	// WriteTimeout bounds the write of each message and each ping. Default
	// DefaultStreamWriteTimeout.
	WriteTimeout time.Duration
	// PingInterval is how often an idle connection is pinged. Default DefaultStreamPingInterval.
	PingInterval time.Duration
	// PageSize is how many stored events one Store.Events read returns while catching up.
	// Default DefaultStreamPageSize, at most MaxStreamPageSize.
	PageSize int
}

func (c StreamConfig) withDefaults() StreamConfig {
	c.WriteTimeout = cmp.Or(c.WriteTimeout, DefaultStreamWriteTimeout)
	c.PingInterval = cmp.Or(c.PingInterval, DefaultStreamPingInterval)
	c.PageSize = cmp.Or(c.PageSize, DefaultStreamPageSize)
	return c
}

func (c StreamConfig) validate() error {
	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: stream config", Field: field, Message: msg})
	}
	if c.Hub == nil {
		bad("Hub", "required")
	}
	if c.WriteTimeout < 0 || c.PingInterval < 0 {
		bad("StreamConfig", "durations must not be negative")
	}
	if c.PageSize < 0 || c.PageSize > MaxStreamPageSize {
		bad("PageSize", "must be between 1 and "+strconv.Itoa(MaxStreamPageSize))
	}
	for _, p := range c.OriginPatterns {
		if p == "" || p == "*" {
			bad("OriginPatterns", `empty and "*" patterns are refused: name the allowed origins`)
		}
	}
	return errors.Join(errs...)
}

// WithStream returns a handler that serves GET StreamPath, the live stream of the principal's
// org, and passes every other request to s. It registers the hub's metrics
// (leadcall_stream_clients, leadcall_stream_evictions_total) on s's Registry.
//
// The client authenticates like the manager API: "Authorization: Bearer <admin or API token>",
// the session cookie, or, from a browser, by offering the subprotocols StreamProtocol and
// "bearer.<token>" (the token must then consist of HTTP token characters, as generated tokens
// do); a token in the URL is never read. A rep's stream carries only the events of their calls
// and devices (see repFilter in scope.go). A request
// with an Origin header must come from the request's host or match cfg.OriginPatterns
// (403 otherwise).
//
// With ?after=ID the stream first sends every stored event of the org with ID > ID, then live
// events, with no gap and no duplicate between the two; without after it sends only events
// published after it connects. Each event is a JSON text message {id, type, at, call_id,
// data}; a client keeps the last id it saw and reconnects with ?after=<id>. The server closes
// with StatusPolicyViolation when the client falls HubConfig.Buffer events behind and with
// StatusGoingAway on shutdown; messages the client sends close the connection.
func (s *Server) WithStream(cfg StreamConfig) (http.Handler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	for _, c := range cfg.Hub.collectors() {
		if err := s.cfg.Registry.Register(c); err != nil {
			return nil, leadcall.NewError(leadcall.CodeInvalid, "httpapi: register stream metrics", err)
		}
	}
	return &streamHandler{srv: s, cfg: cfg, hub: cfg.Hub}, nil
}

type streamHandler struct {
	srv *Server
	cfg StreamConfig
	hub *Hub
}

func (h *streamHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != StreamPath {
		h.srv.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	const route = "GET " + StreamPath
	if r.Method != http.MethodGet {
		rec.Header().Set("Allow", http.MethodGet)
		writeError(rec, h.srv.log, apiError(http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed on this path"))
	} else {
		h.stream(rec, r)
	}
	// For an upgraded request the duration is the connection's lifetime.
	elapsed := time.Since(start)
	h.srv.metrics.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
	h.srv.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
	h.srv.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", slog.String("method", r.Method),
		slog.String("route", route), slog.Int("status", rec.status), slog.Duration("duration", elapsed))
}

func protocolToken(r *http.Request) (string, bool) {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		if len(v) > 4*maxTokenLen {
			return "", false
		}
		for p := range strings.SplitSeq(v, ",") {
			p = strings.TrimSpace(p)
			if tok, ok := strings.CutPrefix(p, StreamTokenProtocolPrefix); ok && tok != "" && len(tok) <= maxTokenLen {
				return tok, true
			}
		}
	}
	return "", false
}

// parseAfter reads ?after: absent means live events only (ok false).
func parseAfter(r *http.Request) (after int64, ok bool, err error) {
	vals, present := r.URL.Query()["after"]
	if !present {
		return 0, false, nil
	}
	if len(vals) != 1 {
		return 0, false, badRequest("after", "give after once")
	}
	v := vals[0]
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false, badRequest("after", "must be an event ID (a non-negative integer)")
	}
	after, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil {
		return 0, false, badRequest("after", "must be an event ID (a non-negative integer)")
	}
	return after, true, nil
}

func (h *streamHandler) stream(w http.ResponseWriter, r *http.Request) {
	p, err := h.srv.authenticate(r, true)
	if err != nil {
		writeError(w, h.srv.log, err)
		return
	}
	after, catchUp, err := parseAfter(r)
	if err != nil {
		writeError(w, h.srv.log, err)
		return
	}
	orgID := p.OrgID
	// Subscribe before reading the backlog: an event committed meanwhile is then either in the
	// store read or in the queue (or both, and skipped by ID), never in neither.
	sub, err := h.hub.subscribe(r.Context(), orgID)
	if err != nil {
		msg := "the server is shutting down"
		if !errors.Is(err, errHubClosed) {
			h.srv.log.Warn("httpapi: stream subscribe", "org_id", orgID, "err", err)
			msg = "the event log is unavailable: try again"
		}
		writeError(w, h.srv.log, apiError(http.StatusServiceUnavailable, "unavailable", "", msg))
		return
	}
	defer h.hub.unsubscribe(sub)
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{StreamProtocol}, OriginPatterns: h.cfg.OriginPatterns,
	})
	if err != nil {
		return // Accept has answered (403 for a refused Origin, 400 for a bad handshake)
	}
	ctx, readDone := readControl(r.Context(), conn)
	defer func() {
		_ = conn.CloseNow()
		<-readDone
	}()
	c := &streamConn{conn: conn, sub: sub, timeout: h.cfg.WriteTimeout, last: after}
	if p.Role == leadcall.RoleRep {
		c.filter = newRepFilter(h.srv.store, orgID, p.RepID)
	}
	if catchUp {
		if err := h.catchUp(ctx, c, orgID); err != nil {
			h.srv.log.Warn("httpapi: stream catch-up", "org_id", orgID, "err", err)
			return
		}
	}
	h.live(ctx, c)
}

// readControl reads the client's side of conn, which answers pings and close frames; ctx ends
// when the connection does. It stands in for conn.CloseRead, whose goroutine waits 15 s for
// itself when it closes the connection on a data message (coder/websocket v1.8.15; the same
// class of hang as coder/websocket#429, whose workaround this is).
func readControl(parent context.Context, conn *websocket.Conn) (ctx context.Context, done <-chan struct{}) {
	ctx, cancel := context.WithCancel(parent)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer cancel()
		if _, _, err := conn.Reader(ctx); err == nil {
			_ = conn.Close(websocket.StatusPolicyViolation, "the stream takes no messages")
		}
	}()
	return ctx, finished
}

// streamConn is one client's connection and the last event ID sent to it.
type streamConn struct {
	conn    *websocket.Conn
	sub     *subscription
	timeout time.Duration
	last    int64
	filter  *repFilter // nil: every event of the org
}

func (c *streamConn) send(ctx context.Context, id int64, payload []byte) error {
	if c.filter != nil && !c.filter.allow(ctx, payload) {
		c.last = id // skipped, but a resume starts after it
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.conn.Write(wctx, websocket.MessageText, payload); err != nil {
		return err
	}
	c.last = id
	return nil
}

// ended closes the connection with the hub's reason if the hub has ended the subscription.
func (c *streamConn) ended() bool {
	select {
	case <-c.sub.done:
	default:
		return false
	}
	msg := "server shutting down"
	if c.sub.reason == websocket.StatusPolicyViolation {
		msg = "too slow: reconnect with ?after=" + strconv.FormatInt(c.last, 10)
	}
	_ = c.conn.Close(c.sub.reason, msg)
	return true
}

// catchUp sends the stored events after c.last, page by page.
func (h *streamHandler) catchUp(ctx context.Context, c *streamConn, orgID string) error {
	for {
		if c.ended() {
			return nil
		}
		evs, err := h.srv.store.Events(ctx, orgID, c.last, h.cfg.PageSize)
		if err != nil {
			if ctx.Err() == nil {
				_ = c.conn.Close(websocket.StatusTryAgainLater, "event log unavailable: reconnect with ?after="+strconv.FormatInt(c.last, 10))
			}
			return err
		}
		for _, ev := range evs {
			payload, err := encodeEvent(ev)
			if err != nil {
				_ = c.conn.Close(websocket.StatusInternalError, "internal error")
				return err
			}
			if err := c.send(ctx, ev.ID, payload); err != nil {
				return nil // the client went away or stalled past the write timeout
			}
		}
		if len(evs) < h.cfg.PageSize {
			return nil
		}
	}
}

// live sends queued hub events, skipping those the catch-up already sent, and pings.
func (h *streamHandler) live(ctx context.Context, c *streamConn) {
	ping := time.NewTicker(h.cfg.PingInterval)
	defer ping.Stop()
	for {
		if c.ended() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-c.sub.done:
		case m := <-c.sub.events:
			if m.id <= c.last {
				continue
			}
			if err := c.send(ctx, m.id, m.payload); err != nil {
				return
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, h.cfg.WriteTimeout)
			err := c.conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		}
	}
}
