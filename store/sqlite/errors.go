package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrSchemaTooNew is wrapped by Open's error when the database was migrated by a newer
// version of this package: its schema may hold data this version would corrupt.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this version supports")

// wrap classifies err and adds op, unless err already carries a leadcall code or is
// ErrLeaseLost, which pass through with op added to the text only.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var le *leadcall.Error
	if errors.As(err, &le) || errors.Is(err, leadcall.ErrLeaseLost) {
		return err
	}
	e := &leadcall.Error{Code: classify(err), Op: op, Err: err}
	switch e.Code {
	case leadcall.CodeConflict:
		e.Message = "already exists"
	case leadcall.CodeNotFound:
		if !errors.Is(err, sql.ErrNoRows) {
			e.Message = "a referenced record does not exist"
		} else {
			e.Message = "not found"
		}
	}
	return e
}

// classify maps a native error to a leadcall code. The SQLite-specific part of the store's
// error handling is here: store/postgres maps SQLSTATEs the same way.
func classify(err error) leadcall.Code {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return leadcall.CodeNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, sql.ErrConnDone), errors.Is(err, sql.ErrTxDone), errors.Is(err, errClosed):
		return leadcall.CodeUnavailable
	}
	var se *msqlite.Error
	if !errors.As(err, &se) {
		if err.Error() == "sql: database is closed" {
			return leadcall.CodeUnavailable
		}
		return leadcall.CodeInternal
	}
	code := se.Code()
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return leadcall.CodeConflict
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return leadcall.CodeNotFound
	}
	switch code & 0xff { // the primary result code
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
		return leadcall.CodeInvalid
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM:
		return leadcall.CodeUnavailable
	}
	return leadcall.CodeInternal
}

// The classified errors that do not depend on the database are built by sqlshared.

func invalid(op, field, format string, args ...any) error {
	return sqlshared.Invalid(op, field, format, args...)
}

func notFound(op, format string, args ...any) error { return sqlshared.NotFound(op, format, args...) }

func conflict(op, format string, args ...any) error { return sqlshared.Conflict(op, format, args...) }

func leaseLost(op string, jobID int64) error { return sqlshared.LeaseLost(op, jobID) }
