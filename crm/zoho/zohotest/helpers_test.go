package zohotest

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	srv    *Server
	clock  *fakeClock
	client *http.Client
	token  string
}

// setup starts a server with cfg (a fake clock unless cfg.Now is set) and mints a token.
func setup(t *testing.T, cfg Config) *harness {
	t.Helper()
	clock := newClock()
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	srv := New(cfg)
	require.NoError(t, srv.Start())
	tr := &http.Transport{}
	h := &harness{srv: srv, clock: clock, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		require.NoError(t, srv.Close())
	})
	h.token = h.mint(t, srv.Credentials().RefreshToken)
	return h
}

// mint exchanges a refresh token of the default client for an access token.
func (h *harness) mint(t *testing.T, refresh string) string {
	t.Helper()
	c := h.srv.Credentials()
	status, body := h.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {c.ClientID},
		"client_secret": {c.ClientSecret}, "refresh_token": {refresh}})
	require.Equal(t, http.StatusOK, status)
	tok, _ := body["access_token"].(string)
	require.NotEmpty(t, tok, "token response %v", body)
	return tok
}

// tokenCall posts form parameters to the token endpoint.
func (h *harness) tokenCall(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.srv.URL()+"/oauth/v2/token",
		strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.send(t, req)
}

func (h *harness) send(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) == 0 {
		return resp.StatusCode, nil
	}
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body %s", raw)
	return resp.StatusCode, out
}

// newRequest builds an API request; body may be nil, []byte, a string or any JSON value.
func (h *harness) newRequest(t testing.TB, method, path string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.srv.URL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+h.token)
	return req
}

// call sends an authenticated API request and decodes the JSON answer (nil for no body).
func (h *harness) call(t testing.TB, method, path string, body any) (int, map[string]any) {
	t.Helper()
	return h.send(t, h.newRequest(t, method, path, body))
}

// rawCall returns the undecoded body too.
func (h *harness) rawCall(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	resp, err := h.client.Do(h.newRequest(t, method, path, body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// insert posts records to a module.
func (h *harness) insert(t *testing.T, module string, records ...map[string]any) (int, map[string]any) {
	t.Helper()
	return h.call(t, http.MethodPost, "/crm/v8/"+module, map[string]any{"data": records})
}

// insertOK inserts one record and returns its id.
func (h *harness) insertOK(t *testing.T, module string, rec map[string]any) string {
	t.Helper()
	status, body := h.insert(t, module, rec)
	require.Equal(t, http.StatusCreated, status, "body %v", body)
	return item(t, body, 0)["details"].(map[string]any)["id"].(string)
}

// item returns data[i] of a records response.
func item(t *testing.T, body map[string]any, i int) map[string]any {
	t.Helper()
	data, ok := body["data"].([]any)
	require.True(t, ok, "no data array in %v", body)
	require.Greater(t, len(data), i)
	return data[i].(map[string]any)
}

// ids lists data[*].id of a read response.
func ids(t *testing.T, body map[string]any) []string {
	t.Helper()
	var out []string
	for i := range body["data"].([]any) {
		out = append(out, item(t, body, i)["id"].(string))
	}
	return out
}

func errorEnvelope(code, message string, details map[string]any) map[string]any {
	if details == nil {
		details = map[string]any{}
	}
	return map[string]any{"code": code, "details": details, "message": message, "status": "error"}
}

// lead returns a valid Lead body with a phone.
func lead(last, phone string) map[string]any {
	return map[string]any{"Last_Name": last, "Phone": phone}
}

// inboundCall returns a valid Inbound call linked to a Lead.
func inboundCall(leadID string) map[string]any {
	return map[string]any{"Subject": "Inbound call", "Call_Type": "Inbound",
		"Call_Start_Time": "2026-03-14T15:00:00+05:30", "Call_Duration": "02:05",
		"What_Id": map[string]any{"id": leadID}, "$se_module": "Leads"}
}

// keys returns the sorted key set of a JSON object.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
