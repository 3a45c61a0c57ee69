package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// ErrSchemaTooNew is wrapped by Open's error when the schema was migrated by a newer version
// of this package: it may hold data this version would corrupt.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this version supports")

// errClosed is the cause of CodeUnavailable errors after Close.
var errClosed = errors.New("store is closed")

// wrap classifies err and adds op, unless err already carries a leadcall code or is
// ErrLeaseLost, which pass through unchanged. When ctx is done the context's error is kept in
// the chain, whatever the driver made of the interruption.
func wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	var le *leadcall.Error
	if errors.As(err, &le) || errors.Is(err, leadcall.ErrLeaseLost) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	e := &leadcall.Error{Code: classify(err), Op: op, Err: err}
	switch e.Code {
	case leadcall.CodeConflict:
		e.Message = "already exists"
	case leadcall.CodeNotFound:
		if errors.Is(err, pgx.ErrNoRows) {
			e.Message = "not found"
		} else {
			e.Message = "a referenced record does not exist"
		}
	case leadcall.CodeInvalid:
		if pe := pgError(err); pe != nil {
			// The server's own message may quote the offending value, so it stays in Err and
			// the text says only what kind of value was refused.
			e.Message = invalidMessage(pe.Code)
		}
	}
	return e
}

func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// classify maps a native error to a leadcall code. This is the PostgreSQL counterpart of
// store/sqlite's classify: the same situations get the same codes.
func classify(err error) leadcall.Code {
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return leadcall.CodeNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, errClosed):
		return leadcall.CodeUnavailable
	}
	if pe := pgError(err); pe != nil {
		return classifySQLState(pe.Code)
	}
	var (
		connectErr *pgconn.ConnectError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), pgconn.SafeToRetry(err):
		return leadcall.CodeUnavailable
	}
	return leadcall.CodeInternal
}

// classifySQLState maps a SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func classifySQLState(code string) leadcall.Code {
	switch code {
	case "23505": // unique_violation
		return leadcall.CodeConflict
	case "23503": // foreign_key_violation
		return leadcall.CodeNotFound
	case "54000", "54001": // program_limit_exceeded (an index row too large), statement_too_complex
		return leadcall.CodeInvalid
	case "3D000", "3F000": // the DSN names a database or schema that does not exist
		return leadcall.CodeInvalid
	case "42501": // insufficient_privilege
		return leadcall.CodeUnauthorized
	case "40001", "40P01", "55P03", "55006", "57014", "25006":
		// serialization failure, deadlock, lock not available, object in use, query canceled,
		// read-only transaction (connected to a standby during a failover)
		return leadcall.CodeUnavailable
	}
	if len(code) < 2 {
		return leadcall.CodeInternal
	}
	switch code[:2] {
	case "28": // invalid authorization: wrong password, no pg_hba.conf entry
		return leadcall.CodeUnauthorized
	case "22", "23": // data exception (bad encoding, NUL byte, out of range), other integrity violations
		return leadcall.CodeInvalid
	case "08", "53", "57", "58", "40": // connection, resources, operator intervention, system, rollback
		return leadcall.CodeUnavailable
	}
	return leadcall.CodeInternal
}

// invalidMessage describes a refused value by its SQLSTATE, without quoting it.
func invalidMessage(code string) string {
	switch code {
	case "22021":
		return "text is not valid UTF-8 or contains a NUL byte (SQLSTATE 22021)"
	case "54000":
		return "a value is too large to index (SQLSTATE 54000)"
	case "22001":
		return "a value is too long (SQLSTATE 22001)"
	case "22003":
		return "a number is out of range (SQLSTATE 22003)"
	}
	return "the database refused a value (SQLSTATE " + code + ")"
}

// retryable reports whether a transaction that failed with err may simply be run again: the
// server rolled it back for a concurrency reason, not because of its content.
func retryable(err error) bool {
	pe := pgError(err)
	return pe != nil && (pe.Code == "40001" || pe.Code == "40P01")
}

// The classified errors that do not depend on the database are built by sqlshared.

func invalid(op, field, format string, args ...any) error {
	return sqlshared.Invalid(op, field, format, args...)
}

func notFound(op, format string, args ...any) error { return sqlshared.NotFound(op, format, args...) }

func conflict(op, format string, args ...any) error { return sqlshared.Conflict(op, format, args...) }

func leaseLost(op string, jobID int64) error { return sqlshared.LeaseLost(op, jobID) }
