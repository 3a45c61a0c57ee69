package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// FuzzDecodeCalls feeds arbitrary bodies to the device upload decoder: it must never panic,
// and every refusal is a 4xx with a message.
func FuzzDecodeCalls(f *testing.F) {
	for _, seed := range []string{
		`{"calls":[{"id":"c1","number":"+919876543210","type":"missed","started_at":"2026-11-22T10:00:00Z","duration_s":0,"sim_slot":0,"sim_number":""}]}`,
		`{"calls":[]}`, `{}`, `null`, `[]`, `{"calls":[{"id":"a\u0000"}]}`, `{"calls":[{"extra":1}]}`,
		`{"calls":[{"duration_s":1e400}]}`, `{"calls":[{"started_at":"2026-02-30T00:00:00Z"}]}`,
		"{\"calls\":[{\"id\":\"\xff\"}]}", `{"calls":[]}{}`, strings.Repeat("[", 100),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req CallsRequest
		err := decodeBytes(body, &req)
		if err == nil {
			for _, c := range req.Calls {
				require.NotContains(t, c.ID+c.Number+c.Type+c.SIMNumber, "\x00")
			}
			return
		}
		var he *httpError
		require.True(t, errors.As(err, &he), "%T %v", err, err)
		require.GreaterOrEqual(t, he.status, 400)
		require.Less(t, he.status, 500)
		require.NotEmpty(t, he.detail.Message)
	})
}

func TestStatusTableCoversEveryCode(t *testing.T) {
	t.Parallel()
	for code, status := range statusOf {
		require.NotZero(t, status, code.String())
	}
	require.Len(t, statusOf, 10, "a new leadcall code needs a row in statusOf and in the package doc")
}

func TestToHTTPError(t *testing.T) {
	t.Parallel()
	wrapped := func(e *leadcall.Error) error { return fmt.Errorf("outer: %w", e) }
	cases := []struct {
		err        error
		status     int
		code       string
		field      string
		msgHas     string
		retryAfter string
	}{
		{wrapped(&leadcall.Error{Code: leadcall.CodeInvalid, Field: "kind", Message: "want campaign"}), 422, "invalid", "kind", "want campaign", ""},
		{&leadcall.Error{Code: leadcall.CodeInvalid, Field: "lead_source", Message: "invalid_lead_source: not an active value"}, 422, "invalid_lead_source", "lead_source", "not an active value", ""},
		{&leadcall.Error{Code: leadcall.CodeInvalid, Field: "sims", Err: errors.New("slot 9 out of range")}, 422, "invalid", "sims", "slot 9", ""},
		{&leadcall.Error{Code: leadcall.CodeNotFound, Message: "device not found"}, 404, "not_found", "", "device not found", ""},
		{&leadcall.Error{Code: leadcall.CodeConflict, Message: "already resolved"}, 409, "conflict", "", "already resolved", ""},
		{&leadcall.Error{Code: leadcall.CodeSeatLimit, Message: "no seat"}, 409, "seat_limit", "", "no seat", ""},
		{&leadcall.Error{Code: leadcall.CodeRateLimited, RetryAfter: 2500 * time.Millisecond}, 429, "rate_limited", "", "retry", "3"},
		{&leadcall.Error{Code: leadcall.CodeRateLimited}, 429, "rate_limited", "", "retry", "1"},
		{&leadcall.Error{Code: leadcall.CodeUnauthorized, Message: "token xyz rejected"}, 502, "crm_unauthorized", "", "CRM connection", ""},
		{&leadcall.Error{Code: leadcall.CodeReconnectRequired}, 502, "reconnect_required", "", "connected again", ""},
		{&leadcall.Error{Code: leadcall.CodeUnavailable, Message: "dial tcp 10.0.0.1"}, 503, "unavailable", "", "temporarily", ""},
		{&leadcall.Error{Code: leadcall.CodeInternal, Message: "secret detail"}, 500, "internal", "", "internal error", ""},
		{errors.New("plain failure with detail"), 500, "internal", "", "internal error", ""},
		{leadcall.ErrClosed, 503, "unavailable", "", "shutting down", ""},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		writeError(rec, slog.New(slog.DiscardHandler), tc.err)
		require.Equal(t, tc.status, rec.Code, "%v", tc.err)
		var body ErrorBody
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, tc.code, body.Error.Code, "%v", tc.err)
		require.Equal(t, tc.field, body.Error.Field, "%v", tc.err)
		require.Contains(t, body.Error.Message, tc.msgHas, "%v", tc.err)
		require.Equal(t, tc.retryAfter, rec.Header().Get("Retry-After"), "%v", tc.err)
		if tc.status >= 500 {
			for _, leak := range []string{"secret detail", "dial tcp", "xyz", "plain failure"} {
				require.NotContains(t, body.Error.Message, leak, "server-side details stay in the log")
			}
		}
	}
}
