package attribution_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/attribution"
)

var (
	// Instants just inside and just outside the supported range.
	earliest   = time.Unix(0, math.MinInt64)
	latest     = time.Unix(0, math.MaxInt64-1)
	tooEarly   = earliest.Add(-time.Nanosecond)
	tooLate    = time.Unix(0, math.MaxInt64)
	farTooLate = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

func TestIntervalOpenContains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		iv       attribution.Interval
		probe    time.Time
		contains bool
	}{
		{"open, at start", open(1, 0), at(0), true},
		{"open, long after", open(1, 0), at(1_000_000), true},
		{"open, before start", open(1, 0), at(0).Add(-time.Nanosecond), false},
		{"closed, at start", closed(1, 0, 10), at(0), true},
		{"closed, last nanosecond", closed(1, 0, 10), at(10).Add(-time.Nanosecond), true},
		{"closed, at end", closed(1, 0, 10), at(10), false},
		{"zero-length, at its instant", closed(1, 5, 5), at(5), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.contains, tt.iv.Contains(tt.probe))
			require.Equal(t, tt.iv.End.IsZero(), tt.iv.Open())
		})
	}
}

func TestTimelineSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		initial []attribution.Interval
		id      int64
		at      time.Time
		wantErr error
		want    []attribution.Interval // nil: unchanged
	}{
		{
			name: "first assignment",
			id:   1, at: at(0),
			want: []attribution.Interval{open(1, 0)},
		},
		{
			name:    "closes the open one at the same instant",
			initial: []attribution.Interval{open(1, 0)},
			id:      2, at: at(30),
			want: []attribution.Interval{closed(1, 0, 30), open(2, 30)},
		},
		{
			name:    "at the open one's start leaves it zero-length",
			initial: []attribution.Interval{closed(1, 0, 10), open(2, 10)},
			id:      3, at: at(10),
			want: []attribution.Interval{closed(1, 0, 10), closed(2, 10, 10), open(3, 10)},
		},
		{
			name:    "before the open one's start",
			initial: []attribution.Interval{closed(1, 0, 10), open(2, 10)},
			id:      3, at: at(9),
			wantErr: attribution.ErrRewritesHistory,
		},
		{
			name:    "one nanosecond before the open one's start",
			initial: []attribution.Interval{open(1, 10)},
			id:      2, at: at(10).Add(-time.Nanosecond),
			wantErr: attribution.ErrRewritesHistory,
		},
		{
			name:    "after a close, at the closing instant",
			initial: []attribution.Interval{closed(1, 0, 10)},
			id:      2, at: at(10),
			want: []attribution.Interval{closed(1, 0, 10), open(2, 10)},
		},
		{
			name:    "after a close, later: the gap stays",
			initial: []attribution.Interval{closed(1, 0, 10)},
			id:      2, at: at(60),
			want: []attribution.Interval{closed(1, 0, 10), open(2, 60)},
		},
		{
			name:    "after a close, inside closed history",
			initial: []attribution.Interval{closed(1, 0, 10)},
			id:      2, at: at(5),
			wantErr: attribution.ErrRewritesHistory,
		},
		{
			name:    "zero ID",
			initial: []attribution.Interval{open(1, 0)},
			id:      0, at: at(5),
			wantErr: attribution.ErrInvalidID,
		},
		{
			name:    "ID of a closed interval",
			initial: []attribution.Interval{closed(1, 0, 10), open(2, 10)},
			id:      1, at: at(20),
			wantErr: attribution.ErrDuplicateID,
		},
		{
			name:    "ID of the open interval",
			initial: []attribution.Interval{open(1, 0)},
			id:      1, at: at(20),
			wantErr: attribution.ErrDuplicateID,
		},
		{name: "negative ID is an ID", id: -7, at: at(0), want: []attribution.Interval{open(-7, 0)}},
		{name: "zero time", id: 1, at: time.Time{}, wantErr: attribution.ErrInvalidTime},
		{name: "before 1677", id: 1, at: tooEarly, wantErr: attribution.ErrInvalidTime},
		{name: "in 2262 past the range", id: 1, at: tooLate, wantErr: attribution.ErrInvalidTime},
		{name: "year 9999", id: 1, at: farTooLate, wantErr: attribution.ErrInvalidTime},
		{
			name: "earliest instant", id: 1, at: earliest,
			want: []attribution.Interval{{ID: 1, Start: earliest}},
		},
		{
			name: "latest instant", id: 1, at: latest,
			want: []attribution.Interval{{ID: 1, Start: latest}},
		},
		{
			name: "other time zone, same instant",
			id:   1, at: at(0).In(time.FixedZone("IST", 5*3600+1800)),
			want: []attribution.Interval{open(1, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tl := mustTimeline(t, tt.initial...)
			err := tl.Set(tt.id, tt.at)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				requireIntervals(t, tt.initial, tl)
				return
			}
			require.NoError(t, err)
			requireIntervals(t, tt.want, tl)
			require.NoError(t, attribution.Validate(tl.Intervals()))
		})
	}
}

