package device_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestIncomplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info device.Info
		want []device.Flag
	}{
		{
			name: "configured campaign without rep",
			info: device.Info{Kind: device.KindCampaign, Active: true, HasOpenAssignment: true},
		},
		{
			name: "configured campaign with mapped rep",
			info: device.Info{Kind: device.KindCampaign, Active: true, HasOpenAssignment: true, RepID: "r1", RepHasCRMUser: true},
		},
		{
			name: "campaign without assignment",
			info: device.Info{Kind: device.KindCampaign, Active: true},
			want: []device.Flag{device.FlagCampaignWithoutAssignment},
		},
		{
			name: "campaign with unmapped rep",
			info: device.Info{Kind: device.KindCampaign, Active: true, HasOpenAssignment: true, RepID: "r1"},
			want: []device.Flag{device.FlagRepWithoutCRMUser},
		},
		{
			name: "campaign with both problems in declared order",
			info: device.Info{Kind: device.KindCampaign, Active: true, RepID: "r1"},
			want: []device.Flag{device.FlagCampaignWithoutAssignment, device.FlagRepWithoutCRMUser},
		},
		{
			name: "RepHasCRMUser without rep is ignored",
			info: device.Info{Kind: device.KindCampaign, Active: true, HasOpenAssignment: true, RepHasCRMUser: true},
		},
		{
			name: "sales rep with rep",
			info: device.Info{Kind: device.KindSalesRep, Active: true, RepID: "r1"},
		},
		{
			name: "sales rep with unmapped rep is complete (calls stay local)",
			info: device.Info{Kind: device.KindSalesRep, Active: true, RepID: "r1", RepHasCRMUser: false},
		},
		{
			name: "sales rep without rep",
			info: device.Info{Kind: device.KindSalesRep, Active: true},
			want: []device.Flag{device.FlagSalesRepWithoutRep},
		},
		{
			name: "sales rep reported with an open assignment gets no campaign flag",
			info: device.Info{Kind: device.KindSalesRep, Active: true, RepID: "r1", HasOpenAssignment: true},
		},
		{
			name: "unset kind",
			info: device.Info{Active: true, RepID: "r1"},
			want: []device.Flag{device.FlagKindUnset},
		},
		{
			name: "unknown kind",
			info: device.Info{Kind: "Campaign", Active: true},
			want: []device.Flag{device.FlagKindUnset},
		},
		{
			name: "deactivated campaign without assignment",
			info: device.Info{Kind: device.KindCampaign, RepID: "r1"},
		},
		{
			name: "deactivated sales rep without rep",
			info: device.Info{Kind: device.KindSalesRep},
		},
		{
			name: "deactivated unset kind",
			info: device.Info{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := device.Incomplete(tc.info)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Incomplete(%+v) mismatch (-want +got):\n%s", tc.info, diff)
			}
		})
	}
}

func TestFlagStringsAreStable(t *testing.T) {
	t.Parallel()
	// These values are part of the API; changing one breaks clients.
	want := map[device.Flag]string{
		device.FlagKindUnset:                 "kind_unset",
		device.FlagCampaignWithoutAssignment: "campaign_without_assignment",
		device.FlagSalesRepWithoutRep:        "sales_rep_without_rep",
		device.FlagRepWithoutCRMUser:         "rep_without_crm_user",
	}
	descriptions := map[string]bool{}
	for flag, s := range want {
		require.Equal(t, s, flag.String())
		d := flag.Description()
		require.NotEqual(t, device.Flag("nope").Description(), d, "flag %s needs its own description", flag)
		require.False(t, descriptions[d], "descriptions must differ: %q", d)
		descriptions[d] = true
	}
	require.Equal(t, "online", device.StatusOnline.String())
	require.Equal(t, "offline", device.StatusOffline.String())
	require.Equal(t, "campaign", device.KindCampaign.String())
	require.Equal(t, "sales_rep", device.KindSalesRep.String())
}
