// Package zohoconnect connects a Zoho CRM org through OAuth's authorization-code flow, so an
// admin clicks "Connect Zoho" instead of pasting a refresh token.
//
// Two HTTP handlers make the flow; the embedder mounts them behind its own authentication:
//
//   - Start (an admin route): makes a random single-use state bound to the admin's org and
//     user (kept server-side, in memory, for Config.StateTTL) and answers with Zoho's consent
//     URL: JSON {"url": "..."} to a POST, a 303 redirect to a GET.
//   - Callback (a public route: the browser arrives from Zoho without credentials): checks the
//     state, exchanges the code at the accounts server Zoho named (only Zoho's own accounts
//     servers, or Config.AccountsURL), hands the grant to the TokenSink, and redirects the
//     browser to Config.ReturnURL with zoho=connected or zoho_error=<reason> in the query.
//
// Reasons (the zoho_error values): access_denied (the user rejected the consent screen),
// consent_failed (another error from Zoho), invalid_state (missing, unknown or already used),
// expired_state, invalid_request (no code, or parameters too large), accounts_server (the
// redirect named a host that is not a Zoho accounts server), exchange_failed (Zoho refused the
// code or could not be reached), store_failed (the TokenSink failed). Codes, states, tokens and
// secrets never appear in logs, errors or redirects.
//
// States live in one process: with several replicas, route a user's Start and Callback to the
// same one, or connect from a single replica.
//
// The package imports only the standard library, leadcall and crm/zoho.
package zohoconnect

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/leadcall/leadcall/crm/zoho"
)

// Defaults of Config.
const (
	DefaultReturnURL  = "/#/settings" // the dashboard's settings screen (httpapi/ui)
	DefaultStateTTL   = 10 * time.Minute
	DefaultMaxPending = 1000
)

// maxCallbackQuery caps the callback's query string; Zoho's is a few hundred bytes.
const maxCallbackQuery = 4 << 10

// Reasons of a failed connection, sent as zoho_error=<reason> to Config.ReturnURL.
const (
	ReasonAccessDenied   = "access_denied"
	ReasonConsentFailed  = "consent_failed"
	ReasonInvalidState   = "invalid_state"
	ReasonExpiredState   = "expired_state"
	ReasonInvalidRequest = "invalid_request"
	ReasonAccountsServer = "accounts_server"
	ReasonExchangeFailed = "exchange_failed"
	ReasonStoreFailed    = "store_failed"
)

// Query parameters the Callback adds to Config.ReturnURL.
const (
	ResultParam = "zoho"       // "connected" on success
	ErrorParam  = "zoho_error" // one of the Reason constants
)

// ErrTooManyPending is returned by URL when Config.MaxPending connections are under way.
var ErrTooManyPending = errors.New("zohoconnect: too many connections under way")

// Subject is who started a connection: the org to connect and the admin who asked.
type Subject struct {
	OrgID  string
	UserID string
}

// TokenSink receives the grant of a completed connection.
type TokenSink interface {
	// Connected stores g for sub.OrgID (its RefreshToken and AccountsURL make a zoho.Config)
	// and switches the org to it. It must not log the tokens. On error the grant is dropped and
	// the user sees store_failed.
	Connected(ctx context.Context, sub Subject, g *zoho.Grant) error
}

// TokenSinkFunc adapts a function to TokenSink.
type TokenSinkFunc func(ctx context.Context, sub Subject, g *zoho.Grant) error

// Connected calls f.
func (f TokenSinkFunc) Connected(ctx context.Context, sub Subject, g *zoho.Grant) error {
	return f(ctx, sub, g)
}

