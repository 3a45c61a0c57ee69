package phone

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// exampleNumbers returns libphonenumber's example number of every type of
// every supported region and of every non-geographic calling code.
func exampleNumbers(t testing.TB) []*phonenumbers.PhoneNumber {
	t.Helper()
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
	return examples
}

// requireVariantsFastMatchesSlow checks that SearchVariants gives exactly
// what the slow path alone gives for e164: the same variants, or an error
// with the same text. It reports whether the fast path took e164.
func requireVariantsFastMatchesSlow(t *testing.T, e164 string) bool {
	t.Helper()
	slow, slowErr := searchVariants(e164, false)
	got, err := SearchVariants(e164)
	require.Empty(t, cmp.Diff(slow, got), "SearchVariants(%q)", e164)
	if slowErr == nil {
		require.NoError(t, err, "SearchVariants(%q)", e164)
	} else {
		require.Error(t, err, "SearchVariants(%q)", e164)
		require.Equal(t, slowErr.Error(), err.Error(), "SearchVariants(%q)", e164)
	}
	if !isE164Form(e164) {
		return false
	}
	// Unguarded, so that a panic in the fast path fails the test instead of
	// falling back.
	fast, ok := fastSearchVariants(e164)
	if ok {
		require.NoError(t, slowErr, "fast path accepted %q, the slow path refuses it", e164)
		require.Empty(t, cmp.Diff(slow, fast), "fastSearchVariants(%q)", e164)
	}
	return ok
}

// TestSearchVariantsFastMatchesSlow compares SearchVariants with its slow
// path for libphonenumber's example number of every type of every region
// and of every non-geographic calling code, and for the same numbers one
// digit off, one digit longer and one digit shorter (mostly invalid).
func TestSearchVariantsFastMatchesSlow(t *testing.T) {
	t.Parallel()
	examples := exampleNumbers(t)
	// The race detector slows the slow path's regular expressions down
	// about twentyfold; it then gets every fourth example.
	stride := 1
	if raceEnabled {
		stride = 4
	}
	valid, fast := 0, 0
	for i := 0; i < len(examples); i += stride {
		e164 := phonenumbers.Format(examples[i], phonenumbers.E164)
		for _, s := range []string{e164, oneDigitOff(e164), e164 + "5", dropLastDigit(e164)} {
			took := requireVariantsFastMatchesSlow(t, s)
			if s == e164 && phonenumbers.IsValidNumber(examples[i]) {
				valid++
				if took {
					fast++
				}
			}
		}
	}
	t.Logf("%d valid examples, %d taken by the fast path", valid, fast)
	// The fast path exists for valid numbers; if it stopped taking them
	// this test would still pass without this check.
	require.Greater(t, fast, valid*9/10, "the fast path takes too few valid examples")
}

// TestSearchVariantsFastPathCoversCommonNumbers pins the numbers the fast
// path exists for: if one of them ever leaves it, SearchVariants still
// works but gets slow.
func TestSearchVariantsFastPathCoversCommonNumbers(t *testing.T) {
	t.Parallel()
	for _, e164 := range []string{
		"+919876512345", "+912223456789", "+442079460958", "+447400123456", "+12015550123",
		"+14165550123", "+971501234567", "+61412345678", "+390212345678", "+79123456789",
		"+6837012", "+80012345678", "+5491123456789",
	} {
		_, ok := fastSearchVariants(e164)
		require.True(t, ok, "fast path refused %q", e164)
		requireVariantsFastMatchesSlow(t, e164)
	}
}

// TestSearchVariantsFastPathLeavesErrorsToTheSlowPath lists input the fast
// path must not answer: the slow path words the error.
func TestSearchVariantsFastPathLeavesErrorsToTheSlowPath(t *testing.T) {
	t.Parallel()
	for _, e164 := range []string{
		"+9991234567",      // unknown calling code
		"+9112345",         // too short
		"+9198765123",      // unassigned
		"+919876512345678", // too long for IN
		"+3902123456789012",
		"+80012345678901",
		"+1",
		"+44",
	} {
		_, ok := fastSearchVariants(e164)
		require.False(t, ok, "%q", e164)
		requireVariantsFastMatchesSlow(t, e164)
	}
}

// TestFormatNationalMatchesLibphonenumber checks formatNational against
// phonenumbers.Format(NATIONAL), punctuation included, for every example
// number and the same numbers one digit longer and shorter (which pick
// other formats or none).
func TestFormatNationalMatchesLibphonenumber(t *testing.T) {
	t.Parallel()
	ps := plans()
	formatted := 0
	for _, example := range exampleNumbers(t) {
		for _, nsn := range []string{
			phonenumbers.GetNationalSignificantNumber(example),
			phonenumbers.GetNationalSignificantNumber(example) + "0",
			dropLastDigit(phonenumbers.GetNationalSignificantNumber(example)),
		} {
			countryCode := int(example.GetCountryCode())
			num, err := phonenumbers.Parse("+"+ps.callingCodes[countryCode].digits+nsn, "")
			if err != nil || phonenumbers.GetNationalSignificantNumber(num) != nsn {
				continue // the parser reads another national number
			}
			want := phonenumbers.Format(num, phonenumbers.NATIONAL)
			meta := ps.forNumber(countryCode, ps.mainRegion(countryCode))
			require.NotNil(t, meta, "calling code %d", countryCode)
			got, ok := meta.formatNational(nsn)
			require.True(t, ok, "calling code %d", countryCode)
			require.Equal(t, want, got, "+%d %s", countryCode, nsn)
			if got != nsn {
				formatted++
			}
		}
	}
	require.Greater(t, formatted, 500, "most example numbers have a national format")
}

// TestFormatNationalWithoutFormats covers a plan whose formats did not
// compile (formatNational must say so) and one with no format that
// applies (the number comes back as it is).
func TestFormatNationalWithoutFormats(t *testing.T) {
	t.Parallel()
	broken := &numberingPlan{nationalFormats: func() ([]nationalFormat, bool) { return nil, false }}
	_, ok := broken.formatNational("9876512345")
	require.False(t, ok)

	none := &numberingPlan{nationalFormats: func() ([]nationalFormat, bool) { return nil, true }}
	got, ok := none.formatNational("9876512345")
	require.True(t, ok)
	require.Equal(t, "9876512345", got)

	meta := &phonenumbers.PhoneMetadata{NumberFormat: []*phonenumbers.NumberFormat{{Pattern: stringPtr("(\\d+")}}}
	_, ok = compileNationalFormats(meta)
	require.False(t, ok, "a pattern that does not compile")
}

func stringPtr(s string) *string { return &s }

func FuzzSearchVariantsFastMatchesSlow(f *testing.F) {
	for _, s := range []string{
		"+919876512345", "+912223456789", "+442079460958", "+12015550123", "+971501234567",
		"+390212345678", "+79123456789", "+6837012", "+80012345678", "+5491123456789",
		"+9991234567", "+9112345", "+", "", "919876512345", "+0", "+9999999999999999",
		"+" + strings.Repeat("9", 15), "+4400000000", "+7800000000", "+375800000000",
	} {
		f.Add(s)
	}
	for _, example := range exampleNumbers(f) {
		f.Add(phonenumbers.Format(example, phonenumbers.E164))
	}
	f.Fuzz(func(t *testing.T, e164 string) {
		requireVariantsFastMatchesSlow(t, e164)
	})
}
