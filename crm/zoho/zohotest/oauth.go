package zohotest

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// DefaultScopes returns the scopes of the refresh token [New] creates: everything leadcall uses.
func DefaultScopes() []string {
	return []string{
		"ZohoCRM.modules.ALL",
		"ZohoCRM.settings.fields.READ",
		"ZohoCRM.users.READ",
		"ZohoCRM.coql.READ",
		"ZohoSearch.securesearch.READ",
		"ZohoCRM.composite_requests.CUSTOM",
	}
}

// ErrUnknownClient is returned when a refresh token or grant code names an unregistered client.
var ErrUnknownClient = errors.New("zohotest: unknown OAuth client")

type oauthClient struct{ id, secret string }

type refreshToken struct {
	token    string
	clientID string
	scopes   []string // as granted (display case)
	userID   string
	revoked  bool
	mints    []time.Time // successful mints inside the current window
}

type accessToken struct {
	token   string
	refresh *refreshToken // nil for tokens of an online-only code exchange
	scopes  []string
	userID  string
	expires time.Time
	revoked bool
}

type grantCode struct {
	code, clientID, redirectURI string
	scopes                      []string
	offline                     bool
	expires                     time.Time
	used                        bool
	userID                      string // who consented; "" means the admin user
}

// Credentials are what a client needs to talk to this server.
type Credentials struct {
	AccountsURL  string // token URL is AccountsURL + "/oauth/v2/token"
	APIDomain    string // same host; the token response says so too
	ClientID     string
	ClientSecret string
	RefreshToken string // holds [DefaultScopes]
}

// Credentials returns the default client and refresh token created by [New]. The URLs are
// empty until [Server.Start].
func (s *Server) Credentials() Credentials {
	u := s.URL()
	s.mu.Lock()
	defer s.mu.Unlock()
	return Credentials{AccountsURL: u, APIDomain: u, ClientID: DefaultClientID,
		ClientSecret: s.clients[DefaultClientID].secret, RefreshToken: s.defaultRT}
}

// AddClient registers (or re-keys) an OAuth client.
func (s *Server) AddClient(clientID, clientSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = &oauthClient{id: clientID, secret: clientSecret}
}

// AddRefreshToken issues a refresh token for clientID with the given scopes, owned by the
// admin user. Scope names match case-insensitively, as Zoho's do.
func (s *Server) AddRefreshToken(clientID string, scopes ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[clientID]; !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownClient, clientID)
	}
	return s.newRefreshLocked(clientID, scopes), nil
}

func (s *Server) newRefreshLocked(clientID string, scopes []string) string {
	rt := &refreshToken{token: "1000." + randomHex(16) + "." + randomHex(16), clientID: clientID,
		scopes: slices.Clone(scopes), userID: s.adminID}
	s.refresh[rt.token] = rt
	return rt.token
}

// AddGrantCode issues an authorization code (valid for [DefaultGrantCodeTTL], usable once)
// as the redirect of the consent screen would. offline mirrors access_type=offline: only
// then does the code exchange return a refresh token.
func (s *Server) AddGrantCode(clientID, redirectURI string, offline bool, scopes ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[clientID]; !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownClient, clientID)
	}
	g := &grantCode{code: "1000." + randomHex(16) + "." + randomHex(16), clientID: clientID,
		redirectURI: redirectURI, scopes: slices.Clone(scopes), offline: offline,
		expires: s.now().Add(DefaultGrantCodeTTL)}
	s.grants[g.code] = g
	return g.code, nil
}

// RevokeRefreshToken revokes a refresh token and every access token minted from it, as
// POST /oauth/v2/token/revoke does. It reports whether the token existed.
func (s *Server) RevokeRefreshToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revokeLocked(token)
}

func (s *Server) revokeLocked(token string) bool {
	rt, ok := s.refresh[token]
	if !ok {
		return false
	}
	rt.revoked = true
	for _, at := range s.access {
		if at.refresh == rt {
			at.revoked = true
		}
	}
	return true
}

// ExpireAccessTokens invalidates every access token now; the next API call with any of them
// gets 401 INVALID_TOKEN. It returns how many live tokens it invalidated.
func (s *Server) ExpireAccessTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expireAllLocked()
}

func (s *Server) expireAllLocked() int {
	n := 0
	for _, at := range s.access {
		if !at.revoked {
			at.revoked = true
			n++
		}
	}
	return n
}

// ExpireAccessToken invalidates one access token and reports whether it was live.
func (s *Server) ExpireAccessToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[token]
	if !ok || at.revoked {
		return false
	}
	at.revoked = true
	return true
}

