// Package simclient is the HTTP client that the example programs devicesim and load use to
// drive a leadcall server over its public API: the manager routes that create and pair devices,
// the device protocol (enroll, heartbeat, calls) with retries the way a phone retries, and the
// live stream. It holds no business logic; the server decides everything.
package simclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// ErrNoAdminToken is returned by the manager calls (and the live stream) of a Client made
// without an admin token, as one that only enrolls devices with pairing codes is.
var ErrNoAdminToken = errors.New("simclient: this needs the admin token (LEADCALL_ADMIN_TOKEN)")

// ErrNotLoopback is returned for a server URL whose host is not a loopback address.
var ErrNotLoopback = errors.New("simclient: the server URL is not a loopback address (pass -allow-remote to target it)")

// Defaults for zero Config fields.
const (
	DefaultMaxAttempts = 8
	DefaultBaseBackoff = 50 * time.Millisecond
	DefaultMaxBackoff  = 2 * time.Second
	DefaultTimeout     = 30 * time.Second
	// DefaultMaxResponseBytes bounds how much of an answer is read; a page of 1,000 calls is
	// well below it.
	DefaultMaxResponseBytes = 16 << 20
)

// Config configures a Client. BaseURL is required.
type Config struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080. Its host must be a loopback address
	// unless AllowRemote is set.
	BaseURL     string
	AllowRemote bool
	// AdminToken is the manager API's bearer token. It is never logged or printed. Without it
	// the Client can only enroll devices with pairing codes and drive them.
	AdminToken string
	// HTTP is the client for every request; nil: one with DefaultTimeout.
	HTTP *http.Client
	// MaxAttempts bounds how often one request is sent when the server answers 429, 5xx or
	// not at all. Default DefaultMaxAttempts.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the jittered exponential wait between attempts; a
	// Retry-After from the server is honoured up to MaxBackoff. Defaults DefaultBaseBackoff and
	// DefaultMaxBackoff.
	BaseBackoff, MaxBackoff time.Duration
	// MaxResponseBytes bounds how much of an answer is read; a longer one fails to decode.
	// Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client talks to one leadcall server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := CheckURL(cfg.BaseURL, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	if cfg.MaxAttempts < 0 || cfg.BaseBackoff < 0 || cfg.MaxBackoff < 0 || cfg.MaxResponseBytes < 0 {
		return nil, errors.New("simclient: MaxAttempts, backoffs and MaxResponseBytes must not be negative")
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseBackoff == 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	return &Client{cfg: cfg, base: u}, nil
}

// CheckURL parses a server URL: http or https, a host, no credentials, and a loopback host
// (127.0.0.0/8, ::1 or localhost) unless allowRemote.
func CheckURL(raw string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("simclient: server URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("simclient: server URL %q: want http(s)://host:port without credentials", u.Redacted())
	}
	if allowRemote {
		return u, nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return u, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNotLoopback, host)
}

// StatusError is a non-2xx answer that was not retried, or the last one after the attempts ran
// out.
type StatusError struct {
	Method, Path string
	Status       int
	Code         string // the API's error code, when the body had one
	Message      string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("simclient: %s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// retryable reports whether a device would send the same request again.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// do sends one request with retries and decodes a 2xx body into out (when non-nil). It
// returns the round-trip time of the successful attempt and how many attempts were made.
func (c *Client) do(ctx context.Context, method, path, token string, body, out any) (time.Duration, int, error) {
	if token == "" && !strings.HasPrefix(path, "/v1/device/enroll") {
		if strings.HasPrefix(path, "/v1/device/") {
			return 0, 0, fmt.Errorf("simclient: %s %s: no device token", method, path)
		}
		return 0, 0, fmt.Errorf("%w: %s %s", ErrNoAdminToken, method, path)
	}
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return 0, 0, fmt.Errorf("simclient: encode %s: %w", path, err)
		}
	}
	var last error
	for attempt := 1; ; attempt++ {
		rtt, retryAfter, err := c.once(ctx, method, path, token, data, out)
		if err == nil {
			return rtt, attempt, nil
		}
		last = err
		var se *StatusError
		if errors.As(err, &se) && !retryable(se.Status) {
			return 0, attempt, err
		}
		if ctx.Err() != nil || attempt >= c.cfg.MaxAttempts {
			return 0, attempt, fmt.Errorf("simclient: %s %s: gave up after %d attempts: %w", method, path, attempt, last)
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 {
			wait = min(max(wait, retryAfter), c.cfg.MaxBackoff)
		}
		select {
		case <-ctx.Done():
			return 0, attempt, fmt.Errorf("simclient: %s %s: %w (last: %w)", method, path, ctx.Err(), last)
		case <-time.After(wait):
		}
	}
}

// backoff is full-jitter exponential backoff for the attempt that just failed.
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.cfg.BaseBackoff << min(attempt-1, 20)
	if ceil <= 0 || ceil > c.cfg.MaxBackoff {
		ceil = c.cfg.MaxBackoff
	}
	return time.Duration(rand.Int64N(int64(ceil)) + 1)
}

