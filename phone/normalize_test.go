package phone_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/phone"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	const inMobile = "+919876512345"
	tests := []struct {
		name   string
		raw    string
		region string
		want   phone.Number // Raw is filled in from raw
	}{
		// India, the default market.
		{"IN national with trunk 0", "098765 12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN international with dash", "+91-98765 12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN IDD 00", "0091 98765 12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN bare ten digits", "9876512345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN country code without plus", "919876512345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN lower-case region", "9876512345", "in", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN region with spaces", "9876512345", " IN ", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN dots", "098.765.12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN parentheses", "(+91) (98765) 12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN surrounding whitespace", " \t+91 98765 12345\r\n", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN tel URI", "tel:+91-98765-12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN TEL URI upper case", "TEL:+91-98765-12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN tel URI national", "tel:09876512345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN tel URI phone-context", "tel:9876512345;phone-context=+91", "US", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN extension dropped", "98765 12345 ext. 12", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN leading text ignored", "Call 9876512345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN extension x", "+91 98765 12345 x12", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN tel URI extension dropped", "tel:+91-98765-12345;ext=12", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN Android bidi embedding", "\u202a+91 98765 12345\u202c", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN RTL and LTR marks inside", "\u200f+91\u200e 98765\u200e12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN zero-width space and BOM", "\ufeff98765\u200b12345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN no-break and ideographic spaces", "098765\u00a012345\u3000", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN Devanagari digits", "०९८७६५ १२३४५", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN Arabic-Indic digits", "٠٩٨٧٦٥ ١٢٣٤٥", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN Bengali digits", "০৯৮৭৬৫ ১২৩৪৫", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN full-width digits and plus", "＋９１ ９８７６５ １２３４５", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN Unicode dashes", "+91\u201098765\u221212345", "IN", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN Mumbai landline", "022 2345 6789", "IN", phone.Number{E164: "+912223456789", Region: "IN", Type: phone.TypeFixedLine}},
		{"IN number read with another default region", "+91 98765 12345", "GB", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"IN number with no default region", "+919876512345", "", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},

		// Other regions.
		{"GB mobile", "07400 123456", "GB", phone.Number{E164: "+447400123456", Region: "GB", Type: phone.TypeMobile}},
		{"GB London landline", "020 7946 0958", "GB", phone.Number{E164: "+442079460958", Region: "GB", Type: phone.TypeFixedLine}},
		{"GB number called from IN", "+44 20 7946 0958", "IN", phone.Number{E164: "+442079460958", Region: "GB", Type: phone.TypeFixedLine}},
		{"GB number via Indian IDD", "0044 20 7946 0958", "IN", phone.Number{E164: "+442079460958", Region: "GB", Type: phone.TypeFixedLine}},
		{"US national", "(201) 555-0123", "US", phone.Number{E164: "+12015550123", Region: "US", Type: phone.TypeFixedLineOrMobile}},
		{"US with trunk 1", "1-201-555-0123", "US", phone.Number{E164: "+12015550123", Region: "US", Type: phone.TypeFixedLineOrMobile}},
		{"US via US IDD", "011 91 98765 12345", "US", phone.Number{E164: inMobile, Region: "IN", Type: phone.TypeMobile}},
		{"US toll free", "+1 800 356 9377", "IN", phone.Number{E164: "+18003569377", Region: "US", Type: phone.TypeTollFree}},
		{"AE mobile", "050 123 4567", "AE", phone.Number{E164: "+971501234567", Region: "AE", Type: phone.TypeMobile}},
		{"AE Dubai landline", "04 234 5678", "AE", phone.Number{E164: "+97142345678", Region: "AE", Type: phone.TypeFixedLine}},
		{"AE from IN", "+971 50 123 4567", "IN", phone.Number{E164: "+971501234567", Region: "AE", Type: phone.TypeMobile}},
		{"AU mobile", "0412 345 678", "AU", phone.Number{E164: "+61412345678", Region: "AU", Type: phone.TypeMobile}},
		{"AU Sydney landline", "(02) 9876 5432", "AU", phone.Number{E164: "+61298765432", Region: "AU", Type: phone.TypeFixedLine}},
		{"IT keeps leading zero", "+39 02 1234 5678", "IN", phone.Number{E164: "+390212345678", Region: "IT", Type: phone.TypeFixedLine}},
		{"non-geographic freephone", "+800 1234 5678", "IN", phone.Number{E164: "+80012345678", Region: "001", Type: phone.TypeTollFree}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := phone.Normalize(tt.raw, tt.region)
			require.NoError(t, err)
			want := tt.want
			want.Raw = tt.raw
			require.Empty(t, cmp.Diff(want, got))
		})
	}
}

