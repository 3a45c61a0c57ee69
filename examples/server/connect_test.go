package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/examples/internal/crmconn"
	"github.com/leadcall/leadcall/httpapi"
)

// connectEnv is a zoho-mode server with a client ID and secret but no refresh token, against
// a fake Zoho on loopback.
type connectEnv struct {
	fake    *zohotest.Server
	cfg     Config
	m       *Main
	c       client
	logs    *bytes.Buffer
	browser *http.Client // follows Zoho's redirect, stops at the dashboard
}

const connectAdmin = "connect-flow-admin-token"

func newConnectEnv(t *testing.T) *connectEnv {
	t.Helper()
	e := &connectEnv{fake: zohotest.New(zohotest.Config{}), logs: &bytes.Buffer{}}
	require.NoError(t, e.fake.Start())
	t.Cleanup(func() { _ = e.fake.Close() })
	creds := e.fake.Credentials()
	dir := t.TempDir()
	var err error
	e.cfg, err = ParseConfig([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "leadcall.db"), "-crm", "zoho",
		"-zoho-accounts-url", creds.AccountsURL, "-zoho-client-id", creds.ClientID, "-zoho-client-secret", creds.ClientSecret,
	}, func(k string) string {
		if k == "LEADCALL_ADMIN_TOKEN" {
			return connectAdmin
		}
		return ""
	}, io.Discard)
	require.NoError(t, err)
	e.cfg.BcryptCost, e.cfg.EnginePoll = testBcryptCost, 50*time.Millisecond
	e.start(t)
	e.browser = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return e
}

func (e *connectEnv) start(t *testing.T) {
	t.Helper()
	e.m = NewMain(e.cfg, io.Discard, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, e.m.Run(context.Background()))
	m := e.m
	t.Cleanup(func() { _ = m.Close() })
	e.c = client{t: t, base: e.m.URL()}
}

// connect starts the flow as token and follows it like a browser; it returns the dashboard
// URL the server sent the browser back to, and the callback URL.
func (e *connectEnv) connect(t *testing.T, token string) (*url.URL, string) {
	t.Helper()
	var out struct{ URL string }
	e.c.do("POST", "/v1/crm/zoho/connect", token, nil, http.StatusOK, &out)
	require.True(t, strings.HasPrefix(out.URL, e.fake.URL()+"/oauth/v2/auth?"), out.URL)
	consent, err := url.Parse(out.URL)
	require.NoError(t, err)
	require.Equal(t, e.m.URL()+"/v1/crm/zoho/callback", consent.Query().Get("redirect_uri"))
	var callback string
	b := *e.browser
	b.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.Path, "/v1/crm/zoho/callback") {
			callback = req.URL.String()
		}
		return e.browser.CheckRedirect(req, via)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, out.URL, nil)
	require.NoError(t, err)
	resp, err := b.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/settings", back.Fragment)
	return back, callback
}

func (e *connectEnv) status(t *testing.T) crmconn.Status {
	t.Helper()
	var st crmconn.Status
	e.c.do("GET", "/v1/crm/status", connectAdmin, nil, http.StatusOK, &st)
	return st
}

