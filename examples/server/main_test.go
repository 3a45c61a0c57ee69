package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/httpapi"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults", want: func(t *testing.T, c Config) {
			require.Equal(t, "127.0.0.1:8080", c.Addr)
			require.Equal(t, "leadcall.db", c.DB)
			require.Equal(t, CRMSandbox, c.CRM)
			require.Equal(t, "com", c.ZohoDC)
			require.Equal(t, "default", c.OrgID)
		}},
		{name: "environment", env: map[string]string{"LEADCALL_DB": "/tmp/x.db", "LEADCALL_ZOHO_DC": "in", "LEADCALL_ADMIN_TOKEN": "tok"},
			want: func(t *testing.T, c Config) {
				require.Equal(t, "/tmp/x.db", c.DB)
				require.Equal(t, "in", c.ZohoDC)
				require.Equal(t, "tok", c.AdminToken)
			}},
		{name: "flag wins over environment", args: []string{"-db", "flag.db"}, env: map[string]string{"LEADCALL_DB": "env.db"},
			want: func(t *testing.T, c Config) { require.Equal(t, "flag.db", c.DB) }},
		{name: "credentials select zoho", args: []string{"-zoho-client-id", "id", "-zoho-client-secret", "s", "-zoho-refresh-token", "r"},
			want: func(t *testing.T, c Config) { require.Equal(t, CRMZoho, c.CRM) }},
		{name: "sandbox forced with credentials", args: []string{"-crm", "sandbox", "-zoho-client-id", "id"},
			want: func(t *testing.T, c Config) { require.Equal(t, CRMSandbox, c.CRM) }},
		{name: "first admin", args: []string{"-admin-email", "boss@example.com", "-bcrypt-cost", "5"},
			env: map[string]string{"LEADCALL_ADMIN_PASSWORD": "a long password", "LEADCALL_DEMO_PASSWORD": "demo password"},
			want: func(t *testing.T, c Config) {
				require.Equal(t, "boss@example.com", c.AdminEmail)
				require.Equal(t, "a long password", c.AdminPassword)
				require.Equal(t, "demo password", c.DemoPassword)
				require.Equal(t, 5, c.BcryptCost)
			}},
		{name: "admin email without password", args: []string{"-admin-email", "boss@example.com"}, wantErr: "needs LEADCALL_ADMIN_PASSWORD"},
		{name: "bad bcrypt cost", env: map[string]string{"LEADCALL_BCRYPT_COST": "high"}, wantErr: "-bcrypt-cost"},
		{name: "incomplete credentials", args: []string{"-zoho-client-id", "id"}, wantErr: "needs -zoho-client-id"},
		{name: "zoho without refresh token connects later", args: []string{"-zoho-client-id", "id", "-zoho-client-secret", "s",
			"-zoho-token-file", "/var/lib/leadcall/zoho.json", "-zoho-redirect-url", "https://lc.example.com/v1/crm/zoho/callback"},
			want: func(t *testing.T, c Config) {
				require.Equal(t, CRMZoho, c.CRM)
				require.Empty(t, c.ZohoRefreshToken)
				require.Equal(t, "/var/lib/leadcall/zoho.json", c.ZohoTokenFile)
				require.Equal(t, "https://lc.example.com/v1/crm/zoho/callback", c.ZohoRedirectURL)
			}},
		{name: "unknown crm", args: []string{"-crm", "salesforce"}, wantErr: "want sandbox or zoho"},
		{name: "tuning", args: []string{"-lease", "3s", "-engine-poll", "100ms", "-zoho-rps", "50"}, env: map[string]string{"LEADCALL_ZOHO_BURST": "20"},
			want: func(t *testing.T, c Config) {
				require.Equal(t, 3*time.Second, c.Lease)
				require.Equal(t, 100*time.Millisecond, c.EnginePoll)
				require.InDelta(t, 50.0, c.ZohoRPS, 0)
				require.Equal(t, 20, c.ZohoBurst)
			}},
		{name: "bad lease", args: []string{"-lease", "-1s"}, wantErr: "-lease"},
		{name: "bad engine poll", args: []string{"-engine-poll", "soon"}, wantErr: "-engine-poll"},
		{name: "bad rps", args: []string{"-zoho-rps", "NaN"}, wantErr: "-zoho-rps"},
		{name: "huge rps", args: []string{"-zoho-rps", "1e300"}, wantErr: "-zoho-rps"},
		{name: "bad burst", args: []string{"-zoho-burst", "0"}, wantErr: "-zoho-burst"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseConfig(tc.args, env(tc.env), io.Discard)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.want(t, c)
		})
	}
}

