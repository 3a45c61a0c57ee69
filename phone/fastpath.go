package phone

import "github.com/nyaruka/phonenumbers"

// The fast path reads the shapes phones actually send ("9876512345",
// "098765 12345", "+91-98765-12345", "0091 98765 12345") without
// phonenumbers.Parse, whose generic regular expressions (extension,
// viability, punctuation) and per-call pattern concatenation cost tens of
// microseconds. It replays the steps libphonenumber takes for such input
// (international prefix, country calling code, national prefix, validity,
// number type, region, read-back) with the same metadata patterns compiled
// once (plan.go), so it returns the same Number. It never returns an
// error of its own: when the input or the metadata takes a turn it does not
// replay, or the number turns out not to be valid, it reports false and
// Normalize runs the full parser, which then words the error.
//
// FuzzFastPathMatchesSlowPath and TestFastPathMatchesSlowPath check it
// against the full parser.

// maxFastDigits bounds the digits the fast path reads: an international
// prefix, a calling code and the longest national number libphonenumber
// accepts (17) fit.
const maxFastDigits = 32

// maxNationalDigits is libphonenumber's MAX_LENGTH_FOR_NSN and
// minNationalDigits its MIN_LENGTH_FOR_NSN.
const (
	maxNationalDigits = phonenumbers.MAX_LENGTH_FOR_NSN
	minNationalDigits = phonenumbers.MIN_LENGTH_FOR_NSN
)

// fastParse reads cleaned input (trimmed, not empty, not a private marker)
// that holds only ASCII digits, an optional '+' before the first digit, and
// spaces, '-', '.', '(' or ')'. region is canonical or "". It reports false
// when the input has another shape or when it does not find a valid number;
// the caller then uses parseValid.
func fastParse(cleaned, region string) (Number, bool) {
	var buf [maxFastDigits]byte
	n, plus := 0, false
	for i := 0; i < len(cleaned); i++ {
		switch c := cleaned[i]; {
		case c >= '0' && c <= '9':
			if n == len(buf) {
				return Number{}, false
			}
			buf[n] = c
			n++
		case c == '+':
			// Only a single plus before the digits: libphonenumber reads
			// any other plus differently.
			if plus || n > 0 {
				return Number{}, false
			}
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			// libphonenumber drops these separators: they are not the
			// start of the number, not an extension and not letters.
		default:
			return Number{}, false
		}
	}
	// With fewer than three digits libphonenumber's viability rule depends
	// on the punctuation; none of those is a valid number anyway.
	if n < 3 {
		return Number{}, false
	}
	digits := cleaned
	if plus {
		digits = cleaned[1:]
	}
	if len(digits) != n {
		digits = string(buf[:n]) // separators dropped
	}
	ps := plans()
	countryCode, national, ok := ps.parseDigits(digits, plus, region)
	if !ok {
		return Number{}, false
	}

	// IsValidNumber and GetNumberType.
	numberRegion, typ, ok := ps.validate(countryCode, national)
	if !ok {
		return Number{}, false
	}
	cc := ps.callingCodes[countryCode].digits
	if len(cc)+len(national) > maxE164Digits {
		return Number{}, false
	}
	var e164 string
	if len(cleaned) == 1+len(cc)+len(national) && cleaned[0] == '+' && cleaned[1:1+len(cc)] == cc && cleaned[1+len(cc):] == national {
		e164 = cleaned // already canonical: no need to build it
	} else {
		e164 = "+" + cc + national
	}
	if !ps.readsBack(e164[1:], countryCode, national) {
		return Number{}, false
	}
	return Number{E164: e164, Region: numberRegion, Type: typeOf(typ)}, true
}

// parseDigits is what phonenumbers.Parse makes of digits (with a '+'
// before them if plus) read with the default region region (canonical or
// ""): the country calling code and the national significant number. It
// does not check that the number is valid. It reports false when the full
// parser would fail or when it takes a turn parseDigits does not replay.
func (ps *numberingPlans) parseDigits(digits string, plus bool, region string) (countryCode int, national string, ok bool) {
	countryCode, national, meta, ok := ps.splitCountryCode(digits, plus, region)
	if !ok || len(national) < minNationalDigits {
		return 0, "", false
	}
	// parseHelper: strip the national prefix unless what remains has a
	// length the plan does not allow.
	if stripped := meta.stripNationalPrefix(national); acceptableLength(meta.lengthResult(len(stripped))) {
		national = stripped
	}
	// A transform rule could in principle put a non-digit in; the full
	// parser would then read a different national number.
	if len(national) < minNationalDigits || len(national) > maxNationalDigits || !allDigits(national) {
		return 0, "", false
	}
	return countryCode, national, true
}

