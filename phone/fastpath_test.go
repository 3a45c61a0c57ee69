package phone

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// differentialRegions are the default regions the differential fuzz test
// reads with: every supported region and "" (no default region). A byte of
// the fuzz input picks one.
var differentialRegions = func() []string {
	regions := []string{""}
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions[1:])
	return regions
}()

// fastParseOf runs the fast path on raw as Normalize would, but unguarded,
// so that a panic in it fails the test instead of falling back. It reports
// false when Normalize would not reach the fast path at all.
func fastParseOf(raw, defaultRegion string) (Number, bool) {
	region := ""
	if defaultRegion != "" {
		r, err := CanonicalRegion(defaultRegion)
		if err != nil {
			return Number{}, false
		}
		region = r
	}
	if len(raw) > MaxInputBytes {
		return Number{}, false
	}
	cleaned, reason := cleanInput(raw)
	if reason != "" || isPrivateMarker(cleaned) {
		return Number{}, false
	}
	n, ok := fastParse(cleaned, region)
	n.Raw = raw
	return n, ok
}

// requireFastMatchesSlow checks that Normalize gives exactly what the full
// parser alone gives for raw: the same Number, or errors of the same
// classes with the same text. It reports whether the fast path took the
// input.
func requireFastMatchesSlow(t *testing.T, raw, region string) bool {
	t.Helper()
	slow, slowErr := normalize(raw, region, false)
	got, err := Normalize(raw, region)
	require.Empty(t, cmp.Diff(slow, got), "Normalize(%q, %q)", raw, region)
	if slowErr == nil {
		require.NoError(t, err, "Normalize(%q, %q)", raw, region)
	} else {
		require.Error(t, err, "Normalize(%q, %q)", raw, region)
		require.Equal(t, slowErr.Error(), err.Error(), "Normalize(%q, %q)", raw, region)
		for _, s := range []error{ErrEmpty, ErrPrivate, ErrTooLong, ErrInvalid, ErrUnknownRegion} {
			require.Equal(t, errors.Is(slowErr, s), errors.Is(err, s), "Normalize(%q, %q): errors.Is(%v)", raw, region, s)
		}
	}

	fast, ok := fastParseOf(raw, region)
	if ok {
		require.NoError(t, slowErr, "fast path accepted %q (region %q), the full parser refuses it", raw, region)
		require.Empty(t, cmp.Diff(slow, fast), "fastParse(%q, %q)", raw, region)
	} else if slowErr == nil && inFastShape(raw) {
		// The fast path replays every step of the full parser for these
		// shapes, so it must not leave a valid number to it either.
		require.Fail(t, "fast path refused a valid number of its shape", "%q (region %q)", raw, region)
	}
	return ok
}

// inFastShape reports whether raw, once cleaned, has the shape fastParse
// documents: 3 to maxFastDigits ASCII digits, an optional '+' before them,
// and spaces, '-', '.', '(' and ')'.
func inFastShape(raw string) bool {
	cleaned, reason := cleanInput(raw)
	if reason != "" || len(raw) > MaxInputBytes {
		return false
	}
	digits, plus := 0, 0
	for _, c := range cleaned {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' && digits == 0 && plus == 0:
			plus++
		case !strings.ContainsRune(" -.()", c):
			return false
		}
	}
	return digits >= 3 && digits <= maxFastDigits
}

