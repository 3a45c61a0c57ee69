package phone

import (
	"slices"

	"github.com/nyaruka/phonenumbers"
)

// The fast path of SearchVariants does what searchVariantsUnguarded does
// with libphonenumber, with the precompiled plans of plan.go instead:
//
//   - fastParse reads e164 as phonenumbers.Parse(e164, "") would, and
//     checks that the number is valid and that e164 is its canonical form;
//   - formatNational formats the national significant number as
//     phonenumbers.Format(num, NATIONAL) would;
//   - a national variant reads back as the same number when
//     phonenumbers.Parse of it, in the number's region, gives the same
//     calling code and national significant number: validity depends on
//     nothing else, and the number is known to be valid.
//
// Whenever one of these steps cannot tell, it reports false and
// SearchVariants runs the slow path, which also words every error.
// TestSearchVariantsFastMatchesSlow and FuzzSearchVariantsFastMatchesSlow
// check it against the slow path.

// fastSearchVariantsGuarded is fastSearchVariants, which reports false
// instead of panicking (a bug there must cost speed, not a result).
func fastSearchVariantsGuarded(e164 string) (variants []string, ok bool) {
	defer func() {
		if recover() != nil {
			variants, ok = nil, false
		}
	}()
	return fastSearchVariants(e164)
}

// fastSearchVariants returns SearchVariants(e164) for e164 in E.164 form,
// or false when it leaves e164 to the slow path.
func fastSearchVariants(e164 string) ([]string, bool) {
	n, ok := fastParse(e164, "")
	if !ok || n.E164 != e164 {
		return nil, false
	}
	ps := plans()
	// fastParse has checked that e164 splits this way (readsBack).
	countryCode, nsn := ps.extractCountryCode(e164[1:])
	if countryCode == 0 {
		return nil, false
	}

	variants := make([]string, 1, 4)
	variants[0] = e164
	// readsBackAs refuses every variant of a number outside the supported
	// regions (non-geographic numbers): no need to format them.
	if phonenumbers.GetSupportedRegions()[n.Region] {
		// Format uses the plan of the calling code's main region.
		meta := ps.forNumber(countryCode, ps.mainRegion(countryCode))
		if meta == nil {
			return nil, false
		}
		var buf [64]byte
		formatted, ok := meta.appendNational(buf[:0], nsn)
		if !ok {
			return nil, false
		}
		national := keepDigits(formatted)
		nationalDigits := nsn // no copy when the format adds no digit (NANP, Italy)
		if string(national) != nsn {
			nationalDigits = string(national)
		}
		for _, v := range [...]string{nationalDigits, nsn} {
			// A variant already in the list would not be added again, and
			// the same string reads back the same way twice.
			if len(v) < MinNationalVariantDigits || slices.Contains(variants, v) {
				continue
			}
			if ps.readsBackFast(v, n.Region, countryCode, nsn, e164) {
				variants = append(variants, v)
			}
		}
	}
	return append(variants, e164[1:]), true
}

// readsBackFast is readsBackAs(national, region, e164) for the valid
// number e164 with calling code countryCode and national significant
// number nsn. When parseDigits cannot tell, or tells of another number, it
// asks readsBackAs itself: that costs time only for the rare variant that
// names another number.
func (ps *numberingPlans) readsBackFast(national, region string, countryCode int, nsn, e164 string) bool {
	if code, back, ok := ps.parseDigits(national, false, region); ok && code == countryCode && back == nsn {
		return true
	}
	return readsBackAs(national, region, e164)
}

// keepDigits removes every byte of b that is not an ASCII digit, in place,
// and returns what is left.
func keepDigits(b []byte) []byte {
	n := 0
	for _, c := range b {
		if c >= '0' && c <= '9' {
			b[n] = c
			n++
		}
	}
	return b[:n]
}
