package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

// Browser tests drive Debian's chromium (DESIGN.md §9). Without it they skip, unless
// LEADCALL_REQUIRE_CHROMIUM=1 (CI), where they fail.
const (
	requireChromiumEnv = "LEADCALL_REQUIRE_CHROMIUM"
	chromiumEnv        = "LEADCALL_CHROMIUM" // optional path of the browser binary
	screenshotDirEnv   = "LEADCALL_SCREENSHOT_DIR"
	adminToken         = "browser-test-admin-token-0123456789"
	// stepTimeout bounds one test's browser work; a live update arrives in milliseconds.
	stepTimeout = 20 * time.Second
)

// browser is one chromium process shared by the package's tests (each test gets its own
// browser context: separate cookies and storage, like a fresh profile).
var browser struct {
	once    sync.Once
	ctx     context.Context // a chromedp context whose browser has started
	cancel  context.CancelFunc
	dataDir string
	err     error
	skip    string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		_ = os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

func chromiumPath() string {
	if p := os.Getenv(chromiumEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// startBrowser starts the shared browser once.
func startBrowser() {
	path := chromiumPath()
	if path == "" {
		browser.skip = "chromium not found (install Debian's chromium, or set " + chromiumEnv + ")"
		return
	}
	dir, err := os.MkdirTemp("", "leadcall-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	browser.dataDir = dir
	// The flags of DESIGN.md §9: headless as root, and nothing that reaches the internet.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	browser.cancel = func() { cancelCtx(); cancelAlloc() }
	// The first Run starts the browser; it must not carry a timeout (that would end the browser).
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err = <-started:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("chromium did not start within 30 s")
	}
	if err != nil {
		browser.err = fmt.Errorf("start %s: %w", path, err)
		return
	}
	browser.ctx = ctx
}

// newTab returns a tab in a fresh browser context, or skips/fails the test when there is no
// browser. On failure the test saves a screenshot.
func newTab(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(startBrowser)
	required := os.Getenv(requireChromiumEnv) == "1"
	switch {
	case browser.skip != "" && required:
		t.Fatalf("%s=1 but %s", requireChromiumEnv, browser.skip)
	case browser.skip != "":
		t.Skipf("browser test skipped: %s; %s=1 makes this a failure", browser.skip, requireChromiumEnv)
	case browser.err != nil:
		t.Fatalf("browser: %v", browser.err)
	}
	tab, cancelTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	require.NoError(t, chromedp.Do(tab)) // opens the tab
	t.Cleanup(cancelTab)
	t.Cleanup(func() {
		if t.Failed() {
			saveScreenshot(t, tab)
		}
	})
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	t.Cleanup(cancel)
	return ctx
}

func saveScreenshot(t *testing.T, tab context.Context) {
	dir := os.Getenv(screenshotDirEnv)
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "leadcall-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_") + ".png"
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	t.Logf("screenshot of the failing page saved in %s (directory %s; set %s to choose it)", file, dir, screenshotDirEnv)
}

// consoleProblems collects the page's uncaught exceptions and console errors (a CSP violation
// is one), except failed loads the page expects (a route this server does not have).
func consoleProblems(t *testing.T, ctx context.Context) func() []string {
	var mu sync.Mutex
	var out []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
				continue
			}
			if m.Source == "network" || strings.Contains(m.Text, "Failed to load resource") {
				continue
			}
			mu.Lock()
			out = append(out, m.String())
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), out...)
	}
}

// localEventLog is the event log of a store that only this process writes: the hub reads the
// events from the store and is woken by the Engine's Notify calls.
type localEventLog struct{ store *sqlite.Store }

func (l *localEventLog) Events(ctx context.Context, orgID string, after int64, limit int) ([]leadcall.Event, error) {
	return l.store.Events(ctx, orgID, after, limit)
}

// Listen reports once that any org may have new events; no other process writes the store.
func (l *localEventLog) Listen(ctx context.Context, fn func(orgID string, eventID int64)) error {
	fn("", 0)
	<-ctx.Done()
	return nil
}

// LastEventID reads the org's log to its end.
func (l *localEventLog) LastEventID(ctx context.Context, orgID string) (int64, error) {
	var last int64
	for {
		evs, err := l.store.Events(ctx, orgID, last, 1000)
		if err != nil {
			return 0, err
		}
		if len(evs) > 0 {
			last = evs[len(evs)-1].ID
		}
		if len(evs) < 1000 {
			return last, nil
		}
	}
}

