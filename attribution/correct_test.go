package attribution_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/attribution"
)

func TestTimelineCorrect(t *testing.T) {
	t.Parallel()
	// 0..10 id 1, 10..20 id 2, gap, 30..40 id 3, 40..40 id 4, 40.. id 5 open.
	initial := []attribution.Interval{closed(1, 0, 10), closed(2, 10, 20), closed(3, 30, 40), closed(4, 40, 40), open(5, 40)}
	correction := func(id int64, corrected attribution.Interval) attribution.Correction {
		return attribution.Correction{ID: id, Corrected: corrected, Actor: "manager-7", Reason: "wrong campaign", At: at(1000)}
	}
	tests := []struct {
		name    string
		c       attribution.Correction
		wantErr error
		want    []attribution.Interval // on success
	}{
		{
			name: "another payload, same bounds",
			c:    correction(2, closed(9, 10, 20)),
			want: []attribution.Interval{closed(1, 0, 10), closed(9, 10, 20), closed(3, 30, 40), closed(4, 40, 40), open(5, 40)},
		},
		{
			name: "same ID, shorter: opens a gap",
			c:    correction(2, closed(2, 10, 15)),
			want: []attribution.Interval{closed(1, 0, 10), closed(2, 10, 15), closed(3, 30, 40), closed(4, 40, 40), open(5, 40)},
		},
		{
			name: "longer, into the gap, up to the next start",
			c:    correction(2, closed(2, 10, 30)),
			want: []attribution.Interval{closed(1, 0, 10), closed(2, 10, 30), closed(3, 30, 40), closed(4, 40, 40), open(5, 40)},
		},
		{
			name: "start moved back into the gap",
			c:    correction(3, closed(3, 20, 40)),
			want: []attribution.Interval{closed(1, 0, 10), closed(2, 10, 20), closed(3, 20, 40), closed(4, 40, 40), open(5, 40)},
		},
		{
			name: "made zero-length",
			c:    correction(1, closed(1, 10, 10)),
			want: []attribution.Interval{closed(1, 10, 10), closed(2, 10, 20), closed(3, 30, 40), closed(4, 40, 40), open(5, 40)},
		},
		{
			name: "zero-length one given another payload",
			c:    correction(4, closed(8, 40, 40)),
			want: []attribution.Interval{closed(1, 0, 10), closed(2, 10, 20), closed(3, 30, 40), closed(8, 40, 40), open(5, 40)},
		},
		{name: "end past the next start", c: correction(2, closed(2, 10, 31)), wantErr: attribution.ErrOverlap},
		{name: "start before the previous end", c: correction(2, closed(2, 9, 20)), wantErr: attribution.ErrOverlap},
		{name: "end past a zero-length neighbour", c: correction(3, closed(3, 30, 41)), wantErr: attribution.ErrOverlap},
		{name: "moved past its neighbour", c: correction(1, closed(1, 50, 60)), wantErr: attribution.ErrOverlap},
		{name: "the open interval", c: correction(5, closed(5, 40, 50)), wantErr: attribution.ErrIntervalOpen},
		{name: "unknown ID", c: correction(42, closed(42, 0, 10)), wantErr: attribution.ErrNotFound},
		{name: "zero ID", c: correction(0, closed(1, 0, 10)), wantErr: attribution.ErrInvalidID},
		{name: "corrected ID zero", c: correction(1, closed(0, 0, 10)), wantErr: attribution.ErrInvalidID},
		{name: "corrected ID used by another interval", c: correction(1, closed(2, 0, 10)), wantErr: attribution.ErrDuplicateID},
		{name: "corrected ID used by the open interval", c: correction(1, closed(5, 0, 10)), wantErr: attribution.ErrDuplicateID},
		{name: "corrected interval left open", c: correction(1, open(1, 0)), wantErr: attribution.ErrInvalidCorrection},
		{name: "end before start", c: correction(2, closed(2, 15, 14)), wantErr: attribution.ErrEndBeforeStart},
		{
			name:    "start out of range",
			c:       correction(1, attribution.Interval{ID: 1, Start: tooEarly, End: at(10)}),
			wantErr: attribution.ErrInvalidTime,
		},
		{
			name:    "end out of range",
			c:       correction(3, attribution.Interval{ID: 3, Start: at(30), End: farTooLate}),
			wantErr: attribution.ErrInvalidTime,
		},
		{
			name:    "no actor",
			c:       attribution.Correction{ID: 1, Corrected: closed(1, 0, 10), Reason: "r", At: at(1000)},
			wantErr: attribution.ErrInvalidCorrection,
		},
		{
			name:    "blank reason",
			c:       attribution.Correction{ID: 1, Corrected: closed(1, 0, 10), Actor: "a", Reason: " \t\n", At: at(1000)},
			wantErr: attribution.ErrInvalidCorrection,
		},
		{
			name:    "huge reason",
			c:       attribution.Correction{ID: 1, Corrected: closed(1, 0, 10), Actor: "a", Reason: strings.Repeat("x", attribution.MaxAuditTextBytes+1), At: at(1000)},
			wantErr: attribution.ErrInvalidCorrection,
		},
		{
			name:    "actor not UTF-8",
			c:       attribution.Correction{ID: 1, Corrected: closed(1, 0, 10), Actor: "\xff\xfe", Reason: "r", At: at(1000)},
			wantErr: attribution.ErrInvalidCorrection,
		},
		{
			name:    "no time of correction",
			c:       attribution.Correction{ID: 1, Corrected: closed(1, 0, 10), Actor: "a", Reason: "r"},
			wantErr: attribution.ErrInvalidCorrection,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tl := mustTimeline(t, initial...)
			rec, err := tl.Correct(tt.c)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Zero(t, rec)
				requireIntervals(t, initial, tl)
				return
			}
			require.NoError(t, err)
			requireIntervals(t, tt.want, tl)
			require.NoError(t, attribution.Validate(tl.Intervals()))

			var before attribution.Interval
			for _, iv := range initial {
				if iv.ID == tt.c.ID {
					before = iv
				}
			}
			want := attribution.AuditRecord{
				Actor: tt.c.Actor, Reason: tt.c.Reason, At: tt.c.At,
				Before: before, After: tt.c.Corrected,
			}
			require.Empty(t, cmp.Diff(want, rec))
		})
	}
}

