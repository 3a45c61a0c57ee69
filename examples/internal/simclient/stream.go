package simclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// StreamOptions are Stream's optional hooks.
type StreamOptions struct {
	// Ready, when non-nil, is closed once the first connection is open: events published from
	// then on are delivered.
	Ready chan<- struct{}
	// OnResume, when non-nil, is called before each reconnection with the last event ID seen
	// and the reason the previous connection ended (for instance a slow-reader eviction).
	OnResume func(after int64, cause error)
}

// Stream connects to the live stream (GET /v1/stream, the admin token as a bearer header) and
// calls fn for every event, in order, until ctx ends or fn returns an error. It starts with live
// events only; when the server drops the connection (a slow reader is evicted) it reconnects
// with ?after=<last ID> so no event is lost or repeated. Stream returns ctx's error or fn's.
func (c *Client) Stream(ctx context.Context, opts StreamOptions, fn func(leadcall.Event) error) error {
	if c.cfg.AdminToken == "" {
		return ErrNoAdminToken
	}
	wsURL := "ws" + strings.TrimPrefix(strings.TrimSuffix(c.base.String(), "/"), "http") + httpapi.StreamPath
	var (
		last      int64
		connected bool
		cause     error // why the previous connection ended
	)
	for attempt := 1; ; attempt++ {
		u := wsURL
		if connected {
			u += "?after=" + strconv.FormatInt(last, 10)
			if opts.OnResume != nil && attempt == 1 {
				opts.OnResume(last, cause)
			}
		}
		conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{
			HTTPClient: c.cfg.HTTP, HTTPHeader: http.Header{"Authorization": {"Bearer " + c.cfg.AdminToken}},
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if attempt >= c.cfg.MaxAttempts {
				return fmt.Errorf("simclient: live stream: %w", err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(c.backoff(attempt)):
			}
			continue
		}
		conn.SetReadLimit(4 << 20)
		if !connected {
			connected = true
			if opts.Ready != nil {
				close(opts.Ready)
			}
		}
		attempt = 0
		err = readEvents(ctx, conn, &last, fn)
		_ = conn.CloseNow()
		cause = err
		var fnErr *handlerError
		if errors.As(err, &fnErr) {
			return fnErr.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }

func readEvents(ctx context.Context, conn *websocket.Conn, last *int64, fn func(leadcall.Event) error) error {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		var ev leadcall.Event
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("simclient: live stream: bad event: %w", err)
		}
		*last = ev.ID
		if err := fn(ev); err != nil {
			return &handlerError{err: err}
		}
	}
}
