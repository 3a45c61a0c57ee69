package recovery_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

func TestBuildRejectsMalformedCalls(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	huge := strings.Repeat("9", 1<<20)
	cases := []struct {
		name    string
		call    recovery.Call
		message string
	}{
		{"zero ID", miss(0, 0), "ID must be positive"},
		{"negative ID", miss(-3, 0), "ID must be positive"},
		{"empty number", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "" }), "not in E.164 form"},
		{"national format", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "09876512345" }), "not in E.164 form"},
		{"spaces", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "+91 98765 12345" }), "not in E.164 form"},
		{"leading zero", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "+0123456789" }), "not in E.164 form"},
		{"too many digits", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "+1234567890123456" }), "not in E.164 form"},
		{"huge number", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "+" + huge }), "not in E.164 form"},
		{"unicode digits", with(miss(1, 0), func(c *recovery.Call) { c.NumberE164 = "+९१९८७६५१२३४५" }), "not in E.164 form"},
		{"unknown type", with(miss(1, 0), func(c *recovery.Call) { c.Type = "voicemail" }), `unknown type "voicemail"`},
		{"empty type", with(miss(1, 0), func(c *recovery.Call) { c.Type = "" }), "unknown type"},
		{"huge type", with(miss(1, 0), func(c *recovery.Call) { c.Type = recovery.CallType(huge) }), "(1048576 bytes)"},
		{"unknown kind", with(miss(1, 0), func(c *recovery.Call) { c.DeviceKind = "Campaign" }), "unknown device kind"},
		{"no device", with(miss(1, 0), func(c *recovery.Call) { c.DeviceID = "" }), "device ID is required"},
		{"zero time", with(miss(1, 0), func(c *recovery.Call) { c.StartedAt = time.Time{} }), "start time is required"},
		{"ancient time", with(miss(1, 0), func(c *recovery.Call) { c.StartedAt = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC) }), "outside 1900-9999"},
		{"far future", with(miss(1, 0), func(c *recovery.Call) { c.StartedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), "outside 1900-9999"},
		{"negative duration", callback(1, 0, -1), "duration -1 s is negative"},
		{"negative assignment", with(miss(1, 0), func(c *recovery.Call) { c.AssignmentID = -1 }), "assignment ID -1 is negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := []recovery.Call{miss(100, 0), tc.call}
			got, err := m.Build(calls, at(60))
			require.ErrorIs(t, err, recovery.ErrInvalidCall)
			require.Nil(t, got)
			require.ErrorContains(t, err, "calls[1]")
			require.ErrorContains(t, err, tc.message)
			require.Less(t, len(err.Error()), 200, "hostile input does not flood the error")
			require.NotContains(t, err.Error(), "98765", "numbers are masked")
			require.ErrorIs(t, tc.call.Validate(), recovery.ErrInvalidCall)

			// The same call does not count once ignored or from an inactive device.
			ignored := tc.call
			ignored.Ignored = true
			inactive := tc.call
			inactive.DeviceInactive = true
			got, err = m.Build([]recovery.Call{miss(100, 0), ignored, inactive}, at(60))
			require.NoError(t, err)
			require.Len(t, got, 1)
		})
	}
}

func TestBuildRejectsRepeatedIDsAndBadNow(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	_, err := m.Build([]recovery.Call{miss(1, 0), callback(1, 5, 60)}, at(60))
	require.ErrorIs(t, err, recovery.ErrInvalidCall)
	require.ErrorContains(t, err, "ID used twice")

	// An ignored call may share an ID: it is not looked at.
	_, err = m.Build([]recovery.Call{miss(1, 0), with(callback(1, 5, 60), func(c *recovery.Call) { c.Ignored = true })}, at(60))
	require.NoError(t, err)

	for _, now := range []time.Time{{}, time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, err := m.Build([]recovery.Call{miss(1, 0)}, now)
		require.ErrorIs(t, err, recovery.ErrInvalidTime)
	}
	got, err := m.Build(nil, at(0))
	require.NoError(t, err)
	require.Empty(t, got)
}

// A large org history: 50,000 callers, each with a miss, a short attempt and, for every
// other caller, a connected callback.
func TestBuildLargeInput(t *testing.T) {
	t.Parallel()
	m := mustMatcher(t, recovery.DefaultConfig())
	const callers = 50_000
	calls := make([]recovery.Call, 0, callers*3)
	id := int64(0)
	for i := range callers {
		number := fmt.Sprintf("+1415%07d", i)
		id++
		calls = append(calls, with(miss(id, i%1000), func(c *recovery.Call) { c.NumberE164 = number }))
		id++
		calls = append(calls, with(callback(id, i%1000+1, 0), func(c *recovery.Call) { c.NumberE164 = number }))
		if i%2 == 0 {
			id++
			calls = append(calls, with(callback(id, i%1000+2, 90), func(c *recovery.Call) { c.NumberE164 = number }))
		}
	}
	got, err := m.Build(calls, at(2000))
	require.NoError(t, err)
	s := recovery.Summarize(got)
	require.Equal(t, callers, s.Cases)
	require.Equal(t, callers/2, s.Recovered)
	require.Equal(t, callers/2, s.Attempted)
	require.Equal(t, callers+callers/2, s.Attempts)
	require.Equal(t, time.Minute, s.MedianTimeToFirstAttempt)
	require.Equal(t, 2*time.Minute, s.MedianTimeToConnect)
}
