package leadcall_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// Many workers complete jobs at once and reach the Notifier in any order; the Notifier must
// still see every event of the org exactly once, in ID order, as the event log holds them.
func TestNotifierGetsEventsInIDOrder(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, func(c *leadcall.Config) { c.Workers = 32 })
	now := h.clock.Now()
	const calls = 300
	for batch := range calls / 50 {
		var in []leadcall.IncomingCall
		for i := range 50 {
			n := batch*50 + i
			in = append(in, leadcall.IncomingCall{
				ID: fmt.Sprintf("c%d", n), Number: fmt.Sprintf("98765%05d", n), Type: "inbound",
				DurationS: 30, StartedAt: now.Add(-time.Duration(calls-n) * time.Second),
			})
		}
		h.ingest("o1", "line", in...)
	}
	h.waitIdle()

	var logged []int64
	for after := int64(0); ; {
		page, err := h.store.Events(h.ctx, "o1", after, 1000)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			logged = append(logged, ev.ID)
		}
		after = page[len(page)-1].ID
	}
	require.GreaterOrEqual(t, len(logged), 2*calls, "ingest and sync events of every call")

	// The last events are handed over just after their commit.
	require.Eventually(t, func() bool {
		h.events.mu.Lock()
		defer h.events.mu.Unlock()
		return len(h.events.evs) > 0 && h.events.evs[len(h.events.evs)-1].ID >= logged[len(logged)-1]
	}, 5*time.Second, 10*time.Millisecond)
	h.events.mu.Lock()
	var notified []int64
	for _, ev := range h.events.evs {
		if ev.OrgID == "o1" {
			notified = append(notified, ev.ID)
		}
	}
	h.events.mu.Unlock()
	// Events before the first one this Engine published (setup through the store) are not
	// replayed; from there on the Notifier sees the log exactly.
	require.NotEmpty(t, notified)
	from := 0
	for from < len(logged) && logged[from] < notified[0] {
		from++
	}
	require.Empty(t, cmp.Diff(logged[from:], notified), "Notifier IDs vs event log (-log +notified)")
}
