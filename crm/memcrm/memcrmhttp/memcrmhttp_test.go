package memcrmhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/crm/memcrm/memcrmhttp"
)

var start = time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("IST", 5*3600+1800))

// serve starts h on 127.0.0.1 and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func setup(t *testing.T) (*memcrm.CRM, *memcrmhttp.Client) {
	t.Helper()
	c := memcrm.New(nil)
	return c, memcrmhttp.NewClient(serve(t, memcrmhttp.Handler(c)), nil)
}

func requireError(t *testing.T, err error, want leadcall.Error) {
	t.Helper()
	var e *leadcall.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, want.Code.String(), e.Code.String(), "error: %v", err)
	require.Equal(t, want.Field, e.Field, "error: %v", err)
	require.Equal(t, want.RetryAfter, e.RetryAfter, "error: %v", err)
	require.Equal(t, want.ExistingID, e.ExistingID, "error: %v", err)
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, client := setup(t)
	owner, err := c.AddUser(crm.User{Name: "Asha", Email: "asha@example.com", Active: true})
	require.NoError(t, err)
	_, err = c.AddUser(crm.User{Name: "Gone"})
	require.NoError(t, err)
	contact, err := c.AddContact(memcrm.Person{LastName: "Iyer", Phones: map[string]string{"Mobile": "+91 98765-43210"}})
	require.NoError(t, err)

	users, err := client.Users(ctx)
	require.NoError(t, err)
	direct, err := c.Users(ctx)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(direct, users))

	lead, err := client.CreateLead(ctx, &crm.Lead{SyncKey: "lk", LastName: "Inbound Lead", Phone: "+919876543210",
		LeadSource: "Chat", Fields: map[string]string{"City": "Pune"}, Description: "d", OwnerID: owner})
	require.NoError(t, err)
	stored, _ := c.Lead(lead.ID)
	require.Equal(t, "Pune", stored.Fields["City"])
	require.Equal(t, "Chat", stored.LeadSource)

	recs, err := client.FindByPhone(ctx, []string{"+919876543210"})
	require.NoError(t, err)
	directRecs, err := c.FindByPhone(ctx, []string{"+919876543210"})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Empty(t, cmp.Diff(directRecs, recs))

	recs, err = client.FindByPhone(ctx, nil)
	require.NoError(t, err)
	require.NotNil(t, recs)
	require.Empty(t, recs)

	loc, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	callStart := time.Date(2026, 3, 2, 10, 30, 15, 123456789, loc)
	call, err := client.CreateCall(ctx, &crm.Call{SyncKey: "ck", Subject: "Inbound call", Type: crm.CallInbound, Start: callStart,
		Duration: 95*time.Second + 7, Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}, Result: "Interested", OwnerID: owner})
	require.NoError(t, err)
	gotCall, _ := c.Call(call.ID)
	require.True(t, gotCall.Start.Equal(callStart))
	_, offset := gotCall.Start.Zone()
	require.Equal(t, 5*3600+1800, offset, "the offset survives")
	require.Equal(t, 95*time.Second+7, gotCall.Duration, "durations are exact")

	id, err := client.FindBySyncKey(ctx, crm.ModuleCalls, "ck")
	require.NoError(t, err)
	require.Equal(t, call.ID, id)

	task, err := client.CreateTask(ctx, &crm.Task{SyncKey: "tk", Subject: "Call back", Due: start, Who: crm.Ref{Module: crm.ModuleLeads, ID: lead.ID}})
	require.NoError(t, err)
	require.NoError(t, client.CompleteTask(ctx, task.ID, "done"))
	gotTask, _ := c.Task(task.ID)
	require.Equal(t, crm.TaskStatusCompleted, gotTask.Status)
	require.Equal(t, "done", gotTask.Description)

	for _, m := range []crm.Module{crm.ModuleLeads, crm.ModuleContacts, crm.ModuleCalls, crm.ModuleTasks} {
		fields, err := client.Fields(ctx, m)
		require.NoError(t, err)
		direct, err := c.Fields(ctx, m)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(direct, fields), "module %s", m)
	}
	status, err := client.SyncKeyStatus(ctx)
	require.NoError(t, err)
	directStatus, err := c.SyncKeyStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, directStatus, status)

	res, err := client.CreateBundle(ctx, &crm.Bundle{Lead: &crm.Lead{SyncKey: "lk", LastName: "x"},
		Call: &crm.Call{Subject: "s", Type: crm.CallMissed, Start: start}, Task: &crm.Task{Subject: "s", Due: start}})
	require.NoError(t, err)
	requireError(t, res.Lead.Err, leadcall.Error{Code: leadcall.CodeConflict, Field: "LC_Sync_Key", ExistingID: lead.ID})
	require.ErrorIs(t, res.Call.Err, crm.ErrNotAttempted)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)

	res, err = client.CreateBundle(ctx, &crm.Bundle{Lead: &crm.Lead{SyncKey: "lk2", LastName: "x"},
		Call: &crm.Call{Subject: "s", Type: crm.CallMissed, Start: start}})
	require.NoError(t, err)
	require.NotEmpty(t, res.Lead.Created.ID)
	require.NotEmpty(t, res.Call.Created.ID)
	require.Equal(t, crm.PartResult{}, res.Task)
	gotCall, _ = c.Call(res.Call.Created.ID)
	require.Equal(t, crm.Ref{Module: crm.ModuleLeads, ID: res.Lead.Created.ID}, gotCall.Who)
}

