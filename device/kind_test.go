package device_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestParseKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    device.Kind
		wantErr bool
	}{
		{in: "campaign", want: device.KindCampaign},
		{in: "sales_rep", want: device.KindSalesRep},
		{in: "  campaign\t", want: device.KindCampaign},
		{in: "\nsales_rep \r\n", want: device.KindSalesRep},
		{in: "", wantErr: true},
		{in: "   ", wantErr: true},
		{in: "Campaign", wantErr: true},
		{in: "CAMPAIGN", wantErr: true},
		{in: "sales-rep", wantErr: true},
		{in: "salesrep", wantErr: true},
		{in: "sales rep", wantErr: true},
		{in: "sales_rep\x00", wantErr: true},
		{in: "campaign\u200b", wantErr: true},
		{in: "unassigned", wantErr: true},
		{in: "\xff\xfe", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := device.ParseKind(tc.in)
			if tc.wantErr {
				require.ErrorIs(t, err, device.ErrUnknownKind)
				require.Empty(t, got)
				require.False(t, got.Valid())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.True(t, got.Valid())
			require.Equal(t, string(tc.want), got.String())
		})
	}
}

func TestParseKindHostileInputKeepsErrorShort(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 1<<20) + "\x00\n"
	_, err := device.ParseKind(huge)
	require.ErrorIs(t, err, device.ErrUnknownKind)
	require.Less(t, len(err.Error()), 200, "error must not echo the whole input")
	require.NotContains(t, err.Error(), "\n")

	_, err = device.ParseKind("evil\nlog line")
	require.ErrorIs(t, err, device.ErrUnknownKind)
	require.NotContains(t, err.Error(), "\n", "control characters must be escaped")
}

func TestKindValid(t *testing.T) {
	t.Parallel()
	require.True(t, device.KindCampaign.Valid())
	require.True(t, device.KindSalesRep.Valid())
	for _, k := range []device.Kind{"", "Campaign", " campaign", "other"} {
		require.False(t, k.Valid(), "%q", k)
	}
}

func TestKindJSON(t *testing.T) {
	t.Parallel()
	type payload struct {
		Kind device.Kind `json:"kind"`
	}

	var p payload
	require.NoError(t, json.Unmarshal([]byte(`{"kind":" sales_rep "}`), &p))
	require.Equal(t, device.KindSalesRep, p.Kind)

	out, err := json.Marshal(payload{Kind: device.KindCampaign})
	require.NoError(t, err)
	require.JSONEq(t, `{"kind":"campaign"}`, string(out))

	for _, bad := range []string{`{"kind":"Sales_Rep"}`, `{"kind":"  "}`, `{"kind":"rep"}`, `{"kind":"campaign\u0000"}`} {
		err := json.Unmarshal([]byte(bad), &p)
		require.ErrorIs(t, err, device.ErrUnknownKind, bad)
	}

	// An empty kind decodes to the unset Kind, so stored records without a
	// kind round-trip; it is still not Valid.
	p = payload{Kind: device.KindCampaign}
	require.NoError(t, json.Unmarshal([]byte(`{"kind":""}`), &p))
	require.Equal(t, device.Kind(""), p.Kind)
	require.False(t, p.Kind.Valid())
	out, err = json.Marshal(p)
	require.NoError(t, err)
	require.JSONEq(t, `{"kind":""}`, string(out))
}
