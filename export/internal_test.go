package export

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestCell(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"=1+1", "'=1+1"},
		{"+919876543210", "'+919876543210"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
		{"\x00=cmd", "'=cmd"},
		{"a\x00b\x1bc\x7f", "abc"},
		{"line\nbreak", "line\nbreak"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"héllo", "héllo"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, cell(tc.in), "cell(%q)", tc.in)
	}
}

func TestCellCutsHugeValues(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		strings.Repeat("a", MaxCellBytes*3),
		strings.Repeat("é", MaxCellBytes),
		"=" + strings.Repeat("€", MaxCellBytes),
		strings.Repeat("a", maxContent), // the longest value kept whole
		strings.Repeat("a", maxContent+1),
	} {
		got := cell(in)
		require.LessOrEqual(t, len(got), MaxCellBytes)
		require.True(t, utf8.ValidString(got))
		if len(in) > maxContent {
			require.True(t, strings.HasSuffix(got, ellipsis))
		} else {
			require.Equal(t, in, got)
		}
	}
}

func TestRenderMetadata(t *testing.T) {
	t.Parallel()
	require.Equal(t, "", renderMetadata(nil))
	require.Equal(t, "a=1; b=2", renderMetadata(map[string]string{"b": "2", "a": "1"}))
	require.Equal(t, `k\=x=v\;w\\; z=`, renderMetadata(map[string]string{"k=x": `v;w\`, "z": ""}))
}

func TestLRU(t *testing.T) {
	t.Parallel()
	c := newLRU[string, int](2)
	c.put("a", 1)
	c.put("b", 2)
	_, _ = c.get("a") // a is now the most recent
	c.put("c", 3)     // evicts b
	_, ok := c.get("b")
	require.False(t, ok)
	v, ok := c.get("a")
	require.True(t, ok)
	require.Equal(t, 1, v)
	c.put("a", 10)
	v, _ = c.get("a")
	require.Equal(t, 10, v)
	require.Equal(t, 2, c.len())

	one := newLRU[int, int](0) // at least one entry
	one.put(1, 1)
	one.put(2, 2)
	require.Equal(t, 1, one.len())
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "=1", "+91", "\x00=", "\xff", "a\r\nb", "-", "@", "\t", strings.Repeat("€", 11000), strings.Repeat("a", maxContent+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := cell(in)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from %q", in)
		}
		if len(got) > MaxCellBytes {
			t.Fatalf("%d bytes", len(got))
		}
		if formulaStart(got) {
			t.Fatalf("cell(%q) = %q starts like a formula", in, got)
		}
		for _, r := range got {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
				t.Fatalf("control %U in cell(%q)", r, in)
			}
		}
		if !strings.HasPrefix(got, "'") && cell(got) != got {
			t.Fatalf("cell is not idempotent on %q", got)
		}
	})
}