// TokensMinted returns how many access tokens the token endpoint has issued.
func (s *Server) TokensMinted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minted
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// tokenResponse is the success body of POST /oauth/v2/token (A-REF; zoho-api.md §1.2).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	APIDomain    string `json:"api_domain"`
	TokenType    string `json:"token_type"`
	ExpiresIn    *int   `json:"expires_in,omitempty"`
}

type tokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	Status           string `json:"status,omitempty"`
}

func tokenErr(code string) apiResponse {
	// Zoho answers most token errors with HTTP 200 and only an "error" field (zoho-api.md §1.4).
	return apiResponse{status: http.StatusOK, body: tokenError{Error: code}}
}

func accessDenied() apiResponse {
	// Community-observed body of the 10-per-10-minutes block (zoho-api.md §1.4).
	return apiResponse{status: http.StatusBadRequest, body: tokenError{Error: "Access Denied",
		ErrorDescription: "You have made too many requests continuously. Please try again after some time.",
		Status:           "failure"}}
}

// redactedQuery keeps parameter names but hides secrets, so the request log never holds them.
func redactedQuery(q url.Values) string {
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			switch k {
			case "client_secret", "refresh_token", "code", "token":
				v = "REDACTED"
			}
			out.Add(k, v)
		}
	}
	return out.Encode()
}

// serveToken implements POST /oauth/v2/token. Parameters are read from the query string and
// from a form body (the SDKs send a form body; SCH sends the query string).
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, Endpoint: EndpointToken,
		RawQuery: redactedQuery(r.URL.Query())}
	finish := func(resp apiResponse, delivered bool) {
		rec.Status, rec.Delivered = resp.status, delivered
		s.logRequest(rec)
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		resp := tokenErr("invalid_request")
		if errors.As(err, &mbe) {
			resp = tooLargeResp(s.cfg.MaxBodyBytes)
		}
		writeJSON(w, resp.status, resp.body)
		finish(resp, true)
		return
	}
	fault := s.pickFault(EndpointToken, "")
	rec.Fault = fault.Kind
	if s.preFault(w, r, fault, finish) {
		return
	}
	var resp apiResponse
	if r.Method != http.MethodPost {
		resp = tokenErr("invalid_request") // unconfirmed: Zoho's answer to a GET is undocumented
	} else {
		resp = s.mintToken(r.Form, s.apiDomain(r), fault.Kind == FaultOmitExpiresIn)
	}
	s.postFault(w, r, fault, resp, finish)
}

func (s *Server) mintToken(form url.Values, apiDomain string, omitExpiry bool) apiResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	client, ok := s.clients[form.Get("client_id")]
	if !ok {
		return tokenErr("invalid_client")
	}
	if form.Get("client_secret") != client.secret {
		return tokenErr("invalid_client_secret")
	}
	now := s.now()
	var (
		rt     *refreshToken
		scopes []string
		issue  string // refresh token to return (code exchange with offline access)
		user   = s.adminID
	)
	switch form.Get("grant_type") {
	case "refresh_token":
		rt, ok = s.refresh[form.Get("refresh_token")]
		if !ok || rt.revoked || rt.clientID != client.id {
			return tokenErr("invalid_code")
		}
		if s.cfg.RefreshLimit > 0 {
			rt.mints = slices.DeleteFunc(rt.mints, func(t time.Time) bool { return now.Sub(t) >= s.cfg.RefreshWindow })
			if len(rt.mints) >= s.cfg.RefreshLimit {
				return accessDenied()
			}
			rt.mints = append(rt.mints, now)
		}
		scopes, user = rt.scopes, rt.userID
	case "authorization_code":
		g, ok := s.grants[form.Get("code")]
		if !ok || g.used || now.After(g.expires) || g.clientID != client.id ||
			(g.redirectURI != "" && form.Get("redirect_uri") != g.redirectURI) {
			return tokenErr("invalid_code")
		}
		g.used = true
		scopes = g.scopes
		if g.offline {
			issue = s.newRefreshLocked(client.id, g.scopes)
			rt = s.refresh[issue]
			if g.userID != "" {
				rt.userID = g.userID
			}
		}
		user = cmp.Or(g.userID, user)
	default:
		return tokenErr("unsupported_grant_type") // unconfirmed code
	}
	at := &accessToken{token: "1000." + randomHex(16) + "." + randomHex(16), refresh: rt,
		scopes: scopes, userID: user, expires: now.Add(s.cfg.AccessTokenTTL)}
	s.access[at.token] = at
	s.minted++
	body := tokenResponse{AccessToken: at.token, RefreshToken: issue, Scope: strings.Join(scopes, " "),
		APIDomain: apiDomain, TokenType: "Bearer"}
	if !omitExpiry {
		secs := int(s.cfg.AccessTokenTTL / time.Second)
		body.ExpiresIn = &secs
	}
	return apiResponse{status: http.StatusOK, body: body, applied: true}
}

