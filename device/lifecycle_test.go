package device_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

var (
	campaignOn  = device.Mode{Kind: device.KindCampaign, Active: true}
	campaignOff = device.Mode{Kind: device.KindCampaign, Active: false}
	repOn       = device.Mode{Kind: device.KindSalesRep, Active: true}
	repOff      = device.Mode{Kind: device.KindSalesRep, Active: false}
	unsetOn     = device.Mode{Kind: "", Active: true}
	unsetOff    = device.Mode{Kind: "", Active: false}
)

func TestTransition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from, to device.Mode
		want     device.Change
	}{
		{name: "no change campaign", from: campaignOn, to: campaignOn, want: device.Change{}},
		{name: "no change rep", from: repOn, to: repOn, want: device.Change{}},
		{name: "no change inactive", from: repOff, to: repOff, want: device.Change{}},
		{name: "campaign to sales_rep", from: campaignOn, to: repOn, want: device.Change{CloseAssignment: true}},
		{name: "deactivate campaign", from: campaignOn, to: campaignOff, want: device.Change{CloseAssignment: true, FreesSeat: true}},
		{name: "deactivate and switch", from: campaignOn, to: repOff, want: device.Change{CloseAssignment: true, FreesSeat: true}},
		{name: "deactivate rep", from: repOn, to: repOff, want: device.Change{FreesSeat: true}},
		{name: "sales_rep to campaign", from: repOn, to: campaignOn, want: device.Change{}},
		{name: "reactivate campaign", from: campaignOff, to: campaignOn, want: device.Change{NeedsSeat: true}},
		{name: "reactivate rep", from: repOff, to: repOn, want: device.Change{NeedsSeat: true}},
		{name: "reactivate as campaign", from: repOff, to: campaignOn, want: device.Change{NeedsSeat: true}},
		{name: "reactivate campaign as rep", from: campaignOff, to: repOn, want: device.Change{CloseAssignment: true, NeedsSeat: true}},
		{name: "inactive campaign switched to rep", from: campaignOff, to: repOff, want: device.Change{CloseAssignment: true}},
		{name: "inactive campaign stays inactive", from: campaignOff, to: campaignOff, want: device.Change{CloseAssignment: true}},
		{name: "unset kind gets campaign", from: unsetOn, to: campaignOn, want: device.Change{}},
		{name: "unset inactive gets rep and activation", from: unsetOff, to: repOn, want: device.Change{NeedsSeat: true}},
		{name: "unknown stored kind", from: device.Mode{Kind: "legacy", Active: true}, to: repOff, want: device.Change{FreesSeat: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := device.Transition(tc.from, tc.to)
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Transition(%+v, %+v) mismatch (-want +got):\n%s", tc.from, tc.to, diff)
			}
		})
	}
}

func TestTransitionRefusesInvalidTarget(t *testing.T) {
	t.Parallel()
	for _, to := range []device.Mode{unsetOn, unsetOff, {Kind: "Campaign", Active: true}, {Kind: "x\x00\n", Active: true}} {
		got, err := device.Transition(campaignOn, to)
		require.ErrorIs(t, err, device.ErrUnknownKind, "%+v", to)
		require.NotContains(t, err.Error(), "\n")
		require.Equal(t, device.Change{}, got)
	}
}

// Whatever the modes, an assignment survives a transition only into a mode
// that may hold one, and seats move only with activation.
func TestTransitionInvariants(t *testing.T) {
	t.Parallel()
	modes := []device.Mode{campaignOn, campaignOff, repOn, repOff, unsetOn, unsetOff}
	for _, from := range modes {
		for _, to := range modes {
			got, err := device.Transition(from, to)
			if !to.Kind.Valid() {
				require.Error(t, err)
				continue
			}
			require.NoError(t, err)
			if from.Kind == device.KindCampaign {
				require.Equal(t, !to.CanHoldAssignment(), got.CloseAssignment, "%+v -> %+v", from, to)
			} else {
				require.False(t, got.CloseAssignment, "%+v -> %+v: no assignment to close", from, to)
			}
			require.Equal(t, from.Active != to.Active && to.Active, got.NeedsSeat)
			require.Equal(t, from.Active != to.Active && from.Active, got.FreesSeat)
			require.False(t, got.NeedsSeat && got.FreesSeat)
		}
	}
}

func TestCheckAssignable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    device.Mode
		wantErr error
	}{
		{name: "active campaign", mode: campaignOn},
		{name: "inactive campaign", mode: campaignOff, wantErr: device.ErrDeactivated},
		{name: "sales rep", mode: repOn, wantErr: device.ErrNotCampaign},
		{name: "inactive sales rep", mode: repOff, wantErr: device.ErrNotCampaign},
		{name: "unset kind", mode: unsetOn, wantErr: device.ErrUnknownKind},
		{name: "garbage kind", mode: device.Mode{Kind: "\xff", Active: true}, wantErr: device.ErrUnknownKind},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := device.CheckAssignable(tc.mode)
			require.Equal(t, tc.wantErr == nil, tc.mode.CanHoldAssignment())
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

func TestSyncable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info device.Info
		want bool
	}{
		{name: "active campaign", info: device.Info{Kind: device.KindCampaign, Active: true}, want: true},
		{name: "active campaign without assignment", info: device.Info{Kind: device.KindCampaign, Active: true, HasOpenAssignment: false}, want: true},
		{name: "deactivated campaign", info: device.Info{Kind: device.KindCampaign, Active: false, HasOpenAssignment: true}, want: false},
		{name: "active sales rep", info: device.Info{Kind: device.KindSalesRep, Active: true, RepID: "r1", RepHasCRMUser: true}, want: false},
		{name: "deactivated sales rep", info: device.Info{Kind: device.KindSalesRep}, want: false},
		{name: "unset kind", info: device.Info{Active: true}, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, device.Syncable(tc.info))
		})
	}
}

func TestInfoMode(t *testing.T) {
	t.Parallel()
	info := device.Info{ID: "d1", Kind: device.KindSalesRep, Active: true, RepID: "r1"}
	require.Equal(t, repOn, info.Mode())
}
