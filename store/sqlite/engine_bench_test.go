package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/sqlite"
)

// newBenchEngine returns an Engine on a fresh SQLite file with one org and one campaign device
// that has an open assignment.
func newBenchEngine(b *testing.B, workers int) (*leadcall.Engine, *sqlite.Store, *memcrm.CRM) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	c := memcrm.New(nil)
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: c}, Workers: workers, PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = eng.Close() })
	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: "bench"}); err != nil {
		b.Fatal(err)
	}
	if err := eng.CreateDevice(ctx, &leadcall.Device{OrgID: "bench", ID: "line", Nickname: "Line", Kind: device.KindCampaign, Active: true}); err != nil {
		b.Fatal(err)
	}
	if _, _, err := eng.SetAssignment(ctx, leadcall.SetAssignmentParams{OrgID: "bench", DeviceID: "line", LeadSource: "Advertisement",
		Metadata: map[string]string{"City": "Pune"}}); err != nil {
		b.Fatal(err)
	}
	return eng, st, c
}

// engineBenchCalls makes n calls from distinct Indian mobile numbers in mixed formats.
func engineBenchCalls(n int, seed uint64) []leadcall.IncomingCall {
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

// BenchmarkIngest measures durable ingest through the Engine (normalise, dispose, attribute,
// store and enqueue, synchronous=FULL) in batches of 100: "sequential" is one device sending
// batch after batch; "devices=4" is four devices uploading at once, as a server sees them,
// whose transactions the store commits together. Compare with BenchmarkRawInsert, a plain
// batched INSERT into the same kind of file, run by the same command.
func BenchmarkIngest(b *testing.B) {
	b.Run("sequential", func(b *testing.B) { benchIngest(b, 1) })
	b.Run("devices=4", func(b *testing.B) { benchIngest(b, 4) })
}

func benchIngest(b *testing.B, devices int) {
	eng, _, _ := newBenchEngine(b, 1)
	ctx := context.Background()
	const batch = 100
	for d := 1; d < devices; d++ {
		if err := eng.CreateDevice(ctx, &leadcall.Device{OrgID: "bench", ID: fmt.Sprintf("line-%d", d), Nickname: "Line", Kind: device.KindCampaign, Active: true}); err != nil {
			b.Fatal(err)
		}
	}
	batches := (b.N + batch - 1) / batch
	calls := engineBenchCalls(batches*batch, uint64(b.N))
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
		dev := "line"
		if d > 0 {
			dev = fmt.Sprintf("line-%d", d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := eng.Ingest(ctx, "bench", dev, calls[i:i+batch])
				if err != nil {
					b.Error(err)
					return
				}
				if res[0].Status != leadcall.IngestAccepted {
					b.Errorf("status %s", res[0].Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(batches*batch)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkSync measures sync throughput with memcrm: b.N new callers (a Lead, a Call and, for
// missed calls, a Task each) drained by the Engine's workers.
func BenchmarkSync(b *testing.B) {
	eng, st, c := newBenchEngine(b, 64)
	ctx := context.Background()
	calls := engineBenchCalls(b.N, uint64(b.N)+7)
	for i := 0; i < len(calls); i += 500 {
		if _, err := eng.Ingest(ctx, "bench", "line", calls[i:min(i+500, len(calls))]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if err := eng.Start(); err != nil {
		b.Fatal(err)
	}
	for {
		counts, err := st.JobCounts(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if counts[leadcall.JobReady]+counts[leadcall.JobRunning] == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	if got := c.Counts().Calls; got != b.N {
		b.Fatalf("CRM holds %d calls, want %d", got, b.N)
	}
}
