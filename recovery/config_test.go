package recovery_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	require.Equal(t, recovery.Config{ConnectedMinSeconds: 1, Window: 7 * 24 * time.Hour, SLA: 15 * time.Minute}, recovery.DefaultConfig())

	m := mustMatcher(t, recovery.Config{})
	require.Equal(t, recovery.Config{ConnectedMinSeconds: 0, Window: recovery.DefaultWindow, SLA: recovery.DefaultSLA}, m.Config(),
		"zero durations take defaults; ConnectedMinSeconds 0 is kept")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  recovery.Config
		ok   bool
	}{
		{"defaults", recovery.DefaultConfig(), true},
		{"zero", recovery.Config{}, true},
		{"largest", recovery.Config{ConnectedMinSeconds: recovery.MaxConnectedMinSeconds, Window: recovery.MaxWindow, SLA: recovery.MaxWindow}, true},
		{"SLA equal to Window", recovery.Config{Window: time.Hour, SLA: time.Hour}, true},
		{"negative ConnectedMinSeconds", recovery.Config{ConnectedMinSeconds: -1}, false},
		{"huge ConnectedMinSeconds", recovery.Config{ConnectedMinSeconds: recovery.MaxConnectedMinSeconds + 1}, false},
		{"negative Window", recovery.Config{Window: -time.Nanosecond}, false},
		{"Window too long", recovery.Config{Window: recovery.MaxWindow + 1}, false},
		{"negative SLA", recovery.Config{SLA: -time.Minute}, false},
		{"SLA longer than Window", recovery.Config{Window: time.Hour, SLA: time.Hour + 1}, false},
		{"default SLA longer than a short Window", recovery.Config{Window: 10 * time.Minute}, false},
		{"everything wrong", recovery.Config{ConnectedMinSeconds: -5, Window: -1, SLA: -1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			m, newErr := recovery.New(tc.cfg)
			if tc.ok {
				require.NoError(t, err)
				require.NoError(t, newErr)
				require.NotNil(t, m)
				return
			}
			require.ErrorIs(t, err, recovery.ErrInvalidConfig)
			require.ErrorIs(t, newErr, recovery.ErrInvalidConfig)
			require.Nil(t, m)
		})
	}
	err := recovery.Config{ConnectedMinSeconds: -5, Window: -1, SLA: -1}.Validate()
	for _, field := range []string{"ConnectedMinSeconds", "Window", "SLA"} {
		require.ErrorContains(t, err, field, "every bad field is reported")
	}
}
