package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
)

// Principal is who makes a manager-API request: the bootstrap admin token, a signed-in user
// (session cookie) or a user's API token. Handlers read it with PrincipalFrom.
type Principal struct {
	OrgID  string
	UserID string // empty for the bootstrap admin token
	Role   leadcall.Role
	RepID  string // the rep whose devices a user of role rep sees
	Via    Via
	Email  string
	Name   string

	sessionHash string // Via == ViaSession
	tokenID     string // Via == ViaToken
}

// Via says how a principal authenticated.
type Via string

// Ways to authenticate to the manager API.
const (
	ViaBootstrap Via = "bootstrap" // Config.AdminToken
	ViaSession   Via = "session"   // the lc_session cookie
	ViaToken     Via = "token"     // a personal API token (lct_...)
)

// Actor names the principal in audit fields: the user ID, or adminActor for the bootstrap
// token.
func (p *Principal) Actor() string {
	if p.UserID == "" {
		return adminActor
	}
	return p.UserID
}

type principalKey struct{}

// PrincipalFrom returns the principal a manager route authenticated, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// principal is the request's principal. Every manager route runs behind s.role, so it is
// always set there; outside one it falls back to the bootstrap admin (never reached by a
// client: unauthenticated requests are refused before).
func (s *Server) principal(r *http.Request) *Principal {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p
	}
	return s.bootstrapPrincipal()
}

func (s *Server) bootstrapPrincipal() *Principal {
	return &Principal{OrgID: s.cfg.OrgID, Role: leadcall.RoleAdmin, Via: ViaBootstrap, Name: "Bootstrap admin"}
}

// repScope is the rep whose data a request may see, or "" when it may see the whole org.
func (s *Server) repScope(r *http.Request) string {
	p := s.principal(r)
	if p.Role == leadcall.RoleRep {
		return p.RepID
	}
	return ""
}

// Access is who may call a route.
type Access string

// Access levels of routes. A role level admits that role and every role above it
// (admin > manager > rep).
const (
	AccessPublic  Access = "public"  // no credentials (health, enrollment, login, the OpenAPI document)
	AccessDevice  Access = "device"  // a device token
	AccessRep     Access = "rep"     // any user (reps see only their own devices' data)
	AccessManager Access = "manager" // managers and admins
	AccessAdmin   Access = "admin"   // admins (and the bootstrap admin token)
)

// Route is one registered route: a ServeMux pattern's method and path, and who may call it.
type Route struct {
	Method string
	Path   string
	Access Access
}

// guarded is a handler with its access rule; routeMux refuses handlers without one, so no
// route can be registered without saying who may call it.
type guarded struct {
	access Access
	h      http.HandlerFunc
}

func (g *guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.h(w, r) }

// routeMux is the server's ServeMux plus the table of its routes (Server.Routes), which the
// tests and the OpenAPI document are checked against.
type routeMux struct {
	*http.ServeMux
	routes []Route
}

// Handle registers h for pattern ("METHOD /path"); h must come from Server.public,
// Server.device or Server.role.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	g, ok := h.(*guarded)
	if !ok {
		panic(fmt.Sprintf("httpapi: route %q registered without an access rule (wrap it with s.public, s.device or s.role)", pattern))
	}
	method, p, ok := strings.Cut(pattern, " ")
	if !ok {
		panic(fmt.Sprintf("httpapi: route %q has no method", pattern))
	}
	m.ServeMux.Handle(pattern, g)
	m.routes = append(m.routes, Route{Method: method, Path: p, Access: g.access})
}

// HandleFunc is Handle; it exists so that routes read the same whichever name is used.
func (m *routeMux) HandleFunc(pattern string, h http.Handler) { m.Handle(pattern, h) }

// Routes returns every route of the server (including GET /v1/stream, which WithStream
// serves), in registration order.
func (s *Server) Routes() []Route { return slices.Clone(s.mux.routes) }

// public marks a route that needs no credentials.
func (s *Server) public(h http.HandlerFunc) http.Handler { return &guarded{access: AccessPublic, h: h} }

// role wraps a manager-API handler: the request must authenticate (bootstrap admin token,
// session cookie or API token) as a principal whose role is at least least; a cookie-
// authenticated request that changes state must also come from the server's own origin.
// The principal is put in the request's context.
func (s *Server) role(least leadcall.Role, h http.HandlerFunc) http.Handler {
	access := map[leadcall.Role]Access{leadcall.RoleRep: AccessRep, leadcall.RoleManager: AccessManager, leadcall.RoleAdmin: AccessAdmin}[least]
	if access == "" {
		panic("httpapi: role: unknown role " + string(least))
	}
	return &guarded{access: access, h: func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r, false)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if p.Via == ViaSession && !safeMethod(r.Method) && !s.sameOrigin(r) {
			writeError(w, s.log, errCrossOrigin)
			return
		}
		if !p.Role.AtLeast(least) {
			writeError(w, s.log, apiError(http.StatusForbidden, "forbidden", "", "your role ("+string(p.Role)+") may not do this; it needs "+string(least)))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}}
}

