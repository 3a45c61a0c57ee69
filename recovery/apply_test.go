package recovery_test

import (
	"time"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

func TestApplyEpisodes(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())

	opened, changed, err := m.Apply(nil, miss(1, 0))
	require.NoError(t, err)
	require.False(t, changed)
	require.NotNil(t, opened)
	requireCases(t, []recovery.Case{openCase(1, 0)}, []recovery.Case{*opened})
	cur := opened

	opened, changed, err = m.Apply(cur, miss(2, 5))
	require.NoError(t, err)
	require.Nil(t, opened, "a second miss joins")
	require.True(t, changed)
	require.Equal(t, []int64{1, 2}, cur.MissedCallIDs)

	opened, changed, err = m.Apply(cur, callback(3, 6, 0))
	require.NoError(t, err)
	require.Nil(t, opened)
	require.True(t, changed)
	require.Equal(t, recovery.StatusAttempted, cur.Status)

	opened, changed, err = m.Apply(cur, answered(4, 7))
	require.NoError(t, err)
	require.Nil(t, opened)
	require.True(t, changed)
	require.Equal(t, recovery.StatusRecovered, cur.Status)
	require.Equal(t, int64(4), cur.RecoveredByCallID)

	before := *cur
	opened, changed, err = m.Apply(cur, callback(5, 8, 60))
	require.NoError(t, err)
	require.Nil(t, opened)
	require.False(t, changed, "a recovered case takes no more calls")
	requireCases(t, []recovery.Case{before}, []recovery.Case{*cur})

	opened, changed, err = m.Apply(cur, miss(6, 9))
	require.NoError(t, err)
	require.False(t, changed)
	require.NotNil(t, opened, "a miss after recovery opens a new episode")
	require.Equal(t, []int64{6}, opened.MissedCallIDs)

	// A miss after the window expires the case and opens the next one.
	cur = opened
	opened, changed, err = m.Apply(cur, miss(7, 9+week))
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, recovery.StatusExpired, cur.Status)
	require.NotNil(t, opened)
	require.Equal(t, []int64{7}, opened.MissedCallIDs)
}

func TestApplyIgnoresCallsThatDoNotCount(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	base := openCase(1, 0)
	for name, call := range map[string]recovery.Call{
		"ignored, even malformed":  {Ignored: true, NumberE164: "garbage", Type: "fax"},
		"inactive device":          with(callback(2, 1, 60), func(c *recovery.Call) { c.DeviceInactive = true }),
		"sales-rep miss":           with(miss(2, 1), func(c *recovery.Call) { c.DeviceKind = recovery.DeviceSalesRep }),
		"sales-rep miss, no case":  with(miss(2, -5), func(c *recovery.Call) { c.DeviceKind = recovery.DeviceSalesRep }),
		"ignored miss, older case": with(miss(2, -5), func(c *recovery.Call) { c.Ignored = true }),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cur := base
			cur.MissedCallIDs = []int64{1}
			opened, changed, err := m.Apply(&cur, call)
			require.NoError(t, err)
			require.Nil(t, opened)
			require.False(t, changed)
			requireCases(t, []recovery.Case{base}, []recovery.Case{cur})
		})
	}
}

func TestApplyErrors(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	attempted := openCase(1, 0)
	attempted.Status, attempted.Attempts, attempted.FirstAttemptAt, attempted.LastCallAt = recovery.StatusAttempted, 1, at(10), at(10)
	expired := openCase(1, 0)
	expired.Status = recovery.StatusExpired

	cases := []struct {
		name string
		cur  recovery.Case
		call recovery.Call
		want error
	}{
		{"a call older than the case's latest call", attempted, callback(2, 9, 60), recovery.ErrOutOfOrder},
		{"a callback dated before the miss", attempted, callback(2, -1, 60), recovery.ErrOutOfOrder},
		{"a callback inside the window of an expired case", expired, callback(2, week-1, 60), recovery.ErrOutOfOrder},
		{"a miss inside the window of an expired case", expired, miss(2, 30), recovery.ErrOutOfOrder},
		{"another number", attempted, with(callback(2, 20, 60), func(c *recovery.Call) { c.NumberE164 = other }), recovery.ErrNumberMismatch},
		{"a malformed call", attempted, with(callback(2, 20, 60), func(c *recovery.Call) { c.DurationS = -1 }), recovery.ErrInvalidCall},
		{"a zero case", recovery.Case{}, callback(2, 20, 60), recovery.ErrInvalidCase},
		{"an unknown status", func() recovery.Case { c := attempted; c.Status = "closed"; return c }(), callback(2, 20, 60), recovery.ErrInvalidCase},
		{"a case with times out of range", func() recovery.Case { c := attempted; c.LastCallAt = at(0).AddDate(-2000, 0, 0); return c }(), callback(2, 20, 60), recovery.ErrInvalidCase},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cur := tc.cur
			cur.MissedCallIDs = append([]int64(nil), tc.cur.MissedCallIDs...)
			opened, changed, err := m.Apply(&cur, tc.call)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, opened)
			require.False(t, changed)
			requireCases(t, []recovery.Case{tc.cur}, []recovery.Case{cur})
		})
	}

	// At or after the end of the window an expired case takes calls again (and ignores them).
	cur := expired
	opened, changed, err := m.Apply(&cur, callback(2, week, 60))
	require.NoError(t, err)
	require.Nil(t, opened)
	require.False(t, changed)
}

// Applying a caller's calls one by one, in time order, gives what Build gives.
func TestApplyAgreesWithBuild(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.Config{ConnectedMinSeconds: 20, Window: 3 * time.Hour})
	calls := []recovery.Call{
		miss(1, 0), callback(2, 1, 5), miss(3, 2), callback(4, 3, 19), answered(5, 200),
		miss(6, 300), callback(7, 301, 0), miss(8, 700), callback(9, 701, 25), callback(10, 702, 0),
	}
	now := at(1000)
	want, err := m.Build(calls, now)
	require.NoError(t, err)
	require.Len(t, want, 3)

	var got []recovery.Case
	var cur *recovery.Case
	for _, c := range calls {
		opened, _, err := m.Apply(cur, c)
		require.NoError(t, err)
		if opened != nil {
			if cur != nil {
				got = append(got, *cur)
			}
			cur = opened
		}
	}
	cur.Advance(now)
	got = append(got, *cur)
	requireCases(t, want, got)
}

// A copy of a stored case does not see misses applied to the original.
func TestApplyDoesNotWriteIntoCopies(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	cases, err := m.Build([]recovery.Call{miss(1, 0), miss(2, 1), miss(3, 2)}, at(10))
	require.NoError(t, err)
	a := cases[0] // MissedCallIDs has room to spare after Build's appends
	b := a
	_, _, err = m.Apply(&a, miss(4, 3))
	require.NoError(t, err)
	_, _, err = m.Apply(&b, miss(5, 3))
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3, 4}, a.MissedCallIDs)
	require.Equal(t, []int64{1, 2, 3, 5}, b.MissedCallIDs)
}
