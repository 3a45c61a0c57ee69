package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadcall/leadcall"
)

// OAuth limits (zoho-api.md §1.3, §1.4, §14 pitfall 2).
const (
	// maxTokenMints is how many access tokens one refresh token may mint per tokenMintWindow.
	// Zoho blocks minting for the rest of the window past that, so the adapter never asks.
	maxTokenMints   = 10
	tokenMintWindow = 10 * time.Minute
	// tokenBlockPause is how long the adapter leaves the accounts server alone after it
	// answered "Access Denied" (too many requests). The block is reported to last 15–30
	// minutes and attempts during it extend it, so the pause errs long.
	tokenBlockPause = 30 * time.Minute
	// defaultTokenLifetime applies when a token response has no usable expires_in (§14
	// pitfall 13); Zoho's tokens last an hour.
	defaultTokenLifetime = time.Hour
	// maxTokenEarlyRefresh is how long before expiry a token is refreshed (§14 pitfall 2).
	maxTokenEarlyRefresh = 5 * time.Minute
	// tokenRequestTimeout bounds one call to the accounts server.
	tokenRequestTimeout = 30 * time.Second
	// maxTokenResponseBytes caps a token response; real ones are a few hundred bytes.
	maxTokenResponseBytes = 64 << 10
)

// Token is an access token with the API domain it belongs to. Its String, GoString and
// LogValue never show the token itself.
type Token struct {
	AccessToken string
	// APIDomain is the API base the token works on, from the token response's api_domain,
	// e.g. https://www.zohoapis.eu.
	APIDomain string
	// Expiry is when Zoho stops accepting the token.
	Expiry time.Time
}

// String describes the token without revealing it.
func (t Token) String() string {
	return fmt.Sprintf("zoho.Token{AccessToken:%s APIDomain:%q Expiry:%s}",
		redacted(t.AccessToken), t.APIDomain, t.Expiry.Format(time.RFC3339))
}

// GoString is String.
func (t Token) GoString() string { return t.String() }

// LogValue keeps the token out of structured logs.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Scopes returns the OAuth scopes the adapter needs, for the authorization URL (AuthCodeURL):
//
//   - ZohoCRM.modules.leads.READ, .CREATE: look up and create Leads;
//   - ZohoCRM.modules.contacts.READ: look up Contacts;
//   - ZohoCRM.modules.calls.READ, .CREATE and ZohoCRM.modules.tasks.READ, .CREATE, .UPDATE:
//     create Calls and Tasks, find them by sync key, complete Tasks;
//   - ZohoCRM.coql.READ: lookups by phone and by sync key (COQL reads without index lag);
//   - ZohoSearch.securesearch.READ: the search half of phone lookups, which finds numbers
//     typed with spaces or dashes, and the sync-key fallback;
//   - ZohoCRM.users.READ: Users, for owner mapping;
//   - ZohoCRM.settings.fields.READ: Fields and SyncKeyStatus;
//   - ZohoCRM.settings.fields.CREATE: EnsureSyncKey (optional: without it, create the
//     LC_Sync_Key fields by hand);
//   - ZohoCRM.composite_requests.CUSTOM: one request for a lookup or a Lead+Call+Task.
//
// A request outside the granted scopes fails with OAUTH_SCOPE_MISMATCH, which the adapter
// reports as CodeReconnectRequired; bundles fall back to plain requests first, and a phone
// lookup goes on with the half Zoho allows (see FindByPhone).
func Scopes() []string {
	return []string{
		"ZohoCRM.modules.leads.READ", "ZohoCRM.modules.leads.CREATE",
		"ZohoCRM.modules.contacts.READ",
		"ZohoCRM.modules.calls.READ", "ZohoCRM.modules.calls.CREATE",
		"ZohoCRM.modules.tasks.READ", "ZohoCRM.modules.tasks.CREATE", "ZohoCRM.modules.tasks.UPDATE",
		"ZohoCRM.coql.READ",
		"ZohoSearch.securesearch.READ",
		"ZohoCRM.users.READ",
		"ZohoCRM.settings.fields.READ", "ZohoCRM.settings.fields.CREATE",
		"ZohoCRM.composite_requests.CUSTOM",
	}
}

