package zoho

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/leadcall/leadcall"
)

// TestMain fails the package's tests when a goroutine outlives them (a refresh left running,
// a request never answered).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Test credentials. The secrets are distinctive so tests can prove they never leak.
const (
	testClientID     = "1000.TESTCLIENT"
	testClientSecret = "s3cr3t-client-secret"
	testRefreshToken = "1000.r3fr3sh-t0k3n"
)

// fixture is a CRM wired to an httptest server (go-github's setup): the token endpoint and
// the API share one server, and tests register API handlers on mux under /crm/v8/.
type fixture struct {
	t   *testing.T
	mux *http.ServeMux
	srv *httptest.Server
	crm *CRM

	tokenHits atomic.Int64
	apiHits   atomic.Int64

	mu        sync.Mutex
	tokenResp func(n int64) (int, string) // status and body of the n-th token response (1-based)
	tokenHook func(r *http.Request)       // sees every token request first
	clock     time.Time
}

// setup builds a fixture; mods adjust the Config before New.
func setup(t *testing.T, mods ...func(*Config)) *fixture {
	t.Helper()
	return setupWith(t, func(_ *fixture, c *Config) {
		for _, m := range mods {
			m(c)
		}
	})
}

// setupWith is setup with a mod that sees the fixture (its server URL).
func setupWith(t *testing.T, mod func(*fixture, *Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, mux: http.NewServeMux(), clock: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	api := http.NewServeMux()
	f.mux.HandleFunc("POST /oauth/v2/token", func(w http.ResponseWriter, r *http.Request) {
		n := f.tokenHits.Add(1)
		f.mu.Lock()
		resp, hook := f.tokenResp, f.tokenHook
		f.mu.Unlock()
		if hook != nil {
			hook(r)
		}
		status, body := http.StatusOK, fmt.Sprintf(
			`{"access_token":"tok-%d","scope":"ZohoCRM.modules.ALL","api_domain":%q,"token_type":"Bearer","expires_in":3600}`, n, f.srv.URL)
		if resp != nil {
			status, body = resp(n)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
	f.mux.Handle("/crm/v8/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.apiHits.Add(1)
		api.ServeHTTP(w, r)
	}))
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	f.mux = api
	cfg := Config{
		AccountsURL:  f.srv.URL,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RefreshToken: testRefreshToken,
		HTTPClient:   f.srv.Client(),
		Now:          f.now,
		// No client-side throttling in unit tests unless a test asks for it.
		RequestsPerSecond: 1e6,
		Burst:             1e6,
	}
	mod(f, &cfg)
	c, err := New(cfg)
	require.NoError(t, err)
	f.crm = c
	return f
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.clock = f.clock.Add(d)
	f.mu.Unlock()
}

func (f *fixture) setTokenResponse(fn func(n int64) (int, string)) {
	f.mu.Lock()
	f.tokenResp = fn
	f.mu.Unlock()
}

func (f *fixture) setTokenHook(fn func(r *http.Request)) {
	f.mu.Lock()
	f.tokenHook = fn
	f.mu.Unlock()
}

// handle registers an API handler for "METHOD /crm/v8/path".
func (f *fixture) handle(pattern string, h http.HandlerFunc) { f.mux.HandleFunc(pattern, h) }

// reply writes a JSON body with a status.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// testdata returns a file of testdata/.
func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// testHeader asserts a request header.
func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	require.Equal(t, want, r.Header.Get(name), "header %s", name)
}

// testJSONBody asserts that the request body is the JSON want (compared as values, so key
// order and spacing do not matter, but every key and value does).
func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	var got, exp any
	require.NoError(t, json.Unmarshal(body, &got), "request body %s", body)
	require.NoError(t, json.Unmarshal([]byte(want), &exp), "want %s", want)
	if d := cmp.Diff(exp, got); d != "" {
		t.Errorf("request body mismatch (-want +got):\n%s\ngot: %s", d, body)
	}
}

// requireCode asserts the leadcall code of err.
func requireCode(t *testing.T, err error, want leadcall.Code) *leadcall.Error {
	t.Helper()
	require.Error(t, err)
	var le *leadcall.Error
	require.True(t, errors.As(err, &le), "no *leadcall.Error in %v", err)
	require.Equal(t, want, le.Code, "code of %v", err)
	return le
}

// requireAPIError asserts that err carries Zoho's code.
func requireAPIError(t *testing.T, err error, code string, status int) *APIError {
	t.Helper()
	var ae *APIError
	require.True(t, errors.As(err, &ae), "no *APIError in %v", err)
	require.Equal(t, code, ae.Code)
	require.Equal(t, status, ae.HTTPStatus)
	return ae
}

// syncWriter is an io.Writer safe for concurrent use, for captured logs.
type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func newTestLogger(w io.Writer, mu *sync.Mutex) *slog.Logger {
	return slog.New(slog.NewTextHandler(syncWriter{mu: mu, w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// noSecrets asserts that s does not contain a secret.
func noSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testClientSecret, testRefreshToken, "tok-1", "tok-2"} {
		require.NotContains(t, s, secret)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
