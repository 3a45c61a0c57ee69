package postgres

import (
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
