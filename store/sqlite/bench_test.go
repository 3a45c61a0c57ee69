package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	msqlite "modernc.org/sqlite"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/sqlite"
)

const benchBatch = 100

// storeBatch returns batch n of benchBatch new calls, enqueued for sync, from 1,000 callers.
func storeBatch(n int) []leadcall.NewCall {
	out := make([]leadcall.NewCall, benchBatch)
	for i := range out {
		k := n*benchBatch + i
		c := call("d", fmt.Sprintf("call-%09d", k), fmt.Sprintf("+9198%08d", k%1000), t0.Add(time.Duration(k)*time.Second))
		c.SIMNumber = "+919800000001"
		out[i] = leadcall.NewCall{Call: c, Enqueue: true}
	}
	return out
}

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
		calls := storeBatch(n / benchBatch)
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
	ctx := context.Background()
	n := 0
	for b.Loop() {
		res, err := st.InsertCalls(ctx, "o", storeBatch(n/benchBatch))
		require.NoError(b, err)
		require.True(b, res.Inserted[0])
		n += benchBatch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkInsertCallsDuplicates measures re-sent batches: every call already stored.
func BenchmarkInsertCallsDuplicates(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "dup.db"), nil)
	seed(b, st)
	ctx := context.Background()
	for i := range 10 {
		_, err := st.InsertCalls(ctx, "o", storeBatch(i))
		require.NoError(b, err)
	}
	n := 0
	for b.Loop() {
		res, err := st.InsertCalls(ctx, "o", storeBatch((n/benchBatch)%10))
		require.NoError(b, err)
		require.False(b, res.Inserted[0])
		n += benchBatch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkClaimComplete measures the outbox alone: claim up to 100 jobs from a backlog of
// 10,000 (1,000 callers), then complete each, every write durable.
func BenchmarkClaimComplete(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "claim.db"), nil)
	seed(b, st)
	ctx := context.Background()
	fill := func(from int) {
		for i := from; i < from+100; i++ {
			_, err := st.InsertCalls(ctx, "o", storeBatch(i))
			require.NoError(b, err)
		}
	}
	fill(0)
	batches := 100
	now := t0.Add(365 * 24 * time.Hour)
	n := 0
	for b.Loop() {
		jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "bench", Now: now, Lease: time.Minute, Limit: 100})
		require.NoError(b, err)
		if len(jobs) == 0 {
			b.StopTimer()
			fill(batches)
			batches += 100
			b.StartTimer()
			continue
		}
		for _, j := range jobs {
			_, err := st.CompleteJob(ctx, leadcall.Fence{JobID: j.ID, LeaseToken: j.LeaseToken}, &leadcall.CompleteJobParams{Now: now})
			require.NoError(b, err)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "jobs/s")
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
			ctx := context.Background()
			for i := range 10 {
				_, err := st.InsertCalls(ctx, "o", storeBatch(i))
				require.NoError(b, err)
			}
			jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "bench", Now: t0.Add(365 * 24 * time.Hour), Lease: 24 * time.Hour, Limit: 1000})
			require.NoError(b, err)
			require.Len(b, jobs, 1000)
			var next atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					j := jobs[next.Add(1)%int64(len(jobs))]
					if err := st.AdvanceJob(ctx, leadcall.Fence{JobID: j.ID, LeaseToken: j.LeaseToken}, leadcall.StepWhoResolved,
						&leadcall.CallSyncState{OwnerID: "u", OwnerResolved: true}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
