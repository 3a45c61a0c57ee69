package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

func TestLoginSessionMeLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var created httpapi.UserView
	e.admin("POST", "/v1/users", map[string]any{"email": "Asha@Example.com", "name": "Asha", "role": "manager", "password": testPassword},
		http.StatusCreated, &created)
	require.Equal(t, leadcall.RoleManager, created.Role)
	require.NotContains(t, e.admin("GET", "/v1/users", nil, http.StatusOK, nil).body, []byte("$2a$"), "no password hash is ever shown")

	r := e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": "asha@EXAMPLE.com", "password": testPassword})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var me httpapi.UserResponse
	r.json(t, &me)
	require.Equal(t, created.ID, me.User.ID)
	cookies := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	require.Equal(t, httpapi.SessionCookie, c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.False(t, c.Secure, "plain HTTP without SecureCookies")
	require.Equal(t, int(httpapi.DefaultSessionMaxAge/time.Second), c.MaxAge)
	require.GreaterOrEqual(t, len(c.Value), 43, "32 random bytes")

	// Only the hash of the cookie is stored.
	_, err := e.store.SessionByHash(t.Context(), c.Value)
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
	sum := sha256.Sum256([]byte(c.Value))
	_, err = e.store.SessionByHash(t.Context(), hex.EncodeToString(sum[:]))
	require.NoError(t, err)

	session := cred{cookie: c.Value}
	r = e.send("GET", "/v1/auth/me", session, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &me)
	require.Equal(t, httpapi.UserView{ID: created.ID, OrgID: "default", Email: "Asha@Example.com", Name: "Asha", Role: leadcall.RoleManager,
		CreatedAt: created.CreatedAt}, me.User)
	require.Equal(t, httpapi.ViaSession, me.Via)
	// The session works on the manager API, with the manager's role.
	require.Equal(t, http.StatusOK, e.send("GET", "/v1/devices", session, nil).status)
	require.Equal(t, http.StatusForbidden, e.send("GET", "/v1/users", session, nil).status)

	r = e.send("POST", "/v1/auth/logout", session, nil)
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	cleared := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cleared, 1)
	require.Negative(t, cleared[0].MaxAge)
	r = e.send("GET", "/v1/auth/me", session, nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "unauthorized", r.err(t).Code)

	// The bootstrap token is the org's admin.
	r = e.do("GET", "/v1/auth/me", adminToken, nil)
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &me)
	require.Equal(t, leadcall.RoleAdmin, me.User.Role)
	require.Equal(t, httpapi.ViaBootstrap, me.Via)
}

func TestSecureCookieUnderTLSOrConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.SecureCookies = true })
	e.admin("POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "admin", "password": testPassword}, http.StatusCreated, nil)
	r := e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": "a@example.com", "password": testPassword})
	require.Equal(t, http.StatusOK, r.status)
	require.True(t, (&http.Response{Header: r.header}).Cookies()[0].Secure)

	// Without SecureCookies, a request that came over TLS gets a Secure cookie too.
	plain := newEnv(t, nil)
	plain.admin("POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "admin", "password": testPassword}, http.StatusCreated, nil)
	req := httptest.NewRequest("POST", "https://example.com/v1/auth/login",
		strings.NewReader(`{"email":"a@example.com","password":"`+testPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	require.NotNil(t, req.TLS)
	rec := plain.serve(req)
	require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)
	require.True(t, rec.Result().Cookies()[0].Secure)
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.LoginBurst = 100 })
	e.admin("POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "admin", "password": testPassword}, http.StatusCreated, nil)
	var off httpapi.UserView
	e.admin("POST", "/v1/users", map[string]any{"email": "off@example.com", "role": "manager", "password": testPassword}, http.StatusCreated, &off)
	e.admin("PATCH", "/v1/users/"+off.ID, map[string]any{"disabled": true}, http.StatusOK, nil)

	bad := func(email, pw string) response {
		t.Helper()
		r := e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": email, "password": pw})
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r.body)
		require.Equal(t, "invalid_credentials", r.err(t).Code)
		require.Empty(t, r.header.Values("Set-Cookie"))
		return r
	}
	wrong := bad("a@example.com", testPassword+"x")
	unknown := bad("nobody@example.com", testPassword)
	require.Equal(t, wrong.body, unknown.body, "an unknown email reads like a wrong password")
	bad("off@example.com", testPassword)
	bad("a@example.com", strings.Repeat("p", 73))
	bad("a@example.com", testPassword[:len(testPassword)-1])
	r := e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": "a@example.com", "password": testPassword, "org_id": "other"})
	require.Equal(t, http.StatusUnauthorized, r.status, "another org has no such user")

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"empty", ``, http.StatusBadRequest, ""},
		{"not json", `email=a`, http.StatusBadRequest, ""},
		{"array", `[]`, http.StatusBadRequest, ""},
		{"no email", `{"password":"x"}`, http.StatusBadRequest, "email"},
		{"no password", `{"email":"a@example.com"}`, http.StatusBadRequest, "password"},
		{"unknown field", `{"email":"a@example.com","password":"x","admin":true}`, http.StatusBadRequest, "admin"},
		{"wrong type", `{"email":1,"password":"x"}`, http.StatusBadRequest, "email"},
		{"NUL", `{"email":"a@example.com\u0000","password":"x"}`, http.StatusBadRequest, "email"},
		{"huge email", `{"email":"` + strings.Repeat("a", 300) + `","password":"x"}`, http.StatusBadRequest, "email"},
		{"oversized", `{"email":"a@example.com","password":"` + strings.Repeat("x", 2<<20) + `"}`, http.StatusRequestEntityTooLarge, ""},
	}
	for _, tc := range cases {
		r := e.send("POST", "/v1/auth/login", cred{}, tc.body)
		require.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		require.Equal(t, tc.field, r.err(t).Field, tc.name)
	}

	// A login form posted from another site is refused (login CSRF).
	r = e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": "a@example.com", "password": testPassword}, "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Equal(t, "forbidden_origin", r.err(t).Code)
	r = e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": "a@example.com", "password": testPassword}, "Origin", sameSite)
	require.Equal(t, http.StatusOK, r.status)
}

func TestLoginRateLimitPerEmailAndIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.LoginBurst, c.LoginInterval = 3, time.Minute })
	e.admin("POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "admin", "password": testPassword}, http.StatusCreated, nil)
	attempt := func(email, pw string, header ...string) response {
		return e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": email, "password": pw}, header...)
	}
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, attempt("a@example.com", "wrong password!").status)
	}
	r := attempt("A@example.com", testPassword)
	require.Equal(t, http.StatusTooManyRequests, r.status, "the right password waits too (case-insensitive key)")
	require.Equal(t, "rate_limited", r.err(t).Code)
	require.Equal(t, "60", r.header.Get("Retry-After"))
	// Another email from the same IP has its own bucket; X-Forwarded-For is not trusted.
	require.Equal(t, http.StatusUnauthorized, attempt("b@example.com", "wrong password!").status)
	require.Equal(t, http.StatusTooManyRequests, attempt("a@example.com", testPassword, "X-Forwarded-For", "203.0.113.9").status)

	e.clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, attempt("a@example.com", testPassword).status)
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.SessionIdleTimeout, c.SessionMaxAge = time.Hour, 3*time.Hour })
	e.admin("POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "admin", "password": testPassword}, http.StatusCreated, nil)
	s := cred{cookie: e.login("a@example.com", testPassword)}
	// Used every 50 minutes, the session outlives the idle timeout, up to the absolute age.
	for range 3 {
		e.clock.Advance(50 * time.Minute)
		require.Equal(t, http.StatusOK, e.send("GET", "/v1/auth/me", s, nil).status)
	}
	e.clock.Advance(31 * time.Minute) // 3h01 after login
	r := e.send("GET", "/v1/auth/me", s, nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Contains(t, r.err(t).Message, "expired")

	s = cred{cookie: e.login("a@example.com", testPassword)}
	e.clock.Advance(time.Hour)
	require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", s, nil).status, "idle for the whole timeout")

	// Forged and oversized cookies are refused.
	for _, v := range []string{"forged", strings.Repeat("a", 5000)} {
		require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", cred{cookie: v}, nil).status)
	}
}

func TestCookieRequestsNeedSameOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.TrustedOrigins = []string{"dash.example.org"} })
	admin := e.newUser(leadcall.RoleAdmin, "admin@example.com")
	body := map[string]any{"name": "Ravi", "email": "ravi@example.com"}
	for _, origin := range []string{"-", "https://evil.example", "null", "http://example.com.evil.example", "::bad"} {
		s := admin.session
		s.origin = origin
		r := e.send("POST", "/v1/reps", s, body)
		require.Equal(t, http.StatusForbidden, r.status, "Origin %q: %s", origin, r.body)
		require.Equal(t, "forbidden_origin", r.err(t).Code)
	}
	reps := e.admin("GET", "/v1/reps", nil, http.StatusOK, nil)
	require.Equal(t, "[]", strings.TrimSpace(string(reps.body)), "nothing was created")

	ok := func(c cred, header ...string) {
		t.Helper()
		r := e.send("POST", "/v1/reps", c, body, header...)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	}
	ok(admin.session) // Origin: http://example.com, the request's host
	noOrigin := admin.session
	noOrigin.origin = "-"
	ok(noOrigin, "Sec-Fetch-Site", "same-origin")
	trusted := admin.session
	trusted.origin = "https://dash.example.org"
	ok(trusted)
	// Reads need no Origin, and bearer tokens are not sent by browsers on their own.
	require.Equal(t, http.StatusOK, e.send("GET", "/v1/reps", noOrigin, nil).status)
	ok(admin.token, "Origin", "https://evil.example")
}

func TestUsersAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.newUser(leadcall.RoleAdmin, "admin@example.com")
	var rep leadcall.Rep
	e.admin("POST", "/v1/reps", map[string]any{"name": "Ravi", "email": "ravi@example.com"}, http.StatusCreated, &rep)

	create := func(body map[string]any, status int, field string) httpapi.UserView {
		t.Helper()
		r := e.send("POST", "/v1/users", admin.session, body)
		require.Equal(t, status, r.status, "%v: %s", body, r.body)
		var v httpapi.UserView
		if status == http.StatusCreated {
			r.json(t, &v)
		} else {
			require.Equal(t, field, r.err(t).Field, "%v", body)
		}
		return v
	}
	ravi := create(map[string]any{"email": "ravi@example.com", "name": "Ravi", "role": "rep", "rep_id": rep.ID, "password": testPassword}, http.StatusCreated, "")
	require.Equal(t, rep.ID, ravi.RepID)
	create(map[string]any{"email": "RAVI@example.com", "role": "manager", "password": testPassword}, http.StatusConflict, "email")
	create(map[string]any{"email": "x@example.com", "role": "manager", "password": "short"}, http.StatusUnprocessableEntity, "password")
	create(map[string]any{"email": "x@example.com", "role": "manager", "password": strings.Repeat("é", 37)}, http.StatusUnprocessableEntity, "password")
	create(map[string]any{"email": "x@example.com", "role": "manager", "password": testPassword + "\n"}, http.StatusUnprocessableEntity, "password")
	create(map[string]any{"email": "x@example.com", "role": "root", "password": testPassword}, http.StatusUnprocessableEntity, "role")
	create(map[string]any{"email": "x@example.com", "role": "rep", "password": testPassword}, http.StatusUnprocessableEntity, "rep_id")
	create(map[string]any{"email": "x@example.com", "role": "rep", "rep_id": "rep_nope", "password": testPassword}, http.StatusUnprocessableEntity, "rep_id")
	create(map[string]any{"email": "x@example.com", "role": "manager", "rep_id": rep.ID, "password": testPassword}, http.StatusUnprocessableEntity, "rep_id")
	create(map[string]any{"email": "not-an-email", "role": "manager", "password": testPassword}, http.StatusUnprocessableEntity, "email")
	create(map[string]any{"email": strings.Repeat("a", 300) + "@example.com", "role": "manager", "password": testPassword}, http.StatusUnprocessableEntity, "email")
	create(map[string]any{"email": "x@example.com", "role": "manager", "password": testPassword, "is_root": true}, http.StatusBadRequest, "is_root")

	var list []httpapi.UserView
	r := e.send("GET", "/v1/users", admin.token, nil)
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &list)
	require.Len(t, list, 2)

	// Promote the rep to manager: the rep link goes.
	raviSession := cred{cookie: e.login("ravi@example.com", testPassword)}
	var v httpapi.UserView
	r = e.send("PATCH", "/v1/users/"+ravi.ID, admin.session, map[string]any{"role": "manager", "name": "Ravi K"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &v)
	require.Equal(t, leadcall.RoleManager, v.Role)
	require.Empty(t, v.RepID)
	require.Equal(t, http.StatusOK, e.send("GET", "/v1/settings", raviSession, nil).status, "the new role applies at once")

	// A new password ends the user's sessions.
	r = e.send("PATCH", "/v1/users/"+ravi.ID, admin.session, map[string]any{"password": "another long password"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", raviSession, nil).status)
	raviSession = cred{cookie: e.login("ravi@example.com", "another long password")}

	// Disabling ends sessions and stops the user's API tokens.
	var tok httpapi.NewTokenResponse
	r = e.send("POST", "/v1/tokens", raviSession, map[string]any{"name": "cli"})
	require.Equal(t, http.StatusCreated, r.status)
	r.json(t, &tok)
	r = e.send("PATCH", "/v1/users/"+ravi.ID, admin.session, map[string]any{"disabled": true})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", raviSession, nil).status)
	require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", bearerCred(tok.Token), nil).status)
	r = e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": "ravi@example.com", "password": "another long password"})
	require.Equal(t, http.StatusUnauthorized, r.status)

	// An admin cannot lock themselves out.
	r = e.send("PATCH", "/v1/users/"+admin.id, admin.session, map[string]any{"disabled": true})
	require.Equal(t, http.StatusConflict, r.status)
	r = e.send("PATCH", "/v1/users/"+admin.id, admin.session, map[string]any{"role": "manager"})
	require.Equal(t, http.StatusConflict, r.status)
	require.Equal(t, http.StatusNotFound, e.send("PATCH", "/v1/users/usr_nope", admin.session, map[string]any{"name": "x"}).status)
	r = e.send("PATCH", "/v1/users/"+ravi.ID, admin.session, map[string]any{"email": "admin@EXAMPLE.com"})
	require.Equal(t, http.StatusConflict, r.status)
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.newUser(leadcall.RoleAdmin, "admin@example.com")
	mgr := e.newUser(leadcall.RoleManager, "mgr@example.com")

	e.clock.Advance(time.Second) // list order is by creation time
	var created httpapi.NewTokenResponse
	r := e.send("POST", "/v1/tokens", mgr.session, map[string]any{"name": "nightly export", "expires_in_days": 1})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	r.json(t, &created)
	require.True(t, strings.HasPrefix(created.Token, httpapi.APITokenPrefix))
	require.True(t, strings.HasPrefix(created.Token, created.Prefix))
	require.NotNil(t, created.ExpiresAt)

	var list []httpapi.TokenView
	r = e.send("GET", "/v1/tokens", mgr.token, nil)
	require.Equal(t, http.StatusOK, r.status)
	require.NotContains(t, string(r.body), created.Token[len(created.Prefix):], "the secret is shown once")
	r.json(t, &list)
	require.Len(t, list, 2)
	require.Equal(t, created.ID, list[0].ID, "newest first")
	require.NotNil(t, list[1].LastUsedAt, "the token used for this request")

	tok := bearerCred(created.Token)
	r = e.send("GET", "/v1/auth/me", tok, nil)
	require.Equal(t, http.StatusOK, r.status)
	var me httpapi.UserResponse
	r.json(t, &me)
	require.Equal(t, mgr.id, me.User.ID)
	require.Equal(t, httpapi.ViaToken, me.Via)

	// Expiry.
	e.clock.Advance(25 * time.Hour)
	r = e.send("GET", "/v1/auth/me", tok, nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Contains(t, r.err(t).Message, "expired")
	require.Equal(t, http.StatusOK, e.send("GET", "/v1/auth/me", mgr.token, nil).status, "a token without expiry")
	require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", mgr.session, nil).status, "the session's idle timeout passed")
	admin.session = cred{cookie: e.login(admin.email, testPassword)}
	mgr.session = cred{cookie: e.login(mgr.email, testPassword)}

	// Another user's token: 404 to a manager, revocable by an admin.
	var adminTokens []httpapi.TokenView
	r = e.send("GET", "/v1/tokens", admin.session, nil)
	r.json(t, &adminTokens)
	require.Len(t, adminTokens, 1)
	require.Equal(t, http.StatusNotFound, e.send("DELETE", "/v1/tokens/"+adminTokens[0].ID, mgr.session, nil).status)
	require.Equal(t, http.StatusForbidden, e.send("GET", "/v1/tokens?user_id="+admin.id, mgr.session, nil).status)
	r = e.send("GET", "/v1/tokens?user_id="+mgr.id, admin.session, nil)
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &list)
	require.Len(t, list, 2)
	require.Equal(t, http.StatusNoContent, e.send("DELETE", "/v1/tokens/"+list[1].ID, admin.session, nil).status)
	require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", mgr.token, nil).status, "revoked")
	require.Equal(t, http.StatusNotFound, e.send("DELETE", "/v1/tokens/"+list[1].ID, admin.session, nil).status)

	// The bootstrap token has no tokens of its own.
	require.Equal(t, http.StatusForbidden, e.do("GET", "/v1/tokens", adminToken, nil).status)
	require.Equal(t, http.StatusForbidden, e.do("POST", "/v1/tokens", adminToken, map[string]any{"name": "x"}).status)

	for _, body := range []map[string]any{{"name": ""}, {"name": strings.Repeat("n", 101)}, {"name": "x", "expires_in_days": -1}, {"name": "x", "expires_in_days": 4000}} {
		r := e.send("POST", "/v1/tokens", admin.session, body)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%v: %s", body, r.body)
	}
	for _, bad := range []string{"lct_forged", "lct_" + strings.Repeat("A", 600), "lcd_device-looking"} {
		require.Equal(t, http.StatusUnauthorized, e.send("GET", "/v1/auth/me", bearerCred(bad), nil).status, bad)
	}
}
