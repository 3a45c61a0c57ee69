package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

// benchOrg is the org the Engine benchmarks create in the store they are given.
const benchOrg = "bench"

// newBenchEngine returns an Engine on st and c, with org benchOrg and campaign devices "line",
// "line-1", ... ("line" only when devices is 1), each with an open assignment for "line". The
// Engine is closed through b.Cleanup, before any store the caller registered earlier.
func newBenchEngine(b *testing.B, st leadcall.Store, c leadcall.CRM, workers, devices int) *leadcall.Engine {
	b.Helper()
	ctx := context.Background()
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: c}, Workers: workers, PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = eng.Close() })
	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: benchOrg}); err != nil {
		b.Fatal(err)
	}
	for d := range devices {
		if err := eng.CreateDevice(ctx, &leadcall.Device{OrgID: benchOrg, ID: benchDevice(d), Nickname: "Line", Kind: device.KindCampaign, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	if _, _, err := eng.SetAssignment(ctx, leadcall.SetAssignmentParams{OrgID: benchOrg, DeviceID: benchDevice(0), LeadSource: "Advertisement",
		Metadata: map[string]string{"City": "Pune"}}); err != nil {
		b.Fatal(err)
	}
	return eng
}

// benchDevice names the benchmark's d-th device.
func benchDevice(d int) string {
	if d == 0 {
		return "line"
	}
	return fmt.Sprintf("line-%d", d)
}

// benchCalls makes n calls from distinct Indian mobile numbers in mixed formats, half of them
// missed.
func benchCalls(n int, seed uint64) []leadcall.IncomingCall {
	rng := rand.New(rand.NewPCG(seed, 1))
	formats := []string{"0%d", "+91 %d", "%d", "0091%d"}
	start := time.Now().Add(-time.Hour)
	calls := make([]leadcall.IncomingCall, n)
	for i := range calls {
		num := 9000000000 + rng.Int64N(999999999)
		typ, dur := "missed", 0
		if i%2 == 0 {
			typ, dur = "inbound", 30+i%300
		}
		calls[i] = leadcall.IncomingCall{
			ID: fmt.Sprintf("b%d-%d", seed, i), Number: fmt.Sprintf(formats[i%len(formats)], num),
			Type: typ, StartedAt: start.Add(time.Duration(i) * time.Millisecond), DurationS: dur,
		}
	}
	return calls
}

// BenchEngineIngest measures durable ingest through the Engine (normalise, dispose,
// attribute, store and enqueue) in batches of 100, b.N calls in all, reported as calls/s.
// devices goroutines upload at once, each as its own device of one org, as a server sees
// them; 1 is one device sending batch after batch. st must be a new, empty store that the
// caller closes through b.Cleanup; c is the CRM the Engine is built with (no sync runs).
func BenchEngineIngest(b *testing.B, st leadcall.Store, c leadcall.CRM, devices int) {
	if devices < 1 {
		b.Fatalf("BenchEngineIngest: devices = %d, want at least 1", devices)
	}
	eng := newBenchEngine(b, st, c, 1, devices)
	ctx := context.Background()
	const batch = 100
	batches := (b.N + batch - 1) / batch
	calls := benchCalls(batches*batch, uint64(b.N))
	next := make(chan int, batches)
	for i := range batches {
		next <- i * batch
	}
	close(next)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for d := range devices {
		dev := benchDevice(d)
		wg.Go(func() {
			for i := range next {
				res, err := eng.Ingest(ctx, benchOrg, dev, calls[i:i+batch])
				if err != nil {
					b.Error(err)
					return
				}
				if res[0].Status != leadcall.IngestAccepted {
					b.Errorf("status %s", res[0].Status)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(batches*batch)/time.Since(start).Seconds(), "calls/s")
}

// BenchEngineSync measures sync throughput: b.N calls from new callers (a Lead, a Call and,
// for missed calls, a Task each in c) are ingested untimed, then drained by an Engine with
// the given number of workers, reported as calls/s. It fails unless every job ends done.
// st must be a new, empty store that the caller closes through b.Cleanup; c a new, empty CRM
// (the caller may check what it holds afterwards).
func BenchEngineSync(b *testing.B, st leadcall.Store, c leadcall.CRM, workers int) {
	if workers < 1 {
		b.Fatalf("BenchEngineSync: workers = %d, want at least 1", workers)
	}
	eng := newBenchEngine(b, st, c, workers, 1)
	ctx := context.Background()
	calls := benchCalls(b.N, uint64(b.N)+7)
	for i := 0; i < len(calls); i += 500 {
		if _, err := eng.Ingest(ctx, benchOrg, benchDevice(0), calls[i:min(i+500, len(calls))]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if err := eng.Start(); err != nil {
		b.Fatal(err)
	}
	var counts map[leadcall.JobState]int
	for {
		var err error
		if counts, err = st.JobCounts(ctx); err != nil {
			b.Fatal(err)
		}
		if counts[leadcall.JobReady]+counts[leadcall.JobRunning] == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	if counts[leadcall.JobDone] != b.N || counts[leadcall.JobDead] != 0 {
		b.Fatalf("jobs: %d done, %d dead; want %d done, none dead", counts[leadcall.JobDone], counts[leadcall.JobDead], b.N)
	}
}