// AuthCodeParams are the inputs of AuthCodeURL.
type AuthCodeParams struct {
	// AccountsURL is where the user signs in. Default: the US accounts server, which sends
	// users of every data centre on (Zoho's multi-DC flow; the redirect names the right one).
	AccountsURL string
	ClientID    string
	RedirectURI string
	// State is an unguessable value the redirect handler checks (CSRF protection).
	State string
	// Scopes default to Scopes().
	Scopes []string
}

// AuthCodeURL returns the URL that starts the first connection: the user signs in, consents,
// and Zoho redirects to RedirectURI with code, location and accounts-server. It asks for
// offline access and consent, without which Zoho issues no refresh token (§14 pitfall 12).
func AuthCodeURL(p AuthCodeParams) (string, error) {
	base := DataCenterUS.AccountsURL()
	if p.AccountsURL != "" {
		var err error
		if base, err = checkBaseURL(p.AccountsURL); err != nil {
			return "", fmt.Errorf("zoho: auth URL: AccountsURL: %w", err)
		}
	}
	switch {
	case p.ClientID == "":
		return "", errors.New("zoho: auth URL: ClientID is required")
	case p.RedirectURI == "":
		return "", errors.New("zoho: auth URL: RedirectURI is required")
	case p.State == "":
		return "", errors.New("zoho: auth URL: State is required")
	}
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = Scopes()
	}
	q := url.Values{
		"scope":         {strings.Join(scopes, ",")},
		"client_id":     {p.ClientID},
		"response_type": {"code"},
		"access_type":   {"offline"},
		"prompt":        {"consent"},
		"redirect_uri":  {p.RedirectURI},
		"state":         {p.State},
	}
	return base + "/oauth/v2/auth?" + q.Encode(), nil
}

// ExchangeParams are the inputs of ExchangeCode.
type ExchangeParams struct {
	// HTTPClient sends the request. Default: a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// AccountsServer is the accounts-server parameter of the authorization redirect. It comes
	// from the browser, so it must be one of Zoho's accounts servers (or equal AllowedAccountsURL);
	// the client secret is never sent anywhere else.
	AccountsServer string
	// AllowedAccountsURL additionally allows one accounts server that is not Zoho's own, e.g. a
	// fake server in tests or a sandbox. Default: none.
	AllowedAccountsURL string
	ClientID           string
	ClientSecret       string
	// RedirectURI must equal the one in the authorization URL.
	RedirectURI string
	// Code is the grant code of the redirect. It lives about a minute and works once.
	Code string
}

// Grant is the result of ExchangeCode: what a connection stores. Its String hides the tokens.
type Grant struct {
	RefreshToken string
	// AccountsURL is the accounts server to use for refreshes (Config.AccountsURL).
	AccountsURL string
	Token       Token
	// Scopes are the granted scopes when Zoho reports them; otherwise nil.
	Scopes []string
}

// String describes the grant without its tokens.
func (g Grant) String() string {
	return fmt.Sprintf("zoho.Grant{RefreshToken:%s AccountsURL:%q Token:%s Scopes:%q}",
		redacted(g.RefreshToken), g.AccountsURL, g.Token, g.Scopes)
}

// GoString is String.
func (g Grant) GoString() string { return g.String() }

// LogValue keeps the tokens out of structured logs.
func (g Grant) LogValue() slog.Value { return slog.StringValue(g.String()) }