type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, token string, body any, want int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	require.NoError(c.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.Equal(c.t, want, resp.StatusCode, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(data, out), "%s", data)
	}
}

// TestSandboxEndToEnd boots the server's own wiring in sandbox mode, pairs a campaign phone
// through the API, posts a missed call and waits until it is synced into the fake Zoho.
func TestSandboxEndToEnd(t *testing.T) {
	t.Parallel()
	const admin = "end-to-end-admin-token"
	var banner bytes.Buffer
	m := NewMain(Config{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox,
		AdminToken: admin, OrgID: "default", EnginePoll: 50 * time.Millisecond, BcryptCost: testBcryptCost,
	}, &banner, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	require.Contains(t, banner.String(), m.URL())
	require.NotContains(t, banner.String(), admin, "a token from the environment is never printed")
	c := client{t: t, base: m.URL()}
	loginWithBanner(t, banner.String(), m.URL())

	c.do("GET", "/healthz", "", nil, http.StatusOK, nil)
	var ready map[string]string
	c.do("GET", "/readyz", "", nil, http.StatusOK, &ready)
	require.Equal(t, map[string]string{"status": "ok", "store": "ok", "crm": "ok", "sync_key": "ok"}, ready)

	var users []map[string]string
	c.do("GET", "/v1/crm/users", admin, nil, http.StatusOK, &users)
	var emails []string
	for _, u := range users {
		emails = append(emails, u["email"])
	}
	require.Contains(t, emails, SandboxUserEmail)

	var dev struct {
		ID          string `json:"id"`
		PairingCode string `json:"pairing_code"`
	}
	c.do("POST", "/v1/devices", admin, map[string]any{"nickname": "Ads line", "kind": "campaign"}, http.StatusCreated, &dev)
	c.do("PUT", "/v1/devices/"+dev.ID+"/assignment", admin, map[string]any{"lead_source": SandboxLeadSource}, http.StatusOK, nil)

	var enrolled struct {
		DeviceID string `json:"device_id"`
		Token    string `json:"token"`
	}
	c.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": dev.PairingCode, "model": "Pixel", "os": "Android", "app_version": "1.0"}, http.StatusOK, &enrolled)
	require.Equal(t, dev.ID, enrolled.DeviceID)

	var results struct {
		Results []struct{ ID, Status string } `json:"results"`
	}
	c.do("POST", "/v1/device/calls", enrolled.Token, map[string]any{"calls": []any{map[string]any{
		"id": "call-1", "number": "098765 43210", "type": "missed", "started_at": time.Now().Add(time.Second).Format(time.RFC3339Nano),
	}}}, http.StatusOK, &results)
	require.Equal(t, "accepted", results.Results[0].Status)

	type callItem struct {
		SyncStatus string            `json:"sync_status"`
		Outcome    string            `json:"outcome"`
		LeadSource string            `json:"lead_source"`
		CRM        map[string]string `json:"crm"`
	}
	var page struct{ Items []callItem }
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.do("GET", "/v1/calls", admin, nil, http.StatusOK, &page)
		require.Len(t, page.Items, 1)
		if page.Items[0].SyncStatus == "synced" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := page.Items[0]
	require.Equal(t, "synced", got.SyncStatus, "%+v", got)
	require.Equal(t, "created_lead", got.Outcome)
	require.Equal(t, SandboxLeadSource, got.LeadSource)

	leads := m.fake.Records("Leads")
	require.Len(t, leads, 1)
	require.Equal(t, got.CRM["lead_id"], leads[0].ID)
	require.Equal(t, SandboxLeadSource, leads[0].String("Lead_Source"))
	require.Equal(t, 1, m.fake.Count("Calls"))
	require.Equal(t, 1, m.fake.Count("Tasks"))
}

func TestGeneratedAdminTokenIsPrintedOnce(t *testing.T) {
	t.Parallel()
	var banner bytes.Buffer
	m := NewMain(Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox, OrgID: "default", BcryptCost: testBcryptCost},
		&banner, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	out := banner.String()
	require.Equal(t, 1, strings.Count(out, "lca_"))
	token := strings.Fields(out[strings.Index(out, "lca_"):])[0]
	c := client{t: t, base: m.URL()}
	c.do("GET", "/v1/settings", token, nil, http.StatusOK, nil)
	c.do("GET", "/v1/settings", "wrong-token-wrong-token", nil, http.StatusUnauthorized, nil)
}

func TestRunFailsCleanly(t *testing.T) {
	t.Parallel()
	m := NewMain(Config{Addr: "256.0.0.1:bad", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox, AdminToken: "0123456789abcdef", BcryptCost: testBcryptCost},
		io.Discard, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, m.Run(context.Background()), "listen")
	require.NoError(t, m.Close())
}

func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	const admin = "restart-admin-token-0123"
	cfg := Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox, AdminToken: admin, OrgID: "default", BcryptCost: testBcryptCost}
	first := NewMain(cfg, io.Discard, slog.New(slog.DiscardHandler))
	require.NoError(t, first.Run(context.Background()))
	c := client{t: t, base: first.URL()}
	var dev struct {
		ID string `json:"id"`
	}
	c.do("POST", "/v1/devices", admin, map[string]any{"nickname": "Ads line", "kind": "campaign"}, http.StatusCreated, &dev)
	require.NoError(t, first.Close())

	second := NewMain(cfg, io.Discard, slog.New(slog.DiscardHandler))
	require.NoError(t, second.Run(context.Background()), "the default org exists already")
	t.Cleanup(func() { require.NoError(t, second.Close()) })
	var devices []struct {
		ID string `json:"id"`
	}
	client{t: t, base: second.URL()}.do("GET", "/v1/devices", admin, nil, http.StatusOK, &devices)
	require.Len(t, devices, 1)
	require.Equal(t, dev.ID, devices[0].ID)
}

