package phone

import (
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// numberingPlan is one region's libphonenumber metadata with its patterns
// compiled once, for the fast path in fastpath.go. Each pattern is compiled
// from exactly the string libphonenumber builds for it (same anchors, same
// grouping), so a match here is a match there.
type numberingPlan struct {
	countryCode int

	// internationalPrefix is the IDD pattern, unanchored, as libphonenumber
	// searches for it (parsePrefixAsIdd).
	internationalPrefix *regexp.Regexp
	// nationalPrefix is "^(?:national_prefix_for_parsing)", or nil when the
	// plan has none.
	nationalPrefix          *regexp.Regexp
	nationalPrefixTransform string
	// leadingDigits is "^(?:leading_digits)", or nil: it picks a region
	// among those sharing a country calling code.
	leadingDigits *regexp.Regexp

	general                    numberDesc
	premiumRate, tollFree      numberDesc
	sharedCost, voip, personal numberDesc
	pager, uan, voicemail      numberDesc
	fixedLine, mobile          numberDesc
	sameMobileAndFixedLine     bool

	// nationalFormats returns the plan's number formats compiled for the
	// NATIONAL format, or false if one does not compile. Only SearchVariants
	// needs them, so they are compiled apart from the rest of the plan, on
	// first use.
	nationalFormats func() ([]nationalFormat, bool)
}

// nationalFormat is a phonenumbers.NumberFormat compiled as
// libphonenumber's Format uses it for the NATIONAL format
// (chooseFormattingPatternForNumber, formatNsnUsingPatternWithCarrier with
// no carrier code).
type nationalFormat struct {
	// leadingDigits is "^(?:last leading_digits_pattern)", or nil when the
	// format has none. libphonenumber looks for the pattern unanchored and
	// wants the leftmost match at 0, which is the same test.
	leadingDigits *regexp.Regexp
	whole         *regexp.Regexp // "^(?:pattern)$": the format applies
	pattern       *regexp.Regexp // pattern as is: what gets replaced
	// template is the format rule with its first group replaced by the
	// national prefix formatting rule, if there is one.
	template string
}

// formatNational is libphonenumber's formatNsn for the NATIONAL format:
// nsn formatted by the first format that applies to it, or nsn itself if
// none does. It reports false when the formats did not compile.
func (p *numberingPlan) formatNational(nsn string) (string, bool) {
	b, ok := p.appendNational(nil, nsn)
	return string(b), ok
}

// appendNational appends formatNational(nsn) to dst.
func (p *numberingPlan) appendNational(dst []byte, nsn string) ([]byte, bool) {
	formats, ok := p.nationalFormats()
	if !ok {
		return dst, false
	}
	for i := range formats {
		f := &formats[i]
		if f.leadingDigits != nil && !f.leadingDigits.MatchString(nsn) {
			continue
		}
		if !f.whole.MatchString(nsn) {
			continue
		}
		// libphonenumber replaces every match of the unanchored pattern.
		// When the first match is all of nsn there is no other, and the
		// result is that match's expansion, without ReplaceAllString's
		// buffers.
		if m := f.pattern.FindStringSubmatchIndex(nsn); len(m) >= 2 && m[0] == 0 && m[1] == len(nsn) {
			return f.pattern.ExpandString(dst, f.template, nsn, m), true
		}
		return append(dst, f.pattern.ReplaceAllString(nsn, f.template)...), true
	}
	return append(dst, nsn...), true
}

// compileNationalFormats compiles meta's number formats for formatNational.
func compileNationalFormats(meta *phonenumbers.PhoneMetadata) ([]nationalFormat, bool) {
	formats := make([]nationalFormat, 0, len(meta.GetNumberFormat()))
	for _, nf := range meta.GetNumberFormat() {
		if nf == nil {
			return nil, false
		}
		var f nationalFormat
		var err error
		if lds := nf.GetLeadingDigitsPattern(); len(lds) > 0 {
			if f.leadingDigits, err = regexp.Compile("^(?:" + lds[len(lds)-1] + ")"); err != nil {
				return nil, false
			}
		}
		if f.whole, err = regexp.Compile("^(?:" + nf.GetPattern() + ")$"); err != nil {
			return nil, false
		}
		if f.pattern, err = regexp.Compile(nf.GetPattern()); err != nil {
			return nil, false
		}
		f.template = nf.GetFormat()
		if rule := nf.GetNationalPrefixFormattingRule(); rule != "" {
			// Only the first "$digit" is replaced, literally, as
			// formatNsnUsingPatternWithCarrier does.
			first := true
			f.template = phonenumbers.FIRST_GROUP_PATTERN.ReplaceAllStringFunc(f.template, func(group string) string {
				if first {
					first = false
					return rule
				}
				return group
			})
		}
		formats = append(formats, f)
	}
	return formats, true
}

// numberDesc is a compiled phonenumbers.PhoneNumberDesc.
type numberDesc struct {
	lengths          []int32
	localOnlyLengths []int32
	pattern          *regexp.Regexp // "^(?:national_number_pattern)$"
}

// matches is libphonenumber's isNumberMatchingDesc.
func (d *numberDesc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.pattern.MatchString(nsn)
}

// numberType is libphonenumber's getNumberTypeHelper.
func (p *numberingPlan) numberType(nsn string) phonenumbers.PhoneNumberType {
	if !p.general.matches(nsn) {
		return phonenumbers.UNKNOWN
	}
	for _, c := range [...]struct {
		desc *numberDesc
		typ  phonenumbers.PhoneNumberType
	}{
		{&p.premiumRate, phonenumbers.PREMIUM_RATE},
		{&p.tollFree, phonenumbers.TOLL_FREE},
		{&p.sharedCost, phonenumbers.SHARED_COST},
		{&p.voip, phonenumbers.VOIP},
		{&p.personal, phonenumbers.PERSONAL_NUMBER},
		{&p.pager, phonenumbers.PAGER},
		{&p.uan, phonenumbers.UAN},
		{&p.voicemail, phonenumbers.VOICEMAIL},
	} {
		if c.desc.matches(nsn) {
			return c.typ
		}
	}
	if p.fixedLine.matches(nsn) {
		if p.sameMobileAndFixedLine || p.mobile.matches(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !p.sameMobileAndFixedLine && p.mobile.matches(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// lengthResult is libphonenumber's testNumberLength for the type UNKNOWN,
// which uses the general description's lengths.
func (p *numberingPlan) lengthResult(length int) phonenumbers.ValidationResult {
	possible := p.general.lengths // non-empty: compilePlan checks
	if possible[0] == -1 {
		return phonenumbers.INVALID_LENGTH
	}
	n := int32(length)
	if slices.Contains(p.general.localOnlyLengths, n) {
		return phonenumbers.IS_POSSIBLE_LOCAL_ONLY
	}
	switch {
	case possible[0] == n:
		return phonenumbers.IS_POSSIBLE
	case possible[0] > n:
		return phonenumbers.TOO_SHORT
	case possible[len(possible)-1] < n:
		return phonenumbers.TOO_LONG
	case slices.Contains(possible[1:], n):
		return phonenumbers.IS_POSSIBLE
	default:
		return phonenumbers.INVALID_LENGTH
	}
}

// stripNationalPrefix is libphonenumber's
// maybeStripNationalPrefixAndCarrierCode without the carrier code: it
// removes (or transforms) a national prefix at the start of number, unless
// that would turn a number matching the general pattern into one that does
// not.
func (p *numberingPlan) stripNationalPrefix(number string) string {
	if number == "" || p.nationalPrefix == nil {
		return number
	}
	groups := p.nationalPrefix.FindStringSubmatchIndex(number)
	if groups == nil {
		return number
	}
	viableOriginal := p.general.pattern.MatchString(number)
	lastGroup := len(groups)/2 - 1
	if p.nationalPrefixTransform == "" || groups[lastGroup*2] < 0 {
		if viableOriginal && !p.general.pattern.MatchString(number[groups[1]:]) {
			return number
		}
		return number[groups[1]:]
	}
	transformed := p.nationalPrefix.ReplaceAllString(number, p.nationalPrefixTransform)
	if viableOriginal && !p.general.pattern.MatchString(transformed) {
		return number
	}
	return transformed
}

// numberingPlans holds a lazily compiled plan for every region and
// non-geographic calling code in libphonenumber's metadata, and the regions
// of every calling code. It is built once and never changes afterwards; a
// plan's patterns are compiled on its first use.
type numberingPlans struct {
	byRegion     map[string]func() *numberingPlan
	nonGeo       map[int]func() *numberingPlan
	callingCodes map[int]callingCode
}

type callingCode struct {
	digits  string   // the code in decimal
	regions []string // main region first, as GetRegionCodesForCountryCode
}

// plans returns the numbering plans, loading them on first use.
var plans = sync.OnceValue(loadPlans)

func loadPlans() *numberingPlans {
	ps := &numberingPlans{
		byRegion:     make(map[string]func() *numberingPlan),
		nonGeo:       make(map[int]func() *numberingPlan),
		callingCodes: make(map[int]callingCode),
	}
	// The same collection libphonenumber builds its maps from, in the same
	// order, so a later duplicate wins here as it does there.
	if coll, err := phonenumbers.MetadataCollection(); err == nil {
		for _, meta := range coll.GetMetadata() {
			compile := sync.OnceValue(func() *numberingPlan { return compilePlan(meta) })
			if meta.GetId() == nonGeographicRegion {
				ps.nonGeo[int(meta.GetCountryCode())] = compile
			} else {
				ps.byRegion[meta.GetId()] = compile
			}
		}
	}
	for code := range phonenumbers.GetSupportedCallingCodes() {
		ps.callingCodes[code] = callingCode{
			digits:  strconv.Itoa(code),
			regions: slices.Clone(phonenumbers.GetRegionCodesForCountryCode(code)),
		}
	}
	return ps
}

// nonGeographicRegion is libphonenumber's region code for non-geographic
// calling codes such as +800.
const nonGeographicRegion = "001"

// region returns the plan of a region, or nil when there is none usable.
func (ps *numberingPlans) region(code string) *numberingPlan {
	if compile, ok := ps.byRegion[code]; ok {
		return compile()
	}
	return nil
}

// forNumber returns the plan libphonenumber's
// getMetadataForRegionOrCallingCode returns, or nil.
func (ps *numberingPlans) forNumber(countryCode int, region string) *numberingPlan {
	if region != nonGeographicRegion {
		return ps.region(region)
	}
	if _, ok := ps.callingCodes[countryCode]; !ok {
		return nil
	}
	if compile, ok := ps.nonGeo[countryCode]; ok {
		return compile()
	}
	return nil
}

// mainRegion is libphonenumber's GetRegionCodeForCountryCode, with "" for
// an unknown code.
func (ps *numberingPlans) mainRegion(countryCode int) string {
	if regions := ps.callingCodes[countryCode].regions; len(regions) > 0 {
		return regions[0]
	}
	return ""
}

// compilePlan compiles meta, or returns nil if any part of it is missing or
// does not compile: the fast path then leaves such numbers to the full
// parser.
func compilePlan(meta *phonenumbers.PhoneMetadata) *numberingPlan {
	p := &numberingPlan{
		countryCode:             int(meta.GetCountryCode()),
		nationalPrefixTransform: meta.GetNationalPrefixTransformRule(),
		sameMobileAndFixedLine:  meta.GetSameMobileAndFixedLinePattern(),
		nationalFormats:         sync.OnceValues(func() ([]nationalFormat, bool) { return compileNationalFormats(meta) }),
	}
	var err error
	if p.internationalPrefix, err = regexp.Compile(meta.GetInternationalPrefix()); err != nil {
		return nil
	}
	if npp := meta.GetNationalPrefixForParsing(); npp != "" {
		if p.nationalPrefix, err = regexp.Compile("^(?:" + npp + ")"); err != nil {
			return nil
		}
	}
	if ld := meta.GetLeadingDigits(); ld != "" {
		if p.leadingDigits, err = regexp.Compile("^(?:" + ld + ")"); err != nil {
			return nil
		}
	}
	for _, d := range [...]struct {
		dst *numberDesc
		src *phonenumbers.PhoneNumberDesc
	}{
		{&p.general, meta.GetGeneralDesc()},
		{&p.premiumRate, meta.GetPremiumRate()},
		{&p.tollFree, meta.GetTollFree()},
		{&p.sharedCost, meta.GetSharedCost()},
		{&p.voip, meta.GetVoip()},
		{&p.personal, meta.GetPersonalNumber()},
		{&p.pager, meta.GetPager()},
		{&p.uan, meta.GetUan()},
		{&p.voicemail, meta.GetVoicemail()},
		{&p.fixedLine, meta.GetFixedLine()},
		{&p.mobile, meta.GetMobile()},
	} {
		if d.src == nil {
			return nil // libphonenumber would panic on it
		}
		re, err := regexp.Compile("^(?:" + d.src.GetNationalNumberPattern() + ")$")
		if err != nil {
			return nil
		}
		*d.dst = numberDesc{
			lengths:          slices.Clone(d.src.GetPossibleLength()),
			localOnlyLengths: slices.Clone(d.src.GetPossibleLengthLocalOnly()),
			pattern:          re,
		}
	}
	if len(p.general.lengths) == 0 {
		return nil // testNumberLength would index an empty list
	}
	return p
}
