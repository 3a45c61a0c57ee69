package attribution_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/leadcall/leadcall/attribution"
)

// fuzzTime maps a byte to an instant: mostly whole and half minutes in [0, 64), so that
// equal instants are frequent, and now and then an invalid one.
func fuzzTime(b byte) time.Time {
	switch b {
	case 0xff:
		return time.Time{}
	case 0xfe:
		return farTooLate
	}
	t := at(int(b % 64))
	if b&0x40 != 0 {
		t = t.Add(30 * time.Second)
	}
	return t
}

// probes are the instants at which every fuzzed timeline is resolved.
var probes = func() []time.Time {
	var ps []time.Time
	for m := -1; m <= 66; m++ {
		ps = append(ps, at(m), at(m).Add(30*time.Second), at(m).Add(-time.Nanosecond))
	}
	return ps
}()

// historyEnd is the instant before which Set and Close may not reach (zero: no history).
func historyEnd(intervals []attribution.Interval) time.Time {
	if len(intervals) == 0 {
		return time.Time{}
	}
	last := intervals[len(intervals)-1]
	if last.Open() {
		return last.Start
	}
	return last.End
}

func validInstant(t time.Time) bool { return !t.IsZero() && t.Year() < 2262 }

func hasID(intervals []attribution.Interval, id int64) bool {
	for _, iv := range intervals {
		if iv.ID == id {
			return true
		}
	}
	return false
}

// checkInvariants fails unless intervals form a timeline, checked pairwise without the
// package's own Validate.
func checkInvariants(t *testing.T, intervals []attribution.Interval) {
	t.Helper()
	seen := map[int64]bool{}
	for i, iv := range intervals {
		if iv.ID == 0 || seen[iv.ID] {
			t.Fatalf("interval %d: zero or repeated ID %d in %v", i, iv.ID, intervals)
		}
		seen[iv.ID] = true
		if iv.Open() && i != len(intervals)-1 {
			t.Fatalf("open interval %d is not the last: %v", i, intervals)
		}
		if !iv.Open() && iv.End.Before(iv.Start) {
			t.Fatalf("interval %d ends before it starts: %v", i, iv)
		}
		for _, later := range intervals[i+1:] {
			if later.Start.Before(iv.Start) || (!iv.Open() && later.Start.Before(iv.End)) {
				t.Fatalf("intervals %v and %v are out of order or overlap", iv, later)
			}
		}
	}
}

func resolveAll(tl *attribution.Timeline) []attribution.Interval {
	out := make([]attribution.Interval, len(probes))
	for i, p := range probes {
		out[i], _ = tl.At(p) // a zero Interval stands for "not found"
	}
	return out
}

