package export_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/export"
)

// benchCalls is the size of the benchmark org; one call every callGap, newest last.
const (
	benchCalls = 100_000
	callGap    = 90 * time.Second
	callers    = 20_000
)

// callerOf gives call i's caller: each caller makes 4 calls in a row (6 minutes), and the
// pool of callers comes round again after 80,000 calls (83 days), as repeat customers do.
func callerOf(i int) int { return (i / 4) % callers }

// seedBench stores benchCalls calls of a realistic mix in org "bench": two campaign phones
// with assignments and a rep's phone; 60% answered, 25% missed, 15% callbacks (see callerOf),
// so that recovery cases of every status form.
func seedBench(b *testing.B) leadcall.Store {
	b.Helper()
	st := openStore(b)
	createOrg(b, st, "bench", "Asia/Kolkata")
	createDevice(b, st, "bench", "camp-1", "Billboard, MG Road", device.KindCampaign)
	createDevice(b, st, "bench", "camp-2", "Radio 93.5", device.KindCampaign)
	createDevice(b, st, "bench", "rep-1", "Asha", device.KindSalesRep)
	aids := map[string]int64{
		"camp-1": setAssignment(b, st, "bench", "camp-1", "Hoarding", map[string]string{"city": "Pune", "campaign": "Diwali", "slot": "A"}),
		"camp-2": setAssignment(b, st, "bench", "camp-2", "Radio", map[string]string{"station": "93.5", "show": "Morning"}),
	}
	start := t0
	const batch = 2_000
	ncs := make([]leadcall.NewCall, 0, batch)
	for i := range benchCalls {
		at := start.Add(time.Duration(i) * callGap)
		number := "+9198" + fmt.Sprintf("%08d", callerOf(i))
		c := &leadcall.Call{
			DeviceCallID: "b" + strconv.Itoa(i), NumberRaw: number, NumberE164: number,
			StartedAt: at, ReceivedAt: at, Disposition: leadcall.DispositionSync,
		}
		switch r := i % 20; {
		case r < 12:
			c.Type, c.DurationS = leadcall.CallInbound, 30+i%600
		case r < 17:
			c.Type = leadcall.CallMissed
		default:
			c.Type, c.DurationS = leadcall.CallOutbound, i%90
		}
		if c.Type == leadcall.CallOutbound {
			c.DeviceID, c.DeviceKind = "rep-1", device.KindSalesRep
			c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionLocal, leadcall.ReasonOutbound, leadcall.SyncNone
		} else {
			c.DeviceID, c.DeviceKind = "camp-"+strconv.Itoa(1+i%2), device.KindCampaign
			c.AssignmentID = aids[c.DeviceID]
			c.LeadSource = map[string]string{"camp-1": "Hoarding", "camp-2": "Radio"}[c.DeviceID]
			c.SyncStatus, c.Outcome = leadcall.SyncSynced, leadcall.OutcomeLinkedLead
			c.CRM = leadcall.CRMRefs{LeadID: "5725767000" + strconv.Itoa(i), CallID: "5725767001" + strconv.Itoa(i)}
		}
		ncs = append(ncs, leadcall.NewCall{Call: c})
		if len(ncs) == batch || i == benchCalls-1 {
			_, err := st.InsertCalls(context.Background(), "bench", ncs)
			require.NoError(b, err)
			ncs = ncs[:0]
		}
	}
	return st
}

// countingWriter counts the bytes of the CSV and drops them.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// heapSampler records the largest HeapInuse and the largest live heap (as of the last GC,
// runtime/metrics /gc/heap/live:bytes) seen while it runs.
type heapSampler struct {
	inuse, live atomic.Uint64
	stop        chan struct{}
	wg          sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			runtime.ReadMemStats(&ms)
			s.inuse.Store(max(s.inuse.Load(), ms.HeapInuse))
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				s.live.Store(max(s.live.Load(), sample[0].Value.Uint64()))
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// Stop ends sampling and returns the peaks.
func (s *heapSampler) Stop() (inuse, live uint64) {
	close(s.stop)
	s.wg.Wait()
	return s.inuse.Load(), s.live.Load()
}

// BenchmarkExport100k exports the newest 10,000 and all 100,000 calls of one org: B/row
// (bytes allocated per row), the peak HeapInuse and the peak live heap should be about the
// same for both, showing that memory does not grow with the number of rows. The peaks
// include the store and the benchmark's own state.
func BenchmarkExport100k(b *testing.B) {
	st := seedBench(b)
	last := t0.Add(time.Duration(benchCalls-1) * callGap)
	for _, rows := range []int{10_000, benchCalls} {
		b.Run("rows="+strconv.Itoa(rows), func(b *testing.B) {
			f := leadcall.CallFilter{OrgID: "bench", From: last.Add(-time.Duration(rows-1) * callGap)}
			opts := export.Options{Now: fixedNow(last.Add(time.Hour))}
			ctx := context.Background()
			runtime.GC()
			baseline := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			metrics.Read(baseline)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			sampler := startHeapSampler()
			var w countingWriter
			for b.Loop() {
				n, err := export.WriteCalls(ctx, &w, st, f, opts)
				if err != nil || n != rows {
					b.Fatalf("n=%d err=%v, want %d rows", n, err, rows)
				}
			}
			peak, live := sampler.Stop()
			runtime.ReadMemStats(&after)
			total := float64(b.N) * float64(rows)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B/row")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
			b.ReportMetric(float64(w.n)/total, "csvB/row")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(live)/(1<<20), "peak-live-MiB")
			b.ReportMetric((float64(live)-float64(baseline[0].Value.Uint64()))/(1<<20), "live-growth-MiB")
		})
	}
}
