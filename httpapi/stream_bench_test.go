package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// BenchmarkStreamFanout1000 connects 1,000 WebSocket clients on loopback and publishes events
// through the Hub one at a time; each iteration is one event delivered to all 1,000 clients.
// It reports the publish → client-receive latency over every delivery (p50, p99, max; budget
// p99 ≤ 50 ms). Bound it with -benchtime, e.g. -benchtime=200x.
func BenchmarkStreamFanout1000(b *testing.B) { benchmarkFanout(b, 1) }

// BenchmarkStreamFanout1000Burst10 is BenchmarkStreamFanout1000 with 10 events published
// back to back per iteration, so latencies include queueing behind earlier events.
func BenchmarkStreamFanout1000Burst10(b *testing.B) { benchmarkFanout(b, 10) }

func benchmarkFanout(b *testing.B, burst int) {
	const clients = 1000
	e := newEnv(b, nil)
	hub, err := httpapi.NewHub(httpapi.HubConfig{})
	require.NoError(b, err)
	h, err := e.srv.WithStream(httpapi.StreamConfig{Hub: hub})
	require.NoError(b, err)
	ts := httptest.NewServer(h)
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + httpapi.StreamPath
	ctx, cancel := context.WithCancel(context.Background())

	var (
		sentAt    sync.Map // event ID -> publish time
		remaining atomic.Int64
		delivered = make(chan struct{}, 1)
		mu        sync.Mutex
		latencies []time.Duration
		readers   sync.WaitGroup
	)
	conns := make([]*websocket.Conn, 0, clients)
	for range clients {
		c, _, err := dialStream(ctx, url, adminToken)
		require.NoError(b, err)
		conns = append(conns, c)
	}
	for _, c := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var mine []time.Duration
			defer func() {
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			}()
			for {
				_, data, err := c.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				var ev struct {
					ID int64 `json:"id"`
				}
				if json.Unmarshal(data, &ev) != nil {
					return
				}
				if at, ok := sentAt.Load(ev.ID); ok {
					mine = append(mine, now.Sub(at.(time.Time)))
				}
				if remaining.Add(-1) == 0 {
					delivered <- struct{}{}
				}
			}
		}()
	}
	b.Cleanup(func() {
		_ = hub.Close()
		cancel()
		for _, c := range conns {
			_ = c.CloseNow()
		}
		readers.Wait()
		ts.Close()
	})
	require.Eventually(b, func() bool { return hub.Subscribers("default") == clients }, 30*time.Second, 10*time.Millisecond)

	data := json.RawMessage(`{"id":1,"status":"synced","lead_id":"4876876000000123001"}`)
	var id int64
	for b.Loop() {
		remaining.Store(int64(clients * burst))
		for range burst {
			id++
			sentAt.Store(id, time.Now())
			require.NoError(b, hub.Notify(ctx, leadcall.Event{ID: id, OrgID: "default", Type: leadcall.EventCallSynced, At: time.Now(), Data: data}))
		}
		select {
		case <-delivered:
		case <-time.After(10 * time.Second):
			b.Fatalf("event %d: %d deliveries missing", id, remaining.Load())
		}
	}
	b.StopTimer()
	require.Equal(b, clients, hub.Subscribers("default"), "no client evicted")
	_ = hub.Close()
	cancel()
	readers.Wait()
	require.Len(b, latencies, clients*int(id))
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1])/float64(time.Millisecond), "max-ms")
	b.ReportMetric(float64(clients), "clients")
}
