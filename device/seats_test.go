package device_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestCheckSeat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		active  int
		limit   int
		wantErr error
	}{
		{name: "unlimited empty org", active: 0, limit: device.Unlimited},
		{name: "unlimited large org", active: math.MaxInt, limit: device.Unlimited},
		{name: "first seat", active: 0, limit: 1},
		{name: "last free seat", active: 4, limit: 5},
		{name: "limit reached", active: 5, limit: 5, wantErr: device.ErrSeatLimit},
		{name: "single seat taken", active: 1, limit: 1, wantErr: device.ErrSeatLimit},
		{name: "over limit after downgrade", active: 9, limit: 5, wantErr: device.ErrSeatLimit},
		{name: "huge limit", active: math.MaxInt - 1, limit: math.MaxInt},
		{name: "negative limit", active: 0, limit: -1, wantErr: device.ErrInvalidSeats},
		{name: "negative active", active: -1, limit: 5, wantErr: device.ErrInvalidSeats},
		{name: "min int active", active: math.MinInt, limit: device.Unlimited, wantErr: device.ErrInvalidSeats},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := device.CheckSeat(tc.active, tc.limit)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			if tc.wantErr == device.ErrInvalidSeats {
				require.NotErrorIs(t, err, device.ErrSeatLimit, "a caller bug is not a full plan")
			}
		})
	}
}

func TestCheckSeatMessageSaysHowToFreeASeat(t *testing.T) {
	t.Parallel()
	err := device.CheckSeat(3, 3)
	require.ErrorIs(t, err, device.ErrSeatLimit)
	require.Contains(t, err.Error(), "3 of 3 seats in use")
	require.Contains(t, err.Error(), "deactivate")
}

func TestValidateSeatLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{device.Unlimited, 1, 250, math.MaxInt} {
		require.NoError(t, device.ValidateSeatLimit(limit), limit)
	}
	for _, limit := range []int{-1, math.MinInt} {
		require.ErrorIs(t, device.ValidateSeatLimit(limit), device.ErrInvalidSeats, limit)
	}
}

// Registering devices one at a time against a limit admits exactly limit
// devices; deactivating one frees a seat for the next.
func TestSeatsFillAndFree(t *testing.T) {
	t.Parallel()
	const limit = 3
	active := 0
	for range 10 {
		if device.CheckSeat(active, limit) == nil {
			active++
		}
	}
	require.Equal(t, limit, active)

	change, err := device.Transition(device.Mode{Kind: device.KindSalesRep, Active: true}, device.Mode{Kind: device.KindSalesRep, Active: false})
	require.NoError(t, err)
	require.True(t, change.FreesSeat)
	active--
	require.NoError(t, device.CheckSeat(active, limit))
}