func (c *Client) once(ctx context.Context, method, path, token string, data []byte, out any) (time.Duration, time.Duration, error) {
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.base.String(), "/")+path, rd)
	if err != nil {
		return 0, 0, fmt.Errorf("simclient: %s %s: %w", method, path, err)
	}
	if data != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("simclient: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes))
	rtt := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("simclient: %s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Method: method, Path: path, Status: resp.StatusCode}
		var e struct {
			Error httpapi.ErrorDetail `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			se.Code, se.Message = e.Error.Code, e.Error.Message
		}
		var retryAfter time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			retryAfter = time.Duration(s) * time.Second
		}
		return 0, retryAfter, se
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return 0, 0, fmt.Errorf("simclient: %s %s: decode answer: %w", method, path, err)
		}
	}
	return rtt, 0, nil
}

// CreateDevice creates a device (POST /v1/devices) and returns its ID and pairing code.
func (c *Client) CreateDevice(ctx context.Context, req httpapi.DeviceRequest) (*httpapi.PairingResponse, error) {
	var out httpapi.PairingResponse
	if _, _, err := c.do(ctx, http.MethodPost, "/v1/devices", c.cfg.AdminToken, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetAssignment gives a device a Lead Source from now on (PUT /v1/devices/{id}/assignment).
func (c *Client) SetAssignment(ctx context.Context, deviceID string, req httpapi.AssignmentRequest) (*httpapi.AssignmentResponse, error) {
	var out httpapi.AssignmentResponse
	if _, _, err := c.do(ctx, http.MethodPut, "/v1/devices/"+url.PathEscape(deviceID)+"/assignment", c.cfg.AdminToken, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Enroll trades a pairing code for a device token (POST /v1/device/enroll), waiting out the
// server's enrollment rate limit.
func (c *Client) Enroll(ctx context.Context, req httpapi.EnrollRequest) (*httpapi.EnrollResponse, error) {
	var out httpapi.EnrollResponse
	if _, _, err := c.do(ctx, http.MethodPost, "/v1/device/enroll", "", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Heartbeat reports a device's state (POST /v1/device/heartbeat).
func (c *Client) Heartbeat(ctx context.Context, token string, req httpapi.HeartbeatRequest) error {
	_, _, err := c.do(ctx, http.MethodPost, "/v1/device/heartbeat", token, req, nil)
	return err
}

// Ack is the server's answer to a batch of calls.
type Ack struct {
	Results []httpapi.CallResult
	// Latency is the round trip of the attempt that was acknowledged.
	Latency time.Duration
	// Attempts is how many times the batch was sent (1 when the first try was acknowledged).
	Attempts int
	// At is when the acknowledgement arrived.
	At time.Time
}

// PostCalls uploads a batch (POST /v1/device/calls), re-sending it after 429, 5xx or a
// network error until it is acknowledged, as a phone does: ingest is idempotent on the call
// IDs, so a batch the server committed but could not acknowledge is answered as duplicates.
func (c *Client) PostCalls(ctx context.Context, token string, calls []leadcall.IncomingCall) (*Ack, error) {
	var out httpapi.CallsResponse
	rtt, attempts, err := c.do(ctx, http.MethodPost, "/v1/device/calls", token, httpapi.CallsRequest{Calls: calls}, &out)
	if err != nil {
		return nil, err
	}
	if len(out.Results) != len(calls) {
		return nil, fmt.Errorf("simclient: POST /v1/device/calls: %d results for %d calls", len(out.Results), len(calls))
	}
	return &Ack{Results: out.Results, Latency: rtt, Attempts: attempts, At: time.Now()}, nil
}

// Calls reads one page of GET /v1/calls with the given query (filters, limit, cursor).
func (c *Client) Calls(ctx context.Context, query url.Values) (*httpapi.Page[httpapi.CallView], error) {
	var out httpapi.Page[httpapi.CallView]
	path := "/v1/calls"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	if _, _, err := c.do(ctx, http.MethodGet, path, c.cfg.AdminToken, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRep creates a sales rep (POST /v1/reps).
func (c *Client) CreateRep(ctx context.Context, req httpapi.RepRequest) (*leadcall.Rep, error) {
	var out leadcall.Rep
	if _, _, err := c.do(ctx, http.MethodPost, "/v1/reps", c.cfg.AdminToken, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetDeviceRep makes repID the rep who carries the device (PATCH /v1/devices/{id}).
func (c *Client) SetDeviceRep(ctx context.Context, deviceID, repID string) error {
	_, _, err := c.do(ctx, http.MethodPatch, "/v1/devices/"+url.PathEscape(deviceID), c.cfg.AdminToken, map[string]string{"rep_id": repID}, nil)
	return err
}

// Devices lists the org's devices (GET /v1/devices).
func (c *Client) Devices(ctx context.Context) ([]httpapi.DeviceView, error) {
	var out []httpapi.DeviceView
	if _, _, err := c.do(ctx, http.MethodGet, "/v1/devices", c.cfg.AdminToken, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
