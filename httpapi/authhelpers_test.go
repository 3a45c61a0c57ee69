package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// cred is how a test request authenticates: a bearer token, a session cookie (sent with the
// server's own Origin unless origin says otherwise), or nothing.
type cred struct {
	bearer string
	cookie string
	origin string // "-" sends no Origin header
}

// sameSite is the Origin of the test server's own pages (httptest's Host is example.com).
const sameSite = "http://example.com"

func bearerCred(tok string) cred { return cred{bearer: tok} }

// send makes a request with c; body is as for env.do.
func (e *env) send(method, path string, c cred, body any, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: c.cookie})
		switch c.origin {
		case "":
			req.Header.Set("Origin", sameSite)
		case "-":
		default:
			req.Header.Set("Origin", c.origin)
		}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// testPassword satisfies the password rules.
const testPassword = "correct horse battery"

// user is a user created through the API, with a session and an API token.
type user struct {
	id, email string
	role      leadcall.Role
	repID     string
	session   cred // cookie
	token     cred // bearer lct_...
}

// newUser creates a user through the admin API (for a rep, with a new rep), signs them in and
// gives them an API token.
func (e *env) newUser(role leadcall.Role, email string) *user {
	e.t.Helper()
	u := &user{email: email, role: role}
	if role == leadcall.RoleRep {
		var rep leadcall.Rep
		e.admin("POST", "/v1/reps", map[string]any{"name": "Rep " + email, "email": email}, http.StatusCreated, &rep)
		u.repID = rep.ID
	}
	var v httpapi.UserView
	e.admin("POST", "/v1/users", map[string]any{"email": email, "name": "U " + email, "role": role, "rep_id": u.repID, "password": testPassword},
		http.StatusCreated, &v)
	u.id = v.ID
	u.session = cred{cookie: e.login(email, testPassword)}
	var tok httpapi.NewTokenResponse
	r := e.send("POST", "/v1/tokens", u.session, map[string]any{"name": "script"})
	require.Equal(e.t, http.StatusCreated, r.status, "%s", r.body)
	r.json(e.t, &tok)
	u.token = bearerCred(tok.Token)
	return u
}

// login signs in and returns the session cookie's value.
func (e *env) login(email, password string) string {
	e.t.Helper()
	r := e.send("POST", "/v1/auth/login", cred{}, map[string]any{"email": email, "password": password})
	require.Equal(e.t, http.StatusOK, r.status, "%s", r.body)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == httpapi.SessionCookie {
			return c.Value
		}
	}
	e.t.Fatalf("login set no %s cookie: %v", httpapi.SessionCookie, r.header)
	return ""
}

// deviceFor creates a device of kind sales_rep for rep (through the admin API) and enrolls it.
func (e *env) deviceFor(repID string) (id, token string) {
	e.t.Helper()
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices", map[string]any{"nickname": "Phone of " + repID, "kind": "sales_rep", "rep_id": repID}, http.StatusCreated, &p)
	r := e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": p.PairingCode, "model": "Pixel", "os": "Android", "app_version": "1.0"})
	require.Equal(e.t, http.StatusOK, r.status, "%s", r.body)
	var er httpapi.EnrollResponse
	r.json(e.t, &er)
	return er.DeviceID, er.Token
}
