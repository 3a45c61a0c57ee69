package attribution

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Errors returned by this package; test for them with [errors.Is].
var (
	// ErrInvalidTime: the instant is the zero time or outside 1677-09-21 .. 2262-04-11 (UTC).
	ErrInvalidTime = errors.New("attribution: time is zero or outside the supported range")
	// ErrInvalidID: an interval ID of zero (zero is reserved for "no interval").
	ErrInvalidID = errors.New("attribution: interval ID must not be zero")
	// ErrDuplicateID: the ID is already used by another interval of the same timeline.
	ErrDuplicateID = errors.New("attribution: interval ID already used on this timeline")
	// ErrRewritesHistory: a Set or Close before the end of recorded history.
	ErrRewritesHistory = errors.New("attribution: instant is before the end of recorded history")
	// ErrNoOpenAssignment: Close on a timeline with no open interval.
	ErrNoOpenAssignment = errors.New("attribution: no open assignment")
	// ErrNotFound: no interval with that ID (or no device with that ID in an Index).
	ErrNotFound = errors.New("attribution: not found")
	// ErrIntervalOpen: a correction aimed at the open interval; use Set or Close instead.
	ErrIntervalOpen = errors.New("attribution: the open interval cannot be corrected")
	// ErrOverlap: two intervals would overlap.
	ErrOverlap = errors.New("attribution: intervals overlap")
	// ErrMultipleOpen: more than one open interval on one timeline.
	ErrMultipleOpen = errors.New("attribution: more than one open interval")
	// ErrEndBeforeStart: an interval whose End is before its Start.
	ErrEndBeforeStart = errors.New("attribution: end before start")
	// ErrInvalidCorrection: a correction without a valid actor, reason or time, or one that
	// would leave the interval open.
	ErrInvalidCorrection = errors.New("attribution: invalid correction")
	// ErrInvalidTimeline: a list of intervals (e.g. loaded from storage) breaks an invariant;
	// the error also wraps the specific cause (ErrOverlap, ErrDuplicateID, ...).
	ErrInvalidTimeline = errors.New("attribution: invalid timeline")
	// ErrInvalidDeviceID: an empty, oversized or non-UTF-8 device ID.
	ErrInvalidDeviceID = errors.New("attribution: invalid device ID")
)

// openEnd marks the end of the open interval in the internal representation.
const openEnd = math.MaxInt64

// The instants that fit in int64 Unix nanoseconds run from math.MinInt64 to
// math.MaxInt64 - 1 (math.MaxInt64 is the open-end marker), that is from
// (minSec, minNsec) to just before (maxSec, maxNsec) in seconds and nanoseconds.
const (
	nsPerSec        = 1_000_000_000
	minSec, minNsec = math.MinInt64/nsPerSec - 1, math.MinInt64%nsPerSec + nsPerSec
	maxSec, maxNsec = math.MaxInt64 / nsPerSec, math.MaxInt64 % nsPerSec
)

// nanos converts a valid instant to Unix nanoseconds.
func nanos(t time.Time) (int64, error) {
	if !inRange(t) {
		return 0, fmt.Errorf("%w: %s", ErrInvalidTime, t.UTC().Format(time.RFC3339Nano))
	}
	return t.UnixNano(), nil
}

// inRange reports whether t is a valid instant (the zero time is far before minSec). It
// compares seconds first because it sits on the lookup path.
func inRange(t time.Time) bool {
	switch sec := t.Unix(); {
	case sec > minSec && sec < maxSec:
		return true
	case sec == minSec:
		return t.Nanosecond() >= minNsec
	case sec == maxSec:
		return t.Nanosecond() < maxNsec
	}
	return false
}

func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}

// Interval is one assignment over the half-open span [Start, End) of a device's timeline.
// The assignment's payload (Lead Source, metadata rows) is kept by the caller under ID.
type Interval struct {
	// ID identifies the assignment; never zero.
	ID int64
	// Start is the first instant the assignment applies to.
	Start time.Time
	// End is the first instant it no longer applies to; the zero time while open.
	End time.Time
}

// Open reports whether the interval has no End yet.
func (iv Interval) Open() bool { return iv.End.IsZero() }

// Contains reports whether Start <= t < End (End unset meaning forever). A zero-length
// interval contains no instant.
func (iv Interval) Contains(t time.Time) bool {
	return !t.Before(iv.Start) && (iv.Open() || t.Before(iv.End))
}

