package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// A mounted route gets the built-in routes' checks: credentials, role, origin; its handler
// reads the principal.
func TestMount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	manager := e.newUser(leadcall.RoleManager, "manager@example.com")
	rep := e.newUser(leadcall.RoleRep, "rep@example.com")
	var seen []string
	e.srv.Mount("POST /v1/extra/thing", leadcall.RoleManager, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := httpapi.PrincipalFrom(r.Context())
		require.True(t, ok)
		seen = append(seen, p.OrgID+"/"+string(p.Role))
		w.WriteHeader(http.StatusNoContent)
	}))
	e.srv.MountPublic("GET /v1/extra/callback", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := httpapi.PrincipalFrom(r.Context())
		require.False(t, ok, "a public route has no principal")
		w.WriteHeader(http.StatusOK)
	}))

	for _, tc := range []struct {
		name string
		c    cred
		want int
	}{
		{"no credentials", cred{}, http.StatusUnauthorized},
		{"forged token", bearerCred("lct_forged"), http.StatusUnauthorized},
		{"rep below the role", rep.session, http.StatusForbidden},
		{"manager cookie from another origin", cred{cookie: manager.session.cookie, origin: "http://evil.example"}, http.StatusForbidden},
		{"manager session", manager.session, http.StatusNoContent},
		{"manager API token", manager.token, http.StatusNoContent},
	} {
		r := e.send("POST", "/v1/extra/thing", tc.c, nil)
		require.Equal(t, tc.want, r.status, "%s: %s", tc.name, r.body)
	}
	require.Equal(t, []string{"default/manager", "default/manager"}, seen)
	require.Equal(t, http.StatusOK, e.send("GET", "/v1/extra/callback", cred{}, nil).status)

	var routes []string
	for _, rt := range e.srv.Routes() {
		routes = append(routes, rt.Method+" "+rt.Path+" "+string(rt.Access))
	}
	require.Contains(t, routes, "POST /v1/extra/thing "+string(httpapi.AccessManager))
	require.Contains(t, routes, "GET /v1/extra/callback "+string(httpapi.AccessPublic))
	require.Panics(t, func() { e.srv.Mount("no-method", leadcall.RoleAdmin, http.NotFoundHandler()) })
	require.Panics(t, func() { e.srv.Mount("GET /v1/calls", leadcall.RoleAdmin, http.NotFoundHandler()) }, "clash with a built-in route")
}