// TestTimelineCorrectKeepsOtherInstants: a correction changes the attribution of the
// instants in the old and new spans only.
func TestTimelineCorrectKeepsOtherInstants(t *testing.T) {
	t.Parallel()
	tl := mustTimeline(t, closed(1, 0, 10), closed(2, 10, 20), closed(3, 30, 40), open(4, 50))
	before := tl.Intervals()
	_, err := tl.Correct(attribution.Correction{ID: 3, Corrected: closed(7, 25, 35), Actor: "a", Reason: "r", At: at(100)})
	require.NoError(t, err)
	after := tl.Intervals()
	for minute := -5; minute < 60; minute++ {
		probe := at(minute)
		wasIV, was := linearAt(before, probe)
		isIV, is := tl.At(probe)
		nowIV, now := linearAt(after, probe)
		require.Equal(t, now, is)
		require.True(t, sameInterval(nowIV, isIV), "minute %d", minute)
		if minute < 25 || minute >= 40 {
			require.Equal(t, was, is, "minute %d", minute)
			require.Equal(t, wasIV.ID, isIV.ID, "minute %d", minute)
		}
	}
	got, ok := tl.At(at(27))
	require.True(t, ok)
	require.Equal(t, int64(7), got.ID)
	_, ok = tl.At(at(36))
	require.False(t, ok)
}

// TestTimelineCorrectAuditTime: the audit record's time is the caller's instant, in UTC,
// whatever zone it came in.
func TestTimelineCorrectAuditTime(t *testing.T) {
	t.Parallel()
	tl := mustTimeline(t, closed(1, 0, 10), open(2, 10))
	when := at(60).In(time.FixedZone("IST", 5*3600+1800))
	rec, err := tl.Correct(attribution.Correction{ID: 1, Corrected: closed(3, 0, 10), Actor: "a", Reason: "r", At: when})
	require.NoError(t, err)
	require.True(t, rec.At.Equal(when))
	require.Equal(t, time.UTC, rec.At.Location())
}
