package sqlshared

import (
	"fmt"

	"github.com/leadcall/leadcall"
)

// Helpers that build classified errors. Messages never contain phone numbers, tokens or
// hashes: only IDs and field names.

// Invalid is a CodeInvalid error about field, with a formatted message.
func Invalid(op, field, format string, args ...any) error {
	return &leadcall.Error{Code: leadcall.CodeInvalid, Op: op, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a CodeNotFound error with a formatted message.
func NotFound(op, format string, args ...any) error {
	return leadcall.Errorf(leadcall.CodeNotFound, op, format, args...)
}

// Conflict is a CodeConflict error with a formatted message.
func Conflict(op, format string, args ...any) error {
	return leadcall.Errorf(leadcall.CodeConflict, op, format, args...)
}

// LeaseLost wraps leadcall.ErrLeaseLost for job jobID.
func LeaseLost(op string, jobID int64) error {
	return fmt.Errorf("%s: job %d: %w", op, jobID, leadcall.ErrLeaseLost)
}
