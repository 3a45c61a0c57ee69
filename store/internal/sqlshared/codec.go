package sqlshared

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// TruncMS truncates t to what the stores keep: unix milliseconds in UTC, the zero time
// staying zero.
func TruncMS(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// ToJSON encodes v for a JSON text column.
func ToJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// FromJSON decodes a JSON text column into v; "" leaves v as it is.
func FromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// Cursors are opaque to callers: base64url of a versioned, kind-tagged text, so a cursor from
// one list is refused by another.

// The cursor tags of the lists.
const (
	CallCursorTag   = "calls1"
	ReviewCursorTag = "review1"
)

// maxCursorLen bounds what DecodeCursor reads; real cursors are far shorter.
const maxCursorLen = 200

// ErrMalformedCursor is returned by DecodeCursor for any cursor it did not make.
var ErrMalformedCursor = errors.New("malformed cursor")

// EncodeCursor makes a cursor of kind tag holding parts.
func EncodeCursor(tag string, parts ...int64) string {
	s := tag
	for _, p := range parts {
		s += ":" + strconv.FormatInt(p, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// DecodeCursor parses a cursor made by EncodeCursor with the same tag and n parts; anything
// else is ErrMalformedCursor.
func DecodeCursor(cursor, tag string, n int) ([]int64, error) {
	if len(cursor) > maxCursorLen {
		return nil, ErrMalformedCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, ErrMalformedCursor
	}
	fields := strings.Split(string(raw), ":")
	if len(fields) != n+1 || fields[0] != tag {
		return nil, ErrMalformedCursor
	}
	out := make([]int64, n)
	for i, f := range fields[1:] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, ErrMalformedCursor
		}
		out[i] = v
	}
	return out, nil
}
