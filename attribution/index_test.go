package attribution_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/attribution"
)

func TestIndexResolve(t *testing.T) {
	t.Parallel()
	var ix attribution.Index // the zero value is ready
	_, ok := ix.Resolve("org-1/dev-a", at(0))
	require.False(t, ok, "empty index")

	require.NoError(t, ix.Load("org-1/dev-a", []attribution.Interval{open(2, 10), closed(1, 0, 10)}))
	require.NoError(t, ix.Load("org-1/dev-b", []attribution.Interval{closed(3, 5, 6)}))
	require.Equal(t, 2, ix.Len())

	tests := []struct {
		device string
		minute int
		wantID int64
	}{
		{"org-1/dev-a", -1, 0},
		{"org-1/dev-a", 0, 1},
		{"org-1/dev-a", 10, 2},
		{"org-1/dev-a", 99_999, 2},
		{"org-1/dev-b", 5, 3},
		{"org-1/dev-b", 6, 0},
		{"org-2/dev-a", 5, 0}, // same device name, other org: another key
		{"", 5, 0},
		{strings.Repeat("x", 10_000), 5, 0},
	}
	for _, tt := range tests {
		got, ok := ix.Resolve(tt.device, at(tt.minute))
		require.Equal(t, tt.wantID != 0, ok, "%.20s at %d", tt.device, tt.minute)
		require.Equal(t, tt.wantID, got.ID, "%.20s at %d", tt.device, tt.minute)
	}
}

func TestIndexDeviceIDValidation(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"empty":     "",
		"too long":  strings.Repeat("d", attribution.MaxDeviceIDBytes+1),
		"huge":      strings.Repeat("d", 1<<20),
		"not UTF-8": "dev-\xc3\x28",
	}
	for name, id := range bad {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var ix attribution.Index
			require.ErrorIs(t, ix.Load(id, []attribution.Interval{open(1, 0)}), attribution.ErrInvalidDeviceID)
			require.ErrorIs(t, ix.Set(id, 1, at(0)), attribution.ErrInvalidDeviceID)
			_, err := ix.Close(id, at(1))
			require.ErrorIs(t, err, attribution.ErrInvalidDeviceID)
			_, err = ix.Correct(id, attribution.Correction{ID: 1, Corrected: closed(1, 0, 1), Actor: "a", Reason: "r", At: at(2)})
			require.ErrorIs(t, err, attribution.ErrInvalidDeviceID)
			require.Zero(t, ix.Len())
			require.Less(t, len(ix.Set(id, 1, at(0)).Error()), 200, "the error must not echo a huge ID")
		})
	}
	var ix attribution.Index
	longest := strings.Repeat("d", attribution.MaxDeviceIDBytes)
	require.NoError(t, ix.Set(longest, 1, at(0)))
	require.NoError(t, ix.Set("日本-端末", 1, at(0)))
	require.Equal(t, 2, ix.Len())
}

func TestIndexLoad(t *testing.T) {
	t.Parallel()
	var ix attribution.Index
	require.NoError(t, ix.Load("dev", []attribution.Interval{closed(1, 0, 10), open(2, 10)}))

	t.Run("invalid intervals leave the old timeline", func(t *testing.T) {
		err := ix.Load("dev", []attribution.Interval{open(3, 0), open(4, 5)})
		require.ErrorIs(t, err, attribution.ErrInvalidTimeline)
		require.ErrorIs(t, err, attribution.ErrMultipleOpen)
		require.Empty(t, cmp.Diff([]attribution.Interval{closed(1, 0, 10), open(2, 10)}, ix.Intervals("dev")))
	})
	t.Run("replaces", func(t *testing.T) {
		require.NoError(t, ix.Load("dev", []attribution.Interval{open(7, 100)}))
		require.Empty(t, cmp.Diff([]attribution.Interval{open(7, 100)}, ix.Intervals("dev")))
		_, ok := ix.Resolve("dev", at(5))
		require.False(t, ok, "the old history is gone")
	})
	t.Run("no intervals forgets the device", func(t *testing.T) {
		require.NoError(t, ix.Load("dev", nil))
		require.Zero(t, ix.Len())
		require.Nil(t, ix.Intervals("dev"))
		require.NoError(t, ix.Load("never-seen", []attribution.Interval{}))
		require.Zero(t, ix.Len())
	})
}

