package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/postgres"
)

const benchBatch = 100

// storeBatch returns batch n of benchBatch new calls, enqueued for sync, from 1,000 callers
// (the batches of store/sqlite's benchmarks).
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

func benchStore(b *testing.B) *postgres.Store {
	b.Helper()
	st := openStore(b, newSchema(b), nil)
	seed(b, st, "o")
	return st
}

// BenchmarkRawInsert is the baseline: batches of 100 call rows inserted into the store's calls
// table with one multi-row INSERT per transaction, durably, on one connection. No outbox,
// events, idempotency or notification.
func BenchmarkRawInsert(b *testing.B) {
	dsn := newSchema(b)
	st := openStore(b, dsn, nil)
	seed(b, st, "o")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(b, err)
	defer conn.Close(ctx)
	n := 0
	for b.Loop() {
		calls := storeBatch(n / benchBatch)
		var ids, numbers []string
		var starts []int64
		for _, nc := range calls {
			ids = append(ids, nc.Call.DeviceCallID)
			numbers = append(numbers, nc.Call.NumberE164)
			starts = append(starts, nc.Call.StartedAt.UnixMilli())
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO calls (org_id, device_id, device_call_id, number_raw, number_e164, call_type,
					started_at, duration_s, sim_slot, sim_number, received_at, device_kind, rep_id, disposition, reason,
					lead_source, sync_status, outcome)
				SELECT 'o', 'd', k.id, k.number, k.number, 'missed', k.started_at, 0, 0, '+919800000001', k.started_at,
					'campaign', '', 'sync', '', '', 'pending', ''
				FROM unnest($1::text[], $2::text[], $3::bigint[]) AS k (id, number, started_at)`, ids, numbers, starts)
			return err
		})
		require.NoError(b, err)
		n += benchBatch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkInsertCalls measures InsertCalls with batches of 100 new calls, each enqueued for
// sync: the call, its outbox job, its call.ingested event (under the org's event lock, with
// a notification) and its own-number row, durably.
func BenchmarkInsertCalls(b *testing.B) {
	st := benchStore(b)
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

// BenchmarkInsertCallsParallel is BenchmarkInsertCalls from 4 goroutines at once, each a
// device of the same org uploading its own batches: they share the org's event lock, and
// (unlike one device's batches) do not wait for each other's ingest lock.
func BenchmarkInsertCallsParallel(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	const devices = 4
	for d := range devices {
		require.NoError(b, st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: fmt.Sprintf("d%d", d), Kind: device.KindCampaign, Active: true}))
	}
	var goroutines, next atomic.Int64
	b.SetParallelism((devices + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		dev := fmt.Sprintf("d%d", goroutines.Add(1)%devices)
		for pb.Next() {
			batch := storeBatch(int(next.Add(1)))
			for _, nc := range batch {
				nc.Call.DeviceID = dev
			}
			if _, err := st.InsertCalls(ctx, "o", batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkInsertCallsDuplicates measures re-sent batches: every call already stored.
func BenchmarkInsertCallsDuplicates(b *testing.B) {
	st := benchStore(b)
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
	st := benchStore(b)
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
// them) from 16 goroutines sharing the pool.
func BenchmarkParallelWrites(b *testing.B) {
	st := openStore(b, newSchema(b), &postgres.Config{MaxConns: 16})
	seed(b, st, "o")
	ctx := context.Background()
	for i := range 10 {
		_, err := st.InsertCalls(ctx, "o", storeBatch(i))
		require.NoError(b, err)
	}
	jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "bench", Now: t0.Add(365 * 24 * time.Hour), Lease: 24 * time.Hour, Limit: 1000})
	require.NoError(b, err)
	require.Len(b, jobs, 1000)
	var next atomic.Int64
	b.SetParallelism(8)
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
}