// sentinels are the error classes Normalize returns.
var sentinels = []error{phone.ErrEmpty, phone.ErrPrivate, phone.ErrTooLong, phone.ErrInvalid, phone.ErrUnknownRegion}

// requireOnly checks that err matches want and no other sentinel, except
// that ErrEmpty also matches ErrPrivate.
func requireOnly(t *testing.T, err, want error) {
	t.Helper()
	require.Error(t, err)
	for _, s := range sentinels {
		expected := s == want || (want == phone.ErrEmpty && s == phone.ErrPrivate)
		require.Equal(t, expected, errors.Is(err, s), "errors.Is(%q, %q)", err, s)
	}
}

// requireNoDigitRun checks that msg does not quote any five consecutive
// digits of raw: errors may show at most the last four.
func requireNoDigitRun(t *testing.T, raw, msg string) {
	t.Helper()
	digits := digitsOf(raw)
	for i := 0; i+5 <= len(digits); i++ {
		require.NotContains(t, msg, digits[i:i+5], "error text leaks digits of the input")
	}
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestNormalizeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		region  string
		wantErr error
		// wantText is a fragment the message must hold.
		wantText string
	}{
		{"empty", "", "IN", phone.ErrEmpty, "empty"},
		{"only spaces", " \t\n ", "IN", phone.ErrEmpty, "empty"},
		{"only invisible marks", "\u200e\u202a\u202c", "IN", phone.ErrEmpty, "empty"},
		{"private marker", "PRIVATE", "IN", phone.ErrPrivate, "private"},
		{"private marker mixed case", " Anonymous ", "IN", phone.ErrPrivate, "private"},
		{"android unknown", "-1", "IN", phone.ErrPrivate, "private"},
		{"private phrase", "Private Number", "IN", phone.ErrPrivate, "private"},

		{"too short", "12345", "IN", phone.ErrInvalid, `"***45" (default region IN): too few digits`},
		{"letters", "abc", "IN", phone.ErrInvalid, "(no digits)"},
		{"plus alone", "+", "IN", phone.ErrInvalid, "not a phone number"},
		{"only punctuation", "-.() /", "IN", phone.ErrInvalid, "not a phone number"},
		{"dashes", "---", "IN", phone.ErrInvalid, "not a phone number"},
		{"unassigned IN range", "+91 98765 1234", "IN", phone.ErrInvalid, "not an assigned number range"},
		{"one digit too many", "+91 98765 123456", "IN", phone.ErrInvalid, "default region IN"},
		{"unknown country code", "+999 1234567", "IN", phone.ErrInvalid, "unknown country calling code"},
		{"national without default region", "9876512345", "", phone.ErrInvalid, "missing country calling code (no default region)"},
		{"too many digits", "+91 98765 12345 98765 12345", "IN", phone.ErrInvalid, "too many digits"},
		{"valid but longer than E.164 allows", "0181 00000000000", "DE", phone.ErrInvalid, "more than 15 digits"},
		{"many leading zeros", strings.Repeat("0", 200) + "9876512345", "IN", phone.ErrInvalid, "too many digits"},
		{"NUL byte", "98765\x0012345", "IN", phone.ErrInvalid, "control character"},
		{"trailing NUL", "+919876512345\x00", "IN", phone.ErrInvalid, "control character"},
		{"DEL", "+91987651234\x7f5", "IN", phone.ErrInvalid, "control character"},
		{"C1 control", "+9198765\u009b12345", "IN", phone.ErrInvalid, "control character"},
		{"invalid UTF-8", "+9198765\xff12345", "IN", phone.ErrInvalid, "UTF-8"},
		{"emoji", "📞", "IN", phone.ErrInvalid, "not a phone number"},
		{"emoji after number", "+91 98765 12345 😀", "IN", phone.ErrInvalid, "not a phone number"},
		{"superscript digits", "⁹⁸⁷⁶⁵¹²³⁴⁵", "IN", phone.ErrInvalid, "not a phone number"},
		{"sip URI", "sip:+919876512345@example.com", "IN", phone.ErrInvalid, "letters among the digits"},
		{"vanity number", "1-800-FLOWERS", "US", phone.ErrInvalid, "letters among the digits"},
		{"vanity tail", "+91 98765 CALLS", "IN", phone.ErrInvalid, "letters among the digits"},
		{"one stray letter", "98765A12345", "IN", phone.ErrInvalid, "letters among the digits"},
		{"name after number", "9876512345 John", "IN", phone.ErrInvalid, "letters among the digits"},
		{"Devanagari letter", "98765क12345", "IN", phone.ErrInvalid, "letters among the digits"},
		{"full-width letter", "98765Ａ12345", "IN", phone.ErrInvalid, "letters among the digits"},
		{"E.164 form reads differently", "08100000000", "BY", phone.ErrInvalid, "its E.164 form reads as a different number"},
		{"SQL", "'; DROP TABLE calls; --", "IN", phone.ErrInvalid, "not a phone number"},

		{"max length plus one", strings.Repeat("9", phone.MaxInputBytes+1), "IN", phone.ErrTooLong, "251 bytes"},
		{"10,000 digits", strings.Repeat("9", 10_000), "IN", phone.ErrTooLong, "the limit is 250"},
		{"10,000 spaces", strings.Repeat(" ", 10_000), "IN", phone.ErrTooLong, "too long"},
		{"10,000 NULs", strings.Repeat("\x00", 10_000), "IN", phone.ErrTooLong, "too long"},
		{"long private-looking", "PRIVATE" + strings.Repeat(" ", 300), "IN", phone.ErrTooLong, "too long"},

		{"unknown region", "9876512345", "XX", phone.ErrUnknownRegion, `"XX"`},
		{"region name", "9876512345", "india", phone.ErrUnknownRegion, "two-letter"},
		{"non-geographic region", "9876512345", "001", phone.ErrUnknownRegion, "two-letter"},
		{"unknown region ZZ", "+919876512345", "ZZ", phone.ErrUnknownRegion, "ZZ"},
		{"huge region", "9876512345", strings.Repeat("I", 10_000), phone.ErrUnknownRegion, `"IIIIIIII"…`},
		{"region checked before private", "PRIVATE", "XX", phone.ErrUnknownRegion, "unknown region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := phone.Normalize(tt.raw, tt.region)
			requireOnly(t, err, tt.wantErr)
			require.Equal(t, phone.Number{}, got)
			require.Contains(t, err.Error(), tt.wantText)
			require.LessOrEqual(t, len(err.Error()), 300, "error text must stay short")
			requireNoDigitRun(t, tt.raw, err.Error())
		})
	}
}