// hidePaths answers the paths with the server's own 404 for an unknown route.
func hidePaths(next http.Handler, paths []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(paths, r.URL.Path) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"no such path"}}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// app is a real server (httpapi + Engine with its sync workers + SQLite file + memcrm) on
// 127.0.0.1, and a browser tab.
type app struct {
	t   *testing.T
	url string
	eng *leadcall.Engine
	st  *sqlite.Store
	crm *memcrm.CRM
	ctx context.Context
}

// setup is what a test may change before the server starts.
type setup struct {
	hub    httpapi.HubConfig
	engine leadcall.Config // Store, CRMs and Notifier are set by newServer
	// hide makes these paths answer 404 as a server without the route does.
	hide []string
	// crm, when set, is the CRM instead of the memcrm (a.crm is then unused).
	crm leadcall.CRM
	// mount adds an embedder's routes to the API before it serves (httpapi.Server.Mount).
	mount func(*httpapi.Server)
}

func newApp(t *testing.T, opts ...func(*setup)) *app {
	t.Helper()
	a := newServer(t, opts...)
	// The tab after the server, so that its cleanup (and a failure's screenshot) runs while the
	// server still serves.
	a.ctx = newTab(t)
	return a
}

// newServer starts the server alone (no browser).
func newServer(t *testing.T, opts ...func(*setup)) *app {
	t.Helper()
	bg := context.Background()
	st, err := sqlite.Open(bg, filepath.Join(t.TempDir(), "leadcall.db"), nil)
	require.NoError(t, err)
	c := memcrm.New(nil)
	_, err = c.AddUser(crm.User{Name: "Asha Rao", Email: "asha@example.com", Active: true})
	require.NoError(t, err)
	require.NoError(t, c.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{
		{DisplayValue: "Google Ads", ActualValue: "google_ads"}, {DisplayValue: "Billboard", ActualValue: "billboard"},
	}))
	var su setup
	for _, o := range opts {
		o(&su)
	}
	// As examples/server does with SQLite: the hub streams the store's event log in ID order.
	// (Handed straight from the Engine's sync workers, two events can reach the hub out of
	// order, and a client that keeps the highest ID it saw would skip the earlier one.)
	su.hub.Follow = &localEventLog{store: st}
	hub, err := httpapi.NewHub(su.hub)
	require.NoError(t, err)
	crms := leadcall.SingleCRM{C: c}
	if su.crm != nil {
		crms = leadcall.SingleCRM{C: su.crm}
	}
	ec := su.engine
	ec.Store, ec.CRMs, ec.Notifier = st, crms, hub
	eng, err := leadcall.New(ec)
	require.NoError(t, err)
	require.NoError(t, eng.CreateOrg(bg, &leadcall.Org{ID: "default", Name: "Default"}))
	require.NoError(t, eng.Start())
	srv, err := httpapi.New(httpapi.Config{Engine: eng, Store: st, CRMs: crms, AdminToken: adminToken,
		BcryptCost: bcrypt.MinCost}) // test passwords need no strength, and the tests stay quick
	require.NoError(t, err)
	if su.mount != nil {
		su.mount(srv)
	}
	h, err := srv.WithStream(httpapi.StreamConfig{Hub: hub})
	require.NoError(t, err)
	if len(su.hide) > 0 {
		h = hidePaths(h, su.hide)
	}
	ts := httptest.NewServer(h) // 127.0.0.1 only
	t.Cleanup(func() {
		// The hub first: the server's Close waits for the stream's connections.
		_ = hub.Close()
		ts.Close()
		_ = eng.Close()
		_ = st.Close()
	})
	return &app{t: t, url: ts.URL, eng: eng, st: st, crm: c}
}

