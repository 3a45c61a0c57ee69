package device_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/device"
)

func TestSIMValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sim     device.SIM
		wantErr bool
	}{
		{name: "full", sim: device.SIM{Slot: 0, Number: "+91 98765 43210", Carrier: "Jio"}},
		{name: "no number readable", sim: device.SIM{Slot: 1, Carrier: "Airtel"}},
		{name: "all empty", sim: device.SIM{}},
		{name: "max slot", sim: device.SIM{Slot: device.MaxSIMSlot}},
		{name: "number at cap", sim: device.SIM{Number: strings.Repeat("9", device.MaxSIMNumberLen)}},
		{name: "carrier at cap", sim: device.SIM{Carrier: strings.Repeat("c", device.MaxCarrierLen)}},
		{name: "non-latin carrier", sim: device.SIM{Carrier: "中国移动"}},
		{name: "raw number kept as sent", sim: device.SIM{Number: "(0)98765-43210"}},

		{name: "negative slot", sim: device.SIM{Slot: -1}, wantErr: true},
		{name: "slot too high", sim: device.SIM{Slot: device.MaxSIMSlot + 1}, wantErr: true},
		{name: "huge slot", sim: device.SIM{Slot: 1 << 40}, wantErr: true},
		{name: "number too long", sim: device.SIM{Number: strings.Repeat("9", device.MaxSIMNumberLen+1)}, wantErr: true},
		{name: "carrier too long", sim: device.SIM{Carrier: strings.Repeat("c", device.MaxCarrierLen+1)}, wantErr: true},
		{name: "huge carrier", sim: device.SIM{Carrier: strings.Repeat("c", 1<<20)}, wantErr: true},
		{name: "multibyte carrier over byte cap", sim: device.SIM{Carrier: strings.Repeat("移", device.MaxCarrierLen/3+1)}, wantErr: true},
		{name: "NUL in number", sim: device.SIM{Number: "+91\x00"}, wantErr: true},
		{name: "newline in carrier", sim: device.SIM{Carrier: "Jio\nINJECTED"}, wantErr: true},
		{name: "bidi override in carrier", sim: device.SIM{Carrier: "\u202eoiJ"}, wantErr: true},
		{name: "invalid UTF-8 number", sim: device.SIM{Number: "\xff\xfe"}, wantErr: true},
		{name: "invalid UTF-8 carrier", sim: device.SIM{Carrier: "Jio\xc3"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.sim.Validate()
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, device.ErrInvalidSIM)
			require.Less(t, len(err.Error()), 200)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestCheckSIMSlot(t *testing.T) {
	t.Parallel()
	for slot := 0; slot <= device.MaxSIMSlot; slot++ {
		require.NoError(t, device.CheckSIMSlot(slot))
	}
	for _, slot := range []int{-1, device.MaxSIMSlot + 1, -1 << 62, 1 << 62} {
		require.ErrorIs(t, device.CheckSIMSlot(slot), device.ErrInvalidSIM, slot)
	}
}

func TestValidateSIMs(t *testing.T) {
	t.Parallel()
	full := make([]device.SIM, device.MaxSIMs)
	for i := range full {
		full[i] = device.SIM{Slot: i}
	}
	tests := []struct {
		name      string
		sims      []device.SIM
		wantErr   bool
		wantIndex string
	}{
		{name: "nil", sims: nil},
		{name: "empty", sims: []device.SIM{}},
		{name: "dual SIM", sims: []device.SIM{{Slot: 0, Number: "+919876543210", Carrier: "Jio"}, {Slot: 1, Carrier: "Vi"}}},
		{name: "slots out of order", sims: []device.SIM{{Slot: 3}, {Slot: 0}}},
		{name: "every slot", sims: full},
		{name: "too many", sims: append(full, device.SIM{Slot: 0}), wantErr: true},
		{name: "huge list", sims: make([]device.SIM, 100_000), wantErr: true},
		{name: "duplicate slot", sims: []device.SIM{{Slot: 1}, {Slot: 0}, {Slot: 1}}, wantErr: true, wantIndex: "sims[2]"},
		{name: "bad second entry", sims: []device.SIM{{Slot: 0}, {Slot: 9}}, wantErr: true, wantIndex: "sims[1]"},
		{name: "bad text first entry", sims: []device.SIM{{Slot: 0, Carrier: "\x00"}}, wantErr: true, wantIndex: "sims[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := device.ValidateSIMs(tc.sims)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, device.ErrInvalidSIM)
			require.Contains(t, err.Error(), tc.wantIndex)
		})
	}
}

func TestSIMJSONShape(t *testing.T) {
	t.Parallel()
	var sims []device.SIM
	require.NoError(t, json.Unmarshal([]byte(`[{"slot":1,"number":"+919876543210","carrier":"Jio"}]`), &sims))
	require.Equal(t, []device.SIM{{Slot: 1, Number: "+919876543210", Carrier: "Jio"}}, sims)
	require.NoError(t, device.ValidateSIMs(sims))
}

func FuzzValidateSIMs(f *testing.F) {
	f.Add(0, "+919876543210", "Jio", 1, "", "")
	f.Add(1, "\xff", "\x00", 1, "x", "y")
	f.Add(-3, "", "", 8, "", "")
	f.Fuzz(func(t *testing.T, slotA int, numA, carA string, slotB int, numB, carB string) {
		sims := []device.SIM{{Slot: slotA, Number: numA, Carrier: carA}, {Slot: slotB, Number: numB, Carrier: carB}}
		err := device.ValidateSIMs(sims)
		if err != nil {
			require.ErrorIs(t, err, device.ErrInvalidSIM)
			return
		}
		// Accepted lists respect every documented bound.
		require.NotEqual(t, slotA, slotB)
		for _, s := range sims {
			require.NoError(t, device.CheckSIMSlot(s.Slot))
			require.LessOrEqual(t, len(s.Number), device.MaxSIMNumberLen)
			require.LessOrEqual(t, len(s.Carrier), device.MaxCarrierLen)
		}
	})
}
