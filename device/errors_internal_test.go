package device

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestQuoteInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short", in: "abc", want: `"abc"`},
		{name: "exactly cap", in: strings.Repeat("a", maxQuoted), want: `"` + strings.Repeat("a", maxQuoted) + `"`},
		{name: "long cut", in: strings.Repeat("a", 100), want: `"` + strings.Repeat("a", maxQuoted) + `"…`},
		{name: "control escaped", in: "a\nb\x00", want: `"a\nb\x00"`},
		{name: "cut on rune boundary", in: "a" + strings.Repeat("界", 20), want: `"a` + strings.Repeat("界", 10) + `"…`},
		{name: "invalid bytes escaped", in: strings.Repeat("\x80", 40), want: `"` + strings.Repeat(`\x80`, maxQuoted) + `"…`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := quoteInput(tc.in)
			require.Equal(t, tc.want, got)
			require.True(t, utf8.ValidString(got))
		})
	}
}
