package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

const adminToken = "test-admin-token-0123456789"

// env is a Server over a real SQLite file and an in-memory CRM.
type env struct {
	t       testing.TB
	srv     *httpapi.Server
	eng     *leadcall.Engine
	store   *sqlite.Store
	crm     *memcrm.CRM
	clock   *clock
	crmUser string
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newEnv boots a Server for org "default"; tweak changes its Config before New.
func newEnv(t testing.TB, tweak func(*httpapi.Config)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "leadcall.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	c := memcrm.New(nil)
	userID, err := c.AddUser(crm.User{Name: "Asha Rao", Email: "asha@example.com", Active: true})
	require.NoError(t, err)
	clk := &clock{now: time.Now().UTC()}
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: c}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	require.NoError(t, eng.CreateOrg(ctx, &leadcall.Org{ID: "default", Name: "Default"}))
	cfg := httpapi.Config{Engine: eng, Store: st, CRMs: leadcall.SingleCRM{C: c}, AdminToken: adminToken, Now: clk.Now,
		BcryptCost: bcrypt.MinCost}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := httpapi.New(cfg)
	require.NoError(t, err)
	return &env{t: t, srv: srv, eng: eng, store: st, crm: c, clock: clk, crmUser: userID}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

func (r response) err(t testing.TB) httpapi.ErrorDetail {
	t.Helper()
	var b httpapi.ErrorBody
	r.json(t, &b)
	require.NotEmpty(t, b.Error.Code, "body: %s", r.body)
	require.NotEmpty(t, b.Error.Message, "body: %s", r.body)
	return b.Error
}

// do sends a request; body is a string (sent as is), nil, or a value marshalled to JSON.
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// admin sends a manager-API request and requires the status.
func (e *env) admin(method, path string, body any, want int, out any) response {
	e.t.Helper()
	r := e.do(method, path, adminToken, body)
	require.Equal(e.t, want, r.status, "%s %s: %s", method, path, r.body)
	if out != nil {
		r.json(e.t, out)
	}
	return r
}

// pairedDevice creates a device through the API and enrolls it; it returns the ID and token.
func (e *env) pairedDevice(kind string) (string, string) {
	e.t.Helper()
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices", map[string]any{"nickname": "Phone " + kind, "kind": kind}, http.StatusCreated, &p)
	r := e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": p.PairingCode, "model": "Pixel 8", "os": "Android 15", "app_version": "1.0.0"})
	require.Equal(e.t, http.StatusOK, r.status, "%s", r.body)
	var er httpapi.EnrollResponse
	r.json(e.t, &er)
	require.Equal(e.t, p.ID, er.DeviceID)
	return er.DeviceID, er.Token
}

func call(id, number, typ string, at time.Time) map[string]any {
	return map[string]any{"id": id, "number": number, "type": typ, "started_at": at.Format(time.RFC3339Nano), "duration_s": 30, "sim_slot": 0}
}
