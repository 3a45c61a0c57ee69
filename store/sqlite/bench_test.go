package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	msqlite "modernc.org/sqlite"

	"github.com/leadcall/leadcall/store/internal/storebench"
	"github.com/leadcall/leadcall/store/sqlite"
)

// BenchmarkRawInsert is the baseline for durable ingest: batches of 100 call rows, one
// transaction each, inserted with a plain prepared INSERT into the store's own calls table,
// on a connection with the store's settings (WAL, synchronous=FULL, BEGIN IMMEDIATE, foreign
// keys). No outbox, events or idempotency.
func BenchmarkRawInsert(b *testing.B) {
	path := filepath.Join(b.TempDir(), "raw.db")
	st := open(b, path, nil)
	seed(b, st)
	require.NoError(b, st.Close())

	conn, err := msqlite.NewConnector("file://" + path +
		"?_txlock=immediate&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_busy_timeout=10000")
	require.NoError(b, err)
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	defer db.Close()
	ctx := context.Background()

	n := 0
	for b.Loop() {
		calls := storebench.Batch(n/storebench.BatchSize, t0)
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(b, err)
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO calls (org_id, device_id, device_call_id, number_raw,
			number_e164, call_type, started_at, duration_s, sim_slot, sim_number, received_at, device_kind, rep_id,
			disposition, reason, assignment_id, lead_source, sync_status, outcome)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`)
		require.NoError(b, err)
		for _, nc := range calls {
			c := nc.Call
			_, err := stmt.ExecContext(ctx, "o", c.DeviceID, c.DeviceCallID, c.NumberRaw, c.NumberE164, string(c.Type),
				c.StartedAt.UnixMilli(), c.DurationS, c.SIMSlot, c.SIMNumber, c.ReceivedAt.UnixMilli(), string(c.DeviceKind),
				c.RepID, string(c.Disposition), string(c.Reason), nil, c.LeadSource, string(c.SyncStatus), string(c.Outcome))
			require.NoError(b, err)
			n++
		}
		require.NoError(b, stmt.Close())
		require.NoError(b, tx.Commit())
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkInsertCalls measures InsertCalls with batches of 100 new calls, each enqueued for
// sync: the call, its outbox job, its call.ingested event and its own-number row, durably.
func BenchmarkInsertCalls(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "ins.db"), nil)
	seed(b, st)
	storebench.InsertCalls(b, st, t0)
}

// BenchmarkInsertCallsDuplicates measures re-sent batches: every call already stored.
func BenchmarkInsertCallsDuplicates(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "dup.db"), nil)
	seed(b, st)
	storebench.InsertCallsDuplicates(b, st, t0)
}

// BenchmarkClaimComplete measures the outbox alone: claim up to 100 jobs from a backlog of
// 10,000 (1,000 callers), then complete each, every write durable.
func BenchmarkClaimComplete(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "claim.db"), nil)
	seed(b, st)
	storebench.ClaimComplete(b, st, t0)
}

// BenchmarkParallelWrites measures small durable writes (AdvanceJob, as sync workers make
// them) from 32 goroutines, with group commit (the default) and with every call in its own
// transaction.
func BenchmarkParallelWrites(b *testing.B) {
	for _, tc := range []struct {
		name  string
		batch int
	}{{"grouped", 0}, {"one-per-tx", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			st := open(b, filepath.Join(b.TempDir(), "par.db"), &sqlite.Config{WriteBatch: tc.batch})
			seed(b, st)
			storebench.ParallelAdvance(b, st, t0, 16)
		})
	}
}
