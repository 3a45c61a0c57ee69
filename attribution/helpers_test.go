package attribution_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leadcall/leadcall/attribution"
)

// t0 is the origin of the test timelines; at(m) is m minutes after it.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// closed and open build expected intervals in minutes from t0.
func closed(id int64, start, end int) attribution.Interval {
	return attribution.Interval{ID: id, Start: at(start), End: at(end)}
}

func open(id int64, start int) attribution.Interval {
	return attribution.Interval{ID: id, Start: at(start)}
}

// mustTimeline builds a timeline from valid intervals.
func mustTimeline(t testing.TB, intervals ...attribution.Interval) *attribution.Timeline {
	t.Helper()
	tl, err := attribution.NewTimeline(intervals)
	if err != nil {
		t.Fatalf("NewTimeline: %v", err)
	}
	return tl
}

// requireIntervals fails unless tl holds exactly want (times compared with Equal).
func requireIntervals(t testing.TB, want []attribution.Interval, tl *attribution.Timeline) {
	t.Helper()
	if diff := cmp.Diff(want, tl.Intervals(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("intervals (-want +got):\n%s", diff)
	}
}

// linearAt is the obvious definition of a lookup, against which the fast one is checked.
func linearAt(intervals []attribution.Interval, t time.Time) (attribution.Interval, bool) {
	var found []attribution.Interval
	for _, iv := range intervals {
		if !t.Before(iv.Start) && (iv.End.IsZero() || t.Before(iv.End)) {
			found = append(found, iv)
		}
	}
	switch len(found) {
	case 0:
		return attribution.Interval{}, false
	case 1:
		return found[0], true
	default:
		panic("overlapping intervals") // the caller's invariant check reports this better
	}
}

func sameInterval(a, b attribution.Interval) bool {
	return a.ID == b.ID && a.Start.Equal(b.Start) && a.End.Equal(b.End)
}
