// Package storebench holds the benchmarks that store/sqlite and store/postgres run alike, so
// that their figures measure the same work. It is imported only by the stores' tests.
//
// Every benchmark takes a store holding org "o" with an active campaign device "d", and
// start, the time of the first call.
package storebench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

// BatchSize is the number of calls in a batch.
const BatchSize = 100

// callers is the number of distinct numbers the calls come from.
const callers = 1000

// Batch returns batch n of BatchSize new calls on device "d", enqueued for sync, from 1,000
// callers, one a second from start.
func Batch(n int, start time.Time) []leadcall.NewCall {
	out := make([]leadcall.NewCall, BatchSize)
	for i := range out {
		k := n*BatchSize + i
		e164 := fmt.Sprintf("+9198%08d", k%callers)
		at := start.Add(time.Duration(k) * time.Second)
		out[i] = leadcall.NewCall{Enqueue: true, Call: &leadcall.Call{
			DeviceID: "d", DeviceCallID: fmt.Sprintf("call-%09d", k), NumberRaw: e164, NumberE164: e164,
			Type: leadcall.CallMissed, StartedAt: at, ReceivedAt: at, DeviceKind: device.KindCampaign,
			Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncPending, SIMNumber: "+919800000001",
		}}
	}
	return out
}

// InsertCalls measures InsertCalls with batches of new calls, each enqueued for sync.
func InsertCalls(b *testing.B, st leadcall.Store, start time.Time) {
	ctx := context.Background()
	n := 0
	for b.Loop() {
		res, err := st.InsertCalls(ctx, "o", Batch(n/BatchSize, start))
		require.NoError(b, err)
		require.True(b, res.Inserted[0])
		n += BatchSize
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// InsertCallsDuplicates measures re-sent batches: every call already stored.
func InsertCallsDuplicates(b *testing.B, st leadcall.Store, start time.Time) {
	ctx := context.Background()
	for i := range 10 {
		_, err := st.InsertCalls(ctx, "o", Batch(i, start))
		require.NoError(b, err)
	}
	n := 0
	for b.Loop() {
		res, err := st.InsertCalls(ctx, "o", Batch((n/BatchSize)%10, start))
		require.NoError(b, err)
		require.False(b, res.Inserted[0])
		n += BatchSize
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}

// ClaimComplete measures the outbox alone: claim up to 100 jobs from a backlog of 10,000
// (1,000 callers), then complete each, topping the backlog up outside the timer.
func ClaimComplete(b *testing.B, st leadcall.Store, start time.Time) {
	ctx := context.Background()
	fill := func(from int) {
		for i := from; i < from+100; i++ {
			_, err := st.InsertCalls(ctx, "o", Batch(i, start))
			require.NoError(b, err)
		}
	}
	fill(0)
	batches := 100
	now := start.Add(365 * 24 * time.Hour)
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

// ParallelAdvance measures small writes (AdvanceJob, as sync workers make them) from
// parallelism goroutines per GOMAXPROCS, over 1,000 leased jobs.
func ParallelAdvance(b *testing.B, st leadcall.Store, start time.Time, parallelism int) {
	ctx := context.Background()
	for i := range 10 {
		_, err := st.InsertCalls(ctx, "o", Batch(i, start))
		require.NoError(b, err)
	}
	jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "bench", Now: start.Add(365 * 24 * time.Hour), Lease: 24 * time.Hour, Limit: 1000})
	require.NoError(b, err)
	require.Len(b, jobs, 1000)
	var next atomic.Int64
	b.SetParallelism(parallelism)
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
