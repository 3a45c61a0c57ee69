package leadcall

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestDispose(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	base := DispositionInput{
		DeviceKind: device.KindCampaign, DeviceActive: true, Type: CallInbound,
		StartedAt: t0, DurationS: 30, NumberE164: "+919876512345",
		Rules: Rules{MinAnsweredSeconds: 10},
	}
	with := func(f func(*DispositionInput)) DispositionInput {
		in := base
		f(&in)
		return in
	}
	cases := []struct {
		name   string
		in     DispositionInput
		disp   Disposition
		reason Reason
	}{
		{"answered campaign call syncs", base, DispositionSync, ""},
		{"missed campaign call syncs", with(func(in *DispositionInput) { in.Type, in.DurationS = CallMissed, 0 }), DispositionSync, ""},
		{"outbound on campaign is local", with(func(in *DispositionInput) { in.Type = CallOutbound }), DispositionLocal, ReasonOutbound},
		{"sales rep calls are local", with(func(in *DispositionInput) { in.DeviceKind = device.KindSalesRep }), DispositionLocal, ReasonSalesRep},
		{"inactive device", with(func(in *DispositionInput) { in.DeviceActive = false }), DispositionIgnored, ReasonDeviceInactive},
		{"private", with(func(in *DispositionInput) { in.Private, in.NumberE164 = true, "" }), DispositionIgnored, ReasonPrivateNumber},
		{"invalid number", with(func(in *DispositionInput) { in.NumberE164 = "" }), DispositionIgnored, ReasonInvalidNumber},
		{"own number", with(func(in *DispositionInput) { in.OwnNumber = true }), DispositionIgnored, ReasonOwnNumber},
		{"internal", with(func(in *DispositionInput) { in.InternalNumber = true }), DispositionIgnored, ReasonInternalNumber},
		{"blocked", with(func(in *DispositionInput) { in.BlockedNumber = true }), DispositionIgnored, ReasonBlocked},
		{"too short answered", with(func(in *DispositionInput) { in.DurationS = 9 }), DispositionIgnored, ReasonTooShort},
		{"exactly min answered", with(func(in *DispositionInput) { in.DurationS = 10 }), DispositionSync, ""},
		{"short missed is not too short", with(func(in *DispositionInput) { in.Type, in.DurationS = CallMissed, 0 }), DispositionSync, ""},
		{"short on sales rep is local", with(func(in *DispositionInput) { in.DeviceKind, in.DurationS = device.KindSalesRep, 1 }), DispositionLocal, ReasonSalesRep},
		{"before enrollment", with(func(in *DispositionInput) { in.EnrolledAt = t0.Add(time.Second) }), DispositionIgnored, ReasonBeforeEnrollment},
		{"at enrollment", with(func(in *DispositionInput) { in.EnrolledAt = t0 }), DispositionSync, ""},
		// Call logs give whole seconds: a call in the second the phone enrolled is after it.
		{"in the second of enrollment", with(func(in *DispositionInput) { in.EnrolledAt = t0.Add(430 * time.Millisecond) }), DispositionSync, ""},
		{"the second before enrollment", with(func(in *DispositionInput) { in.EnrolledAt = t0.Add(time.Second + 430*time.Millisecond) }), DispositionIgnored, ReasonBeforeEnrollment},
		// Precedence (DESIGN.md §10): the first reason in the documented order wins.
		{"inactive beats private", with(func(in *DispositionInput) { in.DeviceActive, in.Private = false, true }), DispositionIgnored, ReasonDeviceInactive},
		{"private beats invalid", with(func(in *DispositionInput) { in.Private, in.NumberE164 = true, "" }), DispositionIgnored, ReasonPrivateNumber},
		{"own beats internal and blocked", with(func(in *DispositionInput) { in.OwnNumber, in.InternalNumber, in.BlockedNumber = true, true, true }), DispositionIgnored, ReasonOwnNumber},
		{"internal beats blocked", with(func(in *DispositionInput) { in.InternalNumber, in.BlockedNumber = true, true }), DispositionIgnored, ReasonInternalNumber},
		{"blocked beats too short", with(func(in *DispositionInput) { in.BlockedNumber, in.DurationS = true, 1 }), DispositionIgnored, ReasonBlocked},
		{"too short beats before enrollment", with(func(in *DispositionInput) { in.DurationS, in.EnrolledAt = 1, t0.Add(time.Hour) }), DispositionIgnored, ReasonTooShort},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, r := Dispose(tc.in)
			require.Equal(t, tc.disp, d)
			require.Equal(t, tc.reason, r)
		})
	}
}
