package recovery_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/phone"
	"github.com/leadcall/leadcall/recovery"
)

func TestBuildMatching(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cfg   recovery.Config // zero: DefaultConfig
		calls []recovery.Call
		now   time.Time // zero: at(60)
		want  []recovery.Case
	}{
		{
			name:  "a missed call alone opens a case",
			calls: []recovery.Call{miss(1, 0)},
			want:  []recovery.Case{openCase(1, 0)},
		},
		{
			name:  "a callback before the miss does not count",
			calls: []recovery.Call{callback(1, 0, 120), miss(2, 10)},
			want:  []recovery.Case{openCase(2, 10)},
		},
		{
			name:  "a callback at the same instant counts only when it comes later in ID order",
			calls: []recovery.Call{callback(1, 10, 120), miss(2, 10), callback(3, 10, 0)},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(2, 10)
				c.Status, c.Attempts, c.FirstAttemptAt = recovery.StatusAttempted, 1, at(10)
				return c
			}()},
		},
		{
			name:  "a callback from a rep other than the campaign phone's recovers and names that rep",
			calls: []recovery.Call{miss(1, 0), with(callback(2, 5, 90), func(c *recovery.Call) { c.DeviceID, c.RepID = "phone-bo", "rep-bo" })},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = recovery.StatusRecovered, 1, at(5), at(5)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 2, "phone-bo", "rep-bo"
				c.LastCallAt = at(5)
				return c
			}()},
		},
		{
			name: "a callback from a campaign phone counts too",
			calls: []recovery.Call{miss(1, 0), with(callback(2, 5, 90), func(c *recovery.Call) {
				c.DeviceID, c.DeviceKind, c.RepID = "camp-2", recovery.DeviceCampaign, ""
			})},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = recovery.StatusRecovered, 1, at(5), at(5)
				c.RecoveredByCallID, c.RecoveredByDeviceID = 2, "camp-2"
				c.LastCallAt = at(5)
				return c
			}()},
		},
		{
			name: "two misses then one callback are one case credited to the first miss",
			calls: []recovery.Call{
				miss(1, 0),
				with(miss(2, 20), func(c *recovery.Call) { c.DeviceID, c.AssignmentID, c.LeadSource = "camp-2", 8, "Flyer" }),
				callback(3, 30, 200),
			},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.MissedCallIDs, c.MissCount, c.LastMissedAt = recovery.StatusRecovered, []int64{1, 2}, 2, at(20)
				c.Attempts, c.FirstAttemptAt, c.ConnectedAt = 1, at(30), at(30)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 3, "phone-ana", "rep-ana"
				c.ExpiresAt, c.LastCallAt = at(20+week), at(30)
				return c
			}()},
		},
		{
			name:  "an answered inbound call from the customer recovers without an attempt; no rep on the device means no rep",
			calls: []recovery.Call{miss(1, 0), with(answered(2, 40), func(c *recovery.Call) { c.RepID = "" })},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.ConnectedAt = recovery.StatusRecovered, at(40)
				c.RecoveredByCallID, c.RecoveredByDeviceID = 2, "camp-1"
				c.LastCallAt = at(40)
				return c
			}()},
		},
		{
			name: "an answered inbound call on a sales-rep phone recovers too",
			calls: []recovery.Call{miss(1, 0), with(answered(2, 40), func(c *recovery.Call) {
				c.DeviceID, c.DeviceKind, c.RepID = "phone-ana", recovery.DeviceSalesRep, "rep-ana"
			})},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.ConnectedAt = recovery.StatusRecovered, at(40)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 2, "phone-ana", "rep-ana"
				c.LastCallAt = at(40)
				return c
			}()},
		},
		{
			name:  "a short outbound call is an attempt, not a recovery",
			calls: []recovery.Call{miss(1, 0), callback(2, 3, 0)},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.LastCallAt = recovery.StatusAttempted, 1, at(3), at(3)
				return c
			}()},
		},
		{
			name:  "ConnectedMinSeconds is inclusive: 29 s attempts, 30 s connects; every attempt counts",
			cfg:   recovery.Config{ConnectedMinSeconds: 30},
			calls: []recovery.Call{miss(1, 0), callback(2, 3, 29), callback(3, 8, 30), callback(4, 9, 600)},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = recovery.StatusRecovered, 2, at(3), at(8)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 3, "phone-ana", "rep-ana"
				c.LastCallAt = at(8)
				return c
			}()},
		},
		{
			name:  "ConnectedMinSeconds 0 makes every attempt connect",
			cfg:   recovery.Config{ConnectedMinSeconds: 0, Window: recovery.DefaultWindow},
			calls: []recovery.Call{miss(1, 0), callback(2, 3, 0)},
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = recovery.StatusRecovered, 1, at(3), at(3)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 2, "phone-ana", "rep-ana"
				c.LastCallAt = at(3)
				return c
			}()},
		},
		{
			name:  "a case expires when the window has passed by now",
			calls: []recovery.Call{miss(1, 0), callback(2, 3, 0)},
			now:   at(week),
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.LastCallAt = recovery.StatusExpired, 1, at(3), at(3)
				return c
			}()},
		},
		{
			name:  "one nanosecond before the window ends the case is still open",
			calls: []recovery.Call{miss(1, 0)},
			now:   at(week).Add(-time.Nanosecond),
			want:  []recovery.Case{openCase(1, 0)},
		},
		{
			name:  "the window runs from the last miss",
			calls: []recovery.Call{miss(1, 0), miss(2, 3*day)},
			now:   at(week + day),
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.MissedCallIDs, c.MissCount, c.LastMissedAt = []int64{1, 2}, 2, at(3*day)
				c.ExpiresAt, c.LastCallAt = at(3*day+week), at(3*day)
				return c
			}()},
		},
		{
			name:  "a callback at the end of the window is too late, and a later miss opens a new case",
			cfg:   recovery.Config{ConnectedMinSeconds: 1, Window: time.Hour},
			calls: []recovery.Call{miss(1, 0), callback(2, 60, 300), callback(3, 70, 300), miss(4, 90)},
			now:   at(100),
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.ExpiresAt = recovery.StatusExpired, at(60)
				return c
			}(), func() recovery.Case {
				c := openCase(4, 90)
				c.ExpiresAt = at(150)
				return c
			}()},
		},
		{
			name:  "a new miss after a recovery opens a second case",
			calls: []recovery.Call{miss(1, 0), callback(2, 5, 60), miss(3, 120), callback(4, 130, 0)},
			now:   at(200),
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = recovery.StatusRecovered, 1, at(5), at(5)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 2, "phone-ana", "rep-ana"
				c.LastCallAt = at(5)
				return c
			}(), func() recovery.Case {
				c := openCase(3, 120)
				c.Status, c.Attempts, c.FirstAttemptAt, c.LastCallAt = recovery.StatusAttempted, 1, at(130), at(130)
				return c
			}()},
		},
		{
			name: "ignored calls neither open nor recover cases",
			calls: []recovery.Call{
				with(miss(1, 0), func(c *recovery.Call) { c.Ignored = true }),
				with(callback(2, 1, 60), func(c *recovery.Call) { c.Ignored = true }), // no case to recover
				miss(3, 10),
				with(callback(4, 11, 60), func(c *recovery.Call) { c.Ignored = true }),
				with(answered(5, 12), func(c *recovery.Call) { c.Ignored = true }),
			},
			want: []recovery.Case{openCase(3, 10)},
		},
		{
			name: "calls from deactivated devices count for nothing",
			calls: []recovery.Call{
				with(miss(1, 0), func(c *recovery.Call) { c.DeviceInactive = true }),
				miss(2, 10),
				with(callback(3, 11, 60), func(c *recovery.Call) { c.DeviceInactive = true }),
				with(answered(4, 12), func(c *recovery.Call) { c.DeviceInactive = true }),
			},
			want: []recovery.Case{openCase(2, 10)},
		},
		{
			name: "misses on sales-rep phones neither open nor join cases",
			calls: []recovery.Call{
				with(miss(1, 0), func(c *recovery.Call) { c.DeviceID, c.DeviceKind = "phone-ana", recovery.DeviceSalesRep }),
				miss(2, 10),
				with(miss(3, 11), func(c *recovery.Call) { c.DeviceID, c.DeviceKind = "phone-ana", recovery.DeviceSalesRep }),
			},
			want: []recovery.Case{openCase(2, 10)},
		},
		{
			name: "calls with another number do not touch the case; each caller has their own",
			calls: []recovery.Call{
				miss(1, 0),
				with(miss(2, 1), func(c *recovery.Call) { c.NumberE164 = other }),
				with(callback(3, 2, 60), func(c *recovery.Call) { c.NumberE164 = other }),
			},
			want: []recovery.Case{openCase(1, 0), func() recovery.Case {
				c := openCase(2, 1)
				c.NumberE164, c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = other, recovery.StatusRecovered, 1, at(2), at(2)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 3, "phone-ana", "rep-ana"
				c.LastCallAt = at(2)
				return c
			}()},
		},
		{
			name:  "an answered call after expiry does not recover, nor one after the recovery change who recovered",
			cfg:   recovery.Config{ConnectedMinSeconds: 1, Window: time.Hour},
			calls: []recovery.Call{miss(1, 0), answered(2, 61), miss(3, 100), callback(4, 101, 5), answered(5, 102)},
			now:   at(110),
			want: []recovery.Case{func() recovery.Case {
				c := openCase(1, 0)
				c.Status, c.ExpiresAt = recovery.StatusExpired, at(60)
				return c
			}(), func() recovery.Case {
				c := openCase(3, 100)
				c.Status, c.Attempts, c.FirstAttemptAt, c.ConnectedAt = recovery.StatusRecovered, 1, at(101), at(101)
				c.RecoveredByCallID, c.RecoveredByDeviceID, c.RecoveredByRepID = 4, "phone-ana", "rep-ana"
				c.ExpiresAt, c.LastCallAt = at(160), at(101)
				return c
			}()},
		},
		{
			name:  "outbound and inbound calls without a case open nothing",
			calls: []recovery.Call{callback(1, 0, 60), answered(2, 5)},
			want:  nil,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			if cfg == (recovery.Config{}) {
				cfg = recovery.DefaultConfig()
			}
			now := tc.now
			if now.IsZero() {
				now = at(60)
			}
			m := mustMatcher(t, cfg)
			got, err := m.Build(tc.calls, now)
			require.NoError(t, err)
			requireCases(t, tc.want, got)

			// Input order does not matter.
			shuffled := append([]recovery.Call(nil), tc.calls...)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			got, err = m.Build(shuffled, now)
			require.NoError(t, err)
			requireCases(t, tc.want, got)
		})
	}
}

// The caller passes E.164 numbers: raw numbers in different formats match once
// phone.Normalize has read them, and are refused unread.
func TestBuildNumbersInDifferentFormats(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	raws := []string{"098765 12345", "+91-98765 12345", "0091 98765 12345", "9876512345"}
	var calls []recovery.Call
	for i, raw := range raws {
		n, err := phone.Normalize(raw, "IN")
		require.NoError(t, err, raw)
		c := callback(int64(i+1), i+1, 0)
		if i == 0 {
			c = miss(1, 0)
		}
		c.NumberE164 = n.E164
		calls = append(calls, c)
	}
	got, err := m.Build(calls, at(60))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, customer, got[0].NumberE164)
	require.Equal(t, len(raws)-1, got[0].Attempts, "every format matched the miss")

	for _, raw := range raws {
		c := miss(1, 0)
		c.NumberE164 = raw
		_, err := m.Build([]recovery.Call{c}, at(60))
		require.ErrorIs(t, err, recovery.ErrInvalidCall, raw)
		require.NotContains(t, err.Error(), "98765", "errors mask numbers")
	}
}