// splitCountryCode is libphonenumber's maybeExtractCountryCode followed by
// parseHelper's choice of metadata: it returns the country calling code,
// the national number (not yet stripped of its national prefix) and the
// plan to strip it with.
func (ps *numberingPlans) splitCountryCode(digits string, plus bool, region string) (countryCode int, national string, meta *numberingPlan, ok bool) {
	var def *numberingPlan
	switch {
	case region != "":
		if def = ps.region(region); def == nil {
			return 0, "", nil, false
		}
	case !plus:
		return 0, "", nil, false // no default region and no '+': an error
	}

	if plus {
		countryCode, national = ps.extractCountryCode(digits)
		if countryCode == 0 && def != nil {
			// parseHelper reads "+" and digits that start with no calling
			// code once more without the '+' ("+0091…").
			countryCode, national, ok = ps.countryCodeWithoutPlus(def, digits)
			if !ok {
				return 0, "", nil, false
			}
		}
	} else {
		countryCode, national, ok = ps.countryCodeWithoutPlus(def, digits)
		if !ok {
			return 0, "", nil, false
		}
		if countryCode == 0 {
			// No calling code: a national number of the default region,
			// read with its plan.
			return def.countryCode, digits, def, true
		}
	}
	if countryCode == 0 {
		return 0, "", nil, false // unknown calling code, or too short after the prefix
	}
	// parseHelper switches to the plan of the calling code's main region
	// unless that is the default region.
	if main := ps.mainRegion(countryCode); main != region {
		meta = ps.forNumber(countryCode, main)
	} else {
		meta = def
	}
	if meta == nil {
		return 0, "", nil, false
	}
	return countryCode, national, meta, true
}

// countryCodeWithoutPlus is maybeExtractCountryCode for digits without a
// leading '+': after the default region's international prefix, or as the
// default region's own calling code. It returns countryCode 0 when the
// digits hold no calling code, and ok false when libphonenumber would
// fail.
func (ps *numberingPlans) countryCodeWithoutPlus(def *numberingPlan, digits string) (countryCode int, national string, ok bool) {
	if rest, found := afterInternationalPrefix(def, digits); found {
		countryCode, national = ps.extractCountryCode(rest)
		return countryCode, national, countryCode != 0
	}
	code, known := ps.callingCodes[def.countryCode]
	if !known {
		return 0, "", false
	}
	// The number may start with the default region's calling code without
	// a '+'; it is taken as one only if the rest is a better national
	// number.
	if cc := code.digits; len(digits) >= len(cc) && digits[:len(cc)] == cc {
		potential := def.stripNationalPrefix(digits[len(cc):])
		fullValid := def.general.pattern.MatchString(digits)
		nationalValid := def.general.pattern.MatchString(potential)
		if (!fullValid && nationalValid) || def.lengthResult(len(digits)) == phonenumbers.TOO_LONG {
			return def.countryCode, potential, true
		}
	}
	return 0, "", true
}

// afterInternationalPrefix is libphonenumber's parsePrefixAsIdd: if the
// IDD pattern matches at the start and is not followed by a 0 (no calling
// code starts with one), it returns the digits after it.
func afterInternationalPrefix(def *numberingPlan, digits string) (string, bool) {
	loc := def.internationalPrefix.FindStringIndex(digits)
	if loc == nil || loc[0] != 0 || (loc[1] < len(digits) && digits[loc[1]] == '0') {
		return "", false
	}
	return digits[loc[1]:], true
}

// extractCountryCode is libphonenumber's extractCountryCode, with the
// length check maybeExtractCountryCode makes before it. It returns 0 when
// digits do not start with a known calling code.
func (ps *numberingPlans) extractCountryCode(digits string) (int, string) {
	if len(digits) <= minNationalDigits || digits[0] == '0' {
		return 0, ""
	}
	code := 0
	for i := 1; i <= 3 && i <= len(digits); i++ {
		code = code*10 + int(digits[i-1]-'0')
		if _, ok := ps.callingCodes[code]; ok {
			return code, digits[i:]
		}
	}
	return 0, ""
}

// validate is libphonenumber's IsValidNumber, which also yields the
// number's region and type (GetRegionCodeForNumber, GetNumberType).
func (ps *numberingPlans) validate(countryCode int, nsn string) (region string, typ phonenumbers.PhoneNumberType, ok bool) {
	regions := ps.callingCodes[countryCode].regions
	switch len(regions) {
	case 0:
		return "", phonenumbers.UNKNOWN, false
	case 1:
		region = regions[0]
	default:
		for _, r := range regions {
			p := ps.region(r)
			if p == nil {
				return "", phonenumbers.UNKNOWN, false
			}
			if p.leadingDigits != nil {
				if p.leadingDigits.MatchString(nsn) {
					region = r
					break
				}
			} else if p.numberType(nsn) != phonenumbers.UNKNOWN {
				region = r
				break
			}
		}
		if region == "" {
			return "", phonenumbers.UNKNOWN, false
		}
	}
	p := ps.forNumber(countryCode, region)
	if p == nil || (region != nonGeographicRegion && p.countryCode != countryCode) {
		return "", phonenumbers.UNKNOWN, false
	}
	typ = p.numberType(nsn)
	return region, typ, typ != phonenumbers.UNKNOWN
}

// readsBack reports whether parsing "+"+digits with no default region, as
// Normalize's read-back check does, gives the calling code and national
// number again: the national prefix stripping that parse applies must
// leave nsn alone.
func (ps *numberingPlans) readsBack(digits string, countryCode int, nsn string) bool {
	code, national := ps.extractCountryCode(digits)
	if code != countryCode || national != nsn {
		return false
	}
	meta := ps.forNumber(countryCode, ps.mainRegion(countryCode))
	if meta == nil {
		return false
	}
	if stripped := meta.stripNationalPrefix(national); acceptableLength(meta.lengthResult(len(stripped))) {
		national = stripped
	}
	return national == nsn
}

// acceptableLength is parseHelper's test for keeping a number stripped of
// its national prefix.
func acceptableLength(r phonenumbers.ValidationResult) bool {
	return r != phonenumbers.TOO_SHORT && r != phonenumbers.IS_POSSIBLE_LOCAL_ONLY && r != phonenumbers.INVALID_LENGTH
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
