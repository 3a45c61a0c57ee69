package report_test

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/report"
)

const benchCalls = 100_000

var (
	benchOnce    sync.Once
	benchFixture *fixture
)

// seedBench stores benchCalls calls over 30 days, once for every benchmark: 20,000 callers
// who call four times in a row; 60 % answered, 25 % missed and 15 % callbacks from the rep
// phones, on two campaign phones with an assignment each and two rep phones.
func seedBench(b *testing.B) *fixture {
	benchOnce.Do(func() {
		f := newFixture(b, "Asia/Kolkata", nil)
		start := time.Date(2026, 10, 22, 0, 0, 0, 0, f.loc)
		f.now = start.AddDate(0, 0, 31)
		aids := map[string]int64{
			"camp":  f.assign("camp", "Google Ads", map[string]string{"Campaign": "Diwali"}, start.Add(-time.Hour)),
			"camp2": f.assign("camp2", "Hoarding", nil, start.Add(-time.Hour)),
		}
		gap := 30 * 24 * time.Hour / benchCalls
		const batch = 2000
		calls := make([]leadcall.Call, 0, batch)
		for i := range benchCalls {
			number := "+9198" + fmt.Sprintf("%08d", (i/4)%20_000)
			at := start.Add(time.Duration(i) * gap)
			var c leadcall.Call
			switch r := i % 20; {
			case r < 12:
				c = f.call([]string{"camp", "camp2"}[i%2], number, leadcall.CallInbound, at, 30+i%600)
			case r < 17:
				c = f.call([]string{"camp", "camp2"}[i%2], number, leadcall.CallMissed, at, 0)
			default:
				c = f.call([]string{"asha-phone", "ravi-phone"}[i%2], number, leadcall.CallOutbound, at, i%3*20)
			}
			if id, ok := aids[c.DeviceID]; ok {
				c.AssignmentID, c.LeadSource = id, map[string]string{"camp": "Google Ads", "camp2": "Hoarding"}[c.DeviceID]
			}
			c.DeviceCallID = "b" + strconv.Itoa(i)
			calls = append(calls, c)
			if len(calls) == batch {
				f.insert(calls...)
				calls = calls[:0]
			}
		}
		benchFixture = f
	})
	require.NotNil(b, benchFixture)
	return benchFixture
}

// BenchmarkSummary reports a 30-day range of 100,000 calls: calls/s is calls reported per
// second of wall time (the store's reads included); live-growth-MiB is how much the live heap
// (as of each GC) grew above the benchmark's own data while reports ran.
func BenchmarkSummary(b *testing.B) {
	f := seedBench(b)
	from := time.Date(2026, 10, 22, 0, 0, 0, 0, f.loc)
	// The floor: paging through the same calls with ListCalls and nothing else.
	b.Run("read_only", func(b *testing.B) { benchReadCalls(b, f) })
	for _, g := range []report.GroupBy{report.GroupDay, report.GroupCampaign, report.GroupDevice} {
		b.Run(string(g), func(b *testing.B) {
			r, err := report.New(f.st, report.Config{Now: func() time.Time { return f.now }})
			require.NoError(b, err)
			q := report.Query{OrgID: org, From: from, To: from.AddDate(0, 0, 30), GroupBy: g}
			b.ReportAllocs()
			runtime.GC()
			base := liveHeap()
			sampler := startLiveSampler()
			var s *report.Summary
			for b.Loop() {
				s, err = r.Summary(f.ctx, q)
				require.NoError(b, err)
			}
			peak := sampler.stop()
			require.Equal(b, benchCalls*17/20, s.Totals.Calls+s.Totals.Ignored)
			require.Positive(b, s.Totals.Recovered)
			b.ReportMetric(float64(benchCalls)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
			b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "live-growth-MiB")
		})
	}
}

// liveHeap is the live heap as of the last GC.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// liveSampler records the largest live heap seen while it runs: what a report holds at once,
// not what it allocates on the way.
type liveSampler struct {
	peak atomic.Uint64
	done chan struct{}
	wg   sync.WaitGroup
}

func startLiveSampler() *liveSampler {
	s := &liveSampler{done: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			s.peak.Store(max(s.peak.Load(), liveHeap()))
			select {
			case <-s.done:
				return
			case <-t.C:
			}
		}
	})
	return s
}

func (s *liveSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak.Load()
}

func benchReadCalls(b *testing.B, f *fixture) {
	from := time.Date(2026, 10, 22, 0, 0, 0, 0, f.loc)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		filter := leadcall.CallFilter{OrgID: org, From: from, To: from.AddDate(0, 0, 30), Limit: report.DefaultPageSize}
		for {
			page, err := f.st.ListCalls(f.ctx, &filter)
			require.NoError(b, err)
			n += len(page.Items)
			if page.NextCursor == "" {
				break
			}
			filter.Cursor = page.NextCursor
		}
		require.Equal(b, benchCalls, n)
	}
	b.ReportMetric(float64(benchCalls)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
