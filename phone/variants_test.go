package phone_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/phone"
)

func TestSearchVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e164 string
		want []string
	}{
		{"IN mobile", "+919876543210", []string{"+919876543210", "09876543210", "9876543210", "919876543210"}},
		{"IN landline", "+912223456789", []string{"+912223456789", "02223456789", "2223456789", "912223456789"}},
		{"GB landline", "+442079460958", []string{"+442079460958", "02079460958", "2079460958", "442079460958"}},
		{"GB mobile", "+447400123456", []string{"+447400123456", "07400123456", "7400123456", "447400123456"}},
		// NANP: libphonenumber's national format has no trunk 1, so it
		// equals the national significant number and appears once.
		{"US", "+12015550123", []string{"+12015550123", "2015550123", "12015550123"}},
		{"AE mobile", "+971501234567", []string{"+971501234567", "0501234567", "501234567", "971501234567"}},
		{"AU mobile", "+61412345678", []string{"+61412345678", "0412345678", "412345678", "61412345678"}},
		// Italy has no trunk prefix; the leading 0 is part of the number.
		{"IT landline", "+390212345678", []string{"+390212345678", "0212345678", "390212345678"}},
		// Russia's trunk prefix is 8.
		{"RU mobile", "+79123456789", []string{"+79123456789", "89123456789", "9123456789", "79123456789"}},
		// Niue: four-digit national numbers are too generic to search for.
		{"NU short national number", "+6837012", []string{"+6837012", "6837012"}},
		// Non-geographic: no region to read a national form in.
		{"international freephone", "+80012345678", []string{"+80012345678", "80012345678"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := phone.SearchVariants(tt.e164)
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tt.want, got))
			requireVariantsReadBack(t, tt.e164, got)
		})
	}
}

// requireVariantsReadBack checks the round trip: every national variant
// names the same number in the number's own region, and the last variant
// is the E.164 form without '+'.
func requireVariantsReadBack(t *testing.T, e164 string, variants []string) {
	t.Helper()
	require.NotEmpty(t, variants)
	require.Equal(t, e164, variants[0])
	require.Equal(t, e164, "+"+variants[len(variants)-1])
	n, err := phone.Normalize(e164, "")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, v := range variants {
		require.False(t, seen[v], "duplicate variant %q", v)
		seen[v] = true
	}
	for _, v := range variants[1 : len(variants)-1] {
		require.GreaterOrEqual(t, len(v), phone.MinNationalVariantDigits)
		back, err := phone.Normalize(v, n.Region)
		require.NoError(t, err, "variant %q in %s", v, n.Region)
		require.Equal(t, e164, back.E164, "variant %q in %s", v, n.Region)
	}
}

func TestSearchVariantsOfNormalizedInput(t *testing.T) {
	t.Parallel()
	// The DESIGN §10 example: any input form leads to the same four
	// variants.
	want := []string{"+919876543210", "09876543210", "9876543210", "919876543210"}
	for _, raw := range []string{"09876543210", "+91 98765 43210", "0091-98765-43210", "9876543210", "tel:+919876543210"} {
		n, err := phone.Normalize(raw, "IN")
		require.NoError(t, err)
		got, err := phone.SearchVariants(n.E164)
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(want, got), "raw %q", raw)
	}
}

func TestSearchVariantsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, e164, wantText string
	}{
		{"empty", "", "not in E.164 form"},
		{"plus alone", "+", "not in E.164 form"},
		{"no plus", "919876543210", "not in E.164 form"},
		{"spaces", "+91 98765 43210", "not in E.164 form"},
		{"dash", "+91-9876543210", "not in E.164 form"},
		{"leading zero", "+0919876543210", "not in E.164 form"},
		{"sixteen digits", "+9198765432101234", "not in E.164 form"},
		{"unicode digits", "+९१९८७६५४३२१०", "not in E.164 form"},
		{"trailing NUL", "+919876543210\x00", "not in E.164 form"},
		{"invalid UTF-8", "+91987654321\xff", "not in E.164 form"},
		{"huge", "+" + strings.Repeat("9", 10_000), "not in E.164 form"},
		{"unknown country code", "+9991234567", "unknown country calling code"},
		{"too short", "+9112345", "too few digits"},
		{"unassigned", "+9198765123", "not an assigned number range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := phone.SearchVariants(tt.e164)
			requireOnly(t, err, phone.ErrInvalid)
			require.Nil(t, got)
			require.Contains(t, err.Error(), tt.wantText)
			requireNoDigitRun(t, tt.e164, err.Error())
		})
	}
}

// BenchmarkSearchVariants measures the numbers the sync worker sees most:
// one call per synced call.
func BenchmarkSearchVariants(b *testing.B) {
	for _, bm := range []struct{ name, e164 string }{
		{"IN_mobile", "+919876512345"},
		{"IN_landline", "+912223456789"},
		{"GB_landline", "+442079460958"},
		{"US", "+12015550123"},
		{"AE_mobile", "+971501234567"},
		{"IT_landline", "+390212345678"},
		// The national form of an Argentine mobile number names another
		// number; checking that takes the slow path.
		{"AR_mobile", "+5491123456789"},
		{"NU_short", "+6837012"},
		{"nongeo_freephone", "+80012345678"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			if _, err := phone.SearchVariants(bm.e164); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = phone.SearchVariants(bm.e164)
			}
		})
	}
}

// BenchmarkSearchVariantsDistinct asks for a different number on every
// call, as the sync worker does.
func BenchmarkSearchVariantsDistinct(b *testing.B) {
	const distinct = 1 << 12
	numbers := make([]string, distinct)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+9198%08d", i*6151%100_000_000)
		if _, err := phone.SearchVariants(numbers[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = phone.SearchVariants(numbers[i%distinct])
		i++
	}
}