// Timeline is the assignment history of one device: intervals sorted by start, never
// overlapping, at most one open (the last). The zero value is an empty timeline ready to
// use. A Timeline is not safe for concurrent use; [Index] serialises access to its timelines.
//
// Every method either succeeds completely or returns an error and leaves the timeline as it
// was. A copy of a Timeline shares its storage; NewTimeline(tl.Intervals()) makes an
// independent one.
type Timeline struct {
	entries []entry
	// fences[j] is the start of entries[fencePos(j, len(entries))]: a sample of the starts
	// kept next to the slice header, so that a lookup narrows the search to about
	// len/fenceCount entries without touching memory elsewhere.
	fences [fenceCount]int64
}

// fenceCount makes a Timeline 104 bytes, so that an [Index] slot holding one is 128 bytes:
// a lookup reads the fences from the slot it hashed to.
const fenceCount = 10

// scanMax is the span below which a lookup scans instead of bisecting.
const scanMax = 16

// entry is one interval; end is openEnd while open.
type entry struct{ start, end, id int64 }

// fencePos returns the index of the entry that fence j samples, for n > 0 entries.
func fencePos(j, n int) int { return j * n / fenceCount }

// refence recomputes the fences after the starts changed.
func (tl *Timeline) refence() {
	n := len(tl.entries)
	if n == 0 {
		tl.fences = [fenceCount]int64{}
		return
	}
	for j := range tl.fences {
		tl.fences[j] = tl.entries[fencePos(j, n)].start
	}
}

// NewTimeline builds a timeline from stored intervals, in any order, after checking them
// with [Validate]. The slice is not retained.
func NewTimeline(intervals []Interval) (*Timeline, error) {
	recs, err := normalise(intervals)
	if err != nil {
		return nil, err
	}
	tl := &Timeline{entries: recs}
	tl.refence()
	return tl, nil
}

// Validate reports whether intervals, in any order, form a valid timeline: non-zero unique
// IDs; valid instants; End not before Start; no overlaps; at most one open interval, and it
// is the latest. A failure wraps [ErrInvalidTimeline] and the specific cause.
func Validate(intervals []Interval) error {
	_, err := normalise(intervals)
	return err
}

// normalise converts, sorts and validates intervals.
func normalise(intervals []Interval) ([]entry, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTimeline}, args...)...)
	}
	recs := make([]entry, len(intervals))
	seen := make(map[int64]struct{}, len(intervals))
	for i, iv := range intervals {
		if iv.ID == 0 {
			return nil, invalid("interval %d: %w", i, ErrInvalidID)
		}
		if _, dup := seen[iv.ID]; dup {
			return nil, invalid("interval %d: %w: %d", i, ErrDuplicateID, iv.ID)
		}
		seen[iv.ID] = struct{}{}
		start, err := nanos(iv.Start)
		if err != nil {
			return nil, invalid("interval %d (id %d) start: %w", i, iv.ID, err)
		}
		end := int64(openEnd)
		if !iv.Open() {
			if end, err = nanos(iv.End); err != nil {
				return nil, invalid("interval %d (id %d) end: %w", i, iv.ID, err)
			}
			if end < start {
				return nil, invalid("interval %d (id %d): %w", i, iv.ID, ErrEndBeforeStart)
			}
		}
		recs[i] = entry{start: start, end: end, id: iv.ID}
	}
	// Sorting by (start, end) puts a zero-length interval before the one that starts at
	// the same instant, which is the only order in which they do not overlap.
	slices.SortFunc(recs, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
	})
	for i := 1; i < len(recs); i++ {
		prev, cur := recs[i-1], recs[i]
		if prev.end == openEnd && cur.end == openEnd {
			return nil, invalid("ids %d and %d: %w", prev.id, cur.id, ErrMultipleOpen)
		}
		if prev.end > cur.start {
			return nil, invalid("ids %d and %d: %w", prev.id, cur.id, ErrOverlap)
		}
	}
	return recs, nil
}

// Len returns the number of intervals, zero-length ones included.
func (tl *Timeline) Len() int { return len(tl.entries) }

// Intervals returns a copy of the history, oldest first.
func (tl *Timeline) Intervals() []Interval {
	out := make([]Interval, len(tl.entries))
	for i, e := range tl.entries {
		out[i] = e.interval()
	}
	return out
}

// Current returns the open interval, if there is one.
func (tl *Timeline) Current() (Interval, bool) {
	last := len(tl.entries) - 1
	if last < 0 || tl.entries[last].end != openEnd {
		return Interval{}, false
	}
	return tl.entries[last].interval(), true
}

