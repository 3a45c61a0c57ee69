package attribution_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadcall/leadcall/attribution"
)

const (
	benchDevices  = 10_000
	benchVersions = 100
	benchQueries  = 1 << 16 // power of two: the loop indexes with a mask
)

type benchQuery struct {
	deviceID string
	at       time.Time
}

type benchFixture struct {
	index   *attribution.Index
	queries []benchQuery
}

// benchData builds the index once per test binary: building 1M intervals takes longer than
// the timed loop, and the benchmark function runs several times while b.N grows.
var benchData = sync.OnceValue(func() benchFixture {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ix := &attribution.Index{}
	ids := make([]string, benchDevices)
	spans := make([][2]time.Time, benchDevices)
	nextID := int64(1)
	for d := range benchDevices {
		ids[d] = fmt.Sprintf("dev-%05d", d)
		at := base.Add(time.Duration(rng.IntN(3600)) * time.Second)
		first := at
		intervals := make([]attribution.Interval, 0, benchVersions)
		for v := range benchVersions {
			next := at.Add(time.Duration(1+rng.IntN(7*24*3600)) * time.Second)
			iv := attribution.Interval{ID: nextID, Start: at, End: next}
			if v == benchVersions-1 {
				iv.End = time.Time{} // the latest version is still open
			}
			nextID++
			intervals = append(intervals, iv)
			at = next
		}
		if err := ix.Load(ids[d], intervals); err != nil {
			panic(err)
		}
		spans[d] = [2]time.Time{first, at}
	}
	queries := make([]benchQuery, benchQueries)
	for i := range queries {
		d := rng.IntN(benchDevices)
		// Uniform over the device's history, plus a margin before it (misses) and after
		// it (the open interval).
		from := spans[d][0].Add(-24 * time.Hour)
		width := spans[d][1].Add(48 * time.Hour).Sub(from)
		// A fresh copy of the ID, as a request handler would hold one it just decoded.
		queries[i] = benchQuery{deviceID: strings.Clone(ids[d]), at: from.Add(time.Duration(rng.Int64N(int64(width))))}
	}
	return benchFixture{index: ix, queries: queries}
})

// BenchmarkAttribution resolves random (device, instant) pairs over 10,000 devices with 100
// assignment versions each. Budget (DESIGN.md §8): ≤ 200 ns/op, 0 allocs/op.
func BenchmarkAttribution(b *testing.B) {
	fx := benchData()
	b.ReportAllocs()
	found := 0
	for i := 0; b.Loop(); i++ {
		q := &fx.queries[i&(benchQueries-1)]
		if _, ok := fx.index.Resolve(q.deviceID, q.at); ok {
			found++
		}
	}
	b.ReportMetric(float64(found)/float64(b.N), "hits/op")
}

// BenchmarkAttributionParallel is the same lookup from GOMAXPROCS goroutines, to show what
// the shared read lock costs under contention.
func BenchmarkAttributionParallel(b *testing.B) {
	fx := benchData()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(benchQueries)
		for pb.Next() {
			q := &fx.queries[i&(benchQueries-1)]
			fx.index.Resolve(q.deviceID, q.at)
			i++
		}
	})
}
