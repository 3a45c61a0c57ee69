package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/httpapi"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func ioNopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func newRequest(method, path, authorization string) *http.Request {
	req := httptest.NewRequestWithContext(context.Background(), method, path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return req
}

func (e *env) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

func TestHealthReadyAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("GET", "/healthz", "", nil)
	require.Equal(t, http.StatusOK, r.status)

	var ready httpapi.Readiness
	r = e.do("GET", "/readyz", "", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r.json(t, &ready)
	require.Equal(t, httpapi.Readiness{Status: "ok", Store: "ok", CRM: "ok", SyncKey: "ok"}, ready)

	r = e.do("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, string(r.body), `leadcall_http_requests_total{route="GET /readyz",status="200"} 1`)
	require.Contains(t, string(r.body), "leadcall_http_request_duration_seconds")
	require.Contains(t, string(r.body), `leadcall_sync_jobs{state="ready"} 0`)

	// A call to sync makes a ready job (the Engine's workers are not started here).
	_, token := e.pairedDevice("campaign")
	r = e.do("POST", "/v1/device/calls", token, map[string]any{"calls": []any{call("m1", "9876512345", "missed", time.Now().Add(time.Second))}})
	require.Equal(t, http.StatusOK, r.status)
	r = e.do("GET", "/metrics", "", nil)
	require.Contains(t, string(r.body), `leadcall_sync_jobs{state="ready"} 1`)
	require.Contains(t, string(r.body), `leadcall_ingested_calls_total{status="accepted"} 1`)
}

func TestReadyReportsMissingSyncKeyAndCaches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	require.NoError(t, e.crm.SetSyncKeyField(crm.ModuleCalls, crm.SyncKeyField{}))
	var ready httpapi.Readiness
	e.do("GET", "/readyz", "", nil).json(t, &ready)
	require.Equal(t, "missing", ready.SyncKey)
	require.Equal(t, "ok", ready.Status, "a missing key is a risk to report, not unreadiness")

	// The CRM answer is reused until ReadyCacheTTL has passed on the server's clock.
	require.NoError(t, e.crm.SetSyncKeyField(crm.ModuleCalls, crm.SyncKeyField{Exists: true, Unique: false}))
	e.do("GET", "/readyz", "", nil).json(t, &ready)
	require.Equal(t, "missing", ready.SyncKey)
	e.clock.Advance(httpapi.DefaultReadyCacheTTL)
	e.do("GET", "/readyz", "", nil).json(t, &ready)
	require.Equal(t, "not_unique", ready.SyncKey)
}

func TestReadyWithoutCRMOrStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.CRMs = leadcall.SingleCRM{} })
	r := e.do("GET", "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	var ready httpapi.Readiness
	r.json(t, &ready)
	require.Equal(t, "not_connected", ready.CRM)
	r = e.do("GET", "/v1/crm/users", adminToken, nil)
	require.Equal(t, http.StatusNotFound, r.status)

	require.NoError(t, e.store.Close())
	e.clock.Advance(httpapi.DefaultReadyCacheTTL)
	r = e.do("GET", "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	r.json(t, &ready)
	require.Equal(t, "unavailable", ready.Store)
}

func TestUnknownPathsAndMethodsAnswerJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("GET", "/v1/nothing", adminToken, nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "not_found", r.err(t).Code)
	r = e.do("DELETE", "/v1/settings", adminToken, nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	require.Equal(t, "method_not_allowed", r.err(t).Code)
	require.Contains(t, r.header.Get("Allow"), "PUT")
}

func TestEngineClosedIsUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	require.NoError(t, e.eng.Close())
	r := e.do("POST", "/v1/reps", adminToken, httpapi.RepRequest{Name: "x"})
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, "unavailable", r.err(t).Code)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	good := httpapi.Config{Engine: e.eng, Store: e.store, CRMs: leadcall.SingleCRM{C: e.crm}, AdminToken: adminToken}
	for name, tweak := range map[string]func(*httpapi.Config){
		"Engine":     func(c *httpapi.Config) { c.Engine = nil },
		"Store":      func(c *httpapi.Config) { c.Store = nil },
		"CRMs":       func(c *httpapi.Config) { c.CRMs = nil },
		"AdminToken": func(c *httpapi.Config) { c.AdminToken = "short" },
		"Config":     func(c *httpapi.Config) { c.MaxBodyBytes = -1 },
	} {
		cfg := good
		tweak(&cfg)
		_, err := httpapi.New(cfg)
		require.Error(t, err, name)
		require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), name)
		require.Contains(t, err.Error(), name)
	}
	_, err := httpapi.New(good)
	require.NoError(t, err)
}

func TestMaskPhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":              "",
		"+919876543210": "+**********10",
		"098765 12345":  "**********45",
		"1234":          "****",
		"+1":            "+*",
		"९८७६५४३२१०":    "********१०",
	} {
		got := httpapi.MaskPhone(in)
		require.Equal(t, want, got, in)
	}
}

func ExampleMaskPhone() {
	fmt.Println(httpapi.MaskPhone("+919876543210"))
	// Output: +**********10
}
