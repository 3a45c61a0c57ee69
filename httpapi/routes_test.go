package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/httpapi"
)

// fixture is an org with an admin, a manager and two reps (each with a paired phone and a
// call, rep B's with a review item), next to another org with a rep, a device, a user, an API
// token and a review item of its own.
type fixture struct {
	*env
	admin, manager, repA, repB *user
	devA, devB                 string
	devC                       string // a campaign phone
	devAToken                  string
	numA, numB                 string // E.164 numbers of the reps' calls
	reviewB                    int64  // review item of rep B's call

	otherRep, otherDevice, otherUser, otherToken string
	otherReview                                  int64
}

// otherMarkers are strings only the other org's data holds: no response to this org may contain
// them.
func (f *fixture) otherMarkers() []string {
	return []string{f.otherRep, f.otherDevice, f.otherUser, f.otherToken, "+919811100099"}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := newEnv(t, func(c *httpapi.Config) { c.MaxBodyBytes, c.EnrollBurst = 64<<10, 1000 })
	f := &fixture{env: e, numA: "+919800000001", numB: "+919800000002"}
	f.admin = e.newUser(leadcall.RoleAdmin, "admin@example.com")
	f.manager = e.newUser(leadcall.RoleManager, "manager@example.com")
	f.repA = e.newUser(leadcall.RoleRep, "rep.a@example.com")
	f.repB = e.newUser(leadcall.RoleRep, "rep.b@example.com")
	var tokB string
	f.devA, f.devAToken = e.deviceFor(f.repA.repID)
	f.devB, tokB = e.deviceFor(f.repB.repID)
	f.devC, _ = e.pairedDevice("campaign")
	at := time.Now().Add(time.Second)
	for _, c := range []struct{ tok, id, num string }{{f.devAToken, "a1", f.numA}, {tokB, "b1", f.numB}} {
		r := e.do("POST", "/v1/device/calls", c.tok, map[string]any{"calls": []any{call(c.id, c.num, "missed", at)}})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	// A review item of rep B's, stored directly: its call is rep B's.
	ctx := context.Background()
	cb := &leadcall.Call{DeviceID: f.devB, DeviceCallID: "b2", NumberRaw: f.numB, NumberE164: f.numB,
		Type: leadcall.CallMissed, StartedAt: at, ReceivedAt: at, DeviceKind: device.KindSalesRep, RepID: f.repB.repID,
		Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncReview}
	itemB := &leadcall.ReviewItem{Kind: leadcall.ReviewAmbiguous, NumberE164: f.numB}
	_, err := e.store.InsertCalls(ctx, "default", []leadcall.NewCall{{Call: cb, Review: itemB}})
	require.NoError(t, err)
	f.reviewB = itemB.ID

	// The other org, written straight to the store.
	f.otherRep, f.otherDevice, f.otherUser, f.otherToken = "rep-other-x", "dev-other-x", "usr-other-x", "tok-other-x"
	require.NoError(t, e.eng.CreateOrg(ctx, &leadcall.Org{ID: "other", Name: "Other"}))
	require.NoError(t, e.store.CreateRep(ctx, &leadcall.Rep{OrgID: "other", ID: f.otherRep, Name: "X"}))
	require.NoError(t, e.store.CreateDevice(ctx, &leadcall.Device{OrgID: "other", ID: f.otherDevice, Kind: device.KindSalesRep,
		Nickname: "X phone", RepID: f.otherRep, Active: true, Battery: -1}))
	require.NoError(t, e.store.CreateUser(ctx, &leadcall.User{OrgID: "other", ID: f.otherUser, Email: "x@other.example",
		Role: leadcall.RoleAdmin}))
	require.NoError(t, e.store.CreateAPIToken(ctx, &leadcall.APIToken{OrgID: "other", ID: f.otherToken, UserID: f.otherUser,
		Hash: "other-token-hash"}))
	c := &leadcall.Call{DeviceID: f.otherDevice, DeviceCallID: "x1", NumberRaw: "+919811100099", NumberE164: "+919811100099",
		Type: leadcall.CallMissed, StartedAt: at, ReceivedAt: at, DeviceKind: device.KindSalesRep, RepID: f.otherRep,
		Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncReview}
	item := &leadcall.ReviewItem{Kind: leadcall.ReviewAmbiguous, NumberE164: c.NumberE164}
	_, err = e.store.InsertCalls(ctx, "other", []leadcall.NewCall{{Call: c, Review: item}})
	require.NoError(t, err)
	f.otherReview = item.ID
	return f
}

// routeCase says how to call one route: a valid body, what fills {id} (for the acting user, in
// this org; in the other org; rep B's, for routes reps may read), and the status a valid call
// by the first role allowed answers.
type routeCase struct {
	// access is who may call the route (DESIGN.md §7 and the contract's role list): the
	// server's own route table must agree.
	access httpapi.Access
	query  string
	body   string
	want   int
	own    func(f *fixture, u *user) string
	other  func(f *fixture) string
	repB   func(f *fixture) string
}

func id(s string) func(*fixture) string { return func(*fixture) string { return s } }

// routeCases has an entry for every route of the server: TestEveryRoute fails for a route
// without one, so that a new route cannot skip these checks.
var routeCases = map[string]routeCase{
	"GET /healthz":              {access: httpapi.AccessPublic, want: http.StatusOK},
	"GET /readyz":               {access: httpapi.AccessPublic, want: http.StatusOK},
	"GET /metrics":              {access: httpapi.AccessPublic, want: http.StatusOK},
	"GET /v1/openapi.json":      {access: httpapi.AccessPublic, want: http.StatusOK},
	"GET /{$}":                  {access: httpapi.AccessPublic, want: http.StatusOK},
	"GET /ui/":                  {access: httpapi.AccessPublic, want: http.StatusNotFound}, // the directory itself; assets are tested in package ui
	"POST /v1/device/enroll":    {access: httpapi.AccessPublic, body: `{"pairing_code":"AAAA-BBBB-CCCC-DDDD","model":"m","os":"o","app_version":"1"}`, want: http.StatusUnauthorized},
	"POST /v1/device/heartbeat": {access: httpapi.AccessDevice, body: `{"app_version":"1.0","battery":50,"sims":[]}`, want: http.StatusNoContent},
	"POST /v1/device/calls":     {access: httpapi.AccessDevice, body: `{"calls":[]}`, want: http.StatusOK},

	"POST /v1/auth/login":  {access: httpapi.AccessPublic, body: `{"email":"admin@example.com","password":"` + testPassword + `"}`, want: http.StatusOK},
	"POST /v1/auth/logout": {access: httpapi.AccessRep, want: http.StatusNoContent},
	"GET /v1/auth/me":      {access: httpapi.AccessRep, want: http.StatusOK},
	"GET /v1/users":        {access: httpapi.AccessAdmin, want: http.StatusOK},
	"POST /v1/users":       {access: httpapi.AccessAdmin, body: `{"email":"new@example.com","role":"manager","password":"` + testPassword + `"}`, want: http.StatusCreated},
	"PATCH /v1/users/{id}": {access: httpapi.AccessAdmin, body: `{"name":"Renamed"}`, want: http.StatusOK,
		own: func(f *fixture, _ *user) string { return f.manager.id }, other: func(f *fixture) string { return f.otherUser }},
	"GET /v1/tokens":  {access: httpapi.AccessRep, want: http.StatusOK},
	"POST /v1/tokens": {access: httpapi.AccessRep, body: `{"name":"script"}`, want: http.StatusCreated},
	"DELETE /v1/tokens/{id}": {access: httpapi.AccessRep, want: http.StatusNoContent, own: func(f *fixture, u *user) string { return f.tokenOf(u) },
		other: func(f *fixture) string { return f.otherToken }},

	"GET /v1/settings":         {access: httpapi.AccessManager, want: http.StatusOK},
	"PUT /v1/settings":         {access: httpapi.AccessAdmin, body: settingsJSON(), want: http.StatusOK},
	"POST /v1/reps":            {access: httpapi.AccessManager, body: `{"name":"New","email":"new@example.com"}`, want: http.StatusCreated},
	"GET /v1/reps":             {access: httpapi.AccessManager, want: http.StatusOK},
	"GET /v1/crm/users":        {access: httpapi.AccessManager, want: http.StatusOK},
	"GET /v1/crm/lead-sources": {access: httpapi.AccessManager, want: http.StatusOK},
	"PUT /v1/reps/{id}/crm-user": {access: httpapi.AccessManager, body: `{"crm_user_id":""}`, want: http.StatusOK,
		own: func(f *fixture, _ *user) string { return f.repA.repID }, other: func(f *fixture) string { return f.otherRep }},
	"POST /v1/devices": {access: httpapi.AccessManager, body: `{"nickname":"New","kind":"campaign"}`, want: http.StatusCreated},
	"GET /v1/devices":  {access: httpapi.AccessRep, want: http.StatusOK},
	"PATCH /v1/devices/{id}": {access: httpapi.AccessManager, body: `{"nickname":"Renamed"}`, want: http.StatusOK,
		own: func(f *fixture, _ *user) string { return f.devA }, other: func(f *fixture) string { return f.otherDevice }},
	"POST /v1/devices/{id}/pairing-code": {access: httpapi.AccessManager, want: http.StatusCreated,
		own: func(f *fixture, _ *user) string { return f.devA }, other: func(f *fixture) string { return f.otherDevice }},
	"PUT /v1/devices/{id}/assignment": {access: httpapi.AccessManager, body: `{"lead_source":"","metadata":{"campaign":"Diwali"}}`, want: http.StatusOK,
		own: func(f *fixture, _ *user) string { return f.devC }, other: func(f *fixture) string { return f.otherDevice }},
	"GET /v1/devices/{id}/assignments": {access: httpapi.AccessRep, want: http.StatusOK,
		own: func(f *fixture, _ *user) string { return f.devA }, other: func(f *fixture) string { return f.otherDevice },
		repB: func(f *fixture) string { return f.devB }},
	"GET /v1/calls":     {access: httpapi.AccessRep, want: http.StatusOK},
	"GET /v1/calls.csv": {access: httpapi.AccessRep, want: http.StatusOK},
	"GET /v1/review":    {access: httpapi.AccessRep, want: http.StatusOK},
	"POST /v1/review/{id}/resolve": {access: httpapi.AccessManager, body: `{"action":"ignore"}`, want: http.StatusOK,
		own: func(f *fixture, _ *user) string { return fmt.Sprint(f.reviewB) }, other: func(f *fixture) string { return fmt.Sprint(f.otherReview) }},
	"GET /v1/reports/summary": {access: httpapi.AccessRep, query: "?from=" + time.Now().AddDate(0, 0, -30).UTC().Format(time.RFC3339) + "&to=" +
		time.Now().AddDate(0, 0, 30).UTC().Format(time.RFC3339) + "&group_by=device", want: http.StatusOK},
	"GET /v1/recovery":  {access: httpapi.AccessRep, query: "?status=open,attempted,recovered,expired", want: http.StatusOK},
	"POST /v1/backfill": {access: httpapi.AccessManager, body: `{"from":"2020-01-01T00:00:00Z","to":"2020-01-02T00:00:00Z","device_ids":[],"dry_run":true}`, want: http.StatusOK},
	"GET /v1/stream":    {access: httpapi.AccessRep, want: http.StatusNotFound}, // not mounted here: the WebSocket is tested in stream_test
}

// settingsJSON is a valid body of PUT /v1/settings.
func settingsJSON() string {
	b, err := json.Marshal(leadcall.DefaultSettings())
	if err != nil {
		panic(err)
	}
	return string(b)
}

// tokenOf creates an API token of u and returns its ID.
func (f *fixture) tokenOf(u *user) string {
	f.t.Helper()
	r := f.send("POST", "/v1/tokens", u.token, map[string]any{"name": "to revoke"})
	require.Equal(f.t, http.StatusCreated, r.status, "%s", r.body)
	var tok httpapi.NewTokenResponse
	r.json(f.t, &tok)
	return tok.ID
}

func (rc routeCase) path(rt httpapi.Route, idValue string) string {
	p := strings.Replace(rt.Path, "{$}", "", 1)
	return strings.Replace(p, "{id}", idValue, 1) + rc.query
}

func (rc routeCase) bodyOrNil() any {
	if rc.body == "" {
		return nil
	}
	return rc.body
}

func TestEveryRouteHasACase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	seen := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		rc, ok := routeCases[key]
		require.True(t, ok, "route %s has no entry in routeCases (routes_test.go): say who may call it and how", key)
		require.Equal(t, rc.access, rt.Access, "route %s: the server's access level differs from the role table", key)
		if rt.Access == httpapi.AccessRep && rt.Method != http.MethodGet {
			require.Contains(t, []string{"POST /v1/auth/logout", "POST /v1/tokens", "DELETE /v1/tokens/{id}"}, key,
				"reps may not change the org's data: %s", key)
		}
		if strings.Contains(rt.Path, "{") && !strings.Contains(rt.Path, "{$}") {
			require.NotNil(t, routeCases[key].own, "route %s takes an ID: its case needs own and other", key)
			require.NotNil(t, routeCases[key].other, "route %s takes an ID: its case needs own and other", key)
		}
	}
	for key := range routeCases {
		require.True(t, seen[key], "routeCases has %s, which is not a route", key)
	}
}