func (e entry) interval() Interval {
	iv := Interval{ID: e.id, Start: fromNanos(e.start)}
	if e.end != openEnd {
		iv.End = fromNanos(e.end)
	}
	return iv
}

// At returns the interval active at t (Start <= t < End), if any. It does not allocate.
func (tl *Timeline) At(t time.Time) (Interval, bool) {
	i := tl.find(t)
	if i < 0 {
		return Interval{}, false
	}
	return tl.entries[i].interval(), true
}

// find returns the index of the interval containing t, or -1.
func (tl *Timeline) find(t time.Time) int {
	if !inRange(t) {
		return -1
	}
	n := t.UnixNano()
	entries := tl.entries
	if len(entries) == 0 || n < tl.fences[0] {
		return -1
	}
	// Intervals do not overlap, so only the last one starting at or before n can hold it;
	// taking the last of equal starts skips zero-length intervals. The fences narrow the
	// search to [lo, hi) with entries[lo].start <= n < entries[hi].start (hi = len: +inf).
	j := 1
	for j < fenceCount && tl.fences[j] <= n {
		j++
	}
	lo, hi := fencePos(j-1, len(entries)), len(entries)
	if j < fenceCount {
		hi = fencePos(j, len(entries))
	}
	for hi-lo > scanMax {
		m := int(uint(lo+hi) >> 1)
		if entries[m].start <= n {
			lo = m
		} else {
			hi = m
		}
	}
	// Count the starts <= n in the short rest. Unlike binary search, the loads do not wait
	// on each other, so the cache misses overlap.
	i := lo
	for _, e := range entries[lo+1 : hi] {
		if e.start <= n {
			i++
		}
	}
	if n >= entries[i].end {
		return -1
	}
	return i
}

// indexOf returns the index of the interval with the given ID, or -1.
func (tl *Timeline) indexOf(id int64) int {
	return slices.IndexFunc(tl.entries, func(e entry) bool { return e.id == id })
}

// Set closes the open interval (if any) at at, and opens interval id starting at at.
//
// at must not be before the open interval's Start, nor before the End of the last closed
// interval ([ErrRewritesHistory]). Setting at exactly the open interval's Start leaves that
// interval as the zero-length [at, at), which never matches. id must be non-zero and unused
// on this timeline.
func (tl *Timeline) Set(id int64, at time.Time) error {
	if id == 0 {
		return fmt.Errorf("set: %w", ErrInvalidID)
	}
	n, err := nanos(at)
	if err != nil {
		return fmt.Errorf("set %d: %w", id, err)
	}
	if tl.indexOf(id) >= 0 {
		return fmt.Errorf("set: %w: %d", ErrDuplicateID, id)
	}
	if last := len(tl.entries) - 1; last >= 0 {
		e := &tl.entries[last]
		floor := e.end // history ends at the last End ...
		if floor == openEnd {
			floor = e.start // ... or, while open, at its Start
		}
		if n < floor {
			return fmt.Errorf("set %d at %s, history ends at %s: %w",
				id, formatNanos(n), formatNanos(floor), ErrRewritesHistory)
		}
		if e.end == openEnd {
			e.end = n
		}
	}
	tl.entries = append(tl.entries, entry{start: n, end: openEnd, id: id})
	tl.refence()
	return nil
}

// Close ends the open interval at at and returns it as closed. With no open interval it
// returns [ErrNoOpenAssignment]; callers for whom that is fine (deactivating a device that
// has none) test for it with [errors.Is]. at must not be before the open interval's Start
// ([ErrRewritesHistory]); at equal to it leaves a zero-length interval.
func (tl *Timeline) Close(at time.Time) (Interval, error) {
	n, err := nanos(at)
	if err != nil {
		return Interval{}, fmt.Errorf("close: %w", err)
	}
	last := len(tl.entries) - 1
	if last < 0 || tl.entries[last].end != openEnd {
		return Interval{}, fmt.Errorf("close: %w", ErrNoOpenAssignment)
	}
	e := &tl.entries[last]
	if n < e.start {
		return Interval{}, fmt.Errorf("close %d at %s, it starts at %s: %w",
			e.id, formatNanos(n), formatNanos(e.start), ErrRewritesHistory)
	}
	e.end = n
	return e.interval(), nil
}

func formatNanos(n int64) string { return fromNanos(n).Format(time.RFC3339Nano) }
