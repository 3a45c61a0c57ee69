// Package postgres is leadcall's scale-out Store: PostgreSQL through pgx/v5, for several
// server replicas sharing one database. It passes the store/storetest conformance suite, like
// store/sqlite, and keeps the same tables and semantics. It needs PostgreSQL 12 or later
// (tested with 15).
//
//	st, err := postgres.Open(ctx, "postgres://leadcall:secret@db.internal:5432/leadcall", nil)
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//
// # Connections
//
// Open takes a DSN in either libpq form (URL or keyword/value), with pgxpool's pool_*
// parameters if wanted; Config's pool settings (MaxConns, MinConns, MaxConnLifetime,
// MaxConnIdleTime, HealthCheckPeriod, ConnectTimeout) override them when set. Every session
// runs with synchronous_commit=on unless the DSN names that setting itself (for example
// remote_apply with a synchronous standby), so that a method returning nil has had its commit
// flushed to the WAL even on a server whose default is off. Open warns through Config.Logger
// when the server runs with fsync off.
//
// Sizing the pool: every store call holds one pooled connection for its duration (a write for
// its transaction's round trips and commit), so a replica needs about as many connections as
// it has concurrent store calls: the Engine's sync workers (leadcall.Config.Workers), the
// HTTP requests being served, the live stream's reads and the shared rate limiter's
// statements. Calls beyond MaxConns wait for a free connection (bounded by their context).
// Subscribe and Listen use one connection of their own, outside the pool. The sum over all
// replicas (MaxConns + 1 each) must stay below the server's max_connections (100 by default)
// minus its reserved slots; put a pooler such as PgBouncer in session mode in between when it
// would not. Set the pool with Config.MaxConns and friends, or in the DSN:
//
//	postgres://leadcall:secret@db.internal/leadcall?pool_max_conns=16&pool_max_conn_idle_time=5m
//
// The reference server (examples/server) takes the DSN as -db, so its pool is set there.
//
// # Concurrency
//
// Every write is one transaction at read committed, pinned explicitly whatever the server's
// default_transaction_isolation, and is run again (up to three times) when the server aborts
// it for a deadlock or a serialization failure.
//
// ClaimJobs is safe with any number of claimers in any number of processes. One transaction
// picks candidates (expired leases, then ready jobs that head their caller's queue) with
// FOR UPDATE SKIP LOCKED, keeps one per serial key (DISTINCT ON), takes each candidate's
// serial-key advisory lock without waiting, and leases the candidates with an UPDATE that
// checks eligibility again. That UPDATE's snapshot is taken after the advisory locks were
// granted, so it sees every earlier claim of the same caller, even one whose call arrived late
// and dated earlier; a caller never holds two live leases, and no job is leased twice. A claim
// never waits for a lock: under contention it may return fewer jobs than are ready, and the
// next claim gets them. Each candidate's advisory lock lives until the claim commits and takes
// a slot of the server's lock table (max_locks_per_transaction × max_connections), which is
// one reason ClaimParams.Limit is capped at 1000. Fenced writes (lease token) lock their job's row, so a rescue and a
// late write by the old lease holder are ordered, and the old holder gets ErrLeaseLost.
//
// Seat limits lock the org's row (FOR NO KEY UPDATE) before counting active devices, and
// assignment changes lock the device's row, so concurrent registrations never exceed a seat
// limit and timelines change one step at a time.
//
// # Events
//
// Event IDs increase strictly in commit order within an org, as the live stream's cursor
// needs ("events after the last ID I saw" must never skip one that commits late). Sequence
// values alone do not give that, so a transaction that appends events locks its orgs' rows in
// event_locks as its last step, takes IDs from the event_ids sequence while holding them, and
// commits; the next transaction of the org gets its IDs only after that commit is visible.
// Orgs do not wait for each other, and IDs also increase in the order of a batch across orgs.
//
// Right after the commit, the Store sends a NOTIFY on EventChannel ("leadcall_events") per
// org with the JSON payload {"org_id": ..., "event_id": <the highest ID it appended>}, which
// PostgreSQL delivers to every listening session of the database. Subscribe (or Listen)
// follows them from any replica; they are wake-ups, and the events are read with Events. The
// NOTIFY is a statement of its own rather than part of the transaction because PostgreSQL
// holds a database-wide lock from a notifying transaction's commit until its WAL flush is
// done, which would make the event-appending commits of all orgs take turns; sent after the
// commit (a statement that writes no WAL and so waits for no flush), it lets different orgs'
// commits share flushes. The price: a replica that dies between a commit and its NOTIFY
// sends none, so listeners also re-read the log periodically (httpapi's following hub does,
// every few seconds), and notifications may arrive slightly out of commit order.
//
// Within one org the event lock still makes event-appending commits (one per synced call)
// take turns through their WAL flush, where SQLite's group commit lets concurrent jobs share
// one flush; that is the main cost of this store next to store/sqlite. To keep each turn
// short, the lock, the IDs and the insert are one statement right before the commit, and the
// sync path's other writes are few round trips (RecordIntent is a single statement). See the
// README's Performance table for the measured figures.
//
// # Schema and migrations
//
// The schema lives in numbered SQL files embedded in the binary (migrations/NNNN_name.sql),
// created in the connection's current schema (the first existing entry of search_path), so
// one database can hold independent stores side by side; without a current schema Open fails
// with CodeInvalid. Open applies the missing migrations, each in its own transaction with its
// schema_migrations row, under an advisory lock, so replicas starting together migrate once.
// A schema migrated by a newer version of this package is refused with an error wrapping
// ErrSchemaTooNew.
//
// # Storage conventions
//
// As on SQLite: times are BIGINT unix milliseconds UTC (NULL for the zero time), so they
// round-trip truncated to the millisecond and come back in UTC; maps and slices are JSON text,
// stored verbatim; empty CRM IDs and credential hashes are NULL, and CRM IDs on calls are
// first-writer-wins; a zero time a method fills in comes from Config.Now; every query is
// scoped by org. Row IDs are BIGINT GENERATED ALWAYS AS IDENTITY (never reused). Text that is
// sorted or compared is COLLATE "C", so lists sort by bytes, as on SQLite, whatever the
// database's locale.
//
// Differences from store/sqlite, all from what PostgreSQL's text type accepts: text containing
// a NUL byte or invalid UTF-8, and a key too large for a B-tree index entry (about 2.7 kB after
// compression), are refused with CodeInvalid where SQLite keeps every byte.
//
// # Errors
//
// Errors are *leadcall.Error values, mapped from SQLSTATEs: unique_violation is CodeConflict,
// foreign_key_violation CodeNotFound, data exceptions (bad encoding, out of range), index
// size limits and a DSN naming a missing database CodeInvalid, a refused login or privilege
// CodeUnauthorized, connection failures, cancellations, deadlocks, serialization
// failures and a closed store CodeUnavailable. A cancelled context keeps its error in the
// chain (errors.Is(err, context.Canceled)). Fenced job methods return an error wrapping
// leadcall.ErrLeaseLost, also for a job that does not exist or is no longer running. Messages
// name IDs, fields and SQLSTATEs, never phone numbers, tokens, hashes or the DSN's password.
//
// # Tests
//
// The package's tests need a PostgreSQL server. With LEADCALL_TEST_POSTGRES_URL set they use
// that server (each test in a schema of its own); otherwise they start a throwaway cluster
// from the server binaries (initdb and pg_ctl in PATH or /usr/lib/postgresql/*/bin, as
// Debian's postgresql package installs them; as root, run as the postgres user) on a free
// port of 127.0.0.1. Without either they skip, unless LEADCALL_REQUIRE_POSTGRES=1, in which
// case they fail.
package postgres