// serveRevoke implements POST /oauth/v2/token/revoke?token=<refresh token>.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, Endpoint: EndpointRevoke,
		RawQuery: redactedQuery(r.URL.Query())}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	var resp apiResponse
	switch {
	case r.ParseForm() != nil, r.Method != http.MethodPost:
		resp = tokenErr("invalid_request")
	case s.RevokeRefreshToken(r.Form.Get("token")):
		resp = apiResponse{status: http.StatusOK, body: map[string]string{"status": "success"}}
	default:
		resp = tokenErr("invalid_code") // unconfirmed for unknown tokens
	}
	writeJSON(w, resp.status, resp.body)
	rec.Status, rec.Delivered = resp.status, true
	s.logRequest(rec)
}

// authorize checks "Authorization: Zoho-oauthtoken <t>" (zoho-api.md §1.5). It returns a zero
// response on success and stores the token in req.
func (s *Server) authorize(header string, req *apiRequest) apiResponse {
	if header == "" {
		// A missing header: AUTHENTICATION_FAILURE (community, rikas/zoho_hub); unconfirmed.
		return errResp(http.StatusUnauthorized, "AUTHENTICATION_FAILURE", "Authentication failed", nil)
	}
	raw, ok := strings.CutPrefix(header, "Zoho-oauthtoken ")
	invalid := errResp(http.StatusUnauthorized, "INVALID_TOKEN", "invalid oauth token", nil)
	if !ok {
		return invalid // e.g. "Bearer <t>": the CRM docs and SDKs use only Zoho-oauthtoken
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[strings.TrimSpace(raw)]
	if !ok || at.revoked || !s.now().Before(at.expires) {
		return invalid
	}
	req.token = at
	return apiResponse{}
}

// scopeSet is a group of alternatives: holding any one satisfies the group.
type scopeSet []string

func moduleScopes(module, op string) scopeSet {
	m := strings.ToLower(module)
	set := scopeSet{"zohocrm.modules.all", "zohocrm.modules." + m + ".all",
		"zohocrm.modules." + op, "zohocrm.modules." + m + "." + op}
	if op == "create" || op == "update" {
		set = append(set, "zohocrm.modules.write", "zohocrm.modules."+m+".write")
	}
	return set
}

var (
	searchScopes    = scopeSet{"zohosearch.securesearch.read", "zohosearch.securesearch.all"}
	coqlScopes      = scopeSet{"zohocrm.coql.read", "zohocrm.coql.all"}
	usersScopes     = scopeSet{"zohocrm.users.read", "zohocrm.users.all"}
	fieldsScopes    = scopeSet{"zohocrm.settings.fields.read", "zohocrm.settings.fields.all", "zohocrm.settings.all", "zohocrm.settings.read"}
	compositeScopes = scopeSet{"zohocrm.composite_requests.custom"}
)

// requiredScopes lists the groups a route needs (zoho-api.md §14 item 10). COQL's module
// scope is checked by the COQL handler once the query names the module.
func requiredScopes(rt route) []scopeSet {
	switch rt.endpoint {
	case EndpointSearch:
		return []scopeSet{moduleScopes(rt.module, "read"), searchScopes}
	case EndpointGetRecord, EndpointListRecords:
		return []scopeSet{moduleScopes(rt.module, "read")}
	case EndpointInsert:
		return []scopeSet{moduleScopes(rt.module, "create")}
	case EndpointUpdate, EndpointUpdateRecord:
		return []scopeSet{moduleScopes(rt.module, "update")}
	case EndpointUpsert:
		return []scopeSet{moduleScopes(rt.module, "create"), moduleScopes(rt.module, "update")}
	case EndpointCOQL:
		return []scopeSet{coqlScopes}
	case EndpointUsers:
		return []scopeSet{usersScopes}
	case EndpointFields:
		return []scopeSet{fieldsScopes}
	case EndpointComposite:
		return []scopeSet{compositeScopes}
	}
	return nil
}

func scopeMismatch() *apiResponse {
	r := errResp(http.StatusUnauthorized, "OAUTH_SCOPE_MISMATCH", "Unauthorized", nil)
	return &r
}

func hasScopes(granted []string, need ...scopeSet) bool {
	for _, group := range need {
		if !slices.ContainsFunc(granted, func(g string) bool { return slices.Contains(group, strings.ToLower(g)) }) {
			return false
		}
	}
	return true
}

func (s *Server) checkScopes(req *apiRequest) *apiResponse {
	if !hasScopes(req.token.scopes, requiredScopes(req.route)...) {
		return scopeMismatch()
	}
	return nil
}