func TestNormalizeErrorMasksNumber(t *testing.T) {
	t.Parallel()
	// A well-formed but unassigned number: the message names it only by
	// its last four digits.
	_, err := phone.Normalize("+91 98765 1234", "IN")
	require.ErrorIs(t, err, phone.ErrInvalid)
	require.Equal(t, `phone: invalid number "*******1234" (default region IN): not an assigned number range`, err.Error())
}

func TestNormalizeIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"098765 12345", "022 2345 6789", "+44 20 7946 0958", "+1 800 356 9377", "+800 1234 5678"} {
		first, err := phone.Normalize(raw, "IN")
		require.NoError(t, err)
		for _, region := range []string{"IN", "US", ""} {
			again, err := phone.Normalize(first.E164, region)
			require.NoError(t, err)
			require.Equal(t, first.E164, again.E164)
			require.Equal(t, first.Region, again.Region)
		}
	}
}

func TestNormalizeConcurrent(t *testing.T) {
	t.Parallel()
	inputs := []struct{ raw, region, want string }{
		{"098765 12345", "IN", "+919876512345"},
		{"07400 123456", "GB", "+447400123456"},
		{"(201) 555-0123", "US", "+12015550123"},
		{"0412 345 678", "AU", "+61412345678"},
		{"050 123 4567", "AE", "+971501234567"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(inputs))
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				in := inputs[(g+i)%len(inputs)]
				n, err := phone.Normalize(in.raw, in.region)
				if err == nil && n.E164 != in.want {
					err = errors.New(in.raw + " gave " + n.E164)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestNumberHidesItselfInLogs(t *testing.T) {
	t.Parallel()
	n, err := phone.Normalize("+91 98765 12345", "IN")
	require.NoError(t, err)
	require.Equal(t, "********2345", n.String())
	require.Equal(t, "********2345", n.LogValue().String())

	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	logger.Info("call", "caller", n)
	require.Contains(t, buf.String(), "caller=********2345")
	require.NotContains(t, buf.String(), "9876512345")

	require.Equal(t, "", phone.Number{}.String())
}

func TestTypeString(t *testing.T) {
	t.Parallel()
	tests := map[phone.Type]string{
		phone.TypeUnknown:           "unknown",
		phone.TypeFixedLine:         "fixed_line",
		phone.TypeMobile:            "mobile",
		phone.TypeFixedLineOrMobile: "fixed_line_or_mobile",
		phone.TypeTollFree:          "toll_free",
		phone.TypePremiumRate:       "premium_rate",
		phone.TypeSharedCost:        "shared_cost",
		phone.TypeVoIP:              "voip",
		phone.TypePersonal:          "personal",
		phone.TypePager:             "pager",
		phone.TypeUAN:               "uan",
		phone.TypeVoicemail:         "voicemail",
		phone.Type(200):             "unknown",
	}
	for typ, want := range tests {
		require.Equal(t, want, typ.String())
	}
}

func BenchmarkNormalize(b *testing.B) {
	cases := []struct{ name, raw, region string }{
		{"IN_national", "098765 12345", "IN"},
		{"IN_international", "+91-98765 12345", "IN"},
		{"IN_bidi_devanagari", "\u202a०९८७६५ १२३४५\u202c", "IN"},
		{"GB_from_IN", "+44 20 7946 0958", "IN"},
		{"invalid", "12345", "IN"},
		{"private", "PRIVATE", "IN"},
		{"IN_bare", "9876512345", "IN"},
		{"IN_trunk", "09876512345", "IN"},
		{"IN_e164", "+919876512345", "IN"},
		{"IN_idd", "0091 98765 12345", "IN"},
		{"IN_cc_without_plus", "919876512345", "IN"},
		{"IN_landline", "022 2345 6789", "IN"},
		{"US_national", "(201) 555-0123", "US"},
		{"AE_from_IN", "+971 50 123 4567", "IN"},
		{"unassigned", "+91 98765 1234", "IN"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = phone.Normalize(c.raw, c.region)
			}
		})
	}
}

// BenchmarkNormalizeDistinct reads a different number on every call, as
// ingest does, in the shapes phones send, so that no cache could help.
func BenchmarkNormalizeDistinct(b *testing.B) {
	shapes := []struct {
		name   string
		format func(subscriber int) string
	}{
		{"IN_mobile_bare", func(s int) string { return fmt.Sprintf("98%08d", s) }},
		{"IN_mobile_e164_spaced", func(s int) string { return fmt.Sprintf("+91 98%03d %05d", s/100000, s%100000) }},
		{"IN_mobile_trunk", func(s int) string { return fmt.Sprintf("098%08d", s) }},
		{"GB_mobile_e164", func(s int) string { return fmt.Sprintf("+447400%06d", s%1000000) }},
	}
	const distinct = 1 << 14
	for _, shape := range shapes {
		raws := make([]string, distinct)
		for i := range raws {
			raws[i] = shape.format(i * 6151 % 100_000_000)
			if _, err := phone.Normalize(raws[i], "IN"); err != nil {
				b.Fatalf("%q: %v", raws[i], err)
			}
		}
		b.Run(shape.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_, _ = phone.Normalize(raws[i%distinct], "IN")
				i++
			}
		})
	}
}