func TestErrorsKeepTheirClassification(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, client := setup(t)
	lead, err := client.CreateLead(ctx, &crm.Lead{SyncKey: "k", LastName: "x"})
	require.NoError(t, err)

	_, err = client.CreateLead(ctx, &crm.Lead{SyncKey: "k", LastName: "x"})
	requireError(t, err, leadcall.Error{Code: leadcall.CodeConflict, Field: "LC_Sync_Key", ExistingID: lead.ID})
	_, err = client.CreateLead(ctx, &crm.Lead{})
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid, Field: "Last_Name"})
	err = client.CompleteTask(ctx, "404", "")
	requireError(t, err, leadcall.Error{Code: leadcall.CodeNotFound})
	_, err = client.Fields(ctx, "Deals")
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid, Field: "module"})

	for _, f := range []memcrm.Fault{
		{Code: leadcall.CodeRateLimited, RetryAfter: 1500 * time.Millisecond},
		{Code: leadcall.CodeUnavailable},
		{Code: leadcall.CodeUnauthorized},
		{Code: leadcall.CodeReconnectRequired},
		{Code: leadcall.CodeInternal},
		{Code: leadcall.CodeUnknown},
	} {
		c.FailNext(memcrm.OpAny, 1, f)
		_, err := client.FindByPhone(ctx, []string{"+919876543210"})
		requireError(t, err, leadcall.Error{Code: f.Code, RetryAfter: f.RetryAfter})
		require.Contains(t, err.Error(), "injected fault")
	}
	c.CommitThenFail(memcrm.OpCreateLead, 1)
	_, err = client.CreateLead(ctx, &crm.Lead{SyncKey: "lost", LastName: "x"})
	requireError(t, err, leadcall.Error{Code: leadcall.CodeUnavailable})
	id, err := client.FindBySyncKey(ctx, crm.ModuleLeads, "lost")
	require.NoError(t, err)
	require.NotEmpty(t, id)
}

func TestTransportFailuresAreUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = memcrmhttp.NewClient("http://"+addr, nil).CreateLead(ctx, &crm.Lead{LastName: "x"})
		requireError(t, err, leadcall.Error{Code: leadcall.CodeUnavailable})
	})
	t.Run("reset after the write", func(t *testing.T) {
		t.Parallel()
		c := memcrm.New(nil)
		h := memcrmhttp.Handler(c)
		url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(httptest.NewRecorder(), r)
			panic(http.ErrAbortHandler)
		}))
		_, err := memcrmhttp.NewClient(url, nil).CreateLead(ctx, &crm.Lead{SyncKey: "k", LastName: "x"})
		requireError(t, err, leadcall.Error{Code: leadcall.CodeUnavailable})
		require.Equal(t, 1, c.Counts().Leads, "the write was applied; only the response was lost")
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		c := memcrm.New(nil)
		url := serve(t, memcrmhttp.Handler(c))
		c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: leadcall.CodeUnavailable, Delay: time.Minute})
		client := memcrmhttp.NewClient(url, &http.Client{Timeout: 50 * time.Millisecond})
		_, err := client.Users(ctx)
		requireError(t, err, leadcall.Error{Code: leadcall.CodeUnavailable})
	})
	t.Run("canceled", func(t *testing.T) {
		t.Parallel()
		c := memcrm.New(nil)
		url := serve(t, memcrmhttp.Handler(c))
		c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: leadcall.CodeUnavailable, Delay: time.Minute})
		ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err := memcrmhttp.NewClient(url, nil).FindBySyncKey(ctx, crm.ModuleLeads, "k")
		requireError(t, err, leadcall.Error{Code: leadcall.CodeUnavailable})
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("bad base URL", func(t *testing.T) {
		t.Parallel()
		for _, base := range []string{"", "127.0.0.1:80", "ftp://127.0.0.1", "http://", "http://[::1"} {
			_, err := memcrmhttp.NewClient(base, nil).Users(ctx)
			requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid})
		}
	})
}

func TestClientRefusesNilInput(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, client := setup(t)
	_, err := client.CreateLead(ctx, nil)
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid})
	_, err = client.CreateCall(ctx, nil)
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid})
	_, err = client.CreateTask(ctx, nil)
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid})
	_, err = client.CreateBundle(ctx, nil)
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid})
	requireError(t, client.CompleteTask(ctx, "", ""), leadcall.Error{Code: leadcall.CodeNotFound})
	require.Zero(t, c.Requests(memcrm.OpAny))
}

func TestHandlerRefusesMalformedRequests(t *testing.T) {
	t.Parallel()
	c := memcrm.New(nil)
	h := memcrmhttp.Handler(c)
	huge := `{"last_name":"` + strings.Repeat("x", memcrmhttp.MaxRequestBytes) + `"}`
	tests := []struct {
		name, method, path, contentType, body string
		status                                int
	}{
		{"no content type", "POST", "/v1/leads", "", `{"last_name":"x"}`, 415},
		{"text content type", "POST", "/v1/leads", "text/plain", `{"last_name":"x"}`, 415},
		{"empty body", "POST", "/v1/leads", "application/json", ``, 400},
		{"not JSON", "POST", "/v1/leads", "application/json", `last_name=x`, 400},
		{"unknown field", "POST", "/v1/leads", "application/json", `{"last_name":"x","nickname":"y"}`, 400},
		{"wrong type", "POST", "/v1/calls", "application/json", `{"subject":"s","duration_ns":"95"}`, 400},
		{"bad time", "POST", "/v1/calls", "application/json", `{"subject":"s","start":"yesterday"}`, 400},
		{"trailing data", "POST", "/v1/leads", "application/json", `{"last_name":"x"}{"last_name":"y"}`, 400},
		{"trailing garbage", "POST", "/v1/leads", "application/json", `{"last_name":"x"} ]`, 400},
		{"array", "POST", "/v1/find-by-phone", "application/json", `[]`, 400},
		{"deep nesting", "POST", "/v1/find-by-phone", "application/json", strings.Repeat("[", 100000), 400},
		{"too large", "POST", "/v1/leads", "application/json", huge, 413},
		{"wrong method", "GET", "/v1/leads", "", ``, 405},
		{"unknown path", "POST", "/v1/deals", "application/json", `{}`, 404},
		{"root", "GET", "/", "", ``, 404},
	}
	for _, tt := range tests {
		req := httptest.NewRequestWithContext(t.Context(), tt.method, tt.path, strings.NewReader(tt.body))
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, tt.status, rec.Code, "%s: %s", tt.name, rec.Body.String())
		if tt.status != 404 && tt.status != 405 {
			var body struct {
				Error struct{ Code, Message string }
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), tt.name)
			require.NotEmpty(t, body.Error.Message, tt.name)
			require.Equal(t, "invalid", body.Error.Code, tt.name)
			require.Less(t, rec.Body.Len(), 2048, "%s: errors do not echo the request", tt.name)
		}
	}
	require.Zero(t, c.Requests(memcrm.OpAny), "malformed requests never reach the CRM")
	require.Zero(t, c.Counts().Leads)

	// A Client pointed at the wrong path gets the plain-text 404, and maps it by its status.
	_, err := memcrmhttp.NewClient(serve(t, h)+"/prefix", nil).CreateLead(t.Context(), &crm.Lead{LastName: "x"})
	requireError(t, err, leadcall.Error{Code: leadcall.CodeInvalid})
	require.Contains(t, err.Error(), "HTTP 404")
}

