package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/leadcall/leadcall"
)

// Config defaults.
const (
	// DefaultMaxAttempts is the MaxAttempts of jobs enqueued without one (InsertCalls always,
	// EnqueueJob when EnqueueParams.MaxAttempts is 0).
	DefaultMaxAttempts = 20
	// DefaultConnectTimeout bounds establishing one connection when the DSN sets no
	// connect_timeout.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultApplicationName is the application_name of the store's sessions when the DSN
	// sets none; it shows in pg_stat_activity.
	DefaultApplicationName = "leadcall"
)

// maxTxAttempts is how often a transaction the server aborted for a concurrency reason
// (deadlock, serialization failure) is run before its error is returned.
const maxTxAttempts = 3

// Config tunes a Store. The zero value (or a nil *Config) gives the documented defaults.
//
// The pool settings override the DSN's pool_* parameters when non-zero; when zero, the DSN's
// value applies, or else pgxpool's default, noted on each field.
type Config struct {
	// MaxConns is the most connections the pool opens. Default: the DSN's pool_max_conns, or
	// max(4, runtime.NumCPU()).
	MaxConns int32
	// MinConns is how many connections the pool keeps open when idle. Default: the DSN's
	// pool_min_conns, or 0.
	MinConns int32
	// MaxConnLifetime is how long a connection is used before it is replaced. Default: the
	// DSN's pool_max_conn_lifetime, or 1h.
	MaxConnLifetime time.Duration
	// MaxConnIdleTime is how long an idle connection is kept. Default: the DSN's
	// pool_max_conn_idle_time, or 30m.
	MaxConnIdleTime time.Duration
	// HealthCheckPeriod is how often idle connections are checked. Default: the DSN's
	// pool_health_check_period, or 1m.
	HealthCheckPeriod time.Duration
	// ConnectTimeout bounds establishing one connection. Default: the DSN's connect_timeout,
	// or DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxAttempts is the MaxAttempts of jobs enqueued without one. Default DefaultMaxAttempts.
	MaxAttempts int
	// Logger receives migration, configuration and shutdown messages. Default: discard.
	Logger *slog.Logger
	// Now is the store's clock, used where a method fills in a zero time (CreatedAt, event
	// At, ReceivedAt, ...) and by OrgPause. Default time.Now.
	Now func() time.Time
}

// withDefaults returns a copy of c (nil allowed) with defaults applied, after validating it.
// Pool settings left zero are applied later from the DSN.
func (c *Config) withDefaults() (Config, error) {
	var out Config
	if c != nil {
		out = *c
	}
	switch {
	case out.MaxConns < 0:
		return out, fmt.Errorf("MaxConns %d: must not be negative", out.MaxConns)
	case out.MinConns < 0:
		return out, fmt.Errorf("MinConns %d: must not be negative", out.MinConns)
	case out.MaxConns > 0 && out.MinConns > out.MaxConns:
		return out, fmt.Errorf("MinConns %d: must not exceed MaxConns %d", out.MinConns, out.MaxConns)
	case out.MaxConnLifetime < 0:
		return out, fmt.Errorf("MaxConnLifetime %v: must not be negative", out.MaxConnLifetime)
	case out.MaxConnIdleTime < 0:
		return out, fmt.Errorf("MaxConnIdleTime %v: must not be negative", out.MaxConnIdleTime)
	case out.HealthCheckPeriod < 0:
		return out, fmt.Errorf("HealthCheckPeriod %v: must not be negative", out.HealthCheckPeriod)
	case out.ConnectTimeout < 0:
		return out, fmt.Errorf("ConnectTimeout %v: must not be negative", out.ConnectTimeout)
	case out.MaxAttempts < 0:
		return out, fmt.Errorf("MaxAttempts %d: must not be negative", out.MaxAttempts)
	}
	out.MaxAttempts = cmp.Or(out.MaxAttempts, DefaultMaxAttempts)
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.Now == nil {
		out.Now = time.Now
	}
	return out, nil
}

// poolConfig parses dsn and applies c's pool settings and the session settings the store
// relies on.
func (c *Config) poolConfig(dsn string) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if c.MaxConns > 0 {
		pc.MaxConns = c.MaxConns
	}
	if c.MinConns > 0 {
		pc.MinConns = c.MinConns
	}
	if pc.MinConns > pc.MaxConns {
		return nil, fmt.Errorf("MinConns %d exceeds MaxConns %d", pc.MinConns, pc.MaxConns)
	}
	if c.MaxConnLifetime > 0 {
		pc.MaxConnLifetime = c.MaxConnLifetime
	}
	if c.MaxConnIdleTime > 0 {
		pc.MaxConnIdleTime = c.MaxConnIdleTime
	}
	if c.HealthCheckPeriod > 0 {
		pc.HealthCheckPeriod = c.HealthCheckPeriod
	}
	cc := pc.ConnConfig
	switch {
	case c.ConnectTimeout > 0:
		cc.ConnectTimeout = c.ConnectTimeout
	case cc.ConnectTimeout == 0:
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	// "nil error means durable" needs the commit to wait for the WAL flush. A DSN may ask
	// for more (remote_apply with a synchronous standby); without one, a server-wide
	// synchronous_commit=off must not weaken the promise.
	if _, ok := cc.RuntimeParams["synchronous_commit"]; !ok {
		cc.RuntimeParams["synchronous_commit"] = "on"
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = DefaultApplicationName
	}
	return pc, nil
}

