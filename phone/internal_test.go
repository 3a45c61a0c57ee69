package phone

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestASCIIDigitRangesHaveTheAssumedShape guards asciiDigit's assumption
// about the Unicode tables of this Go release: every range of decimal
// digits is contiguous and made of whole runs of ten.
func TestASCIIDigitRangesHaveTheAssumedShape(t *testing.T) {
	t.Parallel()
	check := func(lo, hi, stride uint32) {
		require.Equal(t, uint32(1), stride, "range %U-%U", lo, hi)
		require.Zero(t, (hi-lo+1)%10, "range %U-%U", lo, hi)
		for r := lo; r <= hi; r++ {
			d, ok := asciiDigit(rune(r))
			require.True(t, ok, "%U", r)
			require.Equal(t, byte('0'+(r-lo)%10), d, "%U", r)
		}
	}
	for _, rg := range unicode.Nd.R16 {
		check(uint32(rg.Lo), uint32(rg.Hi), uint32(rg.Stride))
	}
	for _, rg := range unicode.Nd.R32 {
		check(rg.Lo, rg.Hi, rg.Stride)
	}
}

func TestASCIIDigit(t *testing.T) {
	t.Parallel()
	digits := map[rune]byte{
		'0': '0', '7': '7', '٣': '3', '۷': '7', '३': '3', '৯': '9', '௫': '5', '๒': '2',
		'０': '0', '９': '9', '𝟎': '0', '𝟗': '9', '𝟘': '0', '𝟡': '9', '𝟿': '9',
	}
	for r, want := range digits {
		got, ok := asciiDigit(r)
		require.True(t, ok, "%U", r)
		require.Equal(t, want, got, "%U", r)
	}
	for _, r := range []rune{'a', '+', '/', ':', ' ', '²', '¹', '①', 'Ⅷ', '½', '〇', '\x00', utf8.RuneError, -1, unicode.MaxRune + 1} {
		_, ok := asciiDigit(r)
		require.False(t, ok, "%U", r)
	}
}

func TestCleanInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want, reason string }{
		{"+91 98765 12345", "+91 98765 12345", ""},
		{"  098765-12345\t", "098765-12345", ""},
		{"\u202a+91\u00a098765\u200b12345\u202c", "+91 9876512345", ""},
		{"०९८७६५\u3000१२३४५", "098765 12345", ""},
		{"\u00ad12\u2060", "12", ""},
		{"12\x003", "", "contains a control character"},
		{"12\x1b3", "", "contains a control character"},
		{"\u0085 12 \u2028", "12", ""},
		{"12\xc0", "", "not valid UTF-8"},
	}
	for _, tt := range tests {
		got, reason := cleanInput(tt.raw)
		require.Equal(t, tt.want, got, "cleanInput(%q)", tt.raw)
		require.Equal(t, tt.reason, reason, "cleanInput(%q)", tt.raw)
	}
}

// FuzzMask lives inside the package so that it can use asciiDigit (tested
// above) as the oracle for which runes are digits.
func FuzzMask(f *testing.F) {
	for _, seed := range []string{"", "+919876512345", "12345", "abc", "\xff", "٠١٢٣٤٥٦٧٨٩", "𝟗𝟖𝟕𝟔𝟓", strings.Repeat("1", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var digits []byte
		for _, r := range s {
			if d, ok := asciiDigit(r); ok {
				digits = append(digits, d)
			}
		}
		wantShown := min(4, len(digits)/2)
		wantStars := min(len(digits)-wantShown, 15)
		want := strings.Repeat("*", wantStars) + string(digits[len(digits)-wantShown:])
		require.Equal(t, want, Mask(s), "Mask(%q)", s)
	})
}

func TestPanicked(t *testing.T) {
	t.Parallel()
	require.True(t, panicked(func() { panic("+919876512345") }))
	require.True(t, panicked(func() { panic(nil) }))
	require.True(t, panicked(func() {
		var m map[string]int
		m["x"] = 1
	}))
	ran := false
	require.False(t, panicked(func() { ran = true }))
	require.True(t, ran)
}
