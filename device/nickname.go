package device

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNicknameLen is the longest nickname, in runes (Unicode code points),
// after normalisation.
const MaxNicknameLen = 64

// NormalizeNickname validates a human-readable device label ("Front Desk",
// "Ahmed's Phone") and returns its normal form:
//
//   - leading and trailing whitespace is removed;
//   - every run of whitespace inside (any Unicode White_Space, including tab
//     and newline) becomes one ASCII space;
//   - the result must be 1 to MaxNicknameLen runes long.
//
// It refuses invalid UTF-8, control characters other than whitespace, and
// bidirectional-formatting characters (they can make a label display as
// something it is not in the dashboard and in CRM descriptions). Errors wrap
// ErrEmptyNickname, ErrNicknameTooLong or ErrInvalidNickname and report the
// first problem in input order. Normalising a normalised nickname returns it
// unchanged. Letters are not case-folded or Unicode-normalised.
//
// The work is linear in len(s) and memory is bounded by MaxNicknameLen,
// whatever the input size.
func NormalizeNickname(s string) (string, error) {
	var b strings.Builder
	b.Grow(min(len(s), MaxNicknameLen*utf8.UTFMax))
	runes := 0
	pendingSpace := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "", fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrInvalidNickname, i)
		case unicode.IsSpace(r):
			pendingSpace = runes > 0
		case forbiddenInLabel(r):
			return "", fmt.Errorf("%w: forbidden character %U at byte %d", ErrInvalidNickname, r, i)
		default:
			if pendingSpace {
				b.WriteByte(' ')
				runes++
				pendingSpace = false
			}
			b.WriteRune(r)
			runes++
			if runes > MaxNicknameLen {
				return "", fmt.Errorf("%w: more than %d characters", ErrNicknameTooLong, MaxNicknameLen)
			}
		}
		i += size
	}
	if runes == 0 {
		return "", ErrEmptyNickname
	}
	return b.String(), nil
}

// forbiddenInLabel reports runes that must not appear in a label shown to
// people: C0/C1 controls (whitespace is handled before this is asked) and the
// bidirectional embedding, override and isolate controls and marks.
func forbiddenInLabel(r rune) bool {
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r == '\u061C', // ARABIC LETTER MARK
		r == '\u200E', r == '\u200F', // LRM, RLM
		r >= '\u202A' && r <= '\u202E', // LRE, RLE, PDF, LRO, RLO
		r >= '\u2066' && r <= '\u2069', // LRI, RLI, FSI, PDI
		r == '\uFEFF':                  // zero-width no-break space / BOM
		return true
	}
	return false
}

// validLabelText reports whether s is valid UTF-8 without forbidden runes.
// It is used for device-reported strings that are stored as sent.
func validLabelText(s string) (ok bool, at int, why string) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false, i, "invalid UTF-8"
			}
		}
		if forbiddenInLabel(r) {
			return false, i, fmt.Sprintf("forbidden character %U", r)
		}
	}
	return true, 0, ""
}