func TestHandlerRateLimitHeader(t *testing.T) {
	t.Parallel()
	c := memcrm.New(nil)
	c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: leadcall.CodeRateLimited, RetryAfter: 1200 * time.Millisecond})
	rec := httptest.NewRecorder()
	memcrmhttp.Handler(c).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), "GET", "/v1/users", nil))
	require.Equal(t, 429, rec.Code)
	require.Equal(t, "2", rec.Header().Get("Retry-After"), "rounded up to whole seconds")
	require.JSONEq(t, `{"error":{"code":"rate_limited","message":"injected fault","retry_after_ms":1200}}`, rec.Body.String())
}

// fakeServer answers every request with status, headers and body.
func fakeServer(t *testing.T, status int, header map[string]string, body []byte) *memcrmhttp.Client {
	t.Helper()
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	return memcrmhttp.NewClient(url, nil)
}

func TestClientHandlesHostileResponses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lead := &crm.Lead{LastName: "x"}
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   []byte
		want   leadcall.Error
	}{
		{"malformed JSON on success", 201, nil, []byte(`{"id":`), leadcall.Error{Code: leadcall.CodeUnavailable}},
		{"no id on success", 201, nil, []byte(`{}`), leadcall.Error{Code: leadcall.CodeUnavailable}},
		{"huge success", 201, nil, bytes.Repeat([]byte(" "), memcrmhttp.MaxResponseBytes+1), leadcall.Error{Code: leadcall.CodeUnavailable}},
		{"HTML 502", 502, nil, []byte("<html>bad gateway</html>"), leadcall.Error{Code: leadcall.CodeUnavailable}},
		{"plain 429", 429, map[string]string{"Retry-After": "7"}, nil, leadcall.Error{Code: leadcall.CodeRateLimited, RetryAfter: 7 * time.Second}},
		{"429 with a date", 429, map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, nil, leadcall.Error{Code: leadcall.CodeRateLimited}},
		{"429 with a huge delay", 429, map[string]string{"Retry-After": "999999999999"}, nil, leadcall.Error{Code: leadcall.CodeRateLimited, RetryAfter: 24 * time.Hour}},
		{"plain 401", 401, nil, []byte("no"), leadcall.Error{Code: leadcall.CodeUnauthorized}},
		{"plain 400", 400, nil, []byte("no"), leadcall.Error{Code: leadcall.CodeInvalid}},
		{"plain 302", 302, map[string]string{"Location": "/elsewhere"}, nil, leadcall.Error{Code: leadcall.CodeInvalid}},
		{"unknown code name", 503, nil, []byte(`{"error":{"code":"teapot"}}`), leadcall.Error{Code: leadcall.CodeUnavailable}},
		{"JSON error", 409, nil, []byte(`{"error":{"code":"conflict","field":"LC_Sync_Key","existing_id":"42"}}`),
			leadcall.Error{Code: leadcall.CodeConflict, Field: "LC_Sync_Key", ExistingID: "42"}},
		{"huge retry_after_ms", 429, nil, []byte(`{"error":{"code":"rate_limited","retry_after_ms":9223372036854775807}}`),
			leadcall.Error{Code: leadcall.CodeRateLimited, RetryAfter: 24 * time.Hour}},
		{"error body on 200", 200, nil, []byte(`{"error":{"code":"invalid"}}`), leadcall.Error{Code: leadcall.CodeUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := fakeServer(t, tt.status, tt.header, tt.body).CreateLead(ctx, lead)
			requireError(t, err, tt.want)
		})
	}
	t.Run("bundle part without id", func(t *testing.T) {
		t.Parallel()
		_, err := fakeServer(t, 200, nil, []byte(`{"lead":{"created":{"id":""}},"call":{},"task":{}}`)).
			CreateBundle(ctx, &crm.Bundle{Call: &crm.Call{}})
		requireError(t, err, leadcall.Error{Code: leadcall.CodeUnavailable})
	})
	t.Run("bundle part with an unknown code", func(t *testing.T) {
		t.Parallel()
		res, err := fakeServer(t, 200, nil, []byte(`{"lead":{},"call":{"error":{"code":"teapot","message":"m"}},"task":{}}`)).
			CreateBundle(ctx, &crm.Bundle{Call: &crm.Call{}})
		require.NoError(t, err)
		requireError(t, res.Call.Err, leadcall.Error{Code: leadcall.CodeUnknown})
	})
}

