package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/httpapi"
)

// signIn logs in with email and password and returns the session cookie.
func signIn(t *testing.T, base, email, password string) *http.Cookie {
	t.Helper()
	body, err := json.Marshal(map[string]string{"email": email, "password": password})
	require.NoError(t, err)
	resp, err := http.Post(base+"/v1/auth/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, c := range resp.Cookies() {
		if c.Name == httpapi.SessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// getWithCookie sends GET path with the session cookie (nil: none) and decodes the answer.
func getWithCookie(t *testing.T, base, path string, cookie *http.Cookie, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", base+path, nil)
	require.NoError(t, err)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// TestSandboxCRMView: a call posted by a phone shows up in GET /v1/sandbox/crm as the Lead,
// Call and Task the sync created, linked and counted; managers read it, reps may not, nobody
// unauthenticated, and bad parameters are named.
func TestSandboxCRMView(t *testing.T) {
	t.Parallel()
	const admin = "crm-view-admin-token-0123456789"
	m := NewMain(Config{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox,
		AdminToken: admin, OrgID: "default", EnginePoll: 50 * time.Millisecond, BcryptCost: testBcryptCost,
	}, &bytes.Buffer{}, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	c := client{t: t, base: m.URL()}

	var empty zohotest.ViewResponse
	c.do("GET", "/v1/sandbox/crm", admin, nil, http.StatusOK, &empty)
	require.Equal(t, "Leads", empty.Module)
	require.Empty(t, empty.Records)
	require.Equal(t, map[string]int{"Leads": 0, "Contacts": 0, "Calls": 0, "Tasks": 0}, empty.Counts)

	var dev struct {
		ID          string `json:"id"`
		PairingCode string `json:"pairing_code"`
	}
	c.do("POST", "/v1/devices", admin, map[string]any{"nickname": "Ads line", "kind": "campaign"}, http.StatusCreated, &dev)
	c.do("PUT", "/v1/devices/"+dev.ID+"/assignment", admin, map[string]any{"lead_source": SandboxLeadSource}, http.StatusOK, nil)
	var enrolled struct{ Token string }
	c.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": dev.PairingCode, "model": "Pixel", "os": "Android", "app_version": "1.0"}, http.StatusOK, &enrolled)
	c.do("POST", "/v1/device/calls", enrolled.Token, map[string]any{"calls": []any{map[string]any{
		"id": "view-1", "number": "+919876543210", "type": "missed", "started_at": time.Now().Format(time.RFC3339Nano),
	}}}, http.StatusOK, nil)

	var leads zohotest.ViewResponse
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.do("GET", "/v1/sandbox/crm?module=Leads", admin, nil, http.StatusOK, &leads)
		if leads.Counts["Tasks"] == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, map[string]int{"Leads": 1, "Contacts": 0, "Calls": 1, "Tasks": 1}, leads.Counts)
	require.Len(t, leads.Records, 1)
	lead := leads.Records[0]
	require.Equal(t, "+919876543210", lead.Phone, "managers see the number unmasked")
	require.Equal(t, SandboxLeadSource, lead.LeadSource)
	require.NotEmpty(t, lead.SyncKey)
	require.Equal(t, m.fake.Records("Leads")[0].ID, lead.ID)
	require.Equal(t, map[string]int{"Calls": 1, "Tasks": 1}, lead.Linked, "the Lead counts what links to it")

	for _, module := range []string{"Calls", "Tasks"} {
		var v zohotest.ViewResponse
		c.do("GET", "/v1/sandbox/crm?module="+module+"&limit=5&related="+lead.ID, admin, nil, http.StatusOK, &v)
		require.Len(t, v.Records, 1, module)
		require.NotNil(t, v.Records[0].WhatID, module)
		require.Equal(t, zohotest.ViewLookup{ID: lead.ID, Name: lead.FullName, Module: "Leads"}, *v.Records[0].WhatID, module)
	}

	// Roles: a manager reads it, a rep may not, nobody without credentials.
	c.do("POST", "/v1/users", admin, map[string]any{"email": "boss@example.com", "name": "Boss", "role": "manager", "password": "manager password 1"}, http.StatusCreated, nil)
	var rep struct{ ID string }
	c.do("POST", "/v1/reps", admin, map[string]any{"name": "Ravi"}, http.StatusCreated, &rep)
	c.do("POST", "/v1/users", admin, map[string]any{"email": "ravi@example.com", "name": "Ravi", "role": "rep", "rep_id": rep.ID, "password": "rep password 12"}, http.StatusCreated, nil)
	var got zohotest.ViewResponse
	require.Equal(t, http.StatusOK, getWithCookie(t, m.URL(), "/v1/sandbox/crm?module=Calls", signIn(t, m.URL(), "boss@example.com", "manager password 1"), &got))
	require.Len(t, got.Records, 1)
	var errBody httpapi.ErrorBody
	require.Equal(t, http.StatusForbidden, getWithCookie(t, m.URL(), "/v1/sandbox/crm", signIn(t, m.URL(), "ravi@example.com", "rep password 12"), &errBody))
	require.NotEmpty(t, errBody.Error.Code)
	require.Equal(t, http.StatusUnauthorized, getWithCookie(t, m.URL(), "/v1/sandbox/crm", nil, nil))
	c.do("GET", "/v1/sandbox/crm", "not-the-admin-token-0123456789", nil, http.StatusUnauthorized, nil)

	// Bad parameters are named; a hostile query gets a clear answer.
	for _, tc := range []struct{ query, code, field string }{
		{"module=Accounts", "invalid", "module"},
		{"module=Leads&limit=0", "invalid", "limit"},
		{"limit=1e9", "invalid", "limit"},
		{"module=Leads&sort=desc", "invalid", "sort"},
		{"module=Leads&related=1", "invalid", "related"},
		{"module=Calls&related=x'--", "invalid", "related"},
		{"module=" + strings.Repeat("A", 64<<10), "query_too_long", ""},
	} {
		var eb httpapi.ErrorBody
		c.do("GET", "/v1/sandbox/crm?"+tc.query, admin, nil, http.StatusBadRequest, &eb)
		require.Equal(t, tc.code, eb.Error.Code, tc.query[:min(len(tc.query), 40)])
		require.Equal(t, tc.field, eb.Error.Field)
	}
	c.do("POST", "/v1/sandbox/crm", admin, nil, http.StatusMethodNotAllowed, nil)
}