func FuzzFastPathMatchesSlowPath(f *testing.F) {
	regionIndex := func(r string) uint8 {
		i, _ := slices.BinarySearch(differentialRegions[1:], r)
		if r == "" {
			return 0
		}
		return uint8(i + 1)
	}
	seeds := []struct{ raw, region string }{
		{"9876512345", "IN"}, {"09876512345", "IN"}, {"+919876512345", "IN"}, {"+91 98765 12345", "IN"},
		{"+91-98765-12345", "IN"}, {"0091 98765 12345", "IN"}, {"919876512345", "IN"}, {"(+91) (98765) 12345", "IN"},
		{"022 2345 6789", "IN"}, {"+91 22 2345 6789", "IN"}, {"1800 123 4567", "IN"}, {"91 9876512345", "IN"},
		{"9191 98765 12345", "IN"}, {"00919876512345", "IN"}, {"0 98765 12345", "IN"}, {"+91 098765 12345", "IN"},
		{"+919876512345", ""}, {"+44 20 7946 0958", "IN"}, {"0044 20 7946 0958", "IN"}, {"07400 123456", "GB"},
		{"+44 7400 123456", "GB"}, {"447400123456", "GB"}, {"01481 123456", "GG"}, {"+44 1481 123456", "IN"},
		{"(201) 555-0123", "US"}, {"1-201-555-0123", "US"}, {"+1 201 555 0123", "US"}, {"011 91 98765 12345", "US"},
		{"(416) 555-0123", "CA"}, {"+1 416 555 0123", "US"}, {"268 464 1234", "AG"}, {"464 1234", "AG"},
		{"050 123 4567", "AE"}, {"+971 50 123 4567", "IN"}, {"00971501234567", "AE"}, {"0412 345 678", "AU"},
		{"(02) 9876 5432", "AU"}, {"+61 8 9162 1234", "CX"}, {"+39 02 1234 5678", "IN"}, {"02 1234 5678", "IT"},
		{"+39 06 698 12345", "VA"}, {"8 (912) 345-67-89", "RU"}, {"+7 912 345 67 89", "KZ"}, {"8 10 91 98765 12345", "RU"},
		{"08100000000", "BY"}, {"8 029 123 45 67", "BY"}, {"+375 29 123 45 67", "IN"}, {"011 15 2345 6789", "AR"},
		{"+54 9 11 2345-6789", "AR"}, {"0 11 15 2345 6789", "AR"}, {"(11) 98765-4321", "BR"}, {"0 21 11 98765 4321", "BR"},
		{"+55 11 98765 4321", "IN"}, {"030 123456", "DE"}, {"0181 00000000000", "DE"}, {"+49 30 1234567", "IN"},
		{"13812345678", "CN"}, {"+86 138 1234 5678", "IN"}, {"090-1234-5678", "JP"}, {"+81 90 1234 5678", "IN"},
		{"55 1234 5678", "MX"}, {"+52 1 55 1234 5678", "MX"}, {"0470 123456", "GA"}, {"0549 123456", "SM"},
		{"+800 1234 5678", "IN"}, {"+800 1234 5678", ""}, {"+882 1234 5678", ""}, {"12345", "IN"},
		{"+91 98765 1234", "IN"}, {"+91 98765 123456", "IN"}, {"+999 1234567", "IN"}, {"+0 123456", "IN"},
		{"9876512345", ""}, {"+", "IN"}, {"++91 98765 12345", "IN"}, {"91+98765 12345", "IN"},
		{"-+91 98765 12345", "IN"}, {"9876512345-", "IN"}, {".(98765) 12345.", "IN"}, {"98", "IN"},
		{"0091", "IN"}, {"00", "IN"}, {"0000000000", "IN"}, {strings.Repeat("9", 40), "IN"},
		{"910 98765 12345", "IN"}, {"9100 98765 12345", "IN"}, {"91 00 98765 12345", "IN"}, {"4400 7400 123456", "GB"},
		{"11 201 555 0123", "US"}, {"1 1 201 555 0123", "US"}, {"78 912 345 67 89", "RU"}, {"788 912 345 67 89", "RU"},
		{"000 98765 12345", "IN"}, {"0000 2 1234 5678", "IT"}, {"00 0 7400 123456", "GB"}, {"0110 201 555 0123", "US"},
		{"1 268 464 1234", "AG"}, {"1 464 1234", "AG"}, {"0 1481 123456", "GG"}, {"0 21 98765 4321", "BR"},
		{"+0091 98765 12345", "IN"}, {"+091 98765 12345", "IN"}, {"+00022770000000", "SG"}, {"000630", "JE"}, {"00038", "NF"}, {"01043682072030", "SC"}, {"+6837012", "NU"}, {"7012", "NU"}, {"+290 22158", "SH"}, {"+247 6889", ""},
	}
	for _, s := range seeds {
		f.Add(s.raw, regionIndex(s.region))
	}
	f.Fuzz(func(t *testing.T, raw string, regionPick uint8) {
		requireFastMatchesSlow(t, raw, differentialRegions[int(regionPick)%len(differentialRegions)])
	})
}

// TestFastPathCoversCommonShapes pins the shapes the fast path exists for:
// if one of them ever leaves it, Normalize still works but gets slow.
func TestFastPathCoversCommonShapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, region, want string }{
		{"9876512345", "IN", "+919876512345"},
		{"09876512345", "IN", "+919876512345"},
		{"098765 12345", "IN", "+919876512345"},
		{"+919876512345", "IN", "+919876512345"},
		{"+91 98765 12345", "IN", "+919876512345"},
		{"+91-98765-12345", "IN", "+919876512345"},
		{"(+91) (98765) 12345", "IN", "+919876512345"},
		{"0091 98765 12345", "IN", "+919876512345"},
		{"919876512345", "IN", "+919876512345"},
		{"\u202a०९८७६५ १२३४५\u202c", "IN", "+919876512345"},
		{"+919876512345", "", "+919876512345"},
		{"022 2345 6789", "IN", "+912223456789"},
		{"+44 20 7946 0958", "IN", "+442079460958"},
		{"07400 123456", "GB", "+447400123456"},
		{"(201) 555-0123", "US", "+12015550123"},
		{"1-201-555-0123", "US", "+12015550123"},
		{"011 91 98765 12345", "US", "+919876512345"},
		{"+1 800 356 9377", "IN", "+18003569377"},
		{"050 123 4567", "AE", "+971501234567"},
		{"0412 345 678", "AU", "+61412345678"},
		{"+39 02 1234 5678", "IN", "+390212345678"},
		{"+800 1234 5678", "IN", "+80012345678"},
		{"+54 9 11 2345-6789", "AR", "+5491123456789"},
	}
	for _, tt := range tests {
		n, ok := fastParseOf(tt.raw, tt.region)
		require.True(t, ok, "fast path refused %q (region %q)", tt.raw, tt.region)
		require.Equal(t, tt.want, n.E164, "%q (region %q)", tt.raw, tt.region)
		requireFastMatchesSlow(t, tt.raw, tt.region)
	}
}