// ExchangeCode trades the grant code of the authorization redirect for a refresh token, at the
// accounts server the redirect named (zoho-api.md §1.1–1.2). Errors: CodeInvalid for a missing
// parameter or an accounts server that is not Zoho's, CodeReconnectRequired when Zoho refuses
// the code (expired, reused) or returns no refresh token, CodeUnauthorized for a bad client,
// CodeRateLimited when Zoho blocks token requests, CodeUnavailable for transport failures.
func ExchangeCode(ctx context.Context, p ExchangeParams) (*Grant, error) {
	const op = "zoho: exchange code"
	accounts, err := checkBaseURL(p.AccountsServer)
	if err != nil {
		return nil, invalid(op, "AccountsServer", "%v", err)
	}
	if !knownAccountsServer(accounts) {
		allowed, aerr := checkBaseURL(p.AllowedAccountsURL)
		if p.AllowedAccountsURL == "" || aerr != nil || allowed != accounts {
			return nil, invalid(op, "AccountsServer", "%q is not a Zoho accounts server", accounts)
		}
	}
	switch {
	case p.ClientID == "":
		return nil, invalid(op, "ClientID", "required")
	case p.ClientSecret == "":
		return nil, invalid(op, "ClientSecret", "required")
	case p.RedirectURI == "":
		return nil, invalid(op, "RedirectURI", "required")
	case p.Code == "":
		return nil, invalid(op, "Code", "required")
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	hc = noRedirects(hc)
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {p.ClientID},
		"client_secret": {p.ClientSecret},
		"redirect_uri":  {p.RedirectURI},
		"code":          {p.Code},
	}
	now := time.Now()
	tr, err := postToken(ctx, hc, accounts, form)
	if err != nil {
		return nil, tokenError(op, err)
	}
	if tr.RefreshToken == "" {
		return nil, leadcall.Errorf(leadcall.CodeReconnectRequired, op,
			"Zoho returned no refresh token: the authorization URL needs access_type=offline and prompt=consent")
	}
	domain, err := apiDomainFor(tr.APIDomain, accounts)
	if err != nil {
		return nil, unavailable(op, err)
	}
	g := &Grant{
		RefreshToken: tr.RefreshToken,
		AccountsURL:  accounts,
		Token:        Token{AccessToken: tr.AccessToken, APIDomain: domain, Expiry: now.Add(tr.Lifetime)},
	}
	if tr.Scope != "" {
		g.Scopes = strings.FieldsFunc(tr.Scope, func(r rune) bool { return r == ',' || r == ' ' })
	}
	return g, nil
}

func knownAccountsServer(u string) bool {
	for _, dc := range dataCenters {
		if dc.accounts == u {
			return true
		}
	}
	return false
}

// apiDomainFor validates the api_domain of a token response; when it is missing, it falls
// back to the API domain of the data centre whose accounts server answered.
func apiDomainFor(apiDomain, accounts string) (string, error) {
	if apiDomain == "" {
		for _, dc := range dataCenters {
			if dc.accounts == accounts {
				return dc.api, nil
			}
		}
		return "", fmt.Errorf("%w: token response has no api_domain", ErrMalformedResponse)
	}
	d, err := checkBaseURL(apiDomain)
	if err != nil {
		return "", fmt.Errorf("%w: token response api_domain: %v", ErrMalformedResponse, err)
	}
	return d, nil
}

// tokenResponse is a decoded token endpoint answer (zoho-api.md §1.2, §1.4).
type tokenResponse struct {
	AccessToken  string
	RefreshToken string
	APIDomain    string
	Scope        string
	Lifetime     time.Duration
}