func FuzzClientResponse(f *testing.F) {
	f.Add(201, []byte(`{"id":"1"}`))
	f.Add(429, []byte(`{"error":{"code":"rate_limited","retry_after_ms":-5}}`))
	f.Add(200, []byte(`{"lead":{"error":{"code":"invalid","not_attempted":true}},"call":{"created":{"id":"2"}}}`))
	f.Add(500, []byte(`{"error":null}`))
	f.Add(204, []byte{})
	var status int
	var body []byte
	url := ""
	f.Fuzz(func(t *testing.T, s int, b []byte) {
		if s < 200 || s > 599 || s == 204 && len(b) > 0 || s == 304 || s >= 300 && s < 400 {
			return
		}
		status, body = s, b
		if url == "" {
			url = serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				_, _ = w.Write(body)
			}))
		}
		client := memcrmhttp.NewClient(url, nil)
		check := func(err error) {
			if err != nil && !errors.As(err, new(*leadcall.Error)) {
				t.Fatalf("unclassified error %v", err)
			}
			if err != nil && s >= 200 && s < 300 && leadcall.CodeOf(err) != leadcall.CodeUnavailable {
				t.Fatalf("a bad 2xx answer must be CodeUnavailable, got %v", err)
			}
		}
		_, err := client.CreateLead(t.Context(), &crm.Lead{LastName: "x"})
		check(err)
		_, err = client.FindByPhone(t.Context(), []string{"+919876543210"})
		check(err)
		res, err := client.CreateBundle(t.Context(), &crm.Bundle{Call: &crm.Call{}})
		check(err)
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
	})
}

func FuzzHandler(f *testing.F) {
	f.Add("/v1/leads", []byte(`{"last_name":"x","fields":{"City":"Pune"}}`))
	f.Add("/v1/calls", []byte(`{"subject":"s","type":"Inbound","start":"2026-03-02T10:30:00+05:30","duration_ns":1,"who":{"module":"Leads","id":"1"}}`))
	f.Add("/v1/find-by-phone", []byte(`{"variants":["+919876543210","(0) 98765"]}`))
	f.Add("/v1/bundles", []byte(`{"lead":{"last_name":"x"},"call":{"subject":"s"}}`))
	f.Add("/v1/tasks/1/complete", []byte(`{"note":"n"}`))
	f.Add("/v1/find-by-sync-key", []byte(`{"module":"Leads","key":"k"}`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		c := memcrm.New(nil)
		if _, err := c.AddContact(memcrm.Person{LastName: "K", Phones: map[string]string{"Phone": "+919876543210"}}); err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequestWithContext(t.Context(), "POST", "http://127.0.0.1/", bytes.NewReader(body))
		if err != nil {
			return
		}
		req.URL.Path = path
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		memcrmhttp.Handler(c).ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		if rec.Header().Get("Content-Type") == "application/json" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON answer %q", rec.Body.String())
		}
	})
}
