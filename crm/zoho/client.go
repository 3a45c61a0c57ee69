package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// apiVersion is the CRM API version the adapter speaks (zoho-api.md §2: v8 is current).
const apiVersion = "v8"

// compositeUnits is what a composite request counts against Zoho's concurrency (D-COMP7).
const compositeUnits = 5

// CRM is a Zoho CRM connection: one org's CRM, implementing leadcall.CRM and the optional
// FieldDescriber, Bundler, TaskCompleter and SyncKeyChecker. It is safe for concurrent use.
// It never retries a failed request (the Engine does), except once after Zoho rejected the
// access token, which it then refreshes.
type CRM struct {
	cfg     Config
	tokens  *tokenSource
	limiter Limiter
	sem     *semaphore
	credits creditMeter

	requests          atomic.Int64
	noConvertedColumn atomic.Bool // COQL refused the Converted__s column

	keyCache *ttlCache[string]
	phones   *phoneCache

	mu                sync.Mutex
	pausedUntil       time.Time // after a 429: refuse locally until then
	compositeOffUntil time.Time // after Zoho refused the composite API
	coqlOffUntil      time.Time // after Zoho refused COQL for lookups
	searchOffUntil    time.Time // after Zoho refused search for phone lookups
	criteriaOffUntil  time.Time // after Zoho refused criteria on phone fields: ?phone= instead
	fieldsOffUntil    time.Time // after Zoho refused field metadata for the adapter's checks
	syncKeys          map[crm.Module]syncKeyState
	fields            map[crm.Module]fieldsEntry
}

var (
	_ leadcall.CRM            = (*CRM)(nil)
	_ leadcall.FieldDescriber = (*CRM)(nil)
	_ leadcall.Bundler        = (*CRM)(nil)
	_ leadcall.TaskCompleter  = (*CRM)(nil)
	_ leadcall.SyncKeyChecker = (*CRM)(nil)
)

// Cache bounds: enough for the callers a busy org sees in the TTL, bounded against misuse.
const (
	maxKeyCacheEntries   = 10_000
	maxPhoneCacheEntries = 10_000
)

// New returns a connection configured by cfg. It does no I/O: the first request fetches the
// access token (unless cfg.InitialToken is still valid).
func New(cfg Config) (*CRM, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &CRM{
		cfg:      cfg,
		tokens:   newTokenSource(&cfg),
		limiter:  cfg.Limiter,
		sem:      newSemaphore(int64(cfg.Concurrency)),
		keyCache: newTTLCache[string](cfg.SyncKeyCacheTTL, maxKeyCacheEntries),
		phones:   newPhoneCache(cfg.PhoneCacheTTL, maxPhoneCacheEntries),
		syncKeys: make(map[crm.Module]syncKeyState),
		fields:   make(map[crm.Module]fieldsEntry),
	}
	return c, nil
}

// Stats are counters of one connection, for metrics and tests.
type Stats struct {
	// Requests is the number of HTTP requests sent to the CRM API, including the one retry
	// after a token refresh.
	Requests int64
	// TokenRequests is the number of requests sent to the accounts server.
	TokenRequests int64
	// Credits is the API credits this connection spent in the last 24 hours (see Credits).
	Credits int64
}

// Stats returns the connection's counters.
func (c *CRM) Stats() Stats {
	return Stats{
		Requests:      c.requests.Load(),
		TokenRequests: c.tokens.requests.Load(),
		Credits:       c.Credits(),
	}
}

// Credits returns the API credits this connection spent in Zoho's rolling 24-hour window,
// by Zoho's cost table: 1 per call, 1 per 10 records written, 1–3 per COQL query by its LIMIT,
// 1 per composite request (zoho-api.md §9–10). Every request that got a response counts, since
// Zoho does not say which failures are free. Other apps on the org spend from the same budget.
func (c *CRM) Credits() int64 { return c.credits.total(c.cfg.Now()) }

// apiRequest is one call to the CRM API.
type apiRequest struct {
	op      string     // for errors, e.g. "zoho: create lead"
	method  string     // GET, POST, PUT
	path    string     // below /crm/v8, e.g. "/Leads"
	query   url.Values // may be nil
	body    []byte     // JSON; nil = none
	units   int64      // concurrency units; 0 = 1
	credits int        // credit cost; 0 = creditDefault
}

