package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/httpapi"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsHoldNoTokensOrFullNumbers(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	e := newEnv(t, func(c *httpapi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices", map[string]any{"nickname": "Ads", "kind": "campaign"}, http.StatusCreated, &p)
	r := e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": p.PairingCode})
	require.Equal(t, http.StatusOK, r.status)
	var er httpapi.EnrollResponse
	r.json(t, &er)
	r = e.do("POST", "/v1/device/calls", er.Token, map[string]any{"calls": []any{
		call("bad", "+919876543210", "ringing", time.Now()),
	}})
	require.Equal(t, http.StatusOK, r.status)
	e.do("GET", "/v1/calls", "wrong-"+adminToken, nil)

	out := logs.String()
	require.Contains(t, out, `route="POST /v1/device/calls"`)
	require.Contains(t, out, "device_id="+er.DeviceID)
	require.Contains(t, out, "+**********10", "the rejected call's number is logged masked")
	for _, secret := range []string{er.Token, adminToken, p.PairingCode, "9876543210", strings.ReplaceAll(p.PairingCode, "-", "")} {
		require.NotContains(t, out, secret)
	}
}