func TestTimelineClose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		initial    []attribution.Interval
		at         time.Time
		wantErr    error
		wantClosed attribution.Interval
		want       []attribution.Interval
	}{
		{
			name:       "closes the open one",
			initial:    []attribution.Interval{closed(1, 0, 10), open(2, 10)},
			at:         at(25),
			wantClosed: closed(2, 10, 25),
			want:       []attribution.Interval{closed(1, 0, 10), closed(2, 10, 25)},
		},
		{
			name:       "at its start leaves it zero-length",
			initial:    []attribution.Interval{open(1, 10)},
			at:         at(10),
			wantClosed: closed(1, 10, 10),
			want:       []attribution.Interval{closed(1, 10, 10)},
		},
		{name: "before its start", initial: []attribution.Interval{open(1, 10)}, at: at(9), wantErr: attribution.ErrRewritesHistory},
		{name: "empty timeline", at: at(0), wantErr: attribution.ErrNoOpenAssignment},
		{name: "already closed", initial: []attribution.Interval{closed(1, 0, 10)}, at: at(20), wantErr: attribution.ErrNoOpenAssignment},
		{name: "zero time", initial: []attribution.Interval{open(1, 0)}, at: time.Time{}, wantErr: attribution.ErrInvalidTime},
		{name: "out of range", initial: []attribution.Interval{open(1, 0)}, at: farTooLate, wantErr: attribution.ErrInvalidTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tl := mustTimeline(t, tt.initial...)
			got, err := tl.Close(tt.at)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				requireIntervals(t, tt.initial, tl)
				return
			}
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(tt.wantClosed, got))
			requireIntervals(t, tt.want, tl)
			_, isOpen := tl.Current()
			require.False(t, isOpen)
		})
	}
}

func TestTimelineAt(t *testing.T) {
	t.Parallel()
	// 0..10 id 1, 10..10 id 2 (zero-length), 10..20 id 3, gap 20..30, 30..30 id 4 alone in
	// its gap, 45.. id 5 open.
	tl := mustTimeline(t, closed(1, 0, 10), closed(2, 10, 10), closed(3, 10, 20), closed(4, 30, 30), open(5, 45))
	ns := time.Nanosecond
	tests := []struct {
		name   string
		probe  time.Time
		wantID int64 // 0: none
	}{
		{"before all history", at(-1), 0},
		{"at the first start", at(0), 1},
		{"last nanosecond of the first", at(10).Add(-ns), 1},
		{"at a zero-length interval's instant: the next one", at(10), 3},
		{"inside", at(15), 3},
		{"at a closed end followed by a gap", at(20), 0},
		{"in the gap", at(25), 0},
		{"zero-length interval alone in the gap", at(30), 0},
		{"just before the open one", at(45).Add(-ns), 0},
		{"at the open one's start", at(45), 5},
		{"far future", at(10_000_000), 5},
		{"latest instant", latest, 5},
		{"other time zone", at(15).In(time.FixedZone("X", -7*3600)), 3},
		{"zero time", time.Time{}, 0},
		{"before 1677", tooEarly, 0},
		{"past 2262", tooLate, 0},
		{"year 9999", farTooLate, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tl.At(tt.probe)
			require.Equal(t, tt.wantID != 0, ok)
			require.Equal(t, tt.wantID, got.ID)
			if ok {
				require.True(t, got.Contains(tt.probe))
				require.Equal(t, time.UTC, got.Start.Location())
			}
		})
	}
}

func TestTimelineAtEmpty(t *testing.T) {
	t.Parallel()
	var tl attribution.Timeline
	_, ok := tl.At(at(0))
	require.False(t, ok)
	_, ok = tl.Current()
	require.False(t, ok)
	require.Zero(t, tl.Len())
	require.Empty(t, tl.Intervals())
}