// TestEveryRoute checks each route of the server (Server.Routes) for authentication, roles, org
// isolation, rep scoping and hostile bodies. Each route gets a fixture of its own.
func TestEveryRoute(t *testing.T) {
	t.Parallel()
	routes := newEnv(t, nil).srv.Routes()
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		rc, ok := routeCases[key]
		if !ok {
			continue // TestEveryRouteHasACase fails for it
		}
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			own := func(u *user) string {
				if rc.own == nil {
					return ""
				}
				return rc.own(f, u)
			}
			checkUnauthenticated(t, f, rt, rc)
			checkHostileBodies(t, f, rt, rc)
			if rt.Access == httpapi.AccessPublic || rt.Access == httpapi.AccessDevice {
				c := cred{}
				if rt.Access == httpapi.AccessDevice {
					c = bearerCred(f.devAToken)
				}
				r := f.send(rt.Method, rc.path(rt, ""), c, rc.bodyOrNil())
				require.Equal(t, rc.want, r.status, "%s: %s", key, r.body)
				return
			}

			// Another org's IDs are 404, as if they did not exist.
			if rc.other != nil {
				r := f.send(rt.Method, rc.path(rt, rc.other(f)), f.admin.token, rc.bodyOrNil())
				require.Equal(t, http.StatusNotFound, r.status, "%s with another org's ID: %s", key, r.body)
			}
			// Reps read only their own devices' data.
			if rt.Access == httpapi.AccessRep && rt.Method == http.MethodGet {
				if rc.repB != nil {
					r := f.send(rt.Method, rc.path(rt, rc.repB(f)), f.repA.session, nil)
					require.Equal(t, http.StatusNotFound, r.status, "%s with another rep's ID: %s", key, r.body)
				}
				r := f.send(rt.Method, rc.path(rt, own(f.repA)), f.repA.session, nil)
				require.Equal(t, rc.want, r.status, "%s as rep A: %s", key, r.body)
				for _, s := range []string{f.devB, f.numB, f.repB.repID} {
					require.NotContains(t, string(r.body), s, "%s shows rep A data of rep B", key)
				}
			}
			// The role matrix: refused roles get 403 before the handler runs; the first
			// allowed role gets the route's success status.
			first := true
			for _, u := range []*user{f.repA, f.manager, f.admin} {
				for _, c := range []cred{u.session, u.token} {
					r := f.send(rt.Method, rc.path(rt, own(u)), c, rc.bodyOrNil())
					if !u.role.AtLeast(leadcall.Role(rt.Access)) {
						require.Equal(t, http.StatusForbidden, r.status, "%s as %s: %s", key, u.role, r.body)
						require.Equal(t, "forbidden", r.err(t).Code)
						continue
					}
					require.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, r.status, "%s as %s: %s", key, u.role, r.body)
					if first {
						require.Equal(t, rc.want, r.status, "%s as %s: %s", key, u.role, r.body)
						first = false
					}
					if rt.Method == http.MethodGet {
						for _, s := range f.otherMarkers() {
							require.NotContains(t, string(r.body), s, "%s shows another org's data", key)
						}
					}
					if key == "POST /v1/auth/logout" && c.cookie != "" {
						u.session = cred{cookie: f.login(u.email, testPassword)}
					}
				}
			}
		})
	}
}

