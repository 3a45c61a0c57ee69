package device_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestNormalizeNickname(t *testing.T) {
	t.Parallel()
	max := strings.Repeat("a", device.MaxNicknameLen)
	maxWide := strings.Repeat("界", device.MaxNicknameLen)
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{name: "plain", in: "Front Desk", want: "Front Desk"},
		{name: "apostrophe", in: "Ahmed's Phone", want: "Ahmed's Phone"},
		{name: "trim", in: "  Campaign Line 1 \t", want: "Campaign Line 1"},
		{name: "collapse spaces", in: "Front    Desk", want: "Front Desk"},
		{name: "tabs and newlines", in: "Front\t\n\r Desk\n", want: "Front Desk"},
		{name: "unicode spaces", in: "\u00a0Front\u2003\u3000Desk\u2028", want: "Front Desk"},
		{name: "NEL is whitespace", in: "A\u0085B", want: "A B"},
		{name: "non-latin", in: "  Офис   Москва ", want: "Офис Москва"},
		{name: "emoji with ZWJ kept", in: "Team 👩\u200d💻", want: "Team 👩\u200d💻"},
		{name: "replacement char literal is valid", in: "a\ufffdb", want: "a\ufffdb"},
		{name: "exactly max ascii", in: max, want: max},
		{name: "exactly max multibyte", in: maxWide, want: maxWide},
		{name: "max after collapsing", in: "  " + max + "   ", want: max},

		{name: "empty", in: "", wantErr: device.ErrEmptyNickname},
		{name: "only spaces", in: " \t\n\u3000 ", wantErr: device.ErrEmptyNickname},
		{name: "one over max", in: max + "b", wantErr: device.ErrNicknameTooLong},
		{name: "one over max multibyte", in: maxWide + "界", wantErr: device.ErrNicknameTooLong},
		{name: "inner space pushes over max", in: max[:device.MaxNicknameLen-1] + " b", wantErr: device.ErrNicknameTooLong},
		{name: "NUL", in: "Front\x00Desk", wantErr: device.ErrInvalidNickname},
		{name: "escape", in: "\x1b[31mred", wantErr: device.ErrInvalidNickname},
		{name: "DEL", in: "a\x7f", wantErr: device.ErrInvalidNickname},
		{name: "C1 control", in: "a\u0090b", wantErr: device.ErrInvalidNickname},
		{name: "RLO override", in: "Desk\u202eenoh", wantErr: device.ErrInvalidNickname},
		{name: "RLI isolate", in: "\u2067x", wantErr: device.ErrInvalidNickname},
		{name: "RLM mark", in: "x\u200f", wantErr: device.ErrInvalidNickname},
		{name: "BOM", in: "\ufeffDesk", wantErr: device.ErrInvalidNickname},
		{name: "invalid UTF-8", in: "Desk\xff", wantErr: device.ErrInvalidNickname},
		{name: "truncated UTF-8", in: "Desk\xe4\xb8", wantErr: device.ErrInvalidNickname},
		{name: "UTF-8 encoded surrogate", in: "a\xed\xa0\x80", wantErr: device.ErrInvalidNickname},
		{name: "overlong encoding", in: "\xc0\xaf", wantErr: device.ErrInvalidNickname},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := device.NormalizeNickname(tc.in)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Empty(t, got)
				require.Less(t, len(err.Error()), 200)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestNormalizeNicknameHuge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{name: "10 MiB of letters", in: strings.Repeat("a", 10<<20), wantErr: device.ErrNicknameTooLong},
		{name: "10 MiB of spaces around a word", in: strings.Repeat(" ", 5<<20) + "Desk" + strings.Repeat("\t", 5<<20), want: "Desk"},
		{name: "10 MiB of spaces", in: strings.Repeat(" \n", 5<<20), wantErr: device.ErrEmptyNickname},
		{name: "10 MiB of invalid bytes", in: strings.Repeat("\xff", 10<<20), wantErr: device.ErrInvalidNickname},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := device.NormalizeNickname(tc.in)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Less(t, len(err.Error()), 200)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestNormalizeNicknameReportsFirstProblem(t *testing.T) {
	t.Parallel()
	_, err := device.NormalizeNickname("ok\x00" + strings.Repeat("a", 100))
	require.ErrorIs(t, err, device.ErrInvalidNickname)
	require.Contains(t, err.Error(), "byte 2")

	_, err = device.NormalizeNickname(strings.Repeat("a", 100) + "\x00")
	require.ErrorIs(t, err, device.ErrNicknameTooLong)
}

func FuzzNormalizeNickname(f *testing.F) {
	for _, seed := range []string{
		"", " ", "Front Desk", "  Ahmed's   Phone\n", "\x00", "\xff", "a\u202eb",
		"👩\u200d💻", "\u00a0x\u3000y\u0085", strings.Repeat("界", device.MaxNicknameLen+1),
		strings.Repeat("a ", device.MaxNicknameLen/2) + "b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := device.NormalizeNickname(in)
		if err != nil {
			require.Empty(t, got)
			return
		}
		require.True(t, utf8.ValidString(got), "output must be valid UTF-8: %q", got)
		n := utf8.RuneCountInString(got)
		require.GreaterOrEqual(t, n, 1)
		require.LessOrEqual(t, n, device.MaxNicknameLen)
		require.Equal(t, strings.TrimSpace(got), got, "no surrounding whitespace")
		require.NotContains(t, got, "  ", "no double spaces")
		for _, r := range got {
			require.False(t, unicode.IsControl(r), "control %U in output", r)
			if unicode.IsSpace(r) {
				require.Equal(t, ' ', r, "only ASCII spaces survive")
			}
		}
		again, err := device.NormalizeNickname(got)
		require.NoError(t, err, "a normalised nickname must stay valid")
		require.Equal(t, got, again, "normalisation must be idempotent")
	})
}

func BenchmarkNormalizeNickname(b *testing.B) {
	in := "  Campaign   Line 1 — Downtown\t"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := device.NormalizeNickname(in); err != nil {
			b.Fatal(err)
		}
	}
}
