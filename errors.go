package leadcall

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error so that callers (and the Engine) can act on it without parsing text.
// Codes are stable: they appear in metrics, API responses and stored sync attempts, so they are
// never renumbered.
type Code int

// Error codes.
const (
	// CodeUnknown is any error nobody classified. The Engine treats it like CodeUnavailable.
	CodeUnknown Code = iota
	// CodeInvalid: the input is wrong and retrying will not help. For CRM writes: the CRM
	// certainly did not apply the write.
	CodeInvalid
	// CodeNotFound: the thing asked for does not exist.
	CodeNotFound
	// CodeConflict: the thing already exists. For CRM creates: a record with the same sync key
	// exists; Error.ExistingID names it, and the Engine adopts it.
	CodeConflict
	// CodeUnauthorized: credentials are missing, expired beyond refresh, or lack a scope. For
	// CRM writes: the write was not applied. The Engine pauses the org's sync.
	CodeUnauthorized
	// CodeRateLimited: the remote side refused for load; Error.RetryAfter says when to come
	// back. For CRM writes: the write was not applied. The Engine pauses the org's sync.
	CodeRateLimited
	// CodeUnavailable: a transient failure (5xx, timeout, reset). For CRM writes: the write may
	// or may not have been applied; the Engine reconciles by sync key before writing again.
	CodeUnavailable
	// CodeInternal: a bug or broken invariant on our side.
	CodeInternal
	// CodeSeatLimit: registering a device would exceed the org's seat limit.
	CodeSeatLimit
	// CodeReconnectRequired: the CRM connection lost a scope or was revoked; a person must
	// connect it again. Sync for the org pauses until then.
	CodeReconnectRequired
)

var codeNames = [...]string{
	CodeUnknown:           "unknown",
	CodeInvalid:           "invalid",
	CodeNotFound:          "not_found",
	CodeConflict:          "conflict",
	CodeUnauthorized:      "unauthorized",
	CodeRateLimited:       "rate_limited",
	CodeUnavailable:       "unavailable",
	CodeInternal:          "internal",
	CodeSeatLimit:         "seat_limit",
	CodeReconnectRequired: "reconnect_required",
}

// String returns the code's stable snake_case name, as used in APIs and metrics.
func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", int(c))
}

// Sentinels for errors.Is. Any *Error with the same code matches them.
var (
	ErrInvalid           = &Error{Code: CodeInvalid}
	ErrNotFound          = &Error{Code: CodeNotFound}
	ErrConflict          = &Error{Code: CodeConflict}
	ErrUnauthorized      = &Error{Code: CodeUnauthorized}
	ErrRateLimited       = &Error{Code: CodeRateLimited}
	ErrUnavailable       = &Error{Code: CodeUnavailable}
	ErrInternal          = &Error{Code: CodeInternal}
	ErrSeatLimit         = &Error{Code: CodeSeatLimit}
	ErrReconnectRequired = &Error{Code: CodeReconnectRequired}
	// ErrClosed is returned by Engine methods after Close.
	ErrClosed = errors.New("leadcall: engine closed")
	// ErrLeaseLost is returned by Store job methods when the job's lease token no longer
	// matches: another worker owns the job now, and the caller must stop writing for it.
	ErrLeaseLost = errors.New("leadcall: job lease lost")
)

// Error is leadcall's classified error. Adapters return it (or an error that wraps it) so that
// the Engine and HTTP handlers can act on Code; native errors stay reachable through Unwrap.
type Error struct {
	Code    Code
	Op      string // the operation, e.g. "zoho: create lead"
	Message string // human-readable; never contains tokens or full phone numbers
	Field   string // the offending input field, for CodeInvalid; may be empty
	// RetryAfter, for CodeRateLimited, is how long to wait before the next request.
	RetryAfter time.Duration
	// ExistingID, for CodeConflict on a CRM create, is the ID of the record that already holds
	// the sync key.
	ExistingID string
	Err        error // the underlying error, if any
}

// NewError returns an *Error with the code, operation and underlying error.
func NewError(code Code, op string, err error) *Error {
	return &Error{Code: code, Op: op, Err: err}
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, op, format string, args ...any) *Error {
	return &Error{Code: code, Op: op, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg == "" {
		msg = e.Code.String()
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the package sentinels by code, so errors.Is(err, ErrRateLimited) holds for any
// *Error with CodeRateLimited.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Op == "" && t.Message == "" && t.Err == nil && t.Code == e.Code
}

// CodeOf returns the code of the first *Error in err's chain, or CodeUnknown when there is none.
func CodeOf(err error) Code {
	if err == nil {
		return CodeUnknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeUnknown
}

// RetryAfterOf returns the RetryAfter of the first *Error in err's chain, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