// Config configures a Flow. ClientID, ClientSecret, RedirectURL, Subject and Sink are
// required; every other field has a documented default.
type Config struct {
	// ClientID and ClientSecret are the Zoho API console's server-based client.
	ClientID     string
	ClientSecret string
	// RedirectURL is the absolute URL of the Callback route, exactly as registered with the
	// client in Zoho's API console.
	RedirectURL string
	// AccountsURL is where the consent screen is: a data centre's accounts server. Default:
	// the US one, which sends users of every data centre on (multi-DC). A URL that is not one
	// of Zoho's accounts servers (a fake server in tests) is also the only other host a code
	// may be exchanged at.
	AccountsURL string
	// Scopes default to zoho.Scopes().
	Scopes []string
	// Subject names the org and user of an authenticated Start request.
	Subject func(*http.Request) (Subject, error)
	// Sink receives the grant.
	Sink TokenSink
	// ReturnURL is where Callback sends the browser, with the result in its query. Default
	// DefaultReturnURL. It should be a path on the embedder's own site.
	ReturnURL string
	// StateTTL is how long a started connection may take. Default DefaultStateTTL.
	StateTTL time.Duration
	// MaxPending caps connections under way (unexpired states). Default DefaultMaxPending.
	MaxPending int
	// HTTPClient sends the code exchange. Default: zoho.ExchangeCode's.
	HTTPClient *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives one line per connection attempt. Default: discard.
	Logger *slog.Logger
}

// Flow is the connect flow. It is safe for concurrent use.
type Flow struct {
	cfg      Config
	accounts string // canonical Config.AccountsURL
	extra    string // accounts URL allowed besides Zoho's own; "" when accounts is Zoho's
	retURL   *url.URL

	mu      sync.Mutex
	pending map[[sha256.Size]byte]pending // by hash of the state
}

type pending struct {
	sub     Subject
	expires time.Time
}

// New validates cfg and returns a Flow.
func New(cfg Config) (*Flow, error) {
	cfg.ReturnURL = cmp.Or(cfg.ReturnURL, DefaultReturnURL)
	cfg.StateTTL = cmp.Or(cfg.StateTTL, DefaultStateTTL)
	cfg.MaxPending = cmp.Or(cfg.MaxPending, DefaultMaxPending)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Flow{cfg: cfg, pending: map[[sha256.Size]byte]pending{}}
	var errs []error
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("ClientID is required"))
	}
	if cfg.ClientSecret == "" {
		errs = append(errs, errors.New("ClientSecret is required"))
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("RedirectURL %q must be an absolute http(s) URL", cfg.RedirectURL))
	}
	f.accounts = zoho.DataCenterUS.AccountsURL()
	if cfg.AccountsURL != "" {
		a, err := zoho.CanonicalBaseURL(cfg.AccountsURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("AccountsURL: %w", err))
		}
		f.accounts = a
		if _, known := zoho.AccountsDataCenter(a); !known {
			f.extra = a
		}
	}
	if cfg.Subject == nil {
		errs = append(errs, errors.New("Subject is required"))
	}
	if cfg.Sink == nil {
		errs = append(errs, errors.New("Sink is required"))
	}
	ret, err := url.Parse(cfg.ReturnURL)
	if err != nil {
		errs = append(errs, fmt.Errorf("ReturnURL: %w", err))
	}
	f.retURL = ret
	if cfg.StateTTL < 0 {
		errs = append(errs, errors.New("StateTTL must not be negative"))
	}
	if cfg.MaxPending < 0 {
		errs = append(errs, errors.New("MaxPending must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("zohoconnect: config: %w", err)
	}
	return f, nil
}

// URL starts a connection for sub and returns the consent URL to send the browser to. The
// state in it works once, until StateTTL passes.
func (f *Flow) URL(sub Subject) (string, error) {
	if sub.OrgID == "" {
		return "", errors.New("zohoconnect: start: subject has no org")
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+)
	state := base64.RawURLEncoding.EncodeToString(raw[:])
	now := f.cfg.Now()
	f.mu.Lock()
	for k, p := range f.pending {
		if !now.Before(p.expires) {
			delete(f.pending, k)
		}
	}
	if len(f.pending) >= f.cfg.MaxPending {
		f.mu.Unlock()
		return "", ErrTooManyPending
	}
	f.pending[sha256.Sum256([]byte(state))] = pending{sub: sub, expires: now.Add(f.cfg.StateTTL)}
	f.mu.Unlock()
	return zoho.AuthCodeURL(zoho.AuthCodeParams{AccountsURL: f.accounts, ClientID: f.cfg.ClientID,
		RedirectURI: f.cfg.RedirectURL, State: state, Scopes: f.cfg.Scopes})
}

// Pending returns how many connections are under way (unexpired, unused states).
func (f *Flow) Pending() int {
	now := f.cfg.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.pending {
		if now.Before(p.expires) {
			n++
		}
	}
	return n
}

// Start is the admin's route: it answers a POST with 200 {"url": consent URL} and any other
// method with a 303 redirect there. Errors are JSON {"error":{"code","message"}}: 401
// unauthenticated when Config.Subject fails, 429 rate_limited when too many connections are
// under way.
func (f *Flow) Start(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	sub, err := f.cfg.Subject(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "unauthenticated", "sign in as an admin to connect Zoho")
		return
	}
	u, err := f.URL(sub)
	switch {
	case errors.Is(err, ErrTooManyPending):
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many Zoho connections are under way; try again in a few minutes")
		return
	case err != nil:
		f.cfg.Logger.Warn("zohoconnect: start failed", "org_id", sub.OrgID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "could not start the Zoho connection")
		return
	}
	f.cfg.Logger.Info("zohoconnect: connection started", "org_id", sub.OrgID, "user_id", sub.UserID)
	if r.Method != http.MethodPost {
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"url": u})
}