// checkUnauthenticated: a route that needs credentials refuses missing, wrong and foreign
// ones with 401 (device routes refuse manager credentials, and manager routes device tokens).
func checkUnauthenticated(t *testing.T, f *fixture, rt httpapi.Route, rc routeCase) {
	t.Helper()
	path := rc.path(rt, "some-id")
	if rc.own != nil {
		path = rc.path(rt, rc.own(f, f.admin))
	}
	var bad []cred
	switch rt.Access {
	case httpapi.AccessPublic:
		r := f.send(rt.Method, path, cred{}, rc.bodyOrNil())
		if rc.want != http.StatusUnauthorized { // enrollment refuses a bad pairing code with 401
			require.NotEqual(t, http.StatusUnauthorized, r.status, "public route %s %s: %s", rt.Method, rt.Path, r.body)
		}
		return
	case httpapi.AccessDevice:
		bad = []cred{{}, bearerCred(adminToken), f.admin.token, bearerCred("lcd_forged"), f.admin.session}
	default:
		bad = []cred{{}, bearerCred("wrong"), bearerCred(f.devAToken), bearerCred("lct_forged"), {cookie: "forged"},
			bearerCred(strings.Repeat("x", 5000))}
	}
	for _, c := range bad {
		r := f.send(rt.Method, path, c, rc.bodyOrNil())
		require.Equal(t, http.StatusUnauthorized, r.status, "%s %s with %+v: %s", rt.Method, rt.Path, c, r.body)
		require.Equal(t, "unauthorized", r.err(t).Code)
		require.NotEmpty(t, r.header.Get("WWW-Authenticate"))
	}
}