// TestZohoConnectFlow: a server without a refresh token is not connected and syncs nothing;
// an admin connects through Zoho's consent screen; the token lands in a 0600 file, the CRM
// switches at once, a call posted afterwards syncs to the fake, and a restart reconnects from
// the file.
func TestZohoConnectFlow(t *testing.T) {
	t.Parallel()
	e := newConnectEnv(t)
	var ready httpapi.Readiness
	e.c.do("GET", "/readyz", "", nil, http.StatusServiceUnavailable, &ready)
	require.Equal(t, "not_connected", ready.CRM)
	require.Equal(t, crmconn.Status{Mode: "zoho", CanConnect: true}, e.status(t))
	tokenFile := e.cfg.DB + ".zoho-token.json"
	_, err := os.Stat(tokenFile)
	require.ErrorIs(t, err, os.ErrNotExist)

	// A call that arrives before the connection waits as pending.
	device := pairDevice(t, e.c, connectAdmin)
	postCall(t, e.c, device, "call-before")
	time.Sleep(300 * time.Millisecond) // several engine polls
	require.Equal(t, "pending", syncStatus(t, e.c, "call-before"))
	require.Zero(t, e.fake.Count("Leads"))

	// A Zoho user approves the consent screen.
	approver, err := e.fake.AddUser(zohotest.User{LastName: "Owner", Email: "owner@example.com", Profile: "Administrator"})
	require.NoError(t, err)
	e.fake.SetConsent(func(zohotest.ConsentRequest) (string, error) { return approver, nil })
	back, callback := e.connect(t, connectAdmin)
	require.Equal(t, url.Values{"zoho": {"connected"}}, back.Query())

	info, err := os.Stat(tokenFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	saved, err := crmconn.LoadToken(tokenFile)
	require.NoError(t, err)
	require.Equal(t, e.fake.URL(), saved.AccountsURL)
	require.NotContains(t, e.logs.String(), saved.RefreshToken)
	require.NotContains(t, e.logs.String(), zohotest.DefaultClientSecret)
	require.Equal(t, crmconn.Status{Mode: "zoho", Connected: true, CanConnect: true}, e.status(t))

	// Replaying the callback changes nothing.
	resp, err := e.browser.Get(callback)
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, resp.Header.Get("Location"), "zoho_error=invalid_state")
	again, err := crmconn.LoadToken(tokenFile)
	require.NoError(t, err)
	require.Equal(t, saved, again)

	// A call posted now syncs to the fake, owned by the approving user, and the waiting one
	// follows at its next retry.
	postCall(t, e.c, device, "call-after")
	waitSynced(t, e.c, "call-after")
	waitSynced(t, e.c, "call-before")
	require.Equal(t, 2, e.fake.Count("Calls"))
	require.Equal(t, approver, e.fake.Records("Leads")[0].LookupID("Owner"))

	// A restart reconnects from the file.
	require.NoError(t, e.m.Close())
	e.start(t)
	require.Equal(t, crmconn.Status{Mode: "zoho", Connected: true, CanConnect: true}, e.status(t))
}

func TestZohoConnectRefusals(t *testing.T) {
	t.Parallel()
	e := newConnectEnv(t)
	// Denied consent.
	e.fake.SetConsent(func(zohotest.ConsentRequest) (string, error) { return "", zohotest.ErrConsentDenied })
	back, _ := e.connect(t, connectAdmin)
	require.Equal(t, url.Values{"zoho_error": {"access_denied"}}, back.Query())

	// A forged callback, and one naming another accounts server.
	for q, want := range map[string]string{
		"state=forged&code=1000.x": "invalid_state",
		"":                         "invalid_state",
		"state=x&code=y&accounts-server=https%3A%2F%2Fevil.com": "invalid_state",
		"error=access_denied":                 "invalid_state",
		"state=" + strings.Repeat("x", 10000): "invalid_request",
	} {
		resp, err := e.browser.Get(e.m.URL() + "/v1/crm/zoho/callback?" + q)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, want, loc.Query().Get("zoho_error"), q)
	}
	// A real state with the accounts server swapped for another host.
	e.fake.SetConsent(nil)
	var out struct{ URL string }
	e.c.do("POST", "/v1/crm/zoho/connect", connectAdmin, nil, http.StatusOK, &out)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(out.URL)
	require.NoError(t, err)
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	q := cb.Query()
	q.Set("accounts-server", "https://accounts.zoho.com.attacker.example")
	cb.RawQuery = q.Encode()
	resp, err = noFollow.Get(cb.String())
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, resp.Header.Get("Location"), "zoho_error=accounts_server")

	_, err = os.Stat(e.cfg.DB + ".zoho-token.json")
	require.ErrorIs(t, err, os.ErrNotExist, "no token is stored")
	require.False(t, e.status(t).Connected)

	// Only admins start it; reps and managers get 403, anonymous 401.
	e.c.do("POST", "/v1/crm/zoho/connect", "", nil, http.StatusUnauthorized, nil)
	var rep struct{ ID string }
	e.c.do("POST", "/v1/reps", connectAdmin, map[string]any{"name": "Rita", "email": "rita@example.com"}, http.StatusCreated, &rep)
	for _, u := range []map[string]any{
		{"email": "manager@example.com", "name": "Manny", "role": "manager", "password": "manager password 1"},
		{"email": "rep@example.com", "name": "Rita", "role": "rep", "rep_id": rep.ID, "password": "rep password 123"},
	} {
		e.c.do("POST", "/v1/users", connectAdmin, u, http.StatusCreated, nil)
		cookie := login(t, e.m.URL(), u["email"].(string), u["password"].(string))
		code := sessionDo(t, e.m.URL(), cookie, "POST", "/v1/crm/zoho/connect")
		require.Equal(t, http.StatusForbidden, code, u["role"])
		statusCode := sessionDo(t, e.m.URL(), cookie, "GET", "/v1/crm/status")
		if u["role"] == "manager" {
			require.Equal(t, http.StatusOK, statusCode)
		} else {
			require.Equal(t, http.StatusForbidden, statusCode)
		}
	}
}

