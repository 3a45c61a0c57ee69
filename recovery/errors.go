package recovery

import "errors"

// Sentinel errors. Returned errors wrap them with details; test with errors.Is. Error
// messages never contain a whole phone number, only a mask of it.
var (
	// ErrInvalidConfig reports a Config field out of range.
	ErrInvalidConfig = errors.New("recovery: invalid config")
	// ErrInvalidCall reports a call that counts (neither ignored nor from an inactive
	// device) but is malformed: ID not positive, number not in E.164 form, unknown type or
	// device kind, missing device, start time missing or out of range, negative duration or
	// assignment ID, or an ID used twice.
	ErrInvalidCall = errors.New("recovery: invalid call")
	// ErrInvalidCase reports a case handed to Apply that no Build or Apply could have made
	// (unknown status, malformed number, missing times).
	ErrInvalidCase = errors.New("recovery: invalid case")
	// ErrInvalidTime reports an instant "now" that is zero or out of range.
	ErrInvalidTime = errors.New("recovery: invalid time")
	// ErrNumberMismatch reports a call applied to the case of another number.
	ErrNumberMismatch = errors.New("recovery: call is for another number than the case")
	// ErrOutOfOrder reports a call older than what the case has already seen; the caller's
	// cases must be rebuilt from their calls with Build.
	ErrOutOfOrder = errors.New("recovery: call is older than the case's latest call")
)