// TestZohoModeUsesTheGivenAccountsServer runs the zoho branch of the wiring against a fake Zoho
// the test owns, as an operator would point the server at Zoho's sandbox.
func TestZohoModeUsesTheGivenAccountsServer(t *testing.T) {
	t.Parallel()
	fake := zohotest.New(zohotest.Config{Addr: "127.0.0.1:0"})
	require.NoError(t, fake.Start())
	t.Cleanup(func() { _ = fake.Close() })
	creds := fake.Credentials()
	cfg, err := ParseConfig([]string{
		"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "leadcall.db"),
		"-zoho-accounts-url", creds.AccountsURL, "-zoho-client-id", creds.ClientID,
		"-zoho-client-secret", creds.ClientSecret, "-zoho-refresh-token", creds.RefreshToken,
	}, func(k string) string {
		if k == "LEADCALL_ADMIN_TOKEN" {
			return "zoho-mode-admin-token"
		}
		return ""
	}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, CRMZoho, cfg.CRM)
	cfg.BcryptCost = testBcryptCost
	m := NewMain(cfg, io.Discard, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	require.Nil(t, m.fake, "no sandbox in zoho mode")
	client{t: t, base: m.URL()}.do("GET", "/v1/sandbox/crm", "zoho-mode-admin-token", nil, http.StatusNotFound, nil) // no fake to show
	var ready map[string]string
	client{t: t, base: m.URL()}.do("GET", "/readyz", "", nil, http.StatusOK, &ready)
	require.Equal(t, "ok", ready["crm"])
	require.Positive(t, fake.TokensMinted(), "the server talked to the given accounts server")
}

func TestZohoModeRefusesAnUnknownDataCentre(t *testing.T) {
	t.Parallel()
	m := NewMain(Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMZoho, ZohoDC: "mars",
		ZohoClientID: "id", ZohoClientSecret: "secret-value-7f3a", ZohoRefreshToken: "refresh-value-9c2e", AdminToken: "0123456789abcdef"},
		io.Discard, slog.New(slog.DiscardHandler))
	err := m.Run(context.Background())
	require.ErrorContains(t, err, "connect CRM")
	require.NotContains(t, err.Error(), "secret-value-7f3a")
	require.NotContains(t, err.Error(), "refresh-value-9c2e")
	require.NoError(t, m.Close())
}

