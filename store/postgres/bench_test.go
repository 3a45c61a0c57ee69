package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/internal/storebench"
	"github.com/leadcall/leadcall/store/postgres"
)

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
		calls := storebench.Batch(n/storebench.BatchSize, t0)
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
		n += storebench.BatchSize
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkInsertCalls measures InsertCalls with batches of 100 new calls, each enqueued for
// sync: the call, its outbox job, its call.ingested event (under the org's event lock, with
// a notification) and its own-number row, durably.
func BenchmarkInsertCalls(b *testing.B) {
	st := benchStore(b)
	storebench.InsertCalls(b, st, t0)
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
			batch := storebench.Batch(int(next.Add(1)), t0)
			for _, nc := range batch {
				nc.Call.DeviceID = dev
			}
			if _, err := st.InsertCalls(ctx, "o", batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*storebench.BatchSize)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkInsertCallsDuplicates measures re-sent batches: every call already stored.
func BenchmarkInsertCallsDuplicates(b *testing.B) {
	st := benchStore(b)
	storebench.InsertCallsDuplicates(b, st, t0)
}

// BenchmarkClaimComplete measures the outbox alone: claim up to 100 jobs from a backlog of
// 10,000 (1,000 callers), then complete each, every write durable.
func BenchmarkClaimComplete(b *testing.B) {
	st := benchStore(b)
	storebench.ClaimComplete(b, st, t0)
}

// BenchmarkParallelWrites measures small durable writes (AdvanceJob, as sync workers make
// them) from 16 goroutines sharing the pool.
func BenchmarkParallelWrites(b *testing.B) {
	st := openStore(b, newSchema(b), &postgres.Config{MaxConns: 16})
	seed(b, st, "o")
	storebench.ParallelAdvance(b, st, t0, 8)
}
