package phone

import (
	"fmt"

	"github.com/nyaruka/phonenumbers"
)

// MinNationalVariantDigits is the fewest digits a national search variant
// may have. CRM phone searches can match on substrings, and a very short
// national number (a few small territories have four- or five-digit ones)
// would match unrelated records.
const MinNationalVariantDigits = 6

// SearchVariants returns the strings to search a CRM's phone fields with
// to find every record that stores the number e164, in whatever format a
// person typed it. e164 must be the canonical E.164 form of a valid number
// (as in Number.E164); anything else gives an error matching ErrInvalid.
//
// The list is in this order, cheapest and most likely first, and holds
// each string once:
//
//  1. E.164: "+919876543210";
//  2. the national format with its trunk prefix, digits only, as the
//     number's own region dials it: "09876543210" (libphonenumber's
//     national format, so NANP numbers get no leading 1 and regions
//     without a trunk prefix give the national significant number);
//  3. the national significant number: "9876543210";
//  4. E.164 without '+': "919876543210".
//
// A national variant (2 or 3) is left out when it has fewer than
// [MinNationalVariantDigits] digits, or when it does not read back as the
// same number in the number's region (so it never names another number
// there); non-geographic numbers (+800, +882…) therefore only get 1 and 4.
// A US number gives ["+12015550123", "2015550123", "12015550123"].
func SearchVariants(e164 string) ([]string, error) {
	return searchVariants(e164, true)
}

// searchVariants is SearchVariants; with fast false it skips the fast path
// (see variants_fast.go), so that tests can compare the two.
func searchVariants(e164 string, fast bool) (variants []string, err error) {
	if !isE164Form(e164) {
		return nil, fmt.Errorf("%w %s: not in E.164 form (+ and up to 15 digits)", ErrInvalid, describe(e164))
	}
	if fast {
		if variants, ok := fastSearchVariantsGuarded(e164); ok {
			return variants, nil
		}
	}
	if panicked(func() { variants, err = searchVariantsUnguarded(e164) }) {
		return nil, fmt.Errorf("%w %s: the parser failed on this input", ErrInvalid, describe(e164))
	}
	return variants, err
}

func searchVariantsUnguarded(e164 string) ([]string, error) {
	num, perr := phonenumbers.Parse(e164, "")
	if perr != nil {
		return nil, fmt.Errorf("%w %s: %s: %w", ErrInvalid, describe(e164), parseReason(perr, true), perr)
	}
	if !phonenumbers.IsValidNumber(num) {
		return nil, fmt.Errorf("%w %s: %s", ErrInvalid, describe(e164), invalidReason(num))
	}
	if canonical := phonenumbers.Format(num, phonenumbers.E164); canonical != e164 {
		return nil, fmt.Errorf("%w %s: not the canonical E.164 form of the number", ErrInvalid, describe(e164))
	}

	variants := make([]string, 0, 4)
	add := func(v string) {
		for _, have := range variants {
			if have == v {
				return
			}
		}
		variants = append(variants, v)
	}
	add(e164)
	region := phonenumbers.GetRegionCodeForNumber(num)
	national := digitsOnly(phonenumbers.Format(num, phonenumbers.NATIONAL))
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	for _, v := range [...]string{national, nsn} {
		if len(v) >= MinNationalVariantDigits && readsBackAs(v, region, e164) {
			add(v)
		}
	}
	add(e164[1:])
	return variants, nil
}

// isE164Form reports whether s is '+' followed by 1 to 15 ASCII digits,
// the first of them not 0.
func isE164Form(s string) bool {
	if len(s) < 2 || len(s) > 1+maxE164Digits || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// readsBackAs reports whether national, read in region, is the valid
// number e164.
func readsBackAs(national, region, e164 string) bool {
	if !phonenumbers.GetSupportedRegions()[region] {
		return false
	}
	num, err := phonenumbers.Parse(national, region)
	return err == nil && phonenumbers.IsValidNumber(num) &&
		phonenumbers.Format(num, phonenumbers.E164) == e164
}

// digitsOnly keeps the ASCII digits of s.
func digitsOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}
