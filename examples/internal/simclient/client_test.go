package simclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// serve starts a loopback server that answers every request with h.
func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, AdminToken: "admin-token", MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxResponseBytes: 4 << 10})
	require.NoError(t, err)
	return c
}

func oneCall() []leadcall.IncomingCall {
	return []leadcall.IncomingCall{{ID: "c1", Number: "+919812345678", Type: "missed", StartedAt: time.Now()}}
}

// TestServerAnswers: what the client makes of good, bad and hostile answers.
func TestServerAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		header   map[string]string
		body     string
		wantErr  string
		wantCode string
	}{
		{name: "acknowledged", status: 200, body: `{"results":[{"id":"c1","status":"accepted"}]}`},
		{name: "refused with an API error", status: 400, body: `{"error":{"code":"invalid","message":"bad batch"}}`, wantErr: "400", wantCode: "invalid"},
		{name: "refused without a body", status: 401, wantErr: "401"},
		{name: "garbage JSON", status: 200, body: `{"results":[`, wantErr: "decode answer"},
		{name: "wrong result count", status: 200, body: `{"results":[]}`, wantErr: "0 results for 1 calls"},
		{name: "too many results", status: 200, body: `{"results":[{"id":"c1"},{"id":"c2"}]}`, wantErr: "2 results for 1 calls"},
		{name: "huge body", status: 200, body: `{"results":[{"id":"` + strings.Repeat("x", 5<<10) + `"}]}`, wantErr: "decode answer"},
		{name: "server error every time", status: 503, body: `{"error":{"code":"unavailable"}}`, wantErr: "gave up after 3 attempts"},
		{name: "rate limited every time", status: 429, header: map[string]string{"Retry-After": "1"}, wantErr: "gave up after 3 attempts"},
		{name: "hostile retry-after", status: 429, header: map[string]string{"Retry-After": "99999999999"}, wantErr: "gave up"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, "Bearer device-token", r.Header.Get("Authorization"))
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			ack, err := c.PostCalls(t.Context(), "device-token", oneCall())
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, leadcall.IngestAccepted, ack.Results[0].Status)
				require.Equal(t, 1, ack.Attempts)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			require.NotContains(t, err.Error(), "device-token", "tokens are never in errors")
			if tc.wantCode != "" {
				var se *StatusError
				require.True(t, errors.As(err, &se))
				require.Equal(t, tc.wantCode, se.Code)
			}
		})
	}
}

// TestRetriesUntilAcknowledged: 5xx and 429 are retried, and the answer that came is used.
func TestRetriesUntilAcknowledged(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			_, _ = w.Write([]byte(`{"results":[{"id":"c1","status":"duplicate"}]}`))
		}
	})
	ack, err := c.PostCalls(t.Context(), "device-token", oneCall())
	require.NoError(t, err)
	require.Equal(t, 3, ack.Attempts)
	require.Equal(t, leadcall.IngestDuplicate, ack.Results[0].Status)
	require.Positive(t, ack.Latency)
}

func TestWithoutAdminToken(t *testing.T) {
	t.Parallel()
	c, err := New(Config{BaseURL: "http://127.0.0.1:1"})
	require.NoError(t, err, "a client that only pairs needs no admin token")
	_, err = New(Config{BaseURL: "http://127.0.0.1:1", MaxResponseBytes: -1})
	require.ErrorContains(t, err, "must not be negative")
	_, err = c.CreateDevice(t.Context(), httpapi.DeviceRequest{Nickname: "x", Kind: KindCampaign})
	require.ErrorIs(t, err, ErrNoAdminToken)
	require.ErrorIs(t, c.Stream(t.Context(), StreamOptions{}, func(leadcall.Event) error { return nil }), ErrNoAdminToken)
	require.ErrorContains(t, c.Heartbeat(t.Context(), "", httpapi.HeartbeatRequest{}), "no device token")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Enroll(ctx, httpapi.EnrollRequest{PairingCode: "ABCD"})
	require.ErrorIs(t, err, context.Canceled)
}
