package phone

import "errors"

// Sentinel errors. Match them with errors.Is; the returned errors wrap them
// with a masked number and a reason.
var (
	// ErrPrivate means the caller ID is withheld (see [IsPrivate]).
	ErrPrivate = errors.New("phone: private or withheld number")

	// ErrEmpty means the input held nothing but spaces. It also matches
	// ErrPrivate, because phones report a withheld caller ID as an empty
	// number.
	ErrEmpty error = &childError{msg: "phone: empty number", parent: ErrPrivate}

	// ErrTooLong means the input is longer than MaxInputBytes. Such input
	// is rejected before any parsing.
	ErrTooLong = errors.New("phone: input too long")

	// ErrInvalid means the input is not a phone number, or parses but is
	// not a valid number (unassigned range, wrong length, unknown country
	// calling code).
	ErrInvalid = errors.New("phone: invalid number")

	// ErrUnknownRegion means a region code is not one libphonenumber has
	// metadata for.
	ErrUnknownRegion = errors.New("phone: unknown region")
)

// childError is a sentinel that also matches a broader sentinel.
type childError struct {
	msg    string
	parent error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.parent }
