package postgres

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Times are stored as BIGINT unix milliseconds UTC, and the zero time as NULL. Reading
// converts back to time.Time in UTC, so values round-trip truncated to the millisecond.

// millis returns t as unix ms, or nil (NULL) for the zero time.
func millis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// fromMillis converts a stored time back; NULL is the zero time.
func fromMillis(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(*v).UTC()
}

// msTime converts a NOT NULL time column back.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// truncMS truncates t to what the store keeps.
func truncMS(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// nullString stores "" as NULL (CRM IDs, credential hashes): NULL lets COALESCE keep the
// first value written, and lets a unique index ignore absent values.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// str reads a nullable text column.
func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullID stores 0 as NULL.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// id reads a nullable id column.
func id(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}

// toJSON encodes v for a JSON text column.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// fromJSON decodes a JSON text column into v.
func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// Cursors are opaque to callers: base64url of a versioned, kind-tagged text, so a cursor from
// one list is refused by another. The format is store/sqlite's.

const (
	callCursorTag   = "calls1"
	reviewCursorTag = "review1"
)

func encodeCursor(tag string, parts ...int64) string {
	s := tag
	for _, p := range parts {
		s += ":" + strconv.FormatInt(p, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// decodeCursor parses a cursor made by encodeCursor with the same tag and n parts.
func decodeCursor(cursor, tag string, n int) ([]int64, error) {
	if len(cursor) > 200 {
		return nil, fmt.Errorf("malformed cursor")
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("malformed cursor")
	}
	fields := strings.Split(string(raw), ":")
	if len(fields) != n+1 || fields[0] != tag {
		return nil, fmt.Errorf("malformed cursor")
	}
	out := make([]int64, n)
	for i, f := range fields[1:] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("malformed cursor")
		}
		out[i] = v
	}
	return out, nil
}
