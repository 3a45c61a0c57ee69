package phone

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInputBytes is the longest raw input, in bytes, that is parsed at all.
// It is libphonenumber's own limit (MAX_INPUT_STRING_LENGTH); longer input
// is rejected up front so hostile strings cost nothing.
const MaxInputBytes = 250

// cleanInput prepares raw input for the parser: every Unicode decimal
// digit becomes its ASCII digit (libphonenumber only knows ASCII,
// full-width and Arabic-Indic digits), every Unicode space becomes ' ',
// invisible format characters (bidi marks, zero-width spaces, BOM, soft
// hyphen) are removed, and the result is trimmed. Control characters and
// invalid UTF-8 are refused (reason is then non-empty): no phone reports
// them in a number.
func cleanInput(raw string) (cleaned, reason string) {
	if isPlainASCII(raw) {
		return strings.TrimSpace(raw), ""
	}
	if !utf8.ValidString(raw) {
		return "", "not valid UTF-8"
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r):
			// Invisible: drop.
		case unicode.IsControl(r):
			return "", "contains a control character"
		default:
			if d, ok := asciiDigit(r); ok {
				b.WriteByte(d)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return strings.TrimSpace(b.String()), ""
}

// isPlainASCII reports whether s holds only printable ASCII, the common
// case, which needs no cleaning beyond trimming.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// asciiDigit maps any Unicode decimal digit (category Nd) to '0'..'9'.
// Unicode assigns Nd characters only in contiguous runs from 0 to 9, so a
// digit's value is its offset within its range of unicode.Nd modulo 10; a
// range that does not have that shape is not trusted.
func asciiDigit(r rune) (byte, bool) {
	if r >= '0' && r <= '9' {
		return byte(r), true
	}
	if r < utf8.RuneSelf || !unicode.IsDigit(r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return digitInRange(r, rune(rg.Lo), rune(rg.Hi), uint32(rg.Stride))
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return digitInRange(r, rune(rg.Lo), rune(rg.Hi), uint32(rg.Stride))
		}
	}
	return 0, false
}

func digitInRange(r, lo, hi rune, stride uint32) (byte, bool) {
	if stride != 1 || (hi-lo+1)%10 != 0 {
		return 0, false
	}
	return byte('0' + (r-lo)%10), true
}