func TestSandboxCRMStatus(t *testing.T) {
	t.Parallel()
	m := NewMain(Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox,
		AdminToken: connectAdmin, OrgID: "default", BcryptCost: testBcryptCost}, io.Discard, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	c := client{t: t, base: m.URL()}
	var st crmconn.Status
	c.do("GET", "/v1/crm/status", connectAdmin, nil, http.StatusOK, &st)
	require.Equal(t, crmconn.Status{Mode: "sandbox", Connected: true}, st)
	c.do("POST", "/v1/crm/zoho/connect", connectAdmin, nil, http.StatusNotFound, nil)
}

func login(t *testing.T, base, email, password string) *http.Cookie {
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

func sessionDo(t *testing.T, base string, cookie *http.Cookie, method, path string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, nil)
	require.NoError(t, err)
	req.AddCookie(cookie)
	req.Header.Set("Origin", base)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// pairDevice pairs a campaign phone and returns its device token.
func pairDevice(t *testing.T, c client, admin string) string {
	t.Helper()
	var dev struct {
		ID          string `json:"id"`
		PairingCode string `json:"pairing_code"`
	}
	c.do("POST", "/v1/devices", admin, map[string]any{"nickname": "Ads line", "kind": "campaign"}, http.StatusCreated, &dev)
	var enrolled struct {
		Token string `json:"token"`
	}
	c.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": dev.PairingCode, "model": "Pixel", "os": "Android", "app_version": "1.0"}, http.StatusOK, &enrolled)
	return enrolled.Token
}

func postCall(t *testing.T, c client, deviceToken, id string) {
	t.Helper()
	c.do("POST", "/v1/device/calls", deviceToken, map[string]any{"calls": []any{map[string]any{
		"id": id, "number": "098765 43210", "type": "missed", "started_at": time.Now().Add(time.Second).Format(time.RFC3339Nano),
	}}}, http.StatusOK, nil)
}

// syncStatus returns the sync status of the call the device reported as id.
func syncStatus(t *testing.T, c client, id string) string {
	t.Helper()
	var page struct {
		Items []struct {
			DeviceCallID string `json:"device_call_id"`
			SyncStatus   string `json:"sync_status"`
		}
	}
	c.do("GET", "/v1/calls", connectAdmin, nil, http.StatusOK, &page)
	for _, it := range page.Items {
		if it.DeviceCallID == id {
			return it.SyncStatus
		}
	}
	t.Fatalf("call %s not listed", id)
	return ""
}

func waitSynced(t *testing.T, c client, id string) {
	t.Helper()
	require.Eventually(t, func() bool { return syncStatus(t, c, id) == "synced" }, 20*time.Second, 50*time.Millisecond, "call %s", id)
}