func TestIndexSetCloseCorrect(t *testing.T) {
	t.Parallel()
	var ix attribution.Index

	_, err := ix.Close("dev", at(0))
	require.ErrorIs(t, err, attribution.ErrNoOpenAssignment, "unknown device")
	_, err = ix.Correct("dev", attribution.Correction{ID: 1, Corrected: closed(1, 0, 1), Actor: "a", Reason: "r", At: at(2)})
	require.ErrorIs(t, err, attribution.ErrNotFound, "unknown device")
	require.ErrorIs(t, ix.Set("dev", 0, at(0)), attribution.ErrInvalidID)
	require.Zero(t, ix.Len(), "a failed first Set creates no device")

	require.NoError(t, ix.Set("dev", 1, at(0)))
	require.NoError(t, ix.Set("dev", 2, at(10)))
	cur, ok := ix.Current("dev")
	require.True(t, ok)
	require.Empty(t, cmp.Diff(open(2, 10), cur))

	err = ix.Set("dev", 3, at(5))
	require.ErrorIs(t, err, attribution.ErrRewritesHistory)
	require.Contains(t, err.Error(), `"dev"`, "errors name the device")

	closedIV, err := ix.Close("dev", at(20))
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(closed(2, 10, 20), closedIV))
	_, ok = ix.Current("dev")
	require.False(t, ok)
	_, err = ix.Close("dev", at(30))
	require.ErrorIs(t, err, attribution.ErrNoOpenAssignment)

	rec, err := ix.Correct("dev", attribution.Correction{ID: 1, Corrected: closed(9, 0, 10), Actor: "a", Reason: "r", At: at(40)})
	require.NoError(t, err)
	require.Equal(t, int64(1), rec.Before.ID)
	require.Equal(t, int64(9), rec.After.ID)
	got, ok := ix.Resolve("dev", at(5))
	require.True(t, ok)
	require.Equal(t, int64(9), got.ID)

	_, err = ix.Correct("dev", attribution.Correction{ID: 9, Corrected: closed(9, 0, 11), Actor: "a", Reason: "r", At: at(40)})
	require.ErrorIs(t, err, attribution.ErrOverlap)

	require.Empty(t, cmp.Diff([]attribution.Interval{closed(9, 0, 10), closed(2, 10, 20)}, ix.Intervals("dev")))
}

// TestIndexManyDevices grows the hash table, removes every other device (deletion shifts
// probe runs) and checks that every remaining device still resolves and no removed one does.
func TestIndexManyDevices(t *testing.T) {
	t.Parallel()
	const n = 5000
	var ix attribution.Index
	id := func(d int) string { return fmt.Sprintf("org-%d/device-%d", d%7, d) }
	for d := range n {
		require.NoError(t, ix.Set(id(d), int64(d+1), at(d)))
	}
	require.Equal(t, n, ix.Len())
	for d := 0; d < n; d += 2 {
		ix.Remove(id(d))
	}
	ix.Remove("never-seen")
	require.Equal(t, n/2, ix.Len())
	for d := range n {
		got, ok := ix.Resolve(id(d), at(n))
		if d%2 == 0 {
			require.False(t, ok, "removed device %d", d)
			continue
		}
		require.True(t, ok, "device %d", d)
		require.Equal(t, int64(d+1), got.ID)
	}
	for d := 0; d < n; d += 2 {
		require.NoError(t, ix.Load(id(d), []attribution.Interval{open(int64(d+1), d)}))
	}
	require.Equal(t, n, ix.Len())
	for d := range n {
		got, ok := ix.Resolve(id(d), at(n))
		require.True(t, ok, "device %d", d)
		require.Equal(t, int64(d+1), got.ID)
	}
}

