package zoho

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
)

// APIError is an error reported by Zoho's CRM API: the HTTP status and Zoho's error envelope
// {"code","details","message","status"}, for the whole request or for one record of it. The
// adapter returns it wrapped in a *leadcall.Error that carries the classification, so
// errors.As(err, &apiErr) reaches it.
type APIError struct {
	// HTTPStatus is the status of the response (or of the composite sub-response) that carried
	// the error.
	HTTPStatus int
	// Code is Zoho's code, e.g. "INVALID_DATA", "DUPLICATE_DATA", "INVALID_TOKEN".
	Code string
	// Message is Zoho's message, e.g. "invalid data".
	Message string
	// Details is Zoho's details object, e.g. {"api_name":"Phone","json_path":"$.data[0].Phone"};
	// nil when absent or not an object.
	Details map[string]any
}

// maxMessageLen bounds how much of Zoho's message goes into an error string.
const maxMessageLen = 200

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zoho api: HTTP %d", e.HTTPStatus)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + truncate(e.Message, maxMessageLen))
	}
	if f := e.APIName(); f != "" {
		fmt.Fprintf(&b, " (field %s)", truncate(f, maxMessageLen))
	}
	return b.String()
}

// APIName returns details.api_name, the field Zoho complains about, or "".
func (e *APIError) APIName() string { return detailString(e.Details, "api_name") }

// detailString returns details[key] when it is a string.
func detailString(details map[string]any, key string) string {
	s, _ := details[key].(string)
	return s
}

// duplicateID returns the ID of the record that already holds a unique value, from a
// DUPLICATE_DATA error: details.duplicate_record.id (v8) or details.id (older samples)
// (OAS v8 createRecords response-400-duplicatedataerror).
func (e *APIError) duplicateID() string {
	if dup, ok := e.Details["duplicate_record"].(map[string]any); ok {
		if id := idString(dup["id"]); id != "" {
			return id
		}
	}
	return idString(e.Details["id"])
}

// idString accepts an ID given as a JSON string or number.
func idString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// OAuthError is an error from Zoho's accounts server (the token endpoint). Most of them come
// with HTTP 200 and only an "error" field (zoho-api.md §1.4).
type OAuthError struct {
	HTTPStatus  int
	Code        string // Zoho's "error", e.g. "invalid_code", "invalid_client", "Access Denied"
	Description string // Zoho's "error_description", often empty
}

func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("zoho accounts: HTTP %d", e.HTTPStatus)
	if e.Code != "" {
		msg += ": " + truncate(e.Code, maxMessageLen)
	}
	if e.Description != "" {
		msg += ": " + truncate(e.Description, maxMessageLen)
	}
	return msg
}

// Sentinels for errors.Is.
var (
	// ErrResponseTooLarge: a response body was longer than Config.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("zoho: response body too large")
	// ErrMalformedResponse: a response body could not be decoded.
	ErrMalformedResponse = errors.New("zoho: malformed response")
)

// classifyCode maps Zoho's error code and HTTP status to leadcall's codes (errors.go rules):
// only codes that prove a write was not applied get Invalid, Unauthorized, ReconnectRequired
// or RateLimited; anything that may have been applied is Unavailable.
func classifyCode(status int, code string) leadcall.Code {
	switch code {
	case "OAUTH_SCOPE_MISMATCH":
		// A refresh cannot fix a missing scope; a person must connect again (§12).
		return leadcall.CodeReconnectRequired
	case "INVALID_TOKEN", "AUTHENTICATION_FAILURE", "NO_PERMISSION", "AUTHORIZATION_FAILED", "INVALID_HOST":
		return leadcall.CodeUnauthorized
	case "TOO_MANY_REQUESTS":
		return leadcall.CodeRateLimited
	case "INTERNAL_ERROR", "REQUEST_TIMEOUT":
		return leadcall.CodeUnavailable
	}
	switch {
	case status == http.StatusTooManyRequests:
		return leadcall.CodeRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return leadcall.CodeUnauthorized
	case status >= 500 || status == http.StatusRequestTimeout:
		return leadcall.CodeUnavailable
	case status >= 400:
		return leadcall.CodeInvalid
	case code != "":
		// An error item inside a 2xx (mixed results): that record was not written.
		return leadcall.CodeInvalid
	default:
		return leadcall.CodeUnavailable
	}
}

// apiErr wraps e in a *leadcall.Error with its classification.
func apiErr(op string, e *APIError) *leadcall.Error {
	le := leadcall.NewError(classifyCode(e.HTTPStatus, e.Code), op, e)
	if le.Code == leadcall.CodeInvalid {
		le.Field = e.APIName()
	}
	return le
}

// unavailable is an ambiguous failure: the request may have been applied.
func unavailable(op string, err error) *leadcall.Error {
	return leadcall.NewError(leadcall.CodeUnavailable, op, err)
}

// invalid is a refusal of bad input before anything was sent.
func invalid(op, field, format string, args ...any) *leadcall.Error {
	e := leadcall.Errorf(leadcall.CodeInvalid, op, format, args...)
	e.Field = field
	return e
}

// rateLimited is a refusal for load, with when to come back.
func rateLimited(op string, retryAfter time.Duration, err error) *leadcall.Error {
	e := leadcall.NewError(leadcall.CodeRateLimited, op, err)
	e.RetryAfter = retryAfter
	return e
}

// parseRetryAfter reads a Retry-After header given as seconds or an HTTP date; 0 when absent
// or unreadable. Hostile values are capped at a day.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, 24*time.Hour)
}
