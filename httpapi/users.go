package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
)

// Credentials of users.
const (
	// SessionCookie is the browser session cookie (HttpOnly, SameSite=Lax, Path=/, Secure
	// under TLS or Config.SecureCookies). Its value is 32 random bytes; only their SHA-256 is
	// stored.
	SessionCookie = "lc_session"
	// APITokenPrefix starts every personal API token ("lct_" + 32 random bytes, base64url).
	APITokenPrefix = "lct_"
	// maxPasswordBytes is bcrypt's input limit; longer passwords are refused rather than
	// silently truncated.
	maxPasswordBytes = 72
	// maxTokenLifetimeDays bounds expires_in_days of a new API token.
	maxTokenLifetimeDays = 3650
)

// Auth and user shapes.
type (
	// LoginRequest is the body of POST /v1/auth/login. OrgID defaults to the server's
	// Config.OrgID.
	LoginRequest struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		OrgID    string `json:"org_id"`
	}
	// UserView is a user as the API shows it (never the password hash).
	UserView struct {
		ID        string        `json:"id"`
		OrgID     string        `json:"org_id"`
		Email     string        `json:"email"`
		Name      string        `json:"name"`
		Role      leadcall.Role `json:"role"`
		RepID     string        `json:"rep_id"`
		Disabled  bool          `json:"disabled"`
		CreatedAt time.Time     `json:"created_at"`
	}
	// UserResponse answers login and GET /v1/auth/me: {"user": {...}, "via": ...}.
	UserResponse struct {
		User UserView `json:"user"`
		Via  Via      `json:"via,omitempty"`
	}
	// UserRequest is the body of POST /v1/users.
	UserRequest struct {
		Email    string        `json:"email"`
		Name     string        `json:"name"`
		Role     leadcall.Role `json:"role"`
		RepID    string        `json:"rep_id"`
		Password string        `json:"password"`
	}
	// UserPatchRequest is the body of PATCH /v1/users/{id}; absent fields stay as they are.
	// A new password or disabling the user ends the user's sessions.
	UserPatchRequest struct {
		Email    *string        `json:"email"`
		Name     *string        `json:"name"`
		Role     *leadcall.Role `json:"role"`
		RepID    OptString      `json:"rep_id"`
		Password *string        `json:"password"`
		Disabled *bool          `json:"disabled"`
	}
	// TokenRequest is the body of POST /v1/tokens; expires_in_days 0 means no expiry.
	TokenRequest struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days"`
	}
	// TokenView is an API token as GET /v1/tokens shows it (never the secret); ExpiresAt and
	// LastUsedAt are null for never.
	TokenView struct {
		ID         string     `json:"id"`
		UserID     string     `json:"user_id"`
		Name       string     `json:"name"`
		Prefix     string     `json:"prefix"`
		CreatedAt  time.Time  `json:"created_at"`
		ExpiresAt  *time.Time `json:"expires_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
	}
	// NewTokenResponse answers POST /v1/tokens; Token is shown this once.
	NewTokenResponse struct {
		TokenView
		Token string `json:"token"`
	}
)

func userView(u *leadcall.User) UserView {
	return UserView{ID: u.ID, OrgID: u.OrgID, Email: u.Email, Name: u.Name, Role: u.Role, RepID: u.RepID,
		Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func tokenView(t *leadcall.APIToken) TokenView {
	return TokenView{ID: t.ID, UserID: t.UserID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt,
		ExpiresAt: optTime(t.ExpiresAt), LastUsedAt: optTime(t.LastUsedAt)}
}

// newSecret returns prefix + 32 random bytes (base64url) and the secret's stored hash.
func newSecret(prefix string) (secret, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashSecret(secret)
}

// dummy returns the hash an unknown email's password is compared against: a random password
// at Config.BcryptCost, like real users' hashes.
func (s *Server) dummy() []byte {
	s.dummyOnce.Do(func() {
		var b [16]byte
		_, _ = rand.Read(b[:])
		// The cost was validated by New, so this cannot fail.
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(base64.RawURLEncoding.EncodeToString(b[:])), s.cfg.BcryptCost)
	})
	return s.dummyHash
}

// HashPassword checks pw against the password rules (at least minLen characters, at most 72
// bytes, valid UTF-8, no control characters) and returns its bcrypt hash at cost.
func HashPassword(pw string, minLen, cost int) (string, error) {
	if err := checkPassword(pw, minLen); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", leadcall.NewError(leadcall.CodeInvalid, "httpapi: hash password", err)
	}
	return string(h), nil
}

func checkPassword(pw string, minLen int) error {
	switch {
	case !utf8.ValidString(pw):
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: password", Field: "password", Message: "must be valid UTF-8"}
	case utf8.RuneCountInString(pw) < minLen:
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: password", Field: "password",
			Message: "too short: at least " + strconv.Itoa(minLen) + " characters"}
	case len(pw) > maxPasswordBytes:
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: password", Field: "password",
			Message: "too long: at most 72 bytes (bcrypt's limit)"}
	case strings.ContainsFunc(pw, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: password", Field: "password", Message: "must not contain control characters"}
	}
	return nil
}

// loginLimiter is a token bucket per (email, client IP). Buckets that have refilled are
// dropped when the map grows, so that a spray of emails cannot grow it without bound.
type loginLimiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// maxLoginBuckets is when the limiter sweeps its full buckets.
const maxLoginBuckets = 10_000

func newLoginLimiter(every rate.Limit, burst int) *loginLimiter {
	return &loginLimiter{every: every, burst: burst, buckets: make(map[string]*rate.Limiter)}
}

// allow takes a token for key, or reports how long until one is available.
func (l *loginLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxLoginBuckets {
			for k, v := range l.buckets {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(l.buckets, k)
				}
			}
		}
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func clientIP(r *http.Request) string {
	// RemoteAddr only: X-Forwarded-For is not trusted (a client could rotate it to dodge the
	// limit). Behind a proxy, all clients share the proxy's bucket per email.
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var errInvalidCredentials = unauthorized(apiError(http.StatusUnauthorized, "invalid_credentials", "", "wrong email or password"))

// login answers POST /v1/auth/login: it checks the password with bcrypt (an unknown email is
// compared against a dummy hash, so both take the same time), opens a session and sets the
// session cookie.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	// A login form posted from another site would sign the victim in as the attacker.
	if r.Header.Get("Origin") != "" && !s.sameOrigin(r) {
		writeError(w, s.log, errCrossOrigin)
		return
	}
	var in LoginRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	switch {
	case strings.TrimSpace(in.Email) == "":
		writeError(w, s.log, badRequest("email", "required"))
		return
	case len(in.Email) > 254:
		writeError(w, s.log, badRequest("email", "at most 254 bytes"))
		return
	case in.Password == "":
		writeError(w, s.log, badRequest("password", "required"))
		return
	case len(in.OrgID) > 200:
		writeError(w, s.log, badRequest("org_id", "at most 200 bytes"))
		return
	}
	now := s.cfg.Now()
	if ok, wait := s.logins.allow(leadcall.EmailKey(in.Email)+"\x00"+clientIP(r), now); !ok {
		writeError(w, s.log, &httpError{status: http.StatusTooManyRequests, retryAfter: wait,
			detail: ErrorDetail{Code: "rate_limited", Message: "too many login attempts for this email; retry later"}})
		return
	}
	select {
	case s.loginSlots <- struct{}{}:
		defer func() { <-s.loginSlots }()
	default:
		writeError(w, s.log, &httpError{status: http.StatusTooManyRequests, retryAfter: time.Second,
			detail: ErrorDetail{Code: "rate_limited", Message: "too many sign-ins in progress; retry in a moment"}})
		return
	}
	orgID := in.OrgID
	if orgID == "" {
		orgID = s.cfg.OrgID
	}
	u, err := s.store.UserByEmail(r.Context(), orgID, in.Email)
	if err != nil && leadcall.CodeOf(err) != leadcall.CodeNotFound {
		writeError(w, s.log, err)
		return
	}
	var hash []byte
	if u != nil && u.PasswordHash != "" {
		hash = []byte(u.PasswordHash)
	} else {
		hash = s.dummy()
	}
	// Passwords above bcrypt's limit never match (none can be set), but are compared anyway
	// (truncated) so that they cost the same.
	pw := in.Password
	if len(pw) > maxPasswordBytes {
		pw = pw[:maxPasswordBytes]
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
	if u == nil || u.PasswordHash == "" || u.Disabled || !match || len(in.Password) > maxPasswordBytes {
		writeError(w, s.log, errInvalidCredentials)
		return
	}
	secret, sessHash := newSecret("")
	sess := &leadcall.Session{Hash: sessHash, OrgID: u.OrgID, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		IdleExpiresAt: now.Add(s.cfg.SessionIdleTimeout), ExpiresAt: now.Add(s.cfg.SessionMaxAge)}
	if err := s.store.CreateSession(r.Context(), sess); err != nil {
		writeError(w, s.log, err)
		return
	}
	http.SetCookie(w, s.sessionCookie(r, secret, int(s.cfg.SessionMaxAge/time.Second)))
	writeJSON(w, http.StatusOK, UserResponse{User: userView(u), Via: ViaSession})
}

func (s *Server) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || s.cfg.SecureCookies}
}

// logout ends the request's session (when it came with one) and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := s.principal(r)
	if p.Via == ViaSession {
		if err := s.store.DeleteSession(r.Context(), p.sessionHash); err != nil && leadcall.CodeOf(err) != leadcall.CodeNotFound {
			writeError(w, s.log, err)
			return
		}
		http.SetCookie(w, s.sessionCookie(r, "", -1))
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p := s.principal(r)
	if p.Via == ViaBootstrap {
		writeJSON(w, http.StatusOK, UserResponse{User: UserView{ID: adminActor, OrgID: p.OrgID, Name: p.Name, Role: p.Role}, Via: p.Via})
		return
	}
	u, err := s.store.User(r.Context(), p.OrgID, p.UserID)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, UserResponse{User: userView(u), Via: p.Via})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.store.Users(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := make([]UserView, len(users))
	for i := range users {
		out[i] = userView(&users[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// checkUserFields validates what the API adds to the store's checks: an email that looks like
// one and, for a rep, a rep of the org.
func (s *Server) checkUserFields(r *http.Request, u *leadcall.User) error {
	email := strings.TrimSpace(u.Email)
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n<>") {
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: user", Field: "email", Message: "not an email address"}
	}
	u.Email = email
	if !u.Role.Valid() {
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: user", Field: "role", Message: "want admin, manager or rep"}
	}
	if u.Role == leadcall.RoleRep {
		if u.RepID == "" {
			return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: user", Field: "rep_id", Message: "required for the rep role"}
		}
		if _, err := s.store.Rep(r.Context(), u.OrgID, u.RepID); err != nil {
			if leadcall.CodeOf(err) == leadcall.CodeNotFound {
				return &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: user", Field: "rep_id", Message: "no such rep"}
			}
			return err
		}
	}
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in UserRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	u := &leadcall.User{ID: newID("usr_"), OrgID: s.orgID(r), Email: in.Email, Name: in.Name, Role: in.Role, RepID: in.RepID}
	if err := s.checkUserFields(r, u); err != nil {
		writeError(w, s.log, err)
		return
	}
	hash, err := HashPassword(in.Password, s.cfg.MinPasswordLen, s.cfg.BcryptCost)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	u.PasswordHash = hash
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, userView(u))
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) {
	var in UserPatchRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	u, err := s.store.User(r.Context(), s.orgID(r), r.PathValue("id"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.Email != nil {
		u.Email = *in.Email
	}
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.Role != nil {
		u.Role = *in.Role
		if u.Role != leadcall.RoleRep && !in.RepID.Set {
			u.RepID = "" // only reps have a rep
		}
	}
	if in.RepID.Set {
		u.RepID = ""
		if in.RepID.Value != nil {
			u.RepID = *in.RepID.Value
		}
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
	}
	if p := s.principal(r); p.UserID == u.ID && (u.Disabled || u.Role != leadcall.RoleAdmin) {
		writeError(w, s.log, apiError(http.StatusConflict, "conflict", "", "you cannot disable yourself or give up your own admin role; ask another admin"))
		return
	}
	if err := s.checkUserFields(r, u); err != nil {
		writeError(w, s.log, err)
		return
	}
	if in.Password != nil {
		if u.PasswordHash, err = HashPassword(*in.Password, s.cfg.MinPasswordLen, s.cfg.BcryptCost); err != nil {
			writeError(w, s.log, err)
			return
		}
	}
	if err := s.store.UpdateUser(r.Context(), u); err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

var errBootstrapTokens = apiError(http.StatusForbidden, "forbidden", "",
	"the bootstrap admin token has no personal API tokens: sign in as a user")

// tokenOwner is whose tokens GET /v1/tokens lists: the caller's, or with ?user_id= (admins
// only) another user's.
func (s *Server) tokenOwner(r *http.Request) (string, error) {
	p := s.principal(r)
	if id := r.URL.Query().Get("user_id"); id != "" && id != p.UserID {
		if p.Role != leadcall.RoleAdmin {
			return "", apiError(http.StatusForbidden, "forbidden", "user_id", "only admins see other users' tokens")
		}
		return id, nil
	}
	if p.UserID == "" {
		return "", errBootstrapTokens
	}
	return p.UserID, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	owner, err := s.tokenOwner(r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	ts, err := s.store.APITokens(r.Context(), s.orgID(r), owner)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := make([]TokenView, len(ts))
	for i := range ts {
		out[i] = tokenView(&ts[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	p := s.principal(r)
	if p.UserID == "" {
		writeError(w, s.log, errBootstrapTokens)
		return
	}
	var in TokenRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	switch {
	case strings.TrimSpace(in.Name) == "":
		writeError(w, s.log, &leadcall.Error{Code: leadcall.CodeInvalid, Field: "name", Message: "required: say what the token is for"})
		return
	case utf8.RuneCountInString(in.Name) > 100:
		writeError(w, s.log, &leadcall.Error{Code: leadcall.CodeInvalid, Field: "name", Message: "at most 100 characters"})
		return
	case in.ExpiresInDays < 0 || in.ExpiresInDays > maxTokenLifetimeDays:
		writeError(w, s.log, &leadcall.Error{Code: leadcall.CodeInvalid, Field: "expires_in_days", Message: "want 0 (never) to " + strconv.Itoa(maxTokenLifetimeDays)})
		return
	}
	secret, hash := newSecret(APITokenPrefix)
	now := s.cfg.Now().UTC()
	t := &leadcall.APIToken{ID: newID("tok_"), OrgID: p.OrgID, UserID: p.UserID, Name: strings.TrimSpace(in.Name),
		Hash: hash, Prefix: secret[:len(APITokenPrefix)+4], CreatedAt: now}
	if in.ExpiresInDays > 0 {
		t.ExpiresAt = now.Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour)
	}
	if err := s.store.CreateAPIToken(r.Context(), t); err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, NewTokenResponse{TokenView: tokenView(t), Token: secret})
}

// deleteToken revokes a token: one's own, or (admins) any of the org's. Another user's token
// is 404 to a non-admin, as if it did not exist.
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	p := s.principal(r)
	t, err := s.store.APIToken(r.Context(), p.OrgID, r.PathValue("id"))
	if err == nil && t.UserID != p.UserID && p.Role != leadcall.RoleAdmin {
		err = leadcall.Errorf(leadcall.CodeNotFound, "httpapi: delete token", "token %q not found", t.ID)
	}
	if err == nil {
		err = s.store.DeleteAPIToken(r.Context(), p.OrgID, t.ID)
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) streamNotMounted(w http.ResponseWriter, r *http.Request) {
	writeError(w, s.log, apiError(http.StatusNotFound, "not_found", "", "the live stream is not enabled on this server"))
}
