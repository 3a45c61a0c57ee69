package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadcall/leadcall"
	msqlite "modernc.org/sqlite"
)

// Config defaults.
const (
	// DefaultBusyTimeout is how long a connection waits for a lock held by another process
	// before a statement fails with CodeUnavailable.
	DefaultBusyTimeout = 10 * time.Second
	// DefaultReadConns is the size of the reader pool.
	DefaultReadConns = 4
	// DefaultMaxAttempts is the MaxAttempts of jobs enqueued without one (InsertCalls always,
	// EnqueueJob when EnqueueParams.MaxAttempts is 0).
	DefaultMaxAttempts = 20
	// DefaultWriteBatch is how many concurrent write calls may share one transaction.
	DefaultWriteBatch = 64
)

// Config tunes a Store. The zero value (or a nil *Config) gives the documented defaults.
type Config struct {
	// BusyTimeout is SQLite's busy_timeout: how long a statement waits for a lock held by
	// another connection or process. Default DefaultBusyTimeout; at least 1ms.
	BusyTimeout time.Duration
	// ReadConns is the number of reader connections. Default DefaultReadConns. Writes always
	// go through one writer connection.
	ReadConns int
	// MaxAttempts is the MaxAttempts of jobs enqueued without one. Default DefaultMaxAttempts.
	MaxAttempts int
	// WriteBatch is the most write calls that share one transaction and one fsync (group
	// commit; see the package doc). Default DefaultWriteBatch; 1 gives every call its own
	// transaction.
	WriteBatch int
	// Logger receives migration and shutdown messages. Default: discard.
	Logger *slog.Logger
	// Now is the store's clock, used where a method fills in a zero time (CreatedAt, event
	// At, ReceivedAt, ...) and by OrgPause. Default time.Now.
	Now func() time.Time
}

// withDefaults returns a copy of c (nil allowed) with defaults applied, after validating it.
func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	switch {
	case out.BusyTimeout < 0:
		return out, fmt.Errorf("BusyTimeout %v: must not be negative", out.BusyTimeout)
	case out.BusyTimeout > 0 && out.BusyTimeout < time.Millisecond:
		return out, fmt.Errorf("BusyTimeout %v: must be at least 1ms", out.BusyTimeout)
	case out.ReadConns < 0:
		return out, fmt.Errorf("ReadConns %d: must not be negative", out.ReadConns)
	case out.MaxAttempts < 0:
		return out, fmt.Errorf("MaxAttempts %d: must not be negative", out.MaxAttempts)
	case out.WriteBatch < 0:
		return out, fmt.Errorf("WriteBatch %d: must not be negative", out.WriteBatch)
	}
	out.WriteBatch = cmp.Or(out.WriteBatch, DefaultWriteBatch)
	out.BusyTimeout = cmp.Or(out.BusyTimeout, DefaultBusyTimeout)
	out.ReadConns = cmp.Or(out.ReadConns, DefaultReadConns)
	out.MaxAttempts = cmp.Or(out.MaxAttempts, DefaultMaxAttempts)
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	return out, nil
}

// Store is a leadcall.Store in one SQLite file. It is safe for concurrent use. Writes go
// through a single connection (BEGIN IMMEDIATE, synchronous=FULL), reads through a pool.
type Store struct {
	w      *sql.DB   // the one writer connection
	r      *readDB   // readers (query_only)
	wcache stmtCache // statements prepared on the writer (stmtcache.go)
	cfg    Config
	bulk   bulkStmts // prepared multi-row statements

	// Group commit (writer.go).
	queue         chan *writeReq
	closing       chan struct{} // closed by Close
	writerDone    chan struct{} // closed when the writer goroutine has exited
	batches       atomic.Int64  // transactions the writer ran
	batchedWrites atomic.Int64  // write calls they held

	closeOnce sync.Once
	closeErr  error
}

