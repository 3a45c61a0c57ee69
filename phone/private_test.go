package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/phone"
)

func TestIsPrivate(t *testing.T) {
	t.Parallel()
	private := []string{
		// DESIGN §10 markers.
		"", "-1", "-2", "-3", "PRIVATE", "UNKNOWN", "RESTRICTED", "ANONYMOUS", "WITHHELD",
		// Case and trimming.
		"private", "Unknown", "rEsTrIcTeD", "  anonymous\t", "\u00a0WITHHELD\u3000", " ", "\n",
		// Invisible marks around or alone.
		"\u202aPRIVATE\u202c", "\u200e", "\u200e-1\u200f", "\ufeff",
		// Phrases.
		"Private Number", "Unknown number", "Anonymous Caller", "WITHHELD_NUMBER", "restricted-number",
		"private  number", "Private\u00a0Number", "UNKNOWN CALLER",
		// Unicode digits are read as digits, as Normalize reads them.
		"-١", "-１",
	}
	for _, raw := range private {
		require.True(t, phone.IsPrivate(raw), "IsPrivate(%q)", raw)
	}

	notPrivate := []string{
		"+919876512345", "9876512345", "0", "1", "-4", "-0", "--1", "-1-", "- 1", "+1", "1-",
		"PRIVATEE", "PRIV", "PRIVATE NUMBERS", "PRIVATE NUMBER 1", "NUMBER PRIVATE", "PRIVATE PRIVATE",
		"Private Number Caller", "-PRIVATE", "PRIVATE-", "_PRIVATE", "PRIVATE.", "PRIVATE:NUMBER",
		"Unavailable", "Blocked", "No Caller ID", "Payphone", "Unknown Caller ID",
		"---", "()", "+", "N/A", "null", "none",
		"PRİVATE", "prıvate", "ＰＲＩＶＡＴＥ", // look-alikes: ASCII only
		"PRIVATE\x00", "\x00", "-1\x00", "PRIVATE\xff",
		"PRIVATE" + strings.Repeat(" ", phone.MaxInputBytes),
		strings.Repeat(" ", 10_000),
	}
	for _, raw := range notPrivate {
		require.False(t, phone.IsPrivate(raw), "IsPrivate(%q)", raw)
	}
}

// TestIsPrivateAgreesWithNormalize: Normalize reports ErrPrivate exactly
// for the inputs IsPrivate accepts.
func TestIsPrivateAgreesWithNormalize(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "-1", "PRIVATE", "Private Number", "\u202aUNKNOWN\u202c", "-١",
		"9876512345", "PRIVATE\x00", "abc", "Unavailable", strings.Repeat(" ", 300)} {
		_, err := phone.Normalize(raw, "IN")
		require.Equal(t, phone.IsPrivate(raw), errors.Is(err, phone.ErrPrivate), "raw %q: err %v", raw, err)
	}
}

func BenchmarkIsPrivate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = phone.IsPrivate("+91 98765 12345")
		_ = phone.IsPrivate("Private Number")
	}
}