// apiResponse is a response the adapter must interpret: 2xx, or 4xx with a JSON body that is
// not a plain error envelope (per-record errors come that way).
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

var errPaused = errors.New("zoho: paused after Zoho's rate limit")

// do sends r and returns the response for the caller to decode, or a classified error. It
// waits for the rate limiter and an in-flight slot, adds the access token, and when Zoho
// rejects the token it refreshes it and sends r once more; nothing else is retried.
func (c *CRM) do(ctx context.Context, r *apiRequest) (*apiResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, unavailable(r.op, err)
	}
	if d := c.pausedFor(); d > 0 {
		return nil, rateLimited(r.op, d, errPaused)
	}
	units := max(r.units, 1)
	if err := c.sem.acquire(ctx, units); err != nil {
		return nil, unavailable(r.op, err)
	}
	defer c.sem.release(units)
	for refreshed := false; ; refreshed = true {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, unavailable(r.op, fmt.Errorf("rate limiter: %w", errors.Join(err, ctx.Err())))
		}
		tok, err := c.tokens.token(ctx)
		if err != nil {
			var le *leadcall.Error
			if errors.As(err, &le) {
				return nil, err
			}
			return nil, unavailable(r.op, err)
		}
		resp, err := c.send(ctx, tok, r)
		if err != nil {
			return nil, err
		}
		if !refreshed && resp.status == http.StatusUnauthorized && tokenRejected(resp.body) {
			// An expired or revoked token (or a bad one on another DC): 401 means nothing was
			// applied, so one refresh and one resend are safe (zoho-api.md §12).
			c.tokens.invalidate(tok)
			continue
		}
		return c.check(r.op, resp)
	}
}

