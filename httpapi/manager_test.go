package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/httpapi"
)

// managerRoutes is every manager-API route with a body it accepts.
var managerRoutes = []struct{ method, path, body string }{
	{"GET", "/v1/settings", ""},
	{"PUT", "/v1/settings", `{}`},
	{"POST", "/v1/reps", `{"name":"A","email":"a@example.com"}`},
	{"GET", "/v1/reps", ""},
	{"PUT", "/v1/reps/r1/crm-user", `{"crm_user_id":""}`},
	{"GET", "/v1/crm/users", ""},
	{"GET", "/v1/crm/lead-sources", ""},
	{"POST", "/v1/devices", `{"nickname":"x","kind":"campaign"}`},
	{"GET", "/v1/devices", ""},
	{"PATCH", "/v1/devices/d1", `{}`},
	{"POST", "/v1/devices/d1/pairing-code", ""},
	{"PUT", "/v1/devices/d1/assignment", `{}`},
	{"GET", "/v1/devices/d1/assignments", ""},
	{"GET", "/v1/calls", ""},
	{"GET", "/v1/review", ""},
	{"POST", "/v1/review/1/resolve", `{"action":"ignore"}`},
}

func TestManagerRoutesRefuseWithoutAdminToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, deviceToken := e.pairedDevice("campaign")
	for _, rt := range managerRoutes {
		for _, tok := range []string{"", "wrong", adminToken + "x", adminToken[:len(adminToken)-1], deviceToken} {
			var body any
			if rt.body != "" {
				body = rt.body
			}
			r := e.do(rt.method, rt.path, tok, body)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s %s with %q", rt.method, rt.path, tok)
			require.Equal(t, "unauthorized", r.err(t).Code)
			require.NotEmpty(t, r.header.Get("WWW-Authenticate"))
		}
	}
	// Scheme is case-insensitive; anything but Bearer is refused.
	for _, h := range []string{"Basic " + adminToken, adminToken, "Bearer", "Bearer  " + adminToken} {
		req := newRequest("GET", "/v1/settings", h)
		require.Equal(t, http.StatusUnauthorized, e.serve(req).Code, h)
	}
	require.Equal(t, http.StatusOK, e.serve(newRequest("GET", "/v1/settings", "bEaReR "+adminToken)).Code)
}

func TestDeviceRoutesRefuseWithoutDeviceToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, path := range []string{"/v1/device/heartbeat", "/v1/device/calls"} {
		for _, tok := range []string{"", "lcd_unknown", adminToken, "lcd_" + strings.Repeat("A", 600)} {
			r := e.do("POST", path, tok, `{"calls":[]}`)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s with %q", path, tok)
		}
	}
}

func TestOtherOrgsIDsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	require.NoError(t, e.eng.CreateOrg(ctx, &leadcall.Org{ID: "other", Name: "Other"}))
	require.NoError(t, e.eng.CreateRep(ctx, &leadcall.Rep{OrgID: "other", ID: "rep-x", Name: "X"}))
	require.NoError(t, e.eng.CreateDevice(ctx, &leadcall.Device{OrgID: "other", ID: "dev-x", Nickname: "X", Kind: device.KindCampaign, Active: true}))
	res, err := e.eng.Ingest(ctx, "other", "dev-x", []leadcall.IncomingCall{{ID: "o1", Number: "not a number", Type: "missed", StartedAt: time.Now()}})
	require.NoError(t, err)
	require.Equal(t, leadcall.IngestAccepted, res[0].Status)
	page, err := e.store.ListReview(ctx, &leadcall.ReviewFilter{OrgID: "other"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "the other org has a review item")
	otherReview := page.Items[0].ID

	for _, rt := range []struct{ method, path, body string }{
		{"PATCH", "/v1/devices/dev-x", `{"nickname":"mine now"}`},
		{"POST", "/v1/devices/dev-x/pairing-code", ""},
		{"PUT", "/v1/devices/dev-x/assignment", `{"lead_source":"Advertisement"}`},
		{"GET", "/v1/devices/dev-x/assignments", ""},
		{"PUT", "/v1/reps/rep-x/crm-user", `{"crm_user_id":"` + e.crmUser + `"}`},
		{"POST", "/v1/review/" + itoa(otherReview) + "/resolve", `{"action":"ignore"}`},
	} {
		var body any
		if rt.body != "" {
			body = rt.body
		}
		r := e.do(rt.method, rt.path, adminToken, body)
		require.Equal(t, http.StatusNotFound, r.status, "%s %s: %s", rt.method, rt.path, r.body)
		require.Equal(t, "not_found", r.err(t).Code)
	}
	// A rep of another org cannot be given to our device either.
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices", map[string]any{"nickname": "Ours", "kind": "campaign"}, http.StatusCreated, &p)
	r := e.admin("PATCH", "/v1/devices/"+p.ID, map[string]any{"rep_id": "rep-x"}, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "rep_id", r.err(t).Field)

	// Lists never show the other org.
	var calls httpapi.Page[httpapi.CallView]
	e.admin("GET", "/v1/calls?device=dev-x", nil, http.StatusOK, &calls)
	require.Empty(t, calls.Items)
	var review httpapi.Page[httpapi.ReviewView]
	e.admin("GET", "/v1/review", nil, http.StatusOK, &review)
	require.Empty(t, review.Items)
	var devices []httpapi.DeviceView
	e.admin("GET", "/v1/devices", nil, http.StatusOK, &devices)
	require.Len(t, devices, 1)
	require.Equal(t, p.ID, devices[0].ID)
	var reps []leadcall.Rep
	e.admin("GET", "/v1/reps", nil, http.StatusOK, &reps)
	require.Empty(t, reps)
	// And the other org's device is untouched.
	d, err := e.store.Device(ctx, "other", "dev-x")
	require.NoError(t, err)
	require.Equal(t, "X", d.Nickname)
}

func TestHostileBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, token := e.pairedDevice("campaign")
	huge := `{"calls":[{"id":"` + strings.Repeat("a", httpapi.DefaultMaxBodyBytes) + `"}]}`
	cases := []struct {
		name       string
		path       string
		tok        string
		body       string
		ctype      string
		wantStatus int
		wantField  string
		wantInMsg  string
	}{
		{"empty", "/v1/device/calls", token, "", "", 400, "", "required"},
		{"malformed", "/v1/device/calls", token, `{"calls":[`, "", 400, "", "ends too early"},
		{"syntax", "/v1/device/calls", token, `{"calls":[}`, "", 400, "", "malformed JSON"},
		{"not an object", "/v1/device/calls", token, `[1,2]`, "", 400, "", ""},
		{"unknown field", "/v1/device/calls", token, `{"calls":[],"admin":true}`, "", 400, "admin", "unknown field"},
		{"unknown nested field", "/v1/device/calls", token, `{"calls":[{"id":"a","extra":1}]}`, "", 400, "extra", "unknown field"},
		{"wrong type", "/v1/device/calls", token, `{"calls":[{"id":"a","duration_s":"long"}]}`, "", 400, "calls.duration_s", "wrong type"},
		{"wrong type at top", "/v1/device/calls", token, `{"calls":"all of them"}`, "", 400, "calls", "wrong type"},
		{"float duration", "/v1/device/calls", token, `{"calls":[{"id":"a","duration_s":1.5}]}`, "", 400, "calls.duration_s", "wrong type"},
		{"bad time", "/v1/device/calls", token, `{"calls":[{"id":"a","started_at":"yesterday"}]}`, "", 400, "", "RFC 3339"},
		{"NUL in string", "/v1/device/calls", token, `{"calls":[{"id":"a\u0000b","type":"missed"}]}`, "", 400, "calls[0].id", "NUL"},
		{"NUL in metadata key", "/v1/devices/x/assignment", adminToken, `{"metadata":{"a\u0000":"b"}}`, "", 400, "metadata", "NUL"},
		{"invalid UTF-8", "/v1/device/calls", token, "{\"calls\":[{\"id\":\"\xff\"}]}", "", 400, "", "UTF-8"},
		{"trailing data", "/v1/device/calls", token, `{"calls":[]} {"calls":[]}`, "", 400, "", "after the JSON"},
		{"missing calls", "/v1/device/calls", token, `{}`, "", 400, "calls", "required"},
		{"null calls", "/v1/device/calls", token, `{"calls":null}`, "", 400, "calls", "required"},
		{"wrong content type", "/v1/device/calls", token, `{"calls":[]}`, "text/plain", 415, "", "Content-Type"},
		{"oversized", "/v1/device/calls", token, huge, "", 413, "", "above"},
		{"oversized admin", "/v1/settings", adminToken, `{"time_zone":"` + strings.Repeat("x", httpapi.DefaultMaxBodyBytes) + `"}`, "", 413, "", "above"},
		{"deeply nested", "/v1/settings", adminToken, strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "", 400, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if strings.HasPrefix(tc.path, "/v1/settings") || strings.HasSuffix(tc.path, "/assignment") {
				method = "PUT"
			}
			req := newRequest(method, tc.path, "Bearer "+tc.tok)
			req.Body = ioNopCloser(tc.body)
			req.ContentLength = int64(len(tc.body))
			req.Header.Set("Content-Type", cmpOr(tc.ctype, "application/json"))
			rec := e.serve(req)
			r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			require.Equal(t, tc.wantStatus, r.status, "%s", r.body)
			d := r.err(t)
			require.Equal(t, tc.wantField, d.Field)
			require.Contains(t, d.Message, tc.wantInMsg)
		})
	}
	// Nothing of it was stored.
	var page httpapi.Page[httpapi.CallView]
	e.admin("GET", "/v1/calls", nil, http.StatusOK, &page)
	require.Empty(t, page.Items)
}

func TestSettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var s leadcall.Settings
	e.admin("GET", "/v1/settings", nil, http.StatusOK, &s)
	require.Empty(t, cmp.Diff(leadcall.DefaultSettings(), s, cmpopts.EquateEmpty()))

	s.DefaultRegion, s.TimeZone = "in", "Asia/Kolkata"
	s.Rules.BlockedNumbers = []string{"098200 11111", "+91 98200 11111"}
	var got leadcall.Settings
	e.admin("PUT", "/v1/settings", s, http.StatusOK, &got)
	require.Equal(t, "IN", got.DefaultRegion)
	require.Equal(t, []string{"+919820011111"}, got.Rules.BlockedNumbers)
	e.admin("GET", "/v1/settings", nil, http.StatusOK, &s)
	require.Empty(t, cmp.Diff(got, s))

	s.TimeZone = "Mars/Olympus"
	r := e.admin("PUT", "/v1/settings", s, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "time_zone", r.err(t).Field)
	s.TimeZone, s.Rules.InternalNumbers = "UTC", []string{"not a phone"}
	r = e.admin("PUT", "/v1/settings", s, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "rules.internal_numbers[0]", r.err(t).Field)
}

func TestRepsAndCRMUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var users []httpapi.CRMUser
	e.admin("GET", "/v1/crm/users", nil, http.StatusOK, &users)
	require.Equal(t, []httpapi.CRMUser{{ID: e.crmUser, Name: "Asha Rao", Email: "asha@example.com"}}, users)

	var rep leadcall.Rep
	e.admin("POST", "/v1/reps", httpapi.RepRequest{Name: "Asha", Email: "asha@example.com"}, http.StatusCreated, &rep)
	require.NotEmpty(t, rep.ID)
	e.admin("PUT", "/v1/reps/"+rep.ID+"/crm-user", httpapi.CRMUserRequest{CRMUserID: e.crmUser}, http.StatusOK, &rep)
	require.Equal(t, e.crmUser, rep.CRMUserID)
	r := e.admin("PUT", "/v1/reps/"+rep.ID+"/crm-user", httpapi.CRMUserRequest{CRMUserID: "nobody"}, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "crm_user_id", r.err(t).Field)
	e.admin("PUT", "/v1/reps/no-such-rep/crm-user", httpapi.CRMUserRequest{}, http.StatusNotFound, nil)

	var reps []leadcall.Rep
	e.admin("GET", "/v1/reps", nil, http.StatusOK, &reps)
	require.Len(t, reps, 1)
	require.Equal(t, e.crmUser, reps[0].CRMUserID)

	r = e.admin("POST", "/v1/reps", httpapi.RepRequest{Name: " ", Email: "x"}, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "name", r.err(t).Field)
}

