package storebench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

func TestBatch(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	first, second := Batch(0, start), Batch(1, start)
	require.Len(t, first, BatchSize)
	require.NoError(t, sqlshared.ValidateInsert("test", "o", first), "every call is one a store accepts")

	seen := map[string]bool{}
	numbers := map[string]bool{}
	for _, nc := range append(first, second...) {
		require.True(t, nc.Enqueue)
		require.False(t, seen[nc.Call.DeviceCallID], "device call IDs are unique across batches")
		seen[nc.Call.DeviceCallID] = true
		numbers[nc.Call.NumberE164] = true
	}
	require.Len(t, numbers, 2*BatchSize, "a batch of 100 comes from 100 of the 1,000 callers")
	require.Equal(t, start.Add(BatchSize*time.Second), second[0].Call.StartedAt)
	require.Equal(t, Batch(10, start)[0].Call.NumberE164, first[0].Call.NumberE164, "numbers repeat every 1,000 calls")
}