// TestTimelineAtMatchesLinearScan checks the fence-and-binary-search lookup against a scan
// over timelines of every size up to a few hundred, with gaps and zero-length intervals.
func TestTimelineAtMatchesLinearScan(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for size := 0; size <= 300; size++ {
		var tl attribution.Timeline
		minute := 0
		for id := int64(1); tl.Len() < size; id++ {
			minute += rng.IntN(3) // 0: a zero-length predecessor
			require.NoError(t, tl.Set(id, at(minute)))
			if rng.IntN(4) == 0 {
				minute += rng.IntN(3)
				_, err := tl.Close(at(minute))
				require.NoError(t, err)
				minute += rng.IntN(3)
			}
		}
		intervals := tl.Intervals()
		for probe := -2; probe <= minute+2; probe++ {
			for _, p := range []time.Time{at(probe), at(probe).Add(-time.Nanosecond)} {
				want, wantOK := linearAt(intervals, p)
				got, gotOK := tl.At(p)
				if gotOK != wantOK || !sameInterval(got, want) { // require is too slow for 10⁵ probes
					t.Fatalf("size %d, At(%v) = %+v, %v; a scan finds %+v, %v", size, p, got, gotOK, want, wantOK)
				}
			}
		}
	}
}

func TestTimelineCurrent(t *testing.T) {
	t.Parallel()
	tl := mustTimeline(t, closed(1, 0, 10), open(2, 10))
	cur, ok := tl.Current()
	require.True(t, ok)
	require.Empty(t, cmp.Diff(open(2, 10), cur))
	_, err := tl.Close(at(11))
	require.NoError(t, err)
	_, ok = tl.Current()
	require.False(t, ok)
}

// TestTimelineHistoryIsStable: once an instant resolves, later Sets and Closes never change
// the answer.
func TestTimelineHistoryIsStable(t *testing.T) {
	t.Parallel()
	var tl attribution.Timeline
	require.NoError(t, tl.Set(1, at(0)))
	call := at(5)
	before, ok := tl.At(call)
	require.True(t, ok)

	require.NoError(t, tl.Set(2, at(10)))
	require.NoError(t, tl.Set(3, at(10)))
	_, err := tl.Close(at(20))
	require.NoError(t, err)
	require.NoError(t, tl.Set(4, at(30)))
	require.ErrorIs(t, tl.Set(5, at(4)), attribution.ErrRewritesHistory)

	after, ok := tl.At(call)
	require.True(t, ok)
	require.Equal(t, int64(1), after.ID)
	require.True(t, before.Start.Equal(after.Start))
	require.Empty(t, cmp.Diff(closed(1, 0, 10), after))
}

