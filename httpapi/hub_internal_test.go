package httpapi

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// TestHubEvictsOnlyTheFullSubscriber: Notify returns at once whatever the subscribers do; the
// one whose buffer is full is ended with StatusPolicyViolation, the others keep every event.
func TestHubEvictsOnlyTheFullSubscriber(t *testing.T) {
	t.Parallel()
	hub, err := NewHub(HubConfig{Buffer: 3})
	require.NoError(t, err)
	stalled, err := hub.subscribe(context.Background(), "acme")
	require.NoError(t, err)
	reading, err := hub.subscribe(context.Background(), "acme")
	require.NoError(t, err)
	other, err := hub.subscribe(context.Background(), "globex")
	require.NoError(t, err)

	var got []int64
	for id := int64(1); id <= 10; id++ {
		require.NoError(t, hub.Notify(context.Background(), leadcall.Event{ID: id, OrgID: "acme", Type: leadcall.EventDeviceSeen}))
		got = append(got, (<-reading.events).id)
	}
	require.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, got)
	select {
	case <-stalled.done:
		require.Equal(t, websocket.StatusPolicyViolation, stalled.reason)
	default:
		t.Fatal("the stalled subscriber was not evicted")
	}
	require.Len(t, stalled.events, 3, "it kept what fitted")
	require.Equal(t, 1, hub.Subscribers("acme"))
	require.Empty(t, other.events, "another org's subscriber got nothing")

	hub.unsubscribe(stalled) // the handler's deferred call after an eviction is harmless
	hub.unsubscribe(reading)
	hub.unsubscribe(other)
	require.Zero(t, hub.Subscribers("acme"))
	require.NoError(t, hub.Close())
	_, err = hub.subscribe(context.Background(), "acme")
	require.ErrorIs(t, err, errHubClosed)
}

// BenchmarkHubNotify1000 measures one Notify to an org with 1,000 subscribers (queues drained
// off the clock between rounds): the cost the Engine's publishing goroutine pays per event.
func BenchmarkHubNotify1000(b *testing.B) {
	hub, err := NewHub(HubConfig{Buffer: 1 << 10})
	require.NoError(b, err)
	subs := make([]*subscription, 1000)
	for i := range subs {
		subs[i], err = hub.subscribe(context.Background(), "acme")
		require.NoError(b, err)
	}
	ev := leadcall.Event{OrgID: "acme", Type: leadcall.EventCallSynced, At: time.Now(), CallID: 42,
		Data: []byte(`{"id":42,"status":"synced","lead_id":"` + strconv.Itoa(4876876000000123001) + `"}`)}
	ctx := context.Background()
	for b.Loop() {
		ev.ID++
		if err := hub.Notify(ctx, ev); err != nil {
			b.Fatal(err)
		}
		if ev.ID%(1<<9) == 0 { // drain between rounds so nobody is evicted
			b.StopTimer()
			for _, s := range subs {
				for len(s.events) > 0 {
					<-s.events
				}
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	require.Equal(b, 1000, hub.Subscribers("acme"))
	for _, s := range subs {
		hub.unsubscribe(s)
	}
}