// TestIndexConcurrent runs writers and readers together (meaningful under -race). Device d
// gets assignment d*1000+m+1 at minute m. Until version m exists, minute m resolves to the
// latest earlier version (still open); from then on, always to version m: so what a reader
// sees for an instant never goes back and never passes version m.
func TestIndexConcurrent(t *testing.T) {
	t.Parallel()
	const devices, versions = 8, 200
	var ix attribution.Index
	device := func(d int) string { return fmt.Sprintf("dev-%d", d) }
	version := func(d, m int) int64 { return int64(d*1000 + m + 1) }

	var wg sync.WaitGroup
	for d := range devices {
		wg.Go(func() {
			for m := range versions {
				if err := ix.Set(device(d), version(d, m), at(m)); err != nil {
					t.Errorf("Set: %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() { // churn: devices appear and disappear, growing and shrinking the table
		for i := range 500 {
			name := fmt.Sprintf("churn-%d", i%50)
			if err := ix.Load(name, []attribution.Interval{open(1, i)}); err != nil {
				t.Errorf("Load: %v", err)
				return
			}
			if i%3 == 0 {
				ix.Remove(name)
			}
		}
	})
	for r := range 4 {
		wg.Go(func() {
			seen := map[[2]int]int64{}
			for i := range 5000 {
				d, m := (i+r)%devices, (i*7+r)%versions
				got, ok := ix.Resolve(device(d), at(m).Add(30*time.Second))
				if !ok {
					continue // version 0 not set yet
				}
				if got.ID < seen[[2]int{d, m}] || got.ID < version(d, 0) || got.ID > version(d, m) {
					t.Errorf("device %d minute %d resolved to %d (before: %d)", d, m, got.ID, seen[[2]int{d, m}])
					return
				}
				seen[[2]int{d, m}] = got.ID
				_ = ix.Len()
				_, _ = ix.Current(device(d))
			}
		})
	}
	wg.Wait()
	for d := range devices {
		require.Len(t, ix.Intervals(device(d)), versions)
		require.NoError(t, attribution.Validate(ix.Intervals(device(d))))
		for m := range versions {
			got, ok := ix.Resolve(device(d), at(m))
			require.True(t, ok)
			require.Equal(t, version(d, m), got.ID)
		}
	}
}

func TestIndexResolveDoesNotAllocate(t *testing.T) {
	var ix attribution.Index
	require.NoError(t, ix.Load("dev", []attribution.Interval{closed(1, 0, 10), open(2, 10)}))
	device := strings.Clone("dev")
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := ix.Resolve(device, at(5)); !ok {
			t.Fatal("no interval")
		}
		ix.Resolve("unknown", at(5))
	})
	require.Zero(t, allocs)
}

// indexModel is the obvious implementation of an Index, for FuzzIndex.
type indexModel map[string][]attribution.Interval

// FuzzIndex drives the hash table through random loads, sets and removals on a few device
// IDs (so that probe runs collide and deletions shift them) and compares it with a map.
func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{0x10, 0x21, 0x32, 0x43, 0x80, 0x91, 0xa2, 0x01, 0x12, 0x23, 0xc0, 0xc1})
	f.Add([]byte(strings.Repeat("\x00\x81\x42\xc3", 40)))
	f.Fuzz(func(t *testing.T, ops []byte) {
		var ix attribution.Index
		model := indexModel{}
		for step, op := range ops {
			device := fmt.Sprintf("d%d", op&0x3f) // 64 IDs: the table grows to 128 slots
			switch op >> 6 {
			case 0, 1: // Set, at a time after everything so far
				id := int64(step + 1)
				require.NoError(t, ix.Set(device, id, at(step)))
				if n := len(model[device]); n > 0 && model[device][n-1].End.IsZero() {
					model[device][n-1].End = at(step)
				}
				model[device] = append(model[device], open(id, step))
			case 2:
				ix.Remove(device)
				delete(model, device)
			case 3: // Load a one-interval history
				require.NoError(t, ix.Load(device, []attribution.Interval{closed(int64(step+1), step, step+1)}))
				model[device] = []attribution.Interval{closed(int64(step+1), step, step+1)}
			}
			require.Equal(t, len(model), ix.Len(), "step %d", step)
		}
		for i := range 64 {
			device := fmt.Sprintf("d%d", i)
			require.Empty(t, cmp.Diff(model[device], ix.Intervals(device), cmpopts.EquateEmpty()), device)
		}
	})
}
