package phone

import "strings"

// maxMaskStars caps the stars in a masked string, so that masking hostile
// input stays short; it is the number of digits E.164 allows.
const maxMaskStars = 15

// Mask hides a phone number for logs. It keeps only digits (any Unicode
// decimal digit, shown as ASCII): the last four stay visible and every
// other digit becomes '*', e.g. "+91 98765 12345" gives "********2345".
// Input with fewer than eight digits shows only its last half, so a short
// number is never shown whole ("12345" gives "***45"). Other characters are
// dropped, at most 15 stars are written, and input without digits gives
// "". Mask accepts any string, including invalid UTF-8.
func Mask(s string) string {
	var last [4]byte // ring buffer of the last four digits
	digits := 0
	for _, r := range s {
		if d, ok := asciiDigit(r); ok {
			last[digits%len(last)] = d
			digits++
		}
	}
	shown := min(len(last), digits/2)
	stars := min(digits-shown, maxMaskStars)
	var b strings.Builder
	b.Grow(stars + shown)
	for range stars {
		b.WriteByte('*')
	}
	for i := digits - shown; i < digits; i++ {
		b.WriteByte(last[i%len(last)])
	}
	return b.String()
}

// describe names raw input in an error message without revealing it.
func describe(raw string) string {
	if m := Mask(raw); m != "" {
		return `"` + m + `"`
	}
	return "(no digits)"
}