// send performs one HTTP exchange.
func (c *CRM) send(ctx context.Context, tok Token, r *apiRequest) (*apiResponse, error) {
	u := tok.APIDomain + "/crm/" + apiVersion + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode() // Encode sends '+' as %2B (zoho-api.md §3, K82)
	}
	var body *bytes.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := newRequest(ctx, r.method, u, body)
	if err != nil {
		return nil, leadcall.NewError(leadcall.CodeInternal, r.op, stripURL(err))
	}
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "leadcall-zoho/1")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.requests.Add(1)
	start := c.cfg.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		c.cfg.Logger.Debug("zoho: request failed", "method", r.method, "path", r.path, "err", stripURL(err))
		// A timeout or reset after sending may have been applied (reliability.md §3.5).
		return nil, unavailable(r.op, fmt.Errorf("%s %s: %w", r.method, r.path, stripURL(err)))
	}
	defer resp.Body.Close()
	c.credits.add(start, max(r.credits, creditDefault))
	data, err := readCapped(resp.Body, c.cfg.MaxResponseBytes)
	c.cfg.Logger.Debug("zoho: request", "method", r.method, "path", r.path, "status", resp.StatusCode,
		"bytes", len(data), "took", c.cfg.Now().Sub(start))
	if err != nil {
		return nil, unavailable(r.op, fmt.Errorf("%s %s: HTTP %d: %w", r.method, r.path, resp.StatusCode, err))
	}
	return &apiResponse{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

func newRequest(ctx context.Context, method, u string, body *bytes.Reader) (*http.Request, error) {
	if body == nil {
		return http.NewRequestWithContext(ctx, method, u, nil)
	}
	return http.NewRequestWithContext(ctx, method, u, body)
}

// tokenRejected reports whether a 401 body says the access token is bad (INVALID_TOKEN, or
// AUTHENTICATION_FAILURE, which Zoho sometimes sends instead), or carries no envelope at all.
// OAUTH_SCOPE_MISMATCH is a 401 too, but no refresh fixes it.
func tokenRejected(body []byte) bool {
	env := decodeEnvelope(body)
	if env == nil {
		return true
	}
	return env.Code == "INVALID_TOKEN" || env.Code == "AUTHENTICATION_FAILURE"
}

// envelope is Zoho's error envelope (OAS common.json API_Exception).
type envelope struct {
	Code    string          `json:"code"`
	Details json.RawMessage `json:"details"`
	Message string          `json:"message"`
	Status  string          `json:"status"`
}

// decodeEnvelope returns the top-level error envelope of body, or nil when body is not one
// (a record response, an empty body, HTML).
func decodeEnvelope(body []byte) *envelope {
	var env envelope
	if json.Unmarshal(body, &env) != nil || env.Code == "" || env.Status == "success" {
		return nil
	}
	return &env
}

// apiError builds an *APIError from an envelope and the HTTP status it came with.
func (env *envelope) apiError(status int) *APIError {
	e := &APIError{HTTPStatus: status, Code: env.Code, Message: env.Message}
	var details map[string]any
	dec := json.NewDecoder(bytes.NewReader(env.Details))
	dec.UseNumber()
	if len(env.Details) > 0 && dec.Decode(&details) == nil {
		e.Details = details
	}
	return e
}

// check turns error statuses and envelopes into classified errors and passes the rest on.
func (c *CRM) check(op string, resp *apiResponse) (*apiResponse, error) {
	return c.interpret(op, resp.status, resp.header, resp.body)
}

// interpret is check for a status, headers and body, shared by plain responses and composite
// sub-responses.
func (c *CRM) interpret(op string, status int, header http.Header, body []byte) (*apiResponse, error) {
	resp := &apiResponse{status: status, header: header, body: body}
	env := decodeEnvelope(body)
	if env != nil && (env.Status == "error" || status >= 400) {
		ae := env.apiError(status)
		le := apiErr(op, ae)
		if le.Code == leadcall.CodeRateLimited {
			le.RetryAfter = c.pauseFor(header)
		}
		return nil, le
	}
	switch {
	case status == http.StatusTooManyRequests:
		return nil, rateLimited(op, c.pauseFor(header), &APIError{HTTPStatus: status, Message: describeBody(body)})
	case status >= 400 && !isJSONObject(body):
		// An HTML error page, an empty or garbled body.
		return nil, leadcall.NewError(classifyCode(status, ""), op, &APIError{HTTPStatus: status, Message: describeBody(body)})
	case status < 200 || (status >= 300 && status < 400):
		return nil, unavailable(op, &APIError{HTTPStatus: status, Message: "unexpected status"})
	}
	return resp, nil
}

// pauseFor returns how long a rate-limited caller should wait: Retry-After, or
// Config.RetryAfter when Zoho sends none (it documents none). When Zoho did say when, the
// connection also refuses requests locally until then, so a rate-limited org is not hammered
// (go-github's checkRateLimitBeforeDo); a guessed wait is only reported, because the Engine
// pauses the org on CodeRateLimited anyway and a guess must not block a caller that knows
// better.
func (c *CRM) pauseFor(header http.Header) time.Duration {
	now := c.cfg.Now()
	d := parseRetryAfter(header.Get("Retry-After"), now)
	if d <= 0 {
		return c.cfg.RetryAfter
	}
	c.mu.Lock()
	if until := now.Add(d); until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.mu.Unlock()
	return d
}

func (c *CRM) pausedFor() time.Duration {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pausedUntil.Sub(now)
}

func isJSONObject(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// malformed classifies a response whose body did not decode: for a 2xx it is ambiguous (a
// write may have been applied), for a 4xx it was refused.
func malformed(op string, status int, err error) *leadcall.Error {
	err = fmt.Errorf("%w: HTTP %d: %v", ErrMalformedResponse, status, err)
	if status >= 400 && status < 500 {
		return leadcall.NewError(leadcall.CodeInvalid, op, err)
	}
	return unavailable(op, err)
}

// offUntil reads one of the fallback switches.
func (c *CRM) usable(until *time.Time) bool {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	return !now.Before(*until)
}

// switchOff stops using a feature Zoho refused (composite, COQL, a form of search) for
// DefaultFallbackCooldown.
func (c *CRM) switchOff(until *time.Time, what string, err error) {
	now := c.cfg.Now()
	c.mu.Lock()
	*until = now.Add(DefaultFallbackCooldown)
	c.mu.Unlock()
	c.cfg.Logger.Warn("zoho: Zoho refused a feature; using the fallback", "feature", what, "for", DefaultFallbackCooldown, "err", err)
}

// marshal encodes a request body; our bodies are maps and structs of strings, so an error is a
// bug.
func marshal(op string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, leadcall.NewError(leadcall.CodeInternal, op, err)
	}
	return b, nil
}
