package zohotest

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ErrConsentDenied is what a [ConsentFunc] returns when the user clicks "Reject": the
// consent endpoint then redirects with error=access_denied.
var ErrConsentDenied = errors.New("zohotest: consent denied")

// ConsentRequest is what the consent screen of GET /oauth/v2/auth shows the user.
type ConsentRequest struct {
	ClientID    string
	RedirectURI string
	Scopes      []string
	// Offline is access_type=offline: only then does the code exchange issue a refresh token.
	Offline bool
	// Prompt is the prompt parameter ("consent" forces the consent screen).
	Prompt string
}

// ConsentFunc plays the user at the consent screen. It returns the ID of the CRM user who
// signs in and accepts (see [Server.AddUser]; "" is the admin user), or [ErrConsentDenied] (or
// any error) for a rejection.
type ConsentFunc func(ConsentRequest) (userID string, err error)

// SetConsent sets who answers the consent screen. The default (and nil) approves as the admin
// user, as if a test-approved user clicked "Accept" at once.
func (s *Server) SetConsent(f ConsentFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consent = f
}

// SetRedirectURIs registers the redirect URIs of clientID, as in Zoho's API console. The
// consent endpoint then refuses any other redirect_uri (an error page, no redirect). A client
// without registered URIs accepts any http(s) redirect_uri: convenient for tests on loopback.
func (s *Server) SetRedirectURIs(clientID string, uris ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[clientID]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownClient, clientID)
	}
	if s.redirects == nil {
		s.redirects = map[string][]string{}
	}
	s.redirects[clientID] = slices.Clone(uris)
	return nil
}

// AuthorizeURL returns the consent URL a client would build for clientID (offline access,
// consent prompt, [DefaultScopes]); empty until [Server.Start].
func (s *Server) AuthorizeURL(clientID, redirectURI, state string) string {
	q := url.Values{"scope": {strings.Join(DefaultScopes(), ",")}, "client_id": {clientID},
		"response_type": {"code"}, "access_type": {"offline"}, "prompt": {"consent"},
		"redirect_uri": {redirectURI}, "state": {state}}
	return s.URL() + "/oauth/v2/auth?" + q.Encode()
}

// maxAuthorizeQuery caps the query of GET /oauth/v2/auth; real ones are well under 2 KiB.
const maxAuthorizeQuery = 8 << 10

// serveAuthorize implements GET /oauth/v2/auth, the consent screen of the authorization-code
// flow (zoho-api.md §1.1–1.2; https://www.zoho.com/crm/developer/docs/api/v8/auth-request.html),
// answered at once by the [ConsentFunc]. On acceptance it redirects (302) to redirect_uri with
// code, location and accounts-server (this server) and the state echoed; on rejection with
// error=access_denied and the state. A bad client or redirect URI gets an error page and no
// redirect (never send a browser to an unverified URI). The grant code lives
// [DefaultGrantCodeTTL] and works once.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	rec := Request{Time: s.now(), Method: r.Method, Path: r.URL.Path, Endpoint: EndpointAuthorize}
	page := func(status int, msg string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!doctype html><title>Zoho Accounts</title><p>%s</p>\n", html.EscapeString(msg))
		rec.Status, rec.Delivered = status, true
		s.logRequest(rec)
	}
	if len(r.URL.RawQuery) > maxAuthorizeQuery {
		page(http.StatusRequestURITooLong, "Request too long")
		return
	}
	q := r.URL.Query()
	rec.RawQuery = redactedQuery(q)
	if r.Method != http.MethodGet {
		page(http.StatusMethodNotAllowed, "Invalid request method")
		return
	}
	req := ConsentRequest{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		Offline: q.Get("access_type") == "offline", Prompt: q.Get("prompt")}
	for sc := range strings.SplitSeq(q.Get("scope"), ",") {
		if sc = strings.TrimSpace(sc); sc != "" {
			req.Scopes = append(req.Scopes, sc)
		}
	}
	s.mu.Lock()
	_, known := s.clients[req.ClientID]
	registered := s.redirects[req.ClientID]
	consent := s.consent
	s.mu.Unlock()
	target, err := url.Parse(req.RedirectURI)
	switch {
	case !known:
		page(http.StatusBadRequest, "Invalid Client") // unconfirmed wording
		return
	case req.RedirectURI == "" || err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "",
		len(registered) > 0 && !slices.Contains(registered, req.RedirectURI):
		page(http.StatusBadRequest, "Invalid Redirect Uri") // unconfirmed wording
		return
	}
	back := target.Query()
	back.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type") // RFC 6749 §4.1.2.1; unconfirmed for Zoho
	case len(req.Scopes) == 0:
		back.Set("error", "invalid_scope") // RFC 6749 §4.1.2.1; unconfirmed for Zoho
	default:
		if consent == nil {
			consent = func(ConsentRequest) (string, error) { return "", nil }
		}
		userID, cerr := consent(req)
		if cerr != nil {
			back.Set("error", "access_denied")
			break
		}
		code, gerr := s.addGrantCode(req, userID)
		if gerr != nil {
			page(http.StatusBadRequest, gerr.Error())
			return
		}
		back.Set("code", code)
		back.Set("location", "us")
		back.Set("accounts-server", s.apiDomain(r))
	}
	target.RawQuery = back.Encode()
	w.Header().Set("Location", target.String())
	w.WriteHeader(http.StatusFound)
	rec.Status, rec.Delivered = http.StatusFound, true
	s.logRequest(rec)
}

func (s *Server) addGrantCode(req ConsentRequest, userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if userID != "" {
		if u := s.userLocked(userID); u == nil || u.Status != UserActive {
			return "", fmt.Errorf("zohotest: consent: user %q is not an active user", userID)
		}
	}
	g := &grantCode{code: "1000." + randomHex(16) + "." + randomHex(16), clientID: req.ClientID,
		redirectURI: req.RedirectURI, scopes: slices.Clone(req.Scopes), offline: req.Offline,
		expires: s.now().Add(DefaultGrantCodeTTL), userID: userID}
	s.grants[g.code] = g
	return g.code, nil
}
