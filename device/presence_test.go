package device_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestPresence(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		lastSeen  time.Time
		now       time.Time
		threshold time.Duration
		want      device.Status
	}{
		{name: "never seen", now: now, want: device.StatusOffline},
		{name: "just now", lastSeen: now, now: now, want: device.StatusOnline},
		{name: "within default", lastSeen: now.Add(-4 * time.Minute), now: now, want: device.StatusOnline},
		{name: "boundary is online", lastSeen: now.Add(-device.DefaultOnlineThreshold), now: now, want: device.StatusOnline},
		{name: "just past default", lastSeen: now.Add(-device.DefaultOnlineThreshold - time.Nanosecond), now: now, want: device.StatusOffline},
		{name: "long ago", lastSeen: now.AddDate(-1, 0, 0), now: now, want: device.StatusOffline},
		{name: "custom threshold online", lastSeen: now.Add(-14 * time.Minute), now: now, threshold: 15 * time.Minute, want: device.StatusOnline},
		{name: "custom threshold offline", lastSeen: now.Add(-time.Minute - time.Second), now: now, threshold: time.Minute, want: device.StatusOffline},
		{name: "zero threshold uses default", lastSeen: now.Add(-4 * time.Minute), now: now, threshold: 0, want: device.StatusOnline},
		{name: "negative threshold uses default", lastSeen: now.Add(-6 * time.Minute), now: now, threshold: -time.Hour, want: device.StatusOffline},
		{name: "clock skew future", lastSeen: now.Add(3 * time.Minute), now: now, want: device.StatusOnline},
		{name: "far future", lastSeen: now.AddDate(100, 0, 0), now: now, want: device.StatusOnline},
		{name: "other time zone same instant", lastSeen: now.In(time.FixedZone("IST", 5*3600+1800)), now: now, want: device.StatusOnline},
		{name: "zero now never online", lastSeen: now, now: time.Time{}, want: device.StatusOffline},
		{name: "extreme past saturates", lastSeen: time.Unix(-1<<62, 0), now: now, want: device.StatusOffline},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := device.Presence(tc.lastSeen, tc.now, tc.threshold)
			require.Equal(t, tc.want, got)
			require.Equal(t, string(tc.want), got.String())
		})
	}
}

func TestSeenAgo(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lastSeen time.Time
		now      time.Time
		want     time.Duration
		wantOK   bool
	}{
		{name: "never seen", now: now, want: 0, wantOK: false},
		{name: "zero now", lastSeen: now, want: 0, wantOK: false},
		{name: "same instant", lastSeen: now, now: now, want: 0, wantOK: true},
		{name: "ninety seconds", lastSeen: now.Add(-90 * time.Second), now: now, want: 90 * time.Second, wantOK: true},
		{name: "future clamps to zero", lastSeen: now.Add(time.Hour), now: now, want: 0, wantOK: true},
		{name: "extreme past saturates", lastSeen: time.Unix(-1<<62, 0), now: now, want: time.Duration(1<<63 - 1), wantOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := device.SeenAgo(tc.lastSeen, tc.now)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
			require.GreaterOrEqual(t, got, time.Duration(0))
		})
	}
}

func FuzzPresenceNeverNegative(f *testing.F) {
	f.Add(int64(0), int64(0), int64(0))
	f.Add(int64(1_700_000_000), int64(1_700_000_100), int64(time.Minute))
	f.Add(int64(1_700_000_100), int64(1_700_000_000), int64(-1))
	f.Fuzz(func(t *testing.T, seen, now, threshold int64) {
		lastSeen, at := time.Unix(seen, 0), time.Unix(now, 0)
		ago, ok := device.SeenAgo(lastSeen, at)
		require.GreaterOrEqual(t, ago, time.Duration(0))
		status := device.Presence(lastSeen, at, time.Duration(threshold))
		require.Contains(t, []device.Status{device.StatusOnline, device.StatusOffline}, status)
		if !ok {
			require.Equal(t, device.StatusOffline, status)
		}
		if ok && at.Before(lastSeen) {
			require.Equal(t, device.StatusOnline, status, "a future last-seen counts as online")
		}
	})
}