// FuzzTimeline applies random sequences of Set, Close and Correct at random instants, and
// checks after each step: the invariants hold; a failed operation changed nothing and failed
// for the reason a naive reading of the rules gives; Set produces contiguous intervals; At
// agrees with a linear scan; Set and Close never change the attribution of an earlier
// instant, and Correct changes it only inside the old and new spans.
func FuzzTimeline(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 5, 0, 1, 9, 0, 0, 9, 0, 3, 0, 2})
	f.Add([]byte{0, 10, 0, 4, 0, 0, 0, 10, 0, 2, 10, 0, 0, 20, 0, 3, 1, 30})
	f.Add([]byte{0, 1, 0, 0, 3, 0, 2, 8, 0, 0, 12, 0, 3, 0, 0x45, 3, 1, 0x50, 0, 2, 0x10})
	f.Add([]byte{0, 0xff, 0, 0, 0xfe, 0, 0, 5, 16, 2, 4, 0, 3, 7, 7, 0, 5, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		// Every step checks in O(len²); 100 steps say all there is to say about 64 minutes.
		if len(ops) > 300 {
			ops = ops[:300]
		}
		var tl attribution.Timeline
		nextID := int64(1)
		for ; len(ops) >= 3; ops = ops[3:] {
			kind, a, b := ops[0]%5, ops[1], ops[2]
			before := tl.Intervals()
			resolvedBefore := resolveAll(&tl)
			var (
				err     error
				wantErr error     // nil: the naive rules say it succeeds
				keepTo  time.Time // resolutions before this instant must not change
				span    [2]time.Time
			)
			switch kind {
			case 0, 1, 4: // Set; kind 4 at the open interval's start
				when := fuzzTime(a)
				if cur, ok := tl.Current(); kind == 4 && ok {
					when = cur.Start
				}
				id := nextID
				switch {
				case b == 0:
					id = 0
				case b < 16 && len(before) > 0:
					id = before[int(b)%len(before)].ID
				default:
					nextID++
				}
				switch {
				case id == 0:
					wantErr = attribution.ErrInvalidID
				case !validInstant(when):
					wantErr = attribution.ErrInvalidTime
				case hasID(before, id):
					wantErr = attribution.ErrDuplicateID
				case when.Before(historyEnd(before)):
					wantErr = attribution.ErrRewritesHistory
				}
				err = tl.Set(id, when)
				keepTo = when
				if err == nil {
					after := tl.Intervals()
					if n := len(before); n > 0 && before[n-1].Open() && !after[n-1].End.Equal(when) {
						t.Fatalf("Set at %v: the previous interval ends at %v, not contiguous", when, after[n-1].End)
					}
				}
			case 2: // Close
				when := fuzzTime(a)
				_, hasOpen := tl.Current()
				switch {
				case !validInstant(when):
					wantErr = attribution.ErrInvalidTime
				case !hasOpen:
					wantErr = attribution.ErrNoOpenAssignment
				case when.Before(historyEnd(before)):
					wantErr = attribution.ErrRewritesHistory
				}
				_, err = tl.Close(when)
				keepTo = when
			case 3: // Correct
				if len(before) == 0 {
					continue
				}
				i := int(a) % len(before)
				target := before[i]
				corrected := attribution.Interval{ID: target.ID, Start: fuzzTime(a / 4 * 3), End: fuzzTime(b)}
				if b&0x80 != 0 {
					corrected.ID = nextID
					nextID++
				}
				c := attribution.Correction{ID: target.ID, Corrected: corrected, Actor: "fuzz", Reason: "fuzz", At: at(1000)}
				proposed := append([]attribution.Interval(nil), before...)
				proposed[i] = corrected
				switch {
				case corrected.End.IsZero():
					wantErr = attribution.ErrInvalidCorrection
				case !validInstant(corrected.Start) || !validInstant(corrected.End):
					wantErr = attribution.ErrInvalidTime
				case corrected.End.Before(corrected.Start):
					wantErr = attribution.ErrEndBeforeStart
				case target.Open():
					wantErr = attribution.ErrIntervalOpen
				case overlapsAny(proposed):
					wantErr = attribution.ErrOverlap
				}
				_, err = tl.Correct(c)
				span = [2]time.Time{minTime(target.Start, corrected.Start), maxTime(target.End, corrected.End)}
			}

			after := tl.Intervals()
			if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
				t.Fatalf("op %d on %v: got error %v, want %v", kind, before, err, wantErr)
			}
			if err != nil {
				if diff := cmp.Diff(before, after, cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("failed op %d changed the timeline (-before +after):\n%s", kind, diff)
				}
				continue
			}
			checkInvariants(t, after)

			resolved := resolveAll(&tl)
			for k, p := range probes {
				want, _ := linearAt(after, p)
				if !sameInterval(want, resolved[k]) {
					t.Fatalf("At(%v) = %v, a scan of %v finds %v", p, resolved[k], after, want)
				}
				// The attribution is the ID (and its start); an open interval that got
				// closed since still attributes the same instants.
				changed := resolvedBefore[k].ID != resolved[k].ID || !resolvedBefore[k].Start.Equal(resolved[k].Start)
				if changed && kind != 3 && p.Before(keepTo) {
					t.Fatalf("op %d at %v changed the past: At(%v) was %v, is %v", kind, keepTo, p, resolvedBefore[k], resolved[k])
				}
				if changed && kind == 3 && (p.Before(span[0]) || !p.Before(span[1])) {
					t.Fatalf("correction of %v changed At(%v) outside its span: was %v, is %v", span, p, resolvedBefore[k], resolved[k])
				}
			}
		}
	})
}

// overlapsAny reports whether the intervals, in their order, overlap or are out of order.
func overlapsAny(intervals []attribution.Interval) bool {
	for i, iv := range intervals {
		for _, later := range intervals[i+1:] {
			if later.Start.Before(iv.Start) || iv.Open() || later.Start.Before(iv.End) {
				return true
			}
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
