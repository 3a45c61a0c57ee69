package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadcall/leadcall"
)

// ErrorBody is the JSON shape of every error response: {"error": {...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one error. Code is a stable snake_case name (see the package doc).
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpError is an error with the status and body it answers.
type httpError struct {
	status     int
	detail     ErrorDetail
	retryAfter time.Duration
	challenge  string // WWW-Authenticate of a 401
	cause      error  // logged for 5xx, never sent
}

func (e *httpError) Error() string { return e.detail.Code + ": " + e.detail.Message }

func apiError(status int, code, field, msg string) *httpError {
	return &httpError{status: status, detail: ErrorDetail{Code: code, Field: field, Message: msg}}
}

func badRequest(field, format string, args ...any) *httpError {
	return apiError(http.StatusBadRequest, "invalid", field, fmt.Sprintf(format, args...))
}

// statusOf is the one table from leadcall codes to HTTP statuses (see the package doc).
var statusOf = map[leadcall.Code]int{
	leadcall.CodeInvalid:           http.StatusUnprocessableEntity,
	leadcall.CodeNotFound:          http.StatusNotFound,
	leadcall.CodeConflict:          http.StatusConflict,
	leadcall.CodeSeatLimit:         http.StatusConflict,
	leadcall.CodeRateLimited:       http.StatusTooManyRequests,
	leadcall.CodeUnauthorized:      http.StatusBadGateway,
	leadcall.CodeReconnectRequired: http.StatusBadGateway,
	leadcall.CodeUnavailable:       http.StatusServiceUnavailable,
	leadcall.CodeInternal:          http.StatusInternalServerError,
	leadcall.CodeUnknown:           http.StatusInternalServerError,
}

// invalidLeadSource is the prefix of the Engine's message for a Lead Source that is not an
// active picklist value; the API gives it its own code.
const invalidLeadSource = "invalid_lead_source"

// toHTTPError classifies any error from the Engine, the Store or a CRM.
func toHTTPError(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	if errors.Is(err, leadcall.ErrClosed) {
		return &httpError{status: http.StatusServiceUnavailable, detail: ErrorDetail{Code: "unavailable", Message: "the server is shutting down"}, cause: err}
	}
	var le *leadcall.Error
	if !errors.As(err, &le) {
		return &httpError{status: http.StatusInternalServerError, detail: ErrorDetail{Code: "internal", Message: "internal error"}, cause: err}
	}
	status, ok := statusOf[le.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	d := ErrorDetail{Code: le.Code.String(), Field: le.Field}
	switch le.Code {
	case leadcall.CodeInvalid, leadcall.CodeNotFound, leadcall.CodeConflict, leadcall.CodeSeatLimit:
		d.Message = le.Message
		if d.Message == "" && le.Err != nil {
			d.Message = le.Err.Error()
		}
		if le.Code == leadcall.CodeInvalid && strings.HasPrefix(d.Message, invalidLeadSource) {
			d.Code = invalidLeadSource
			d.Message = strings.TrimLeft(strings.TrimPrefix(d.Message, invalidLeadSource), ": ")
		}
	case leadcall.CodeUnauthorized:
		d.Code, d.Message = "crm_unauthorized", "the server's CRM connection was refused; check its credentials"
	case leadcall.CodeReconnectRequired:
		d.Message = "the CRM connection must be connected again"
	case leadcall.CodeRateLimited:
		d.Message = "the CRM is rate limiting; retry later"
	case leadcall.CodeUnavailable:
		d.Message = "a backing service is temporarily unavailable; retry"
	default:
		d.Code, d.Message = "internal", "internal error"
	}
	if d.Message == "" {
		d.Message = d.Code
	}
	return &httpError{status: status, detail: d, retryAfter: le.RetryAfter, cause: err}
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	he := toHTTPError(err)
	if he.status >= 500 && he.cause != nil {
		// Errors of our packages never carry tokens or full numbers (errors.go contract).
		log.Error("httpapi: request failed", "status", he.status, "err", he.cause)
	}
	if he.challenge != "" {
		w.Header().Set("WWW-Authenticate", he.challenge)
	}
	if he.status == http.StatusTooManyRequests {
		secs := int(math.Ceil(he.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	writeJSON(w, he.status, ErrorBody{Error: he.detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // JSON for programs, never embedded in HTML
	_ = enc.Encode(v)
}

// decodeJSON reads one JSON object of the request body into dst: the body is capped at
// limit bytes, unknown fields, trailing data and strings holding NUL or invalid UTF-8 are
// refused, each with an error naming the problem (and the field where known).
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return apiError(http.StatusUnsupportedMediaType, "invalid", "", "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiError(http.StatusRequestEntityTooLarge, "too_large", "", fmt.Sprintf("request body above %d bytes", limit))
		}
		return badRequest("", "could not read the request body")
	}
	return decodeBytes(body, dst)
}

// decodeBytes is decodeJSON after the body was read; separate so that it can be fuzzed.
func decodeBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("", "a JSON body is required")
	}
	if !utf8.Valid(body) {
		return badRequest("", "the body must be valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("", "unexpected data after the JSON object")
	}
	if field, ok := findNUL(reflect.ValueOf(dst), ""); ok {
		return badRequest(field, "strings must not contain NUL characters")
	}
	return nil
}

func jsonError(err error) *httpError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case errors.As(err, &syn):
		return badRequest("", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return badRequest(typ.Field, "wrong type: got JSON %s, want %s", typ.Value, jsonKind(typ.Type))
	case errors.As(err, &tim):
		return badRequest("", "a time is not RFC 3339 (e.g. 2026-11-22T10:15:00+05:30)")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "the JSON body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(name, "unknown field")
	default:
		var he *httpError
		if errors.As(err, &he) {
			return he
		}
		return badRequest("", "the body is not the expected JSON object")
	}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return t.String()
	}
}

// findNUL reports the JSON path of the first string holding NUL in v.
func findNUL(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return findNUL(v.Elem(), path)
	case reflect.String:
		return path, strings.ContainsRune(v.String(), 0)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" {
				name = f.Name
			}
			if p, ok := findNUL(v.Field(i), joinPath(path, name)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p, ok := findNUL(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() == reflect.String && strings.ContainsRune(k.String(), 0) {
				return path, true
			}
			if p, ok := findNUL(iter.Value(), joinPath(path, fmt.Sprint(k.Interface()))); ok {
				return p, true
			}
		}
	}
	return "", false
}

func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}

// MaskPhone keeps a number's last two digits for logs: "+919876543210" → "+*********10".
func MaskPhone(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	keep := 2
	if len(r) <= 4 {
		keep = 0
	}
	out := make([]rune, len(r))
	for i, c := range r {
		switch {
		case i >= len(r)-keep:
			out[i] = c
		case i == 0 && c == '+':
			out[i] = c
		default:
			out[i] = '*'
		}
	}
	return string(out)
}