// Callback is the redirect target registered with Zoho. It always answers with a 303 redirect
// to Config.ReturnURL carrying the result (see the package doc).
func (f *Flow) Callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL held a grant code
	sub, reason := f.complete(r)
	q := f.retURL.Query()
	if reason == "" {
		q.Set(ResultParam, "connected")
	} else {
		q.Set(ErrorParam, reason)
	}
	back := *f.retURL
	back.RawQuery = q.Encode()
	if reason != "" {
		f.cfg.Logger.Warn("zohoconnect: connection failed", "org_id", sub.OrgID, "user_id", sub.UserID, "reason", reason)
	}
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

// complete runs the callback and returns "" or the reason it failed.
func (f *Flow) complete(r *http.Request) (Subject, string) {
	if len(r.URL.RawQuery) > maxCallbackQuery {
		return Subject{}, ReasonInvalidRequest
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return Subject{}, ReasonInvalidRequest
	}
	sub, reason := f.takeState(q.Get("state"))
	if reason != "" {
		return sub, reason
	}
	switch e := q.Get("error"); {
	case e == "access_denied":
		return sub, ReasonAccessDenied
	case e != "":
		return sub, ReasonConsentFailed
	}
	code := q.Get("code")
	if code == "" {
		return sub, ReasonInvalidRequest
	}
	accounts := cmp.Or(q.Get("accounts-server"), f.accounts)
	canon, err := zoho.CanonicalBaseURL(accounts)
	if _, known := zoho.AccountsDataCenter(canon); err != nil || (!known && canon != f.extra) {
		return sub, ReasonAccountsServer
	}
	// The code works once: finish the exchange even if the browser goes away.
	ctx := context.WithoutCancel(r.Context())
	g, err := zoho.ExchangeCode(ctx, zoho.ExchangeParams{HTTPClient: f.cfg.HTTPClient, AccountsServer: canon,
		AllowedAccountsURL: f.extra, ClientID: f.cfg.ClientID, ClientSecret: f.cfg.ClientSecret,
		RedirectURI: f.cfg.RedirectURL, Code: code})
	if err != nil {
		f.cfg.Logger.Warn("zohoconnect: code exchange failed", "org_id", sub.OrgID, "accounts", canon, "err", err)
		return sub, ReasonExchangeFailed
	}
	if err := f.cfg.Sink.Connected(ctx, sub, g); err != nil {
		f.cfg.Logger.Warn("zohoconnect: storing the connection failed", "org_id", sub.OrgID, "err", err)
		return sub, ReasonStoreFailed
	}
	f.cfg.Logger.Info("zohoconnect: connected", "org_id", sub.OrgID, "user_id", sub.UserID, "accounts", g.AccountsURL)
	return sub, ""
}

// takeState consumes state: it works once, whatever the outcome.
func (f *Flow) takeState(state string) (Subject, string) {
	if state == "" {
		return Subject{}, ReasonInvalidState
	}
	key := sha256.Sum256([]byte(state))
	f.mu.Lock()
	p, ok := f.pending[key]
	delete(f.pending, key)
	f.mu.Unlock()
	switch {
	case !ok:
		return Subject{}, ReasonInvalidState
	case !f.cfg.Now().Before(p.expires):
		return p.sub, ReasonExpiredState
	}
	return p.sub, ""
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
