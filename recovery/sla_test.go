package recovery_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

func TestSLABreachRaisedExactlyOnce(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig()) // SLA 15 minutes
	calls := []recovery.Call{
		miss(1, 0), // customer: nobody calls back
		with(miss(2, 5), func(c *recovery.Call) { c.NumberE164 = other }), // other: called back in time
		with(callback(3, 10, 0), func(c *recovery.Call) { c.NumberE164 = other }),
	}
	stored, err := m.Build(calls, at(14))
	require.NoError(t, err)
	require.Len(t, stored, 2)

	require.Empty(t, m.SLABreaches(stored, at(14)), "before the deadline")
	require.Equal(t, at(15), m.SLADeadline(&stored[0]))

	raised := 0
	for _, now := range []time.Time{at(15), at(16), at(30), at(90)} {
		// Each check rebuilds the cases from the calls, as a server would, and carries over
		// the persisted flags by case key.
		cases, err := m.Build(calls, now)
		require.NoError(t, err)
		for i := range cases {
			for _, s := range stored {
				if s.Key() == cases[i].Key() {
					cases[i].SLABreached = s.SLABreached
				}
			}
		}
		for _, i := range m.SLABreaches(cases, now) {
			require.Equal(t, int64(1), cases[i].Key(), "only the case nobody called back")
			raised++
			cases[i].SLABreached = true
		}
		stored = cases
	}
	require.Equal(t, 1, raised)
}

func TestSLABreachedBy(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.Config{ConnectedMinSeconds: 1, SLA: 10 * time.Minute})
	cases := []struct {
		name  string
		calls []recovery.Call
		now   time.Time
		want  bool
	}{
		{"no attempt, deadline reached", []recovery.Call{miss(1, 0)}, at(10), true},
		{"no attempt, just before the deadline", []recovery.Call{miss(1, 0)}, at(10).Add(-time.Nanosecond), false},
		{"attempt just before the deadline", []recovery.Call{miss(1, 0), with(callback(2, 0, 0), func(c *recovery.Call) { c.StartedAt = at(10).Add(-time.Second) })}, at(60), false},
		{"attempt at the deadline is late", []recovery.Call{miss(1, 0), callback(2, 10, 0)}, at(60), true},
		{"attempt after the deadline: still breached", []recovery.Call{miss(1, 0), callback(2, 30, 60)}, at(60), true},
		{"customer answered before the deadline", []recovery.Call{miss(1, 0), answered(2, 5)}, at(60), false},
		{"customer answered after the deadline", []recovery.Call{miss(1, 0), answered(2, 11)}, at(60), true},
		{"a second miss does not move the deadline", []recovery.Call{miss(1, 0), miss(2, 9)}, at(10), true},
		{"expired without attempt", []recovery.Call{miss(1, 0)}, at(2 * week), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := m.Build(tc.calls, tc.now)
			require.NoError(t, err)
			require.Len(t, got, 1)
			require.Equal(t, tc.want, m.SLABreachedBy(&got[0], tc.now))
			// The flag only hides a breach from SLABreaches; it never creates one.
			require.Equal(t, tc.want, len(m.SLABreaches(got, tc.now)) == 1)
			got[0].SLABreached = true
			require.Empty(t, m.SLABreaches(got, tc.now))
			require.Equal(t, tc.want, m.SLABreachedBy(&got[0], tc.now))
		})
	}
	require.False(t, m.SLABreachedBy(&recovery.Case{}, at(0)), "a case without misses")
}