var errCrossOrigin = apiError(http.StatusForbidden, "forbidden_origin", "",
	"cross-origin request refused: a request authenticated by the session cookie must come from this server's own pages (Origin header)")

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser request comes from the server's own origin (or one of
// Config.TrustedOrigins): Sec-Fetch-Site: same-origin, or an Origin whose host is the request's
// Host. A request without either is not same-origin.
func (s *Server) sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	host := strings.ToLower(u.Host)
	for _, p := range s.cfg.TrustedOrigins {
		if ok, _ := path.Match(strings.ToLower(p), host); ok {
			return true
		}
	}
	return false
}

var errUnauthenticated = apiError(http.StatusUnauthorized, "unauthorized", "",
	"sign in (POST /v1/auth/login) or send Authorization: Bearer <API token or admin token>")

// authenticate finds the request's principal: the Authorization header when present (admin
// token or API token), else the session cookie. withProtocol also reads a token offered as a
// "bearer.<token>" WebSocket subprotocol (the live stream).
func (s *Server) authenticate(r *http.Request, withProtocol bool) (*Principal, error) {
	ctx := r.Context()
	tok, ok := "", false
	if r.Header.Get("Authorization") != "" {
		if tok, ok = bearer(r); !ok {
			return nil, unauthorized(errUnauthenticated)
		}
	} else if withProtocol {
		tok, ok = protocolToken(r)
	}
	if ok {
		return s.tokenPrincipal(ctx, tok)
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, unauthorized(errUnauthenticated)
	}
	return s.sessionPrincipal(ctx, c.Value)
}

// unauthorized adds the WWW-Authenticate challenge to a 401.
func unauthorized(he *httpError) *httpError {
	return &httpError{status: he.status, detail: he.detail, challenge: `Bearer realm="leadcall"`}
}

// tokenPrincipal resolves a bearer token: the bootstrap admin token or a personal API token.
func (s *Server) tokenPrincipal(ctx context.Context, tok string) (*Principal, error) {
	sum := sha256.Sum256([]byte(tok))
	// Comparing hashes keeps the comparison constant-time whatever the token's length.
	if subtle.ConstantTimeCompare(sum[:], s.adminHash[:]) == 1 {
		return s.bootstrapPrincipal(), nil
	}
	if !strings.HasPrefix(tok, APITokenPrefix) {
		return nil, unauthorized(errUnauthenticated)
	}
	t, err := s.store.APITokenByHash(ctx, hashSecret(tok))
	if leadcall.CodeOf(err) == leadcall.CodeNotFound {
		return nil, unauthorized(apiError(http.StatusUnauthorized, "unauthorized", "", "unknown or revoked API token"))
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return nil, unauthorized(apiError(http.StatusUnauthorized, "unauthorized", "", "the API token has expired"))
	}
	p, err := s.userPrincipal(ctx, t.OrgID, t.UserID, ViaToken)
	if err != nil {
		return nil, err
	}
	p.tokenID = t.ID
	if now.Sub(t.LastUsedAt) >= touchInterval {
		// Best effort: a failed touch must not fail the request.
		if err := s.store.TouchAPIToken(ctx, t.OrgID, t.ID, now); err != nil {
			s.log.Warn("httpapi: note API token use", "token_id", t.ID, "err", err)
		}
	}
	return p, nil
}

// touchInterval is how stale a session's LastSeenAt or a token's LastUsedAt may get before a
// request writes it again: idle expiry is exact to this, and reads do not each cost a write.
const touchInterval = time.Minute

// sessionPrincipal resolves a session cookie.
func (s *Server) sessionPrincipal(ctx context.Context, secret string) (*Principal, error) {
	if len(secret) > maxTokenLen {
		return nil, unauthorized(errUnauthenticated)
	}
	hash := hashSecret(secret)
	sess, err := s.store.SessionByHash(ctx, hash)
	if leadcall.CodeOf(err) == leadcall.CodeNotFound {
		return nil, unauthorized(apiError(http.StatusUnauthorized, "unauthorized", "", "the session has ended; sign in again"))
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if !sess.Live(now) {
		if err := s.store.DeleteSession(ctx, hash); err != nil && leadcall.CodeOf(err) != leadcall.CodeNotFound {
			s.log.Warn("httpapi: delete expired session", "err", err)
		}
		return nil, unauthorized(apiError(http.StatusUnauthorized, "unauthorized", "", "the session has expired; sign in again"))
	}
	p, err := s.userPrincipal(ctx, sess.OrgID, sess.UserID, ViaSession)
	if err != nil {
		return nil, err
	}
	p.sessionHash = hash
	if now.Sub(sess.LastSeenAt) >= touchInterval {
		if err := s.store.TouchSession(ctx, hash, now, now.Add(s.cfg.SessionIdleTimeout)); err != nil {
			s.log.Warn("httpapi: note session use", "err", err)
		}
	}
	return p, nil
}

// userPrincipal loads the user behind a session or token: the user's current role applies, and
// a disabled or deleted user is refused.
func (s *Server) userPrincipal(ctx context.Context, orgID, userID string, via Via) (*Principal, error) {
	u, err := s.store.User(ctx, orgID, userID)
	if leadcall.CodeOf(err) == leadcall.CodeNotFound {
		return nil, unauthorized(apiError(http.StatusUnauthorized, "unauthorized", "", "the user no longer exists"))
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, unauthorized(apiError(http.StatusUnauthorized, "unauthorized", "", "the user is disabled"))
	}
	return &Principal{OrgID: u.OrgID, UserID: u.ID, Role: u.Role, RepID: u.RepID, Via: via, Email: u.Email, Name: u.Name}, nil
}
