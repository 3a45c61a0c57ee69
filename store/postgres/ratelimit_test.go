package postgres_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/postgres"
)

// waiter is what the test drives: a RateLimiter, or x/time/rate's in-process limiter.
type waiter interface {
	Wait(ctx context.Context) error
}

// countGrants runs two goroutines on each limiter, each taking permits until window has
// passed, and returns how many permits were granted and the time from the start to the
// last grant.
func countGrants(t *testing.T, limiters []waiter, window time.Duration) (grants int, elapsed time.Duration) {
	t.Helper()
	var (
		mu   sync.Mutex
		last time.Time
		wg   sync.WaitGroup
	)
	start := time.Now()
	ctx, cancel := context.WithDeadline(t.Context(), start.Add(window))
	defer cancel()
	for _, l := range limiters {
		for range 2 {
			wg.Go(func() {
				for {
					if err := l.Wait(ctx); err != nil {
						return // the window ended, or its end comes before the next permit
					}
					now := time.Now()
					mu.Lock()
					grants++
					if now.After(last) {
						last = now
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return grants, last.Sub(start)
}

// TestRateLimiterSharedByReplicas: two replicas' limiters of one key together never grant
// more than burst + rate × elapsed permits (plus one for rounding), counted against the
// time actually elapsed, so a slow machine only lowers the count. Two unshared in-process
// limiters of the same rate exceed that bound, which shows the count can fail.
func TestRateLimiterSharedByReplicas(t *testing.T) {
	const (
		perSecond = 40.0
		burst     = 5
		window    = 1500 * time.Millisecond
	)
	bound := func(elapsed time.Duration) float64 { return burst + perSecond*elapsed.Seconds() + 1 }

	stores := replicas(t, 2)
	key := "zoho:" + randomHex(6)
	var shared []waiter
	for _, st := range stores {
		l, err := st.RateLimiter(key, perSecond, burst)
		require.NoError(t, err)
		shared = append(shared, l)
	}
	grants, elapsed := countGrants(t, shared, window)
	t.Logf("shared: %d permits in %v (bound %.1f)", grants, elapsed, bound(elapsed))
	require.LessOrEqual(t, float64(grants), bound(elapsed))
	require.GreaterOrEqual(t, grants, burst, "the burst is granted at once")

	unshared := []waiter{rate.NewLimiter(perSecond, burst), rate.NewLimiter(perSecond, burst)}
	grants, elapsed = countGrants(t, unshared, window)
	t.Logf("unshared: %d permits in %v (bound %.1f)", grants, elapsed, bound(elapsed))
	require.Greater(t, float64(grants), bound(elapsed), "two separate buckets grant about twice the rate")
}

// TestRateLimiterGivesUpAndRefunds: a Wait whose deadline comes before its permit returns
// at once with CodeUnavailable and gives the token back; a done context takes nothing.
func TestRateLimiterGivesUpAndRefunds(t *testing.T) {
	st := replicas(t, 1)[0]
	key := "slow:" + randomHex(6)
	l, err := st.RateLimiter(key, 0.01, 1) // one permit per 100 s
	require.NoError(t, err)
	require.NoError(t, l.Wait(t.Context()), "the burst")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	began := time.Now()
	err = l.Wait(ctx)
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err))
	require.Less(t, time.Since(began), 9*time.Second, "it did not sleep towards a permit it cannot get")
	require.InDelta(t, 0, tokens(t, st, key), 0.1, "the reserved token was given back")

	done, cancel := context.WithCancel(t.Context())
	cancel()
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(l.Wait(done)))
	require.InDelta(t, 0, tokens(t, st, key), 0.1)

	// Cancelled while sleeping: the token comes back too.
	ctx, cancel = context.WithCancel(t.Context())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(l.Wait(ctx)))
	require.InDelta(t, 0, tokens(t, st, key), 0.1)
}

// tokens reads the bucket's stored tokens (in the store's schema).
func tokens(t *testing.T, st *postgres.Store, key string) float64 {
	t.Helper()
	var v float64
	require.NoError(t, st.Pool().QueryRow(t.Context(), `SELECT tokens FROM rate_buckets WHERE key = $1`, key).Scan(&v))
	return v
}

// TestRateLimiterRefusesBadArguments: keys, rates and bursts out of range are CodeInvalid.
func TestRateLimiterRefusesBadArguments(t *testing.T) {
	st := replicas(t, 1)[0]
	for _, tc := range []struct {
		name  string
		key   string
		rate  float64
		burst int
	}{
		{"empty key", "", 1, 1},
		{"huge key", strings.Repeat("k", postgres.MaxRateLimiterKey+1), 1, 1},
		{"NUL in key", "a\x00b", 1, 1},
		{"not UTF-8", "\xff\xfe", 1, 1},
		{"zero rate", "k", 0, 1},
		{"negative rate", "k", -1, 1},
		{"NaN rate", "k", math.NaN(), 1},
		{"infinite rate", "k", math.Inf(1), 1},
		{"zero burst", "k", 1, 0},
		{"huge burst", "k", 1, postgres.MaxBurst + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.RateLimiter(tc.key, tc.rate, tc.burst)
			require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%v", err)
		})
	}
	l, err := st.RateLimiter(strings.Repeat("é", postgres.MaxRateLimiterKey/2), postgres.MaxRate, postgres.MaxBurst)
	require.NoError(t, err)
	require.NoError(t, l.Wait(t.Context()))
}
