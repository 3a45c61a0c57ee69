package recovery_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

func TestCaseTimes(t *testing.T) {
	t.Parallel()
	c := openCase(1, 0)
	_, ok := c.TimeToFirstAttempt()
	require.False(t, ok)
	_, ok = c.TimeToConnect()
	require.False(t, ok)

	c.MissedCallIDs, c.LastMissedAt = []int64{1, 2}, at(10)
	c.FirstAttemptAt, c.ConnectedAt = at(12), at(30)
	d, ok := c.TimeToFirstAttempt()
	require.True(t, ok)
	require.Equal(t, 12*time.Minute, d, "measured from the first miss")
	d, ok = c.TimeToConnect()
	require.True(t, ok)
	require.Equal(t, 30*time.Minute, d)

	require.Equal(t, int64(1), c.Key())
	require.Zero(t, (&recovery.Case{}).Key())
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	mk := func(status recovery.Status, misses, attempts int, toAttempt, toConnect int) recovery.Case {
		c := openCase(1, 0)
		c.Status, c.MissCount, c.Attempts = status, misses, attempts
		if toAttempt >= 0 {
			c.FirstAttemptAt = at(toAttempt)
		}
		if toConnect >= 0 {
			c.ConnectedAt = at(toConnect)
		}
		return c
	}
	cases := []recovery.Case{
		mk(recovery.StatusOpen, 1, 0, -1, -1),
		mk(recovery.StatusAttempted, 2, 3, 4, -1),
		mk(recovery.StatusRecovered, 1, 1, 10, 10),
		mk(recovery.StatusRecovered, 1, 0, -1, 7), // the customer called back and was answered
		mk(recovery.StatusRecovered, 3, 2, 1, 20),
		mk(recovery.StatusExpired, 1, 1, 30, -1),
		mk("bogus", 0, 0, -1, -1),
	}
	got := recovery.Summarize(cases)
	want := recovery.Summary{
		Cases: 7, Open: 1, Attempted: 1, Recovered: 3, Expired: 1,
		Misses: 9, Attempts: 7,
		RecoveryRate: 3.0 / 7.0,
		// first attempts at 1, 4, 10, 30 minutes: median (4+10)/2
		WithAttempt: 4, MedianTimeToFirstAttempt: 7 * time.Minute,
		// connections at 7, 10, 20 minutes
		Connected: 3, MedianTimeToConnect: 10 * time.Minute,
	}
	require.Equal(t, want, got)
	require.Equal(t, recovery.Summary{}, recovery.Summarize(nil))
}

// The median of two huge times neither overflows nor loses the odd nanoseconds.
func TestSummarizeMedianExtremes(t *testing.T) {
	t.Parallel()
	base := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(d time.Duration) recovery.Case {
		return recovery.Case{FirstMissedAt: base, FirstAttemptAt: base.Add(d), Status: recovery.StatusAttempted}
	}
	got := recovery.Summarize([]recovery.Case{mk(math.MaxInt64), mk(math.MaxInt64 - 2)})
	require.Equal(t, time.Duration(math.MaxInt64-1), got.MedianTimeToFirstAttempt)
	got = recovery.Summarize([]recovery.Case{mk(3), mk(4)})
	require.Equal(t, time.Duration(3), got.MedianTimeToFirstAttempt, "3.5 ns rounds toward zero")
}
