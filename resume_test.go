package leadcall_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// Calls that arrive before the org's CRM is connected wait under a pause that costs them no
// attempts, and sync as soon as ResumeSync says the CRM is connected (long before AuthPause).
func TestCallsWaitForCRMConnection(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, func(c *leadcall.Config) {
		c.AuthPause = time.Hour
		c.MaxAttempts = 2
	})
	h.setCRM(nil) // no connection yet

	now := h.clock.Now()
	h.ingest("o1", "line", leadcall.IncomingCall{ID: "w1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-time.Minute)})
	require.Eventually(t, func() bool {
		until, reason, err := h.store.OrgPause(h.ctx, "o1")
		require.NoError(t, err)
		return !until.IsZero() && reason == "crm_not_connected"
	}, 5*time.Second, 10*time.Millisecond, "the org pauses while no CRM is connected")
	// Many poll intervals later the call still waits (with MaxAttempts 2 and retries every
	// 10–50 ms it would have failed for good had waiting cost attempts).
	time.Sleep(200 * time.Millisecond)
	calls := h.allCalls("o1")
	require.Len(t, calls, 1)
	require.Equal(t, leadcall.SyncPending, calls[0].SyncStatus)

	h.setCRM(h.crm)
	require.NoError(t, h.eng.ResumeSync(h.ctx, "o1", "crm_connected"))
	h.waitIdle()
	calls = h.allCalls("o1")
	require.Equal(t, leadcall.SyncSynced, calls[0].SyncStatus, "synced once connected (an hour before the pause would end)")
	require.Equal(t, 1, h.crm.Counts().Leads)
	require.Equal(t, 1, h.events.types()[leadcall.EventSyncResumed])
	until, _, err := h.store.OrgPause(h.ctx, "o1")
	require.NoError(t, err)
	require.True(t, until.IsZero())
}
