package phone

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// CanonicalRegion returns code as the upper-case ISO 3166-1 alpha-2 region
// code libphonenumber knows ("in" and " IN " give "IN"). It returns an
// error matching ErrUnknownRegion for anything else, including the empty
// string and the non-geographic pseudo-region "001". Use it to validate
// and store an organisation's default region.
func CanonicalRegion(code string) (string, error) {
	c := strings.TrimSpace(code)
	if len(c) != 2 || !isASCIILetter(c[0]) || !isASCIILetter(c[1]) {
		return "", fmt.Errorf("%w %s: want a two-letter ISO 3166-1 code", ErrUnknownRegion, quoteShort(code))
	}
	c = strings.ToUpper(c)
	if !phonenumbers.GetSupportedRegions()[c] {
		return "", fmt.Errorf("%w %q: no numbering plan for this region", ErrUnknownRegion, c)
	}
	return c, nil
}

// ValidRegion reports whether CanonicalRegion accepts code.
func ValidRegion(code string) bool {
	_, err := CanonicalRegion(code)
	return err == nil
}

// quoteShort quotes s for an error message, cut to a few bytes so that
// hostile input cannot bloat logs.
func quoteShort(s string) string {
	const limit = 8
	if len(s) > limit {
		return fmt.Sprintf("%q…", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}
