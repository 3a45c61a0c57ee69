package recovery_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

// t0 is the origin of the test calls; at(m) is m minutes after it.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

const (
	day  = 24 * 60 // minutes
	week = 7 * day

	customer = "+919876512345"
	other    = "+14155550123"
)

// miss is a missed call from customer on campaign phone camp-1 (Google Ads, assignment 7).
func miss(id int64, minute int) recovery.Call {
	return recovery.Call{
		ID: id, DeviceID: "camp-1", DeviceKind: recovery.DeviceCampaign, RepID: "rep-front",
		NumberE164: customer, Type: recovery.CallMissed, StartedAt: at(minute),
		AssignmentID: 7, LeadSource: "Google Ads",
	}
}

// callback is an outbound call to customer from rep Ana's phone.
func callback(id int64, minute, seconds int) recovery.Call {
	return recovery.Call{
		ID: id, DeviceID: "phone-ana", DeviceKind: recovery.DeviceSalesRep, RepID: "rep-ana",
		NumberE164: customer, Type: recovery.CallOutbound, StartedAt: at(minute), DurationS: seconds,
	}
}

// answered is an answered inbound call from customer on campaign phone camp-1.
func answered(id int64, minute int) recovery.Call {
	c := miss(id, minute)
	c.Type, c.DurationS = recovery.CallInbound, 45
	return c
}

// with returns c changed by f.
func with(c recovery.Call, f func(*recovery.Call)) recovery.Call {
	f(&c)
	return c
}

// openCase is the case that miss(id, minute) opens under the default window.
func openCase(id int64, minute int) recovery.Case {
	return recovery.Case{
		NumberE164: customer, Status: recovery.StatusOpen,
		MissedCallIDs: []int64{id}, MissCount: 1, FirstMissedAt: at(minute), LastMissedAt: at(minute),
		AssignmentID: 7, LeadSource: "Google Ads",
		ExpiresAt: at(minute + week), LastCallAt: at(minute),
	}
}

func mustMatcher(t testing.TB, cfg recovery.Config) *recovery.Matcher {
	t.Helper()
	m, err := recovery.New(cfg)
	require.NoError(t, err)
	return m
}

// requireCases fails unless got equals want (times compared with Equal, nil equals empty).
func requireCases(t testing.TB, want, got []recovery.Case) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("cases (-want +got):\n%s", diff)
	}
}