func TestDevicesAndAssignments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var rep leadcall.Rep
	e.admin("POST", "/v1/reps", httpapi.RepRequest{Name: "Ravi"}, http.StatusCreated, &rep)
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices", httpapi.DeviceRequest{Nickname: "Ads", Kind: string(device.KindCampaign), RepID: rep.ID}, http.StatusCreated, &p)
	require.NotEmpty(t, p.PairingCode)

	r := e.admin("POST", "/v1/devices", map[string]any{"nickname": "x", "kind": "fax"}, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "kind", r.err(t).Field)

	var sources []crm.PicklistValue
	e.admin("GET", "/v1/crm/lead-sources", nil, http.StatusOK, &sources)
	require.Contains(t, sources, crm.PicklistValue{DisplayValue: "Advertisement", ActualValue: "Advertisement"})

	var a httpapi.AssignmentResponse
	e.admin("PUT", "/v1/devices/"+p.ID+"/assignment", map[string]any{"lead_source": "advertisement", "metadata": map[string]string{"No Such Field": "x"}}, http.StatusOK, &a)
	require.Equal(t, "Advertisement", a.LeadSource, "the display value is stored")
	require.Nil(t, a.End)
	require.Equal(t, []leadcall.AssignmentWarning{{Key: "No Such Field", Reason: "no Lead field has this API name or label"}}, a.Warnings)

	r = e.admin("PUT", "/v1/devices/"+p.ID+"/assignment", map[string]any{"lead_source": "Carrier Pigeon"}, http.StatusUnprocessableEntity, nil)
	d := r.err(t)
	require.Equal(t, "invalid_lead_source", d.Code)
	require.Equal(t, "lead_source", d.Field)

	var second httpapi.AssignmentResponse
	e.admin("PUT", "/v1/devices/"+p.ID+"/assignment", map[string]any{"lead_source": "Cold Call"}, http.StatusOK, &second)
	require.Empty(t, second.Warnings)
	require.NotNil(t, second.Warnings, "warnings is [] rather than null")
	var history []httpapi.AssignmentView
	e.admin("GET", "/v1/devices/"+p.ID+"/assignments", nil, http.StatusOK, &history)
	require.Len(t, history, 2)
	require.Equal(t, a.ID, history[0].ID)
	require.NotNil(t, history[0].End, "the first one was closed")
	require.Nil(t, history[1].End)
	e.admin("GET", "/v1/devices/nope/assignments", nil, http.StatusNotFound, nil)
	e.admin("PUT", "/v1/devices/nope/assignment", map[string]any{}, http.StatusNotFound, nil)

	// PATCH: absent fields stay, null rep removes the rep, deactivating closes the assignment.
	var v httpapi.DeviceView
	e.admin("PATCH", "/v1/devices/"+p.ID, map[string]any{"nickname": "Ads line"}, http.StatusOK, &v)
	require.Equal(t, "Ads line", v.Nickname)
	require.Equal(t, rep.ID, v.RepID)
	require.False(t, v.Paired)
	var cleared httpapi.DeviceView
	e.admin("PATCH", "/v1/devices/"+p.ID, map[string]any{"rep_id": nil}, http.StatusOK, &cleared)
	require.Empty(t, cleared.RepID)
	require.Equal(t, "Ads line", cleared.Nickname)
	e.admin("PATCH", "/v1/devices/"+p.ID, map[string]any{"active": false}, http.StatusOK, &v)
	require.False(t, v.Active)
	e.admin("GET", "/v1/devices/"+p.ID+"/assignments", nil, http.StatusOK, &history)
	require.NotNil(t, history[1].End)
	e.admin("PATCH", "/v1/devices/nope", map[string]any{}, http.StatusNotFound, nil)
	r = e.admin("PATCH", "/v1/devices/"+p.ID, map[string]any{"rep_id": 5}, http.StatusBadRequest, nil)
	require.Equal(t, "rep_id", r.err(t).Field)

	var list []httpapi.DeviceView
	e.admin("GET", "/v1/devices", nil, http.StatusOK, &list)
	require.Len(t, list, 1)
}

func TestSeatLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.OrgID = "small" })
	require.NoError(t, e.eng.CreateOrg(context.Background(), &leadcall.Org{ID: "small", Name: "Small", SeatLimit: 1}))
	e.admin("POST", "/v1/devices", map[string]any{"nickname": "one", "kind": "campaign"}, http.StatusCreated, nil)
	r := e.admin("POST", "/v1/devices", map[string]any{"nickname": "two", "kind": "campaign"}, http.StatusConflict, nil)
	require.Equal(t, "seat_limit", r.err(t).Code)
}

func TestCallsListFiltersAndPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id, token := e.pairedDevice("campaign")
	base := time.Now().Add(time.Second)
	r := e.do("POST", "/v1/device/calls", token, map[string]any{"calls": []any{
		call("a", "9876512345", "missed", base),
		call("b", "9876512346", "inbound", base.Add(time.Second)),
		call("c", "9876512347", "outbound", base.Add(2*time.Second)),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	var page httpapi.Page[httpapi.CallView]
	e.admin("GET", "/v1/calls?type=missed,inbound", nil, http.StatusOK, &page)
	require.Len(t, page.Items, 2)
	e.admin("GET", "/v1/calls?type=outbound&device="+id, nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)
	require.Equal(t, "c", page.Items[0].DeviceCallID)
	require.Equal(t, leadcall.DispositionLocal, page.Items[0].Disposition)

	from := base.Add(500 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	e.admin("GET", "/v1/calls?from="+from, nil, http.StatusOK, &page)
	require.Len(t, page.Items, 2)

	// Paging: newest first, one at a time, until next_cursor is empty.
	var seen []string
	cursor := ""
	for range 5 {
		e.admin("GET", "/v1/calls?limit=1&cursor="+cursor, nil, http.StatusOK, &page)
		for _, c := range page.Items {
			seen = append(seen, c.DeviceCallID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	require.Equal(t, []string{"c", "b", "a"}, seen)

	for _, q := range []struct{ query, field string }{
		{"from=yesterday", "from"}, {"to=2026-13-01T00:00:00Z", "to"}, {"type=fax", "type"},
		{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"},
		{"cursor=%00", "cursor"}, {"cursor=garbage", ""},
		{"from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to"},
		{"device=" + strings.Repeat("d,", 101), "device"},
	} {
		r := e.admin("GET", "/v1/calls?"+q.query, nil, http.StatusBadRequest, nil)
		if q.field != "" {
			require.Equal(t, q.field, r.err(t).Field, q.query)
		}
	}
}

func TestReviewListAndResolve(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, token := e.pairedDevice("campaign")
	r := e.do("POST", "/v1/device/calls", token, map[string]any{"calls": []any{call("bad", "call me maybe", "missed", time.Now().Add(time.Second))}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	var page httpapi.Page[httpapi.ReviewView]
	e.admin("GET", "/v1/review?status=open", nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)
	item := page.Items[0]
	require.Equal(t, leadcall.ReviewInvalidNumber, item.Kind)
	require.NotNil(t, item.Candidates)
	require.Nil(t, item.Resolution)

	path := "/v1/review/" + itoa(item.ID) + "/resolve"
	r = e.admin("POST", path, httpapi.ResolveRequest{Action: leadcall.ActionRetry}, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "action", r.err(t).Field)
	r = e.admin("POST", path, map[string]any{"action": "shred"}, http.StatusUnprocessableEntity, nil)
	require.Equal(t, "action", r.err(t).Field)
	var resolved httpapi.ReviewView
	e.admin("POST", path, httpapi.ResolveRequest{Action: leadcall.ActionIgnore}, http.StatusOK, &resolved)
	require.Equal(t, leadcall.ReviewResolved, resolved.Status)
	require.Equal(t, leadcall.ActionIgnore, resolved.Resolution.Action)
	require.Equal(t, "admin-token", resolved.Resolution.By)
	r = e.admin("POST", path, httpapi.ResolveRequest{Action: leadcall.ActionIgnore}, http.StatusConflict, nil)
	require.Equal(t, "conflict", r.err(t).Code)

	e.admin("GET", "/v1/review?status=open", nil, http.StatusOK, &page)
	require.Empty(t, page.Items)
	e.admin("GET", "/v1/review?status=resolved", nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)
	e.admin("GET", "/v1/review?status=maybe", nil, http.StatusBadRequest, nil)
	e.admin("POST", "/v1/review/999999/resolve", httpapi.ResolveRequest{Action: leadcall.ActionIgnore}, http.StatusNotFound, nil)
	e.admin("POST", "/v1/review/-1/resolve", httpapi.ResolveRequest{Action: leadcall.ActionIgnore}, http.StatusNotFound, nil)
	e.admin("POST", "/v1/review/abc/resolve", httpapi.ResolveRequest{Action: leadcall.ActionIgnore}, http.StatusNotFound, nil)
}