// TestLiveStreamEndToEnd: the Engine's events reach GET /v1/stream through the hub, the
// configured origin is allowed and another refused, and Close ends the stream with
// StatusGoingAway.
func TestLiveStreamEndToEnd(t *testing.T) {
	t.Parallel()
	const admin = "live-stream-admin-token"
	cfg, err := ParseConfig([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "leadcall.db"),
		"-stream-origins", " dash.example.com , "}, func(k string) string {
		if k == "LEADCALL_ADMIN_TOKEN" {
			return admin
		}
		return ""
	}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, []string{"dash.example.com"}, cfg.StreamOrigins)
	cfg.EnginePoll, cfg.BcryptCost = 50*time.Millisecond, testBcryptCost
	m := NewMain(cfg, io.Discard, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	closed := false
	t.Cleanup(func() {
		if !closed {
			require.NoError(t, m.Close())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(m.URL(), "http") + httpapi.StreamPath
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{"Authorization": {"Bearer " + admin}}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return websocket.Dial(ctx, wsURL+"?after=0", &websocket.DialOptions{HTTPHeader: h})
	}
	_, resp, err := dial("https://evil.example.com")
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	ws, _, err := dial("https://dash.example.com")
	require.NoError(t, err)
	defer ws.CloseNow()

	c := client{t: t, base: m.URL()}
	var dev struct {
		ID          string `json:"id"`
		PairingCode string `json:"pairing_code"`
	}
	c.do("POST", "/v1/devices", admin, map[string]any{"nickname": "Ads line", "kind": "campaign"}, http.StatusCreated, &dev)
	c.do("PUT", "/v1/devices/"+dev.ID+"/assignment", admin, map[string]any{"lead_source": SandboxLeadSource}, http.StatusOK, nil)
	var enrolled struct {
		Token string `json:"token"`
	}
	c.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": dev.PairingCode, "model": "Pixel", "os": "Android", "app_version": "1.0"}, http.StatusOK, &enrolled)
	c.do("POST", "/v1/device/calls", enrolled.Token, map[string]any{"calls": []any{map[string]any{
		"id": "call-1", "number": "098765 43210", "type": "missed", "started_at": time.Now().Add(time.Second).Format(time.RFC3339Nano),
	}}}, http.StatusOK, nil)

	var last int64
	seen := map[string]bool{}
	for !seen["call.ingested"] || !seen["call.synced"] {
		_, b, err := ws.Read(ctx)
		require.NoError(t, err, "seen %v", seen)
		var ev struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal(b, &ev))
		require.Greater(t, ev.ID, last, "increasing IDs")
		last = ev.ID
		seen[ev.Type] = true
	}

	closed = true
	require.NoError(t, m.Close())
	_, _, err = ws.Read(ctx)
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
}

// testBcryptCost keeps password hashing cheap in tests (bcrypt.MinCost).
const testBcryptCost = 4

// loginWithBanner signs in with the credentials the sandbox printed, as a newcomer would, and
// checks who the session belongs to. It returns the session cookie.
func loginWithBanner(t *testing.T, banner, base string) *http.Cookie {
	t.Helper()
	var line string
	for l := range strings.Lines(banner) {
		if strings.HasPrefix(l, "login: ") {
			line = strings.TrimSpace(l)
		}
	}
	require.NotEmpty(t, line, "banner: %s", banner)
	var url, email, password string
	_, err := fmt.Sscanf(line, "login: %s  email: %s  password: %s", &url, &email, &password)
	require.NoError(t, err, line)
	require.Equal(t, base+"/", url)
	require.Equal(t, DemoAdminEmail, email)

	body, err := json.Marshal(map[string]string{"email": email, "password": password})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), "POST", base+"/v1/auth/login", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == httpapi.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)

	req, err = http.NewRequestWithContext(t.Context(), "GET", base+"/v1/auth/me", nil)
	require.NoError(t, err)
	req.AddCookie(session)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var me httpapi.UserResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
	require.Equal(t, DemoAdminEmail, me.User.Email)
	require.Equal(t, "admin", string(me.User.Role))
	return session
}

func TestFirstAdminAndDemoPassword(t *testing.T) {
	t.Parallel()
	cfg := Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "leadcall.db"), CRM: CRMSandbox, AdminToken: "first-admin-token-0123",
		OrgID: "default", AdminEmail: "boss@example.com", AdminPassword: "boss password 1", DemoPassword: "demo-password-1",
		BcryptCost: testBcryptCost}
	login := func(base, email, password string) int {
		body, err := json.Marshal(map[string]string{"email": email, "password": password})
		require.NoError(t, err)
		resp, err := http.Post(base+"/v1/auth/login", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	var banner bytes.Buffer
	m := NewMain(cfg, &banner, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	require.Contains(t, banner.String(), "password: demo-password-1")
	loginWithBanner(t, banner.String(), m.URL())
	require.Equal(t, http.StatusOK, login(m.URL(), "boss@example.com", "boss password 1"))
	require.NoError(t, m.Close())

	// A restart ignores the first-admin settings (the org has users) and prints a new demo
	// password, which works while the old one does not.
	cfg.AdminPassword, cfg.DemoPassword = "boss password 2", ""
	banner.Reset()
	m = NewMain(cfg, &banner, slog.New(slog.DiscardHandler))
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	require.NotContains(t, banner.String(), "demo-password-1")
	loginWithBanner(t, banner.String(), m.URL())
	require.Equal(t, http.StatusOK, login(m.URL(), "boss@example.com", "boss password 1"))
	require.Equal(t, http.StatusUnauthorized, login(m.URL(), "boss@example.com", "boss password 2"))
	require.Equal(t, http.StatusUnauthorized, login(m.URL(), DemoAdminEmail, "demo-password-1"))
}