// Store is a leadcall.Store in a PostgreSQL database. It is safe for concurrent use, and
// several Stores (in one process or in several replicas) may share one database.
type Store struct {
	pool *pgxpool.Pool
	cfg  Config

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ leadcall.Store = (*Store)(nil)
var _ leadcall.EventSubscriber = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a keyword/value string,
// as libpq reads them, plus pgxpool's pool_* parameters), applies pending migrations in the
// connection's current schema and returns the Store. A schema migrated by a newer version of
// this package is refused with an error wrapping ErrSchemaTooNew. An unreachable server is
// CodeUnavailable, a malformed DSN or Config CodeInvalid.
func Open(ctx context.Context, dsn string, cfg *Config) (*Store, error) {
	const op = "postgres: open"
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, &leadcall.Error{Code: leadcall.CodeInvalid, Op: op, Field: "config", Message: err.Error()}
	}
	if dsn == "" {
		return nil, invalid(op, "dsn", "required")
	}
	pc, err := c.poolConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included: keep only a fixed text.
		return nil, invalid(op, "dsn", "cannot parse the connection string or its pool settings")
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, wrap(ctx, op, err)
	}
	s := &Store{pool: pool, cfg: c}
	if err := s.checkServer(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// checkServer connects once and warns about server settings that void the durability promise.
func (s *Store) checkServer(ctx context.Context) error {
	const op = "postgres: open"
	var fsync, syncCommit, schema string
	err := s.pool.QueryRow(ctx,
		`SELECT current_setting('fsync'), current_setting('synchronous_commit'), COALESCE(current_schema(), '')`,
	).Scan(&fsync, &syncCommit, &schema)
	if err != nil {
		return wrap(ctx, op, err)
	}
	if schema == "" {
		return leadcall.Errorf(leadcall.CodeInvalid, op, "the connection has no current schema: check search_path")
	}
	if fsync != "on" {
		s.cfg.Logger.Warn("postgres: the server runs with fsync off: committed data may be lost on a crash")
	}
	if syncCommit == "off" {
		s.cfg.Logger.Warn("postgres: synchronous_commit is off for the store's sessions: a commit may be lost on a crash")
	}
	return nil
}

// Ping checks that the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	const op = "postgres: ping"
	if err := s.usable(ctx, op); err != nil {
		return err
	}
	return s.wrap(ctx, op, s.pool.Ping(ctx))
}

// Close closes the pool, waiting for connections in use to be returned. Calling it again
// does nothing; every other method fails with CodeUnavailable after Close.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}

func (s *Store) now() time.Time { return s.cfg.Now().UTC() }

// orNow returns t, or the store's clock when t is zero.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t.UTC()
}

// usable fails when the store is closed or ctx is done, before any work starts.
func (s *Store) usable(ctx context.Context, op string) error {
	if s.closed.Load() {
		return leadcall.NewError(leadcall.CodeUnavailable, op, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return leadcall.NewError(leadcall.CodeUnavailable, op, err)
	}
	return nil
}

// wrap is the package's wrap, plus: a failure caused by Close racing a call is
// CodeUnavailable, not an internal error.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() && classify(err) == leadcall.CodeInternal {
		err = fmt.Errorf("%w: %w", errClosed, err)
	}
	return wrap(ctx, op, err)
}

// txOptions pins the isolation level: the claim and every other write rely on read
// committed semantics (a fresh snapshot per statement, waits on row locks followed by a
// re-check), whatever the server's default_transaction_isolation says.
var txOptions = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}

// write runs fn in a read committed transaction and commits it; then it sends the
// notifications of the events fn appended (see notifier). fn must return the first error
// it meets, and must be safe to run again: a transaction the server aborts for a deadlock or a
// serialization failure is retried (up to maxTxAttempts runs). Errors are classified and
// wrapped with op.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if err := s.usable(ctx, op); err != nil {
		return err
	}
	var err error
	for range maxTxAttempts {
		notes := &notifier{}
		txCtx := context.WithValue(ctx, notifierKey{}, notes)
		err = pgx.BeginTxFunc(txCtx, s.pool, txOptions, func(tx pgx.Tx) error { return fn(txCtx, tx) })
		if err == nil {
			notes.send(ctx, s, op)
		}
		if err == nil || !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return s.wrap(ctx, op, err)
}

// statement runs fn, which sends one statement outside any explicit transaction (the
// statement is its own transaction: one round trip, one commit), with write's retries and
// error wrapping.
func (s *Store) statement(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if err := s.usable(ctx, op); err != nil {
		return err
	}
	var err error
	for range maxTxAttempts {
		err = fn(ctx)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return s.wrap(ctx, op, err)
}

// querier is what reads need: the pool, or a transaction inside a write.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// affected returns errNone when tag changed no row.
func affected(tag pgconn.CommandTag, errNone error) error {
	if tag.RowsAffected() == 0 {
		return errNone
	}
	return nil
}

// noRows reports whether err is "no rows".
func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