var _ leadcall.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path, applies pending migrations and
// returns the Store. A database written by a newer version of this package is refused with an
// error wrapping ErrSchemaTooNew. path must be a file path; ":memory:" is refused because the
// reader and writer connections would see different databases.
func Open(ctx context.Context, path string, cfg *Config) (*Store, error) {
	const op = "sqlite: open"
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, &leadcall.Error{Code: leadcall.CodeInvalid, Op: op, Field: "config", Message: err.Error()}
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "path must be a file path (not empty, :memory: or a file: URI)")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, leadcall.NewError(leadcall.CodeInvalid, op, err)
	}
	busy := strconv.FormatInt(c.BusyTimeout.Milliseconds(), 10)

	// The writer: BEGIN IMMEDIATE for every transaction (a deferred read-then-write
	// transaction fails with SQLITE_BUSY without waiting), WAL, and synchronous=FULL so that
	// a committed call survives power loss, not only a crash of the process.
	w, err := openDB(abs, url.Values{
		"_txlock":       {"immediate"},
		"_busy_timeout": {busy},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"on"},
		"_dqs":          {"0"}, // a mistyped column name is an error, not a string literal
	})
	if err != nil {
		return nil, leadcall.NewError(leadcall.CodeUnavailable, op, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{w: w, cfg: c}
	if err := s.checkWriter(ctx); err != nil {
		w.Close()
		return nil, leadcall.NewError(classify(err), op, err)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}

	s.queue = make(chan *writeReq, c.WriteBatch)
	s.closing = make(chan struct{})
	s.writerDone = make(chan struct{})

	r, err := openDB(abs, url.Values{
		"_busy_timeout": {busy},
		"_foreign_keys": {"on"},
		"_query_only":   {"1"},
		"_dqs":          {"0"},
	})
	if err != nil {
		w.Close()
		return nil, leadcall.NewError(leadcall.CodeUnavailable, op, err)
	}
	r.SetMaxOpenConns(c.ReadConns)
	r.SetMaxIdleConns(c.ReadConns)
	s.r = &readDB{DB: r}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, leadcall.NewError(classify(err), op, err)
	}
	go s.runWriter()
	return s, nil
}

// openDB opens a pool on the file at abs with the driver parameters in q. The file name goes
// through a file: URI so that characters such as '?' and '#' in it are escaped.
func openDB(abs string, q url.Values) (*sql.DB, error) {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	dsn := u.String()
	if !strings.HasPrefix(dsn, "file://") {
		// url.URL omits the empty authority for some paths; SQLite needs it to see an
		// absolute path.
		dsn = "file://" + strings.TrimPrefix(dsn, "file:")
	}
	conn, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// checkWriter verifies that the settings the durability promise rests on took effect.
func (s *Store) checkWriter(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal (is the file on a filesystem without shared memory?)", mode)
	}
	var sync, fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return err
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if sync != 2 || fk != 1 {
		return fmt.Errorf("synchronous=%d foreign_keys=%d, want 2 (FULL) and 1", sync, fk)
	}
	return nil
}

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	const op = "sqlite: ping"
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return wrap(op, err)
	}
	if err := s.w.PingContext(ctx); err != nil {
		return wrap(op, err)
	}
	return nil
}

// Close closes both pools. Calling it again returns the first result; every other method
// fails with CodeUnavailable after Close.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		s.bulk.close()
		s.wcache.close()
		s.r.cache.close()
		errs := []error{s.r.Close(), s.w.Close()}
		s.closeErr = errors.Join(errs...)
		if s.closeErr != nil {
			s.cfg.Logger.Warn("sqlite: close", "err", s.closeErr)
		}
	})
	return s.closeErr
}

func (s *Store) now() time.Time { return s.cfg.Now().UTC() }

// orNow returns t, or the store's clock when t is zero.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t.UTC()
}

// querier is what reads need: a *sql.DB (reader pool) or a *sql.Tx (inside a write).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// collect runs a query and scans every row with scan. It returns an empty, non-nil slice
// when there are none.
func collect[T any](ctx context.Context, q querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
