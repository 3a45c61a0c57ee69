package postgres

import "github.com/leadcall/leadcall/store/internal/sqlshared"

// The store's cursors are made and read by sqlshared (ListCalls, ListReview); the package's
// internal tests check them under these names.

const (
	callCursorTag   = sqlshared.CallCursorTag
	reviewCursorTag = sqlshared.ReviewCursorTag
)

func encodeCursor(tag string, parts ...int64) string { return sqlshared.EncodeCursor(tag, parts...) }

func decodeCursor(cursor, tag string, n int) ([]int64, error) {
	return sqlshared.DecodeCursor(cursor, tag, n)
}
