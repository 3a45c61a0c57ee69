package device

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Sentinel errors. Returned errors wrap them with details; test with errors.Is.
var (
	// ErrUnknownKind reports a device kind other than "campaign" or "sales_rep".
	ErrUnknownKind = errors.New("device: unknown device kind")
	// ErrEmptyNickname reports a nickname that is empty after trimming.
	ErrEmptyNickname = errors.New("device: nickname is empty")
	// ErrNicknameTooLong reports a nickname longer than MaxNicknameLen runes
	// after normalisation.
	ErrNicknameTooLong = errors.New("device: nickname is too long")
	// ErrInvalidNickname reports a nickname with invalid UTF-8 or a forbidden
	// character (control or bidirectional-override characters).
	ErrInvalidNickname = errors.New("device: invalid nickname")
	// ErrSeatLimit reports that activating one more device would exceed the
	// org's seat limit.
	ErrSeatLimit = errors.New("device: seat limit reached")
	// ErrInvalidSeats reports a negative seat limit or active-device count.
	ErrInvalidSeats = errors.New("device: invalid seat numbers")
	// ErrInvalidSIM reports a malformed SIM entry in a heartbeat.
	ErrInvalidSIM = errors.New("device: invalid SIM report")
	// ErrNotCampaign reports an operation that needs a campaign device, such
	// as setting a campaign assignment on a sales-rep device.
	ErrNotCampaign = errors.New("device: not a campaign device")
	// ErrDeactivated reports an operation that needs an active device.
	ErrDeactivated = errors.New("device: device is deactivated")
)

// maxQuoted is how many bytes of caller input an error message repeats.
const maxQuoted = 32

// quoteInput quotes at most maxQuoted bytes of s (cut on a rune boundary when
// s is valid UTF-8), so hostile or huge input cannot flood logs or inject
// control characters into them.
func quoteInput(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if cut == 0 {
		cut = maxQuoted
	}
	return strconv.Quote(s[:cut]) + "…"
}