func TestValidateAndNewTimeline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		intervals []attribution.Interval
		wantErr   error                  // besides ErrInvalidTimeline
		want      []attribution.Interval // sorted result when valid; nil: same as input
	}{
		{name: "empty"},
		{name: "one open", intervals: []attribution.Interval{open(1, 0)}},
		{name: "contiguous with gap", intervals: []attribution.Interval{closed(1, 0, 10), closed(2, 10, 20), open(3, 30)}},
		{
			name:      "any order is sorted",
			intervals: []attribution.Interval{open(3, 30), closed(1, 0, 10), closed(2, 10, 20)},
			want:      []attribution.Interval{closed(1, 0, 10), closed(2, 10, 20), open(3, 30)},
		},
		{
			name:      "zero-length before the interval that starts at its instant",
			intervals: []attribution.Interval{open(3, 10), closed(2, 10, 10), closed(1, 0, 10)},
			want:      []attribution.Interval{closed(1, 0, 10), closed(2, 10, 10), open(3, 10)},
		},
		{name: "zero ID", intervals: []attribution.Interval{closed(0, 0, 10)}, wantErr: attribution.ErrInvalidID},
		{name: "duplicate ID", intervals: []attribution.Interval{closed(1, 0, 10), open(1, 10)}, wantErr: attribution.ErrDuplicateID},
		{name: "zero start", intervals: []attribution.Interval{{ID: 1, End: at(1)}}, wantErr: attribution.ErrInvalidTime},
		{name: "start out of range", intervals: []attribution.Interval{{ID: 1, Start: farTooLate}}, wantErr: attribution.ErrInvalidTime},
		{name: "end out of range", intervals: []attribution.Interval{{ID: 1, Start: at(0), End: tooLate}}, wantErr: attribution.ErrInvalidTime},
		{name: "end before start", intervals: []attribution.Interval{closed(1, 10, 9)}, wantErr: attribution.ErrEndBeforeStart},
		{name: "overlap", intervals: []attribution.Interval{closed(1, 0, 11), closed(2, 10, 20)}, wantErr: attribution.ErrOverlap},
		{name: "same span twice", intervals: []attribution.Interval{closed(1, 0, 10), closed(2, 0, 10)}, wantErr: attribution.ErrOverlap},
		{name: "zero-length inside another", intervals: []attribution.Interval{closed(1, 0, 10), closed(2, 5, 5)}, wantErr: attribution.ErrOverlap},
		{name: "two open", intervals: []attribution.Interval{open(1, 0), open(2, 10)}, wantErr: attribution.ErrMultipleOpen},
		{name: "open before a closed one", intervals: []attribution.Interval{open(1, 0), closed(2, 10, 20)}, wantErr: attribution.ErrOverlap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			input := append([]attribution.Interval(nil), tt.intervals...)
			err := attribution.Validate(tt.intervals)
			tl, newErr := attribution.NewTimeline(tt.intervals)
			require.Empty(t, cmp.Diff(input, tt.intervals), "input must not be modified")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, attribution.ErrInvalidTimeline)
				require.ErrorIs(t, err, tt.wantErr)
				require.ErrorIs(t, newErr, tt.wantErr)
				require.Nil(t, tl)
				return
			}
			require.NoError(t, err)
			require.NoError(t, newErr)
			want := tt.want
			if want == nil {
				want = tt.intervals
			}
			requireIntervals(t, want, tl)
		})
	}
}

// TestValidateHuge: a large stored history loads, and a single fault at its end is found.
func TestValidateHuge(t *testing.T) {
	t.Parallel()
	const n = 200_000
	intervals := make([]attribution.Interval, n)
	for i := range intervals {
		intervals[i] = attribution.Interval{ID: int64(i + 1), Start: at(i), End: at(i + 1)}
	}
	intervals[n-1].End = time.Time{}
	tl, err := attribution.NewTimeline(intervals)
	require.NoError(t, err)
	require.Equal(t, n, tl.Len())
	got, ok := tl.At(at(n / 2).Add(30 * time.Second))
	require.True(t, ok)
	require.Equal(t, int64(n/2+1), got.ID)

	intervals[n-2].End = at(n) // now overlaps the last one
	require.ErrorIs(t, attribution.Validate(intervals), attribution.ErrOverlap)
}

func TestTimelineAtDoesNotAllocate(t *testing.T) {
	tl := mustTimeline(t, closed(1, 0, 10), closed(2, 10, 20), open(3, 30))
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := tl.At(at(15)); !ok {
			t.Fatal("no interval at minute 15")
		}
	})
	require.Zero(t, allocs)
}

// TestTimeRange pins the supported range to the instants that fit in int64 nanoseconds,
// bar the last one.
func TestTimeRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t     time.Time
		valid bool
	}{
		{earliest, true},
		{earliest.Add(-time.Nanosecond), false},
		{earliest.Add(-time.Second), false},
		{latest, true},
		{latest.Add(time.Nanosecond), false},
		{latest.Add(-time.Second), true},
		{latest.Add(time.Second), false},
		{time.Unix(0, 0), true},
		{time.Unix(-1, 999_999_999), true},
		{time.Time{}, false},
		{farTooLate, false},
		{time.Date(1677, 9, 21, 0, 12, 43, 145224192, time.UTC), true},
		{time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC), false},
		{time.Date(2262, 4, 11, 23, 47, 16, 854775806, time.UTC), true},
		{time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC), false},
	}
	for _, tt := range tests {
		var tl attribution.Timeline
		err := tl.Set(1, tt.t)
		if !tt.valid {
			require.ErrorIs(t, err, attribution.ErrInvalidTime, "%v", tt.t)
			continue
		}
		require.NoError(t, err, "%v", tt.t)
		got, ok := tl.At(tt.t)
		require.True(t, ok, "%v", tt.t)
		require.True(t, got.Start.Equal(tt.t), "%v", tt.t)
	}
}
