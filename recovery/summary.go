package recovery

import (
	"slices"
	"time"
)

// Summary aggregates cases, for reports.
type Summary struct {
	// Cases is the number of cases; Open, Attempted, Recovered and Expired count them by
	// status (a case with an unknown status counts in Cases only).
	Cases, Open, Attempted, Recovered, Expired int
	// Misses and Attempts are the sums of the cases' MissCount and Attempts.
	Misses, Attempts int
	// RecoveryRate is Recovered / Cases, in [0, 1]; 0 without cases. Open and attempted
	// cases count as not (yet) recovered.
	RecoveryRate float64
	// WithAttempt is the number of cases with a first attempt, and MedianTimeToFirstAttempt
	// the median of their TimeToFirstAttempt (0 when WithAttempt is 0).
	WithAttempt              int
	MedianTimeToFirstAttempt time.Duration
	// MedianTimeToConnect is the median TimeToConnect of the cases with a connection (0 when
	// there are none).
	MedianTimeToConnect time.Duration
	// Connected is the number of cases with a connection (equal to Recovered for cases made
	// by this package).
	Connected int
}

// Summarize aggregates cases. The median of an even number of times is the mean of the two
// middle ones.
func Summarize(cases []Case) Summary {
	var s Summary
	var toAttempt, toConnect []time.Duration
	for i := range cases {
		c := &cases[i]
		s.Cases++
		switch c.Status {
		case StatusOpen:
			s.Open++
		case StatusAttempted:
			s.Attempted++
		case StatusRecovered:
			s.Recovered++
		case StatusExpired:
			s.Expired++
		}
		s.Misses += c.MissCount
		s.Attempts += c.Attempts
		if d, ok := c.TimeToFirstAttempt(); ok {
			toAttempt = append(toAttempt, d)
		}
		if d, ok := c.TimeToConnect(); ok {
			toConnect = append(toConnect, d)
		}
	}
	if s.Cases > 0 {
		s.RecoveryRate = float64(s.Recovered) / float64(s.Cases)
	}
	s.WithAttempt, s.MedianTimeToFirstAttempt = len(toAttempt), median(toAttempt)
	s.Connected, s.MedianTimeToConnect = len(toConnect), median(toConnect)
	return s
}

// median sorts ds and returns its median (0 when empty), without overflow.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	mid := len(ds) / 2
	if len(ds)%2 == 1 {
		return ds[mid]
	}
	a, b := ds[mid-1], ds[mid]
	return a/2 + b/2 + (a%2+b%2)/2
}
