package simclient

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/phone"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw     string
		remote  bool
		wantErr string
	}{
		{raw: "http://127.0.0.1:8080"},
		{raw: "http://127.9.9.9"},
		{raw: "https://localhost:8443/"},
		{raw: "http://[::1]:8080"},
		{raw: "http://10.0.0.1:8080", wantErr: "not a loopback"},
		{raw: "http://127.0.0.1.example.com", wantErr: "not a loopback"},
		{raw: "http://[::ffff:10.0.0.1]", wantErr: "not a loopback"},
		{raw: "http://example.com", remote: true},
		{raw: "ftp://127.0.0.1", wantErr: "want http(s)"},
		{raw: "127.0.0.1:8080", wantErr: "server URL"},
		{raw: "http://user:secret@127.0.0.1", wantErr: "without credentials"},
		{raw: "http:///path", wantErr: "want http(s)"},
		{raw: "http://127.0.0.1/\x7f", wantErr: "server URL"},
		{raw: "http://" + strings.Repeat("a", 100_000), wantErr: "not a loopback"},
	}
	for _, tc := range cases {
		_, err := CheckURL(tc.raw, tc.remote)
		if tc.wantErr == "" {
			require.NoError(t, err, tc.raw)
			continue
		}
		require.ErrorContains(t, err, tc.wantErr, tc.raw[:min(len(tc.raw), 40)])
		require.NotContains(t, err.Error(), "secret", "credentials are not echoed")
	}
}

// FuzzCheckURL: without allowRemote, an accepted URL always names a loopback host.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "http://[::1]", "http://localhost", "http://10.0.0.1", "https://x@y", "http://0x7f.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw, false)
		if err != nil {
			return
		}
		host := u.Hostname()
		ip := net.ParseIP(host)
		require.True(t, strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback()), "accepted %q", raw)
		_, perr := url.Parse(raw)
		require.NoError(t, perr)
	})
}

func TestPhoneCalls(t *testing.T) {
	t.Parallel()
	callers := NewCallers(1)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	numbers := map[string]int{}
	for _, kind := range []string{KindCampaign, KindSalesRep} {
		p := NewPhone(kind, "dev_"+kind, "+919000000001", CallMix{Private: 0.1, Repeat: 0.3}, callers, 3)
		for range 500 {
			c := p.Next(now)
			require.False(t, seen[c.ID], "call IDs are unique")
			seen[c.ID] = true
			require.True(t, leadcall.CallType(c.Type).Valid(), c.Type)
			require.Equal(t, now, c.StartedAt)
			if phone.IsPrivate(c.Number) {
				numbers["private"]++
				continue
			}
			e164, err := phone.Normalize(c.Number, "IN")
			require.NoError(t, err, "every visible number is a valid Indian number")
			numbers[e164.E164]++
		}
	}
	require.Positive(t, numbers["private"], "some withheld numbers")
	repeats := 0
	for n, count := range numbers {
		if n != "private" && count > 1 {
			repeats++
		}
	}
	require.Positive(t, repeats, "some numbers call more than once")

	sync := NewPhone(KindCampaign, "dev_s", "", CallMix{Private: 1, SyncableOnly: true}, callers, 4)
	for range 200 {
		c := sync.Next(now)
		require.False(t, phone.IsPrivate(c.Number))
		require.NotEqual(t, string(leadcall.CallOutbound), c.Type)
		if c.Type == string(leadcall.CallInbound) {
			require.GreaterOrEqual(t, c.DurationS, 30)
		}
	}
}

// TestCallbacks: reps call back the callers campaign phones missed, oldest first, and their
// conversations vary in length.
func TestCallbacks(t *testing.T) {
	t.Parallel()
	callers := NewCallers(5)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	campaign := NewPhone(KindCampaign, "dev_c", "+919000000001", CallMix{Repeat: 0.1}, callers, 8)
	rep := NewPhone(KindSalesRep, "dev_r", "+919000000002", CallMix{Repeat: 0.1, Callback: 1, CallbackAfter: time.Minute}, callers, 9)
	missed := map[string]bool{}
	for range 200 {
		c := campaign.Next(now)
		if c.Type == string(leadcall.CallMissed) {
			e164, err := phone.Normalize(c.Number, "IN")
			require.NoError(t, err)
			missed[e164.E164] = true
		}
	}
	require.NotEmpty(t, missed)
	waiting := callers.Missed()
	require.Positive(t, waiting, "campaign phones' missed callers wait for a callback")

	for range 50 {
		rep.Next(now.Add(59 * time.Second))
	}
	require.Equal(t, waiting, callers.Missed(), "no callback before CallbackAfter")

	callbacks, durations := 0, map[int]bool{}
	for range 200 {
		c := rep.Next(now.Add(time.Minute))
		if c.Type != string(leadcall.CallOutbound) {
			continue
		}
		durations[c.DurationS] = true
		e164, err := phone.Normalize(c.Number, "IN")
		require.NoError(t, err)
		if missed[e164.E164] {
			callbacks++
		}
	}
	require.Positive(t, callbacks, "reps call missed callers back")
	require.Less(t, callers.Missed(), waiting, "a called-back caller leaves the list")
	require.Greater(t, len(durations), 10, "call lengths vary")
	for d := range durations {
		require.True(t, d >= 0 && d <= 3600, "duration %d", d)
	}
}