// TestFastPathLeavesOtherShapesToTheParser lists input the fast path must
// not read, because libphonenumber reads it in ways it does not replay.
func TestFastPathLeavesOtherShapesToTheParser(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"tel:+91-98765-12345", "+91 98765 12345 ext. 12", "98765 12345;ext=1", "++91 98765 12345",
		"91+98765 12345", "＋９１ ９８７６５ １２３４５", "+91/98765/12345", "98", "+1", "12",
		"+91 98765 12345#", "9876512345,,12", "1-800-FLOWERS", strings.Repeat("9", maxFastDigits+1),
	} {
		_, ok := fastParseOf(raw, "IN")
		require.False(t, ok, "%q", raw)
		requireFastMatchesSlow(t, raw, "IN")
	}
}

// TestFastPathMatchesSlowPath reads libphonenumber's example number of
// every type of every region, and of every non-geographic calling code, in
// the shapes phones send, and one digit off, with several default regions,
// and checks Normalize against the full parser for each.
func TestFastPathMatchesSlowPath(t *testing.T) {
	t.Parallel()
	types := []phonenumbers.PhoneNumberType{
		phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
		phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
		phonenumbers.UAN, phonenumbers.VOICEMAIL,
	}
	var examples []*phonenumbers.PhoneNumber
	for _, region := range differentialRegions[1:] {
		for _, typ := range types {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				examples = append(examples, n)
			}
		}
	}
	codes := make([]int, 0, len(phonenumbers.GetSupportedGlobalNetworkCallingCodes()))
	for code := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(code); n != nil {
			examples = append(examples, n)
		}
	}
	require.Greater(t, len(examples), 500, "libphonenumber should have examples for most regions")

	// The race detector slows the full parser's regular expressions down
	// about twentyfold; it then gets every fourth example.
	stride := 1
	if raceEnabled {
		stride = 4
	}
	cases, fast := 0, 0
	for i := 0; i < len(examples); i += stride {
		example := examples[i]
		region := phonenumbers.GetRegionCodeForNumber(example)
		if region == nonGeographicRegion {
			region = "IN"
		}
		e164 := phonenumbers.Format(example, phonenumbers.E164)
		national := phonenumbers.Format(example, phonenumbers.NATIONAL)
		// Each shape with the default regions that read it differently.
		shapes := []struct {
			raw     string
			regions []string
		}{
			{e164, []string{region, ""}},
			{phonenumbers.Format(example, phonenumbers.INTERNATIONAL), []string{region, ""}},
			{national, []string{region}},
			{digitsOnly(national), []string{region, "IN"}},
			{e164[1:], []string{region, "IN"}},
			{"00" + e164[1:], []string{region, "IN"}},
			{"011 " + e164[1:], []string{region, "US"}},
		}
		for _, shape := range shapes {
			for _, raw := range []string{shape.raw, oneDigitOff(shape.raw), shape.raw + "5", dropLastDigit(shape.raw)} {
				for _, defaultRegion := range shape.regions {
					cases++
					if requireFastMatchesSlow(t, raw, defaultRegion) {
						fast++
					}
				}
			}
		}
	}
	t.Logf("%d cases, %d read by the fast path", cases, fast)
	// Most of the shapes are clean and valid; if the fast path stopped
	// reading them this test would still pass without this check.
	require.Greater(t, fast, cases/4, "the fast path reads too few of the examples")
}

// oneDigitOff changes the last digit of s.
func oneDigitOff(s string) string {
	i := strings.LastIndexAny(s, "0123456789")
	if i < 0 {
		return s
	}
	return s[:i] + string('0'+(s[i]-'0'+1)%10) + s[i+1:]
}

func dropLastDigit(s string) string {
	i := strings.LastIndexAny(s, "0123456789")
	if i < 0 {
		return s
	}
	return s[:i] + s[i+1:]
}

func TestNumberingPlansCompile(t *testing.T) {
	t.Parallel()
	ps := plans()
	for region := range phonenumbers.GetSupportedRegions() {
		p := ps.region(region)
		require.NotNil(t, p, "region %s", region)
		require.Equal(t, phonenumbers.GetCountryCodeForRegion(region), p.countryCode, "region %s", region)
	}
	for code := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		require.NotNil(t, ps.forNumber(code, nonGeographicRegion), "calling code %d", code)
	}
	require.Nil(t, ps.region("ZZ"))
	require.Nil(t, ps.forNumber(999, nonGeographicRegion))
	require.Equal(t, "", ps.mainRegion(999))
	require.Equal(t, "US", ps.mainRegion(1))
}
