// Package sqlite is leadcall's default Store: one SQLite file, pure Go (modernc.org/sqlite),
// no server to run. It passes the store/storetest conformance suite.
//
//	st, err := sqlite.Open(ctx, "/var/lib/leadcall/leadcall.db", nil)
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//
// # Durability and concurrency
//
// The file is in WAL mode. Every write runs in a BEGIN IMMEDIATE transaction on a single
// writer connection with synchronous=FULL, so a method that returns nil has fsync'd its
// change and survives power loss, not only a crash of the process. Reads use a separate pool
// of query_only connections and never wait for the writer. Foreign keys are on and
// busy_timeout is set on every connection (Config.BusyTimeout). A Store is safe for
// concurrent use; writes are serialised.
//
// Writes use group commit: a writer goroutine runs the write calls that are waiting at the
// same moment (up to Config.WriteBatch) in one transaction, each inside its own SAVEPOINT,
// and commits them with one fsync. A call that fails is rolled back to its savepoint and
// alone gets the error; every caller returns only after the shared commit. A call cancelled
// while it waits never runs; once running it completes. Under concurrency (sync workers,
// many devices) this multiplies the durable write rate several times; a lone caller sees no
// difference.
//
// Queries are prepared once and reused, and InsertCalls writes a batch with a few
// multi-row statements, so ingest costs a handful of statements per batch, not per call.
//
// # Schema and migrations
//
// The schema lives in numbered SQL files embedded in the binary (migrations/NNNN_name.sql).
// Open applies the missing ones, each in its own transaction with its row in
// schema_migrations; opening an up-to-date database changes nothing. A database migrated by a
// newer version of this package is refused with an error wrapping ErrSchemaTooNew.
//
// # Storage conventions
//
//   - Times are INTEGER unix milliseconds UTC, so every time round-trips truncated to the
//     millisecond and comes back in UTC. The zero time.Time is stored as NULL.
//   - Maps and slices (org settings, assignment metadata, SIMs, review candidates and
//     resolutions) are JSON text, so their strings are UTF-8 as encoding/json writes them.
//     Plain text columns keep every byte, NUL included.
//   - Empty CRM IDs and credential hashes are NULL. CRM IDs on calls are first-writer-wins:
//     a stored ID is never replaced and an empty one never clears it.
//   - Where a method fills in a zero time (CreatedAt, ReceivedAt, an event's At, ...) it uses
//     Config.Now and writes the value back into its argument.
//   - Every query is scoped by org. Lists for an unknown org are CodeNotFound, as are IDs
//     from another org.
//
// # Errors
//
// Errors are *leadcall.Error values: CodeInvalid for bad arguments (with Field set),
// CodeNotFound, CodeConflict for uniqueness clashes, CodeSeatLimit, and CodeUnavailable for
// transient failures (a lock held too long, a cancelled context, a closed store). Fenced job
// methods return an error wrapping leadcall.ErrLeaseLost, also for a job that does not exist
// or is no longer running. Messages name IDs and fields, never phone numbers, tokens or
// hashes.
//
// # Portability
//
// The SQL uses $N parameters, ON CONFLICT, RETURNING and partial indexes, which PostgreSQL
// reads unchanged. What is SQLite-specific is kept apart: the connection settings (sqlite.go),
// the mapping of SQLite result codes (errors.go), AUTOINCREMENT in the schema, group commit
// and statement preparation (writer.go, stmtcache.go, bulk.go), the anonymous "?"
// parameters of queries built at run time (args in call.go), and the concurrency argument of
// ClaimJobs (one writer; Postgres needs FOR UPDATE SKIP LOCKED).
package sqlite
