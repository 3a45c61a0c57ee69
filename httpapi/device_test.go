package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

func TestEnrollHeartbeatAndCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id, token := e.pairedDevice("campaign")
	require.True(t, strings.HasPrefix(token, "lcd_"))
	require.GreaterOrEqual(t, len(token), len("lcd_")+43, "a 256-bit token")

	// Only the token's hash is stored.
	d, err := e.store.Device(t.Context(), "default", id)
	require.NoError(t, err)
	require.NotEmpty(t, d.TokenHash)
	require.NotContains(t, d.TokenHash, strings.TrimPrefix(token, "lcd_"))
	require.Empty(t, d.PairingCodeHash, "the pairing code is used up")
	require.Equal(t, "Pixel 8", d.Model)
	require.False(t, d.EnrolledAt.IsZero())

	r := e.do("POST", "/v1/device/heartbeat", token, map[string]any{"app_version": "1.0.1", "battery": 80,
		"sims": []map[string]any{{"slot": 0, "number": "+91 98200 11111", "carrier": "Jio"}}})
	require.Equal(t, http.StatusNoContent, r.status, "%s", r.body)
	d, err = e.store.Device(t.Context(), "default", id)
	require.NoError(t, err)
	require.Equal(t, 80, d.Battery)
	require.Equal(t, "1.0.1", d.AppVersion)

	at := time.Now().Add(time.Second)
	r = e.do("POST", "/v1/device/calls", token, map[string]any{"calls": []any{
		call("c1", "098765 12345", "missed", at),
		call("c1", "098765 12345", "missed", at),
		call("c2", "098765 12345", "ringing", at),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var got httpapi.CallsResponse
	r.json(t, &got)
	require.Len(t, got.Results, 3)
	require.Equal(t, leadcall.IngestAccepted, got.Results[0].Status)
	require.Nil(t, got.Results[0].Error)
	require.Equal(t, leadcall.IngestDuplicate, got.Results[1].Status)
	require.Equal(t, leadcall.IngestRejected, got.Results[2].Status)
	require.NotNil(t, got.Results[2].Error)
	require.Equal(t, "type", got.Results[2].Error.Field)
	require.Equal(t, "invalid", got.Results[2].Error.Code)

	// Re-sending the batch is idempotent.
	r = e.do("POST", "/v1/device/calls", token, map[string]any{"calls": []any{call("c1", "098765 12345", "missed", at)}})
	r.json(t, &got)
	require.Equal(t, leadcall.IngestDuplicate, got.Results[0].Status)

	var page httpapi.Page[httpapi.CallView]
	e.admin("GET", "/v1/calls", nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)
	require.Equal(t, id, page.Items[0].DeviceID)
	require.Equal(t, "c1", page.Items[0].DeviceCallID)
	require.Equal(t, "+919876512345", page.Items[0].NumberE164)
}

func TestPairingCodeWorksOnceAndExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.PairingTTL = time.Minute })
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices", map[string]any{"nickname": "Front desk", "kind": "campaign"}, http.StatusCreated, &p)
	require.Len(t, strings.ReplaceAll(p.PairingCode, "-", ""), 16)

	// Separators and case do not matter; the second use is refused.
	typed := strings.ToLower(strings.ReplaceAll(p.PairingCode, "-", " "))
	r := e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": typed})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": p.PairingCode})
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "pairing_code", r.err(t).Field)

	// A fresh code for the same device expires after the TTL.
	e.admin("POST", "/v1/devices/"+p.ID+"/pairing-code", nil, http.StatusCreated, &p)
	e.clock.Advance(time.Minute)
	r = e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": p.PairingCode})
	require.Equal(t, http.StatusUnauthorized, r.status)

	r = e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": "AAAA-BBBB-CCCC-DDDD"})
	require.Equal(t, http.StatusUnauthorized, r.status)
	r = e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": ""})
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	r = e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": "x", "model": strings.Repeat("m", 65)})
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, "model", r.err(t).Field)
}

func TestNewPairingCodeReplacesToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	id, oldToken := e.pairedDevice("campaign")
	var p httpapi.PairingResponse
	e.admin("POST", "/v1/devices/"+id+"/pairing-code", nil, http.StatusCreated, &p)
	r := e.do("POST", "/v1/device/heartbeat", oldToken, map[string]any{})
	require.Equal(t, http.StatusNoContent, r.status, "the old token works until the new code is used")
	r = e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": p.PairingCode})
	require.Equal(t, http.StatusOK, r.status)
	r = e.do("POST", "/v1/device/heartbeat", oldToken, map[string]any{})
	require.Equal(t, http.StatusUnauthorized, r.status)
}

func TestDeviceTokenIsScopedToItsDevice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	idA, tokenA := e.pairedDevice("campaign")
	idB, _ := e.pairedDevice("sales_rep")
	at := time.Now().Add(time.Second)

	// There is no way to name another device: the field is refused...
	r := e.do("POST", "/v1/device/calls", tokenA, map[string]any{"device_id": idB, "calls": []any{call("x1", "9876512345", "missed", at)}})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "device_id", r.err(t).Field)
	c := call("x2", "9876512345", "missed", at)
	c["device_id"] = idB
	r = e.do("POST", "/v1/device/calls", tokenA, map[string]any{"calls": []any{c}})
	require.Equal(t, http.StatusBadRequest, r.status)

	// ...and what A posts lands on A.
	r = e.do("POST", "/v1/device/calls", tokenA, map[string]any{"calls": []any{call("x3", "9876512345", "missed", at)}})
	require.Equal(t, http.StatusOK, r.status)
	var page httpapi.Page[httpapi.CallView]
	e.admin("GET", "/v1/calls?device="+idB, nil, http.StatusOK, &page)
	require.Empty(t, page.Items)
	e.admin("GET", "/v1/calls?device="+idA, nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)

	// The admin token is not a device token, and a device token is not an admin token.
	r = e.do("POST", "/v1/device/heartbeat", adminToken, map[string]any{})
	require.Equal(t, http.StatusUnauthorized, r.status)
	r = e.do("GET", "/v1/calls", tokenA, nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
}

func TestDeviceRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.DeviceRate, c.DeviceBurst = rate.Every(time.Hour), 2 })
	_, tokenA := e.pairedDevice("campaign")
	_, tokenB := e.pairedDevice("campaign")
	for range 2 {
		require.Equal(t, http.StatusNoContent, e.do("POST", "/v1/device/heartbeat", tokenA, map[string]any{}).status)
	}
	r := e.do("POST", "/v1/device/heartbeat", tokenA, map[string]any{})
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "rate_limited", r.err(t).Code)
	require.NotEmpty(t, r.header.Get("Retry-After"))
	// Each device has its own bucket.
	require.Equal(t, http.StatusNoContent, e.do("POST", "/v1/device/heartbeat", tokenB, map[string]any{}).status)
}

func TestEnrollRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *httpapi.Config) { c.EnrollRate, c.EnrollBurst = rate.Every(time.Hour), 3 })
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": "WRONG"}).status)
	}
	require.Equal(t, http.StatusTooManyRequests, e.do("POST", "/v1/device/enroll", "", map[string]any{"pairing_code": "WRONG"}).status)
}

func TestHeartbeatValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, token := e.pairedDevice("campaign")
	r := e.do("POST", "/v1/device/heartbeat", token, map[string]any{"battery": 101})
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, "battery", r.err(t).Field)
	r = e.do("POST", "/v1/device/heartbeat", token, map[string]any{"sims": []map[string]any{{"slot": 99, "number": "1"}}})
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, "sims", r.err(t).Field)
}

func TestBatchAboveMaxBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, token := e.pairedDevice("campaign")
	calls := make([]any, leadcall.DefaultMaxBatch+1)
	for i := range calls {
		calls[i] = call("b"+string(rune('a'+i%26))+strings.Repeat("x", i%7), "9876512345", "missed", time.Now())
	}
	r := e.do("POST", "/v1/device/calls", token, map[string]any{"calls": calls})
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	require.Equal(t, "calls", r.err(t).Field)
}
