package sqlite

import (
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Times are stored as INTEGER unix milliseconds UTC, and the zero time as NULL. Reading
// converts back to time.Time in UTC, so values round-trip truncated to the millisecond.

// millis returns t as unix ms, or nil (NULL) for the zero time.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMillis converts a stored time back; NULL is the zero time.
func fromMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// nullString stores "" as NULL (CRM IDs, credential hashes): NULL lets COALESCE keep the
// first value written, and lets a unique index ignore absent values.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// placeholders returns "$from, $from+1, ..." for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}
