package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/phone"
)

// fuzzRegions are the default regions FuzzNormalize reads numbers with; a
// byte of the fuzz input picks one, so that every run exercises real
// numbering plans instead of mostly unknown region codes.
var fuzzRegions = []string{"IN", "US", "GB", "AE", "AU", "DE", "IT", "BR", "AR", "RU", "BY", "CN", "JP", "MX", "NU", ""}

func FuzzNormalize(f *testing.F) {
	seeds := []string{
		"098765 12345", "+91-98765 12345", "0091 98765 12345", "9876512345", "022 2345 6789",
		"tel:+91-98765-12345", "tel:9876512345;phone-context=+91", "tel:+91;phone-context=tel:+1",
		"\u202a+91 98765 12345\u202c", "०९८७६५ १२३४५", "＋９１ ９８７６５ １２３４５",
		"07400 123456", "(201) 555-0123", "1-800-FLOWERS", "050 123 4567", "0412 345 678",
		"+54 9 11 2345-6789", "8 (912) 345-67-89", "+800 1234 5678", "+6837012",
		"12345", "abc", "+", "", "PRIVATE", "-1", "Private Number", "98765\x0012345", "\xff",
		"98765 12345 ext. 12", ";ext=1", "+91 98765 12345 😀", strings.Repeat("0", 240) + "1",
		strings.Repeat("9", 300), "+++---...", "((((((((", "tel:;phone-context=",
		"08100000000", "18100000000000", "00370000000000",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, raw string, regionPick uint8) {
		region := fuzzRegions[int(regionPick)%len(fuzzRegions)]
		n, err := phone.Normalize(raw, region)

		// The private check and Normalize always agree.
		require.Equal(t, phone.IsPrivate(raw), errors.Is(err, phone.ErrPrivate), "raw %q", raw)

		if err != nil {
			require.Equal(t, phone.Number{}, n)
			matched := 0
			for _, s := range []error{phone.ErrPrivate, phone.ErrTooLong, phone.ErrInvalid, phone.ErrUnknownRegion} {
				if errors.Is(err, s) {
					matched++
				}
			}
			require.Equal(t, 1, matched, "error %q must match exactly one class", err)
			requireNoDigitRun(t, raw, err.Error())
			return
		}

		require.Equal(t, raw, n.Raw)
		require.LessOrEqual(t, len(n.E164), 16)
		require.GreaterOrEqual(t, len(n.E164), 2)
		require.Equal(t, byte('+'), n.E164[0])
		for i := 1; i < len(n.E164); i++ {
			require.True(t, n.E164[i] >= '0' && n.E164[i] <= '9', "E164 %q", n.E164)
		}
		require.NotEmpty(t, n.Region)

		// Normalising the result is a fixed point, with any default region.
		for _, r := range []string{region, ""} {
			again, err := phone.Normalize(n.E164, r)
			require.NoError(t, err, "re-normalising %q with %q", n.E164, r)
			require.Equal(t, n.E164, again.E164)
			require.Equal(t, n.Region, again.Region)
			require.Equal(t, n.Type, again.Type)
		}

		variants, err := phone.SearchVariants(n.E164)
		require.NoError(t, err)
		requireVariantsReadBack(t, n.E164, variants)
	})
}

func FuzzSearchVariants(f *testing.F) {
	for _, s := range []string{"+919876543210", "+12015550123", "+80012345678", "+6837012", "+", "", "919876543210", "+0", "+9999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, e164 string) {
		variants, err := phone.SearchVariants(e164)
		if err != nil {
			requireOnly(t, err, phone.ErrInvalid)
			require.Nil(t, variants)
			requireNoDigitRun(t, e164, err.Error())
			return
		}
		require.LessOrEqual(t, len(variants), 4)
		requireVariantsReadBack(t, e164, variants)
	})
}