// checkHostileBodies: a route that reads a JSON body answers malformed, hostile and oversized
// ones with a clear 4xx error naming the problem.
func checkHostileBodies(t *testing.T, f *fixture, rt httpapi.Route, rc routeCase) {
	t.Helper()
	if rc.body == "" {
		return
	}
	c := f.admin.token
	switch rt.Access {
	case httpapi.AccessPublic:
		c = cred{}
	case httpapi.AccessDevice:
		c = bearerCred(f.devAToken)
	}
	path := rc.path(rt, "some-id")
	if rc.own != nil {
		path = rc.path(rt, rc.own(f, f.admin))
	}
	cases := []struct {
		name   string
		body   string
		header []string
		status int
		field  string
	}{
		{name: "empty", body: " ", status: http.StatusBadRequest},
		{name: "truncated", body: rc.body[:len(rc.body)-1], status: http.StatusBadRequest},
		{name: "array", body: `[]`, status: http.StatusBadRequest},
		{name: "unknown field", body: `{"zz_unknown":1}`, status: http.StatusBadRequest, field: "zz_unknown"},
		{name: "another device's ID", body: `{"device_id":"` + f.devB + `"}`, status: http.StatusBadRequest, field: "device_id"},
		{name: "trailing data", body: rc.body + `{}`, status: http.StatusBadRequest},
		{name: "invalid UTF-8", body: "{\"a\":\"\xff\"}", status: http.StatusBadRequest},
		{name: "deep nesting", body: strings.Repeat("[", 10000), status: http.StatusBadRequest},
		{name: "oversized", body: `{"a":"` + strings.Repeat("x", 70<<10) + `"}`, status: http.StatusRequestEntityTooLarge},
		{name: "not JSON", body: rc.body, header: []string{"Content-Type", "text/plain"}, status: http.StatusUnsupportedMediaType},
	}
	for _, tc := range cases {
		r := f.send(rt.Method, path, c, tc.body, tc.header...)
		require.Equal(t, tc.status, r.status, "%s %s, %s body: %s", rt.Method, rt.Path, tc.name, r.body)
		d := r.err(t)
		if tc.field != "" {
			require.Equal(t, tc.field, d.Field, "%s %s, %s body", rt.Method, rt.Path, tc.name)
		}
	}
}