// call sends a request to the server with token ("" = the admin token, "-" = none) and
// decodes the answer.
func (a *app) call(method, path, token string, body any, want int, out any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(a.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	require.NoError(a.t, err)
	switch token {
	case "":
		req.Header.Set("Authorization", "Bearer "+adminToken)
	case "-": // unauthenticated
	default:
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(a.t, err)
	require.Equal(a.t, want, res.StatusCode, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(a.t, json.Unmarshal(data, out), "%s", data)
	}
}

// device creates and pairs a device; it returns its ID and device token.
func (a *app) device(nickname, kind string) (string, string) {
	a.t.Helper()
	var p httpapi.PairingResponse
	a.call("POST", "/v1/devices", "", map[string]any{"nickname": nickname, "kind": kind}, http.StatusCreated, &p)
	var er httpapi.EnrollResponse
	a.call("POST", "/v1/device/enroll", "-", map[string]any{"pairing_code": p.PairingCode, "model": "Pixel 8", "os": "Android 15", "app_version": "1.0.0"}, http.StatusOK, &er)
	return er.DeviceID, er.Token
}

func (a *app) heartbeat(token string) {
	a.t.Helper()
	a.call("POST", "/v1/device/heartbeat", token, map[string]any{"app_version": "1.0.0", "battery": 81, "sims": []any{}}, http.StatusNoContent, nil)
}

func (a *app) postCall(token, id, number, typ string, at time.Time) {
	a.t.Helper()
	a.postCalls(token, map[string]any{"id": id, "number": number, "type": typ, "started_at": at.UTC().Format(time.RFC3339Nano), "duration_s": 42, "sim_slot": 0})
}

// postCalls posts one batch and requires every call accepted.
func (a *app) postCalls(token string, calls ...map[string]any) {
	a.t.Helper()
	var out httpapi.CallsResponse
	a.call("POST", "/v1/device/calls", token, map[string]any{"calls": calls}, http.StatusOK, &out)
	require.Len(a.t, out.Results, len(calls))
	for _, r := range out.Results {
		require.Equal(a.t, leadcall.IngestAccepted, r.Status, "%+v", r.Error)
	}
}

// open loads the page and leaves a marker on window: if anything reloads the page, the marker
// is gone (see requireNoReload).
func (a *app) open() {
	a.t.Helper()
	require.NoError(a.t, chromedp.Do(a.ctx,
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-screen"]`)),
	))
	_, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](`(window.__leadcallMarker = "loaded-once", true)`))
	require.NoError(a.t, err)
}

func (a *app) requireNoReload() {
	a.t.Helper()
	v, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`window.__leadcallMarker || "reloaded"`))
	require.NoError(a.t, err)
	require.Equal(a.t, "loaded-once", v, "the page reloaded")
}

const testPassword = "correct-horse-battery-staple"

// user creates a user with the test password and returns its email.
func (a *app) user(role, repID string) string {
	a.t.Helper()
	email := role + "@example.com"
	a.call("POST", "/v1/users", "", map[string]any{"email": email, "name": "Test " + role, "role": role, "rep_id": repID, "password": testPassword}, http.StatusCreated, nil)
	return email
}

// login signs in as a new manager through the login screen (email and password) and waits
// until the data is loaded and the live stream is connected.
func (a *app) login() {
	a.t.Helper()
	a.loginAs(a.user("manager", ""))
}

// loginAs signs in with email and the test password.
func (a *app) loginAs(email string) {
	a.t.Helper()
	require.NoError(a.t, chromedp.Do(a.ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-email"]`), email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] [data-testid="shell"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="stream-status"][data-state="live"]`)),
	))
}

// loginWithToken signs in with the bootstrap admin token.
func (a *app) loginWithToken() {
	a.t.Helper()
	open, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="token-login"]').open`))
	require.NoError(a.t, err)
	if !open {
		a.do(chromedp.Click(chromedp.CSS(`[data-testid="token-login"] summary`)))
	}
	require.NoError(a.t, chromedp.Do(a.ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-token"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-token"]`), adminToken),
		chromedp.Click(chromedp.CSS(`[data-testid="token-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] [data-testid="shell"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="stream-status"][data-state="live"]`)),
	))
}

// click clicks the element sel matches once it is visible. Live updates re-render cards and
// lists, so a node found visible may be replaced before the click reaches it; then the click
// is tried again on the new node.
func (a *app) click(sel string) {
	a.t.Helper()
	var err error
	for range 3 {
		if err = chromedp.Do(a.ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel))); err == nil || a.ctx.Err() != nil {
			break
		}
	}
	require.NoError(a.t, err, "click %s", sel)
}

func (a *app) do(steps ...chromedp.Action[chromedp.Void]) {
	a.t.Helper()
	require.NoError(a.t, chromedp.Do(a.ctx, steps...))
}

// waitText waits until the first element sel matches has the text want: a live screen may
// show an intermediate state (a progress event before the final one) first.
func (a *app) waitText(sel, want string) {
	a.t.Helper()
	require.Eventually(a.t, func() bool { return a.text(sel) == want }, 10*time.Second, 50*time.Millisecond,
		"%s: want %q", sel, want)
}

// text returns the text of the first element sel matches, read in one step in the page: live
// updates re-render lists, and a node found in one step may be replaced before the next.
func (a *app) text(sel string) string {
	a.t.Helper()
	q, err := json.Marshal(sel)
	require.NoError(a.t, err)
	s, err := chromedp.Run(a.ctx, chromedp.Evaluate[*string](`(() => { const el = document.querySelector(`+string(q)+`); return el ? el.textContent.trim() : null })()`))
	require.NoError(a.t, err)
	require.NotNil(a.t, s, "no element matches %s", sel)
	return *s
}