// decodeTokenResponse interprets a token endpoint response. Zoho reports most errors with HTTP
// 200 and an "error" field, so success is the presence of access_token, never the status. It
// returns an *OAuthError for Zoho's refusals and an error wrapping ErrMalformedResponse for a
// body it cannot read.
func decodeTokenResponse(status int, body []byte) (*tokenResponse, error) {
	var raw struct {
		AccessToken      string          `json:"access_token"`
		RefreshToken     string          `json:"refresh_token"`
		APIDomain        string          `json:"api_domain"`
		Scope            string          `json:"scope"`
		ExpiresIn        json.RawMessage `json:"expires_in"`
		ExpiresInSec     json.RawMessage `json:"expires_in_sec"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: token endpoint answered HTTP %d with %s", ErrMalformedResponse, status, describeBody(body))
	}
	if raw.Error != "" || raw.AccessToken == "" {
		if raw.Error == "" && status/100 == 2 {
			return nil, fmt.Errorf("%w: token response has neither access_token nor error", ErrMalformedResponse)
		}
		return nil, &OAuthError{HTTPStatus: status, Code: raw.Error, Description: raw.ErrorDescription}
	}
	return &tokenResponse{
		AccessToken:  raw.AccessToken,
		RefreshToken: raw.RefreshToken,
		APIDomain:    raw.APIDomain,
		Scope:        raw.Scope,
		Lifetime:     tokenLifetime(raw.ExpiresIn, raw.ExpiresInSec),
	}, nil
}

// tokenLifetime reads expires_in, in seconds today; old responses carried expires_in_sec and
// then expires_in was in milliseconds (§1.2). Anything unusable gives the default hour.
func tokenLifetime(expiresIn, expiresInSec json.RawMessage) time.Duration {
	if secs, ok := jsonSeconds(expiresInSec); ok {
		return time.Duration(secs) * time.Second
	}
	secs, ok := jsonSeconds(expiresIn)
	if !ok {
		return defaultTokenLifetime
	}
	if secs > 7*24*3600 {
		// A week or more is not a Zoho token lifetime: an old milliseconds value.
		secs /= 1000
	}
	if secs <= 0 {
		return defaultTokenLifetime
	}
	return time.Duration(secs) * time.Second
}

// jsonSeconds reads a positive whole number given as a JSON number or a numeric string.
func jsonSeconds(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 1e12 {
		return 0, false
	}
	return int64(f), true
}

// describeBody names a body in an error without quoting it at length (it may be an HTML page).
func describeBody(body []byte) string {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return "an empty body"
	case bytes.HasPrefix(b, []byte("<")):
		return fmt.Sprintf("an HTML or XML page (%d bytes)", len(body))
	default:
		return fmt.Sprintf("%d bytes that are not the expected JSON", len(body))
	}
}

// postToken sends one form-encoded request to {accounts}/oauth/v2/token, as Zoho's SDKs do.
// The form (with the secrets) never appears in an error.
func postToken(ctx context.Context, hc *http.Client, accounts string, form url.Values) (*tokenResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, accounts+"/oauth/v2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("zoho accounts: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("zoho accounts: POST /oauth/v2/token: %w", stripURL(err))
	}
	defer resp.Body.Close()
	body, err := readCapped(resp.Body, maxTokenResponseBytes)
	if err != nil {
		return nil, fmt.Errorf("zoho accounts: read response: %w", err)
	}
	return decodeTokenResponse(resp.StatusCode, body)
}

// tokenError classifies a failure to obtain a token.
func tokenError(op string, err error) *leadcall.Error {
	var oe *OAuthError
	if !errors.As(err, &oe) {
		return unavailable(op, err)
	}
	switch {
	case isAccessDenied(oe):
		return rateLimited(op, tokenBlockPause, err)
	case oe.Code == "invalid_code":
		// The refresh token (or grant code) is revoked, expired or used: connect again.
		return leadcall.NewError(leadcall.CodeReconnectRequired, op, err)
	case oe.HTTPStatus >= 500:
		return unavailable(op, err)
	default:
		// invalid_client, invalid_client_secret and the rest: the app's credentials or data
		// centre are wrong; an operator must fix the configuration.
		return leadcall.NewError(leadcall.CodeUnauthorized, op, err)
	}
}

// isAccessDenied recognises the token-rate block: HTTP 400 {"error":"Access Denied",
// "error_description":"You have made too many requests continuously..."}. The text may be
// localized, so a 400 or 429 whose error is not one of the OAuth codes counts too.
func isAccessDenied(oe *OAuthError) bool {
	if strings.EqualFold(oe.Code, "Access Denied") || strings.Contains(strings.ToLower(oe.Description), "too many requests") {
		return true
	}
	if oe.HTTPStatus == http.StatusTooManyRequests {
		return true
	}
	return oe.HTTPStatus == http.StatusBadRequest && !strings.HasPrefix(oe.Code, "invalid_")
}

// tokenSource hands out the connection's access token: one cached token, refreshed ahead of
// expiry by one request at a time (single flight), never more than Zoho's mint limit.
type tokenSource struct {
	hc           *http.Client
	accounts     string
	clientID     string
	clientSecret string
	refreshToken string
	now          func() time.Time
	log          *slog.Logger
	saved        func(Token)

	requests atomic.Int64 // requests sent to the accounts server

	mu           sync.Mutex
	tok          Token
	refreshAt    time.Time // refresh once now passes this, ahead of tok.Expiry
	flight       *tokenFlight
	mints        []time.Time // token requests within the last tokenMintWindow
	blockedUntil time.Time
}

type tokenFlight struct {
	done chan struct{}
	tok  Token
	err  error
}

func newTokenSource(cfg *Config) *tokenSource {
	ts := &tokenSource{
		hc:           cfg.HTTPClient,
		accounts:     cfg.AccountsURL,
		clientID:     cfg.ClientID,
		clientSecret: cfg.ClientSecret,
		refreshToken: cfg.RefreshToken,
		now:          cfg.Now,
		log:          cfg.Logger,
		saved:        cfg.TokenSavedFunc,
	}
	if t := cfg.InitialToken; t != nil && t.AccessToken != "" {
		ts.set(*t, t.Expiry.Sub(cfg.Now()))
	}
	return ts
}

// set stores tok, valid for lifetime from now. Caller holds ts.mu or owns ts.
func (ts *tokenSource) set(tok Token, lifetime time.Duration) {
	ts.tok = tok
	early := max(0, min(maxTokenEarlyRefresh, lifetime/4))
	ts.refreshAt = tok.Expiry.Add(-early)
}

// token returns a valid access token, refreshing it when needed. Concurrent callers share one
// refresh; a caller whose ctx ends stops waiting, and the refresh carries on for the others.
func (ts *tokenSource) token(ctx context.Context) (Token, error) {
	const op = "zoho: access token"
	ts.mu.Lock()
	now := ts.now()
	if ts.tok.AccessToken != "" && now.Before(ts.refreshAt) {
		t := ts.tok
		ts.mu.Unlock()
		return t, nil
	}
	f := ts.flight
	if f == nil {
		if err := ts.admitLocked(now); err != nil {
			ts.mu.Unlock()
			return Token{}, err
		}
		f = &tokenFlight{done: make(chan struct{})}
		ts.flight = f
		go ts.refresh(context.WithoutCancel(ctx), f)
	}
	ts.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return Token{}, fmt.Errorf("%s: %w", op, ctx.Err())
	}
}

// admitLocked refuses a token request that would pass Zoho's mint limit or fall in a block,
// with CodeRateLimited and when to come back. Caller holds ts.mu.
func (ts *tokenSource) admitLocked(now time.Time) error {
	const op = "zoho: access token"
	if now.Before(ts.blockedUntil) {
		return &leadcall.Error{Code: leadcall.CodeRateLimited, Op: op, RetryAfter: ts.blockedUntil.Sub(now),
			Message: "Zoho blocked token requests (too many requests); waiting before asking again"}
	}
	kept := ts.mints[:0]
	for _, t := range ts.mints {
		if now.Sub(t) < tokenMintWindow {
			kept = append(kept, t)
		}
	}
	ts.mints = kept
	if len(ts.mints) >= maxTokenMints {
		return &leadcall.Error{Code: leadcall.CodeRateLimited, Op: op, RetryAfter: ts.mints[0].Add(tokenMintWindow).Sub(now),
			Message: fmt.Sprintf("%d access tokens requested in %s, Zoho's limit", maxTokenMints, tokenMintWindow)}
	}
	ts.mints = append(ts.mints, now)
	return nil
}

// refresh runs one refresh_token grant and completes f.
func (ts *tokenSource) refresh(ctx context.Context, f *tokenFlight) {
	const op = "zoho: refresh access token"
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {ts.clientID},
		"client_secret": {ts.clientSecret},
		"refresh_token": {ts.refreshToken},
	}
	ts.requests.Add(1)
	start := ts.now()
	tr, err := postToken(ctx, ts.hc, ts.accounts, form)
	var tok Token
	if err == nil {
		var domain string
		if domain, err = apiDomainFor(tr.APIDomain, ts.accounts); err == nil {
			tok = Token{AccessToken: tr.AccessToken, APIDomain: domain, Expiry: start.Add(tr.Lifetime)}
		}
	}
	ts.mu.Lock()
	if err == nil {
		ts.set(tok, tr.Lifetime)
		f.tok = tok
	} else {
		le := tokenError(op, err)
		if le.Code == leadcall.CodeRateLimited {
			ts.blockedUntil = start.Add(le.RetryAfter)
		}
		f.err = le
	}
	ts.flight = nil
	ts.mu.Unlock()
	close(f.done)
	if err != nil {
		ts.log.Warn("zoho: token refresh failed", "err", f.err)
		return
	}
	ts.log.Debug("zoho: access token refreshed", "api_domain", tok.APIDomain, "expires", tok.Expiry)
	if ts.saved != nil {
		ts.saved(tok)
	}
}

// invalidate drops used when it is still the cached token, so the next token call refreshes.
// Requests that failed with the same stale token therefore share one refresh.
func (ts *tokenSource) invalidate(used Token) {
	ts.mu.Lock()
	if ts.tok.AccessToken == used.AccessToken {
		ts.tok = Token{}
	}
	ts.mu.Unlock()
}

// readCapped reads at most limit bytes of r and fails with ErrResponseTooLarge beyond that.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", stripURL(err))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrResponseTooLarge, limit)
	}
	return body, nil
}

// stripURL removes the URL that net/http puts in its errors: CRM URLs carry phone numbers in
// their queries. The cause (timeouts, resets, context errors) stays in the chain.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
