package sqlshared

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestTruncMS(t *testing.T) {
	require.True(t, TruncMS(time.Time{}).IsZero())
	in := time.Date(2026, 3, 1, 10, 0, 0, 123_456_789, time.FixedZone("x", 3600))
	got := TruncMS(in)
	require.Equal(t, time.UTC, got.Location())
	require.Equal(t, 123_000_000, got.Nanosecond())
	require.True(t, got.Equal(in.Truncate(time.Millisecond)))
}

func TestJSON(t *testing.T) {
	type doc struct{ A string }
	s, err := ToJSON(doc{A: "x"})
	require.NoError(t, err)
	require.Equal(t, `{"A":"x"}`, s)

	var d doc
	require.NoError(t, FromJSON(s, &d))
	require.Equal(t, "x", d.A)

	d = doc{A: "kept"}
	require.NoError(t, FromJSON("", &d), "an empty column leaves v as it is")
	require.Equal(t, "kept", d.A)

	require.Error(t, FromJSON("{", &d))
	_, err = ToJSON(make(chan int))
	require.Error(t, err)
}

func TestCursorRoundTrip(t *testing.T) {
	for _, parts := range [][]int64{{0}, {1, 2}, {-5, 1 << 62}, {1700000000000, 42}} {
		c := EncodeCursor(CallCursorTag, parts...)
		got, err := DecodeCursor(c, CallCursorTag, len(parts))
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(parts, got))
	}
}

func TestDecodeCursorRefuses(t *testing.T) {
	for name, c := range map[string]string{
		"other list":   EncodeCursor(ReviewCursorTag, 1, 2),
		"fewer parts":  EncodeCursor(CallCursorTag, 1),
		"more parts":   EncodeCursor(CallCursorTag, 1, 2, 3),
		"not base64":   "!!!",
		"not a number": EncodeCursor(CallCursorTag+":x", 1),
		"huge":         strings.Repeat("A", 10_000),
		"empty":        "",
	} {
		_, err := DecodeCursor(c, CallCursorTag, 2)
		require.True(t, errors.Is(err, ErrMalformedCursor), name)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(CallCursorTag, 1, 2))
	f.Add(EncodeCursor(ReviewCursorTag, 7))
	f.Add("")
	f.Add("Y2FsbHMxOjE6")
	f.Fuzz(func(t *testing.T, cursor string) {
		parts, err := DecodeCursor(cursor, CallCursorTag, 2)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedCursor)
			return
		}
		// What decodes is what EncodeCursor makes of the parts, up to number formatting.
		again, err := DecodeCursor(EncodeCursor(CallCursorTag, parts...), CallCursorTag, 2)
		require.NoError(t, err)
		require.Equal(t, parts, again)
	})
}

func ExampleEncodeCursor() {
	c := EncodeCursor(ReviewCursorTag, 42)
	parts, err := DecodeCursor(c, ReviewCursorTag, 1)
	fmt.Println(parts, err)
	_, err = DecodeCursor(c, CallCursorTag, 2)
	fmt.Println(err)
	// Output:
	// [42] <nil>
	// malformed cursor
}
