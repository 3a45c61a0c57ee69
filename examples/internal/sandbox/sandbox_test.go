package sandbox

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/examples/internal/simclient"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

const testAdmin = "sandbox-test-admin-token-0123456789"

func appendEvents(t *testing.T, st leadcall.Store, n int) []leadcall.Event {
	t.Helper()
	evs := make([]leadcall.Event, n)
	for i := range evs {
		evs[i] = leadcall.Event{OrgID: httpapi.DefaultOrgID, Type: leadcall.EventSettingsUpdated, At: time.Now().UTC(),
			Data: json.RawMessage(`{"n":1}`)}
	}
	stored, err := st.AppendEvents(t.Context(), evs)
	require.NoError(t, err)
	return stored
}

func TestLocalEventLog(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "log.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	require.NoError(t, st.CreateOrg(t.Context(), &leadcall.Org{ID: httpapi.DefaultOrgID, Name: "Default"}))
	log := NewLocalEventLog(st)

	last, err := log.LastEventID(t.Context(), httpapi.DefaultOrgID)
	require.NoError(t, err)
	require.Zero(t, last, "no events yet")

	stored := appendEvents(t, st, 2*eventPage+3) // more than one page
	last, err = log.LastEventID(t.Context(), httpapi.DefaultOrgID)
	require.NoError(t, err)
	require.Equal(t, stored[len(stored)-1].ID, last)

	more := appendEvents(t, st, 2)
	last, err = log.LastEventID(t.Context(), httpapi.DefaultOrgID)
	require.NoError(t, err)
	require.Equal(t, more[1].ID, last, "reads on from the head it saw")

	_, err = log.LastEventID(t.Context(), "no-such-org")
	require.Error(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	var calls []string
	done := make(chan error, 1)
	go func() {
		done <- log.Listen(ctx, func(orgID string, eventID int64) { calls = append(calls, orgID) })
	}()
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, []string{""}, calls, "one wake-up for every org, then nothing")
}

// TestStreamInIDOrder hands the hub events out of ID order, as the Engine does when two
// goroutines commit at once, and checks that a live client still gets every one, in order.
// Without the hub following the log, the stream drops the events notified late.
func TestStreamInIDOrder(t *testing.T) {
	t.Parallel()
	srv, err := Start(t.Context(), Config{Dir: t.TempDir(), AdminToken: testAdmin})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	client, err := simclient.New(simclient.Config{BaseURL: srv.URL(), AdminToken: testAdmin})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan int64, 16)
	ready := make(chan struct{})
	go func() {
		_ = client.Stream(ctx, simclient.StreamOptions{Ready: ready}, func(ev leadcall.Event) error {
			got <- ev.ID
			return nil
		})
	}()
	<-ready

	evs := appendEvents(t, srv.store, 3)
	for _, i := range []int{2, 0, 1} { // the last committed is notified first
		require.NoError(t, srv.hub.Notify(t.Context(), evs[i]))
	}
	var ids []int64
	for range evs {
		select {
		case id := <-got:
			ids = append(ids, id)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %v, want %d events", ids, len(evs))
		}
	}
	require.Empty(t, cmp.Diff([]int64{evs[0].ID, evs[1].ID, evs[2].ID}, ids))
}

func TestSandboxZohoLimits(t *testing.T) {
	t.Parallel()
	zc := zoho.Config{Limiter: rate.NewLimiter(5, 10)}
	LiftClientLimits(&zc)
	require.Nil(t, zc.Limiter, "no shared limiter either")
	require.True(t, math.IsInf(zc.RequestsPerSecond, 1), "no client-side rate limit")
	require.Greater(t, zc.Concurrency, zoho.DefaultConcurrency)
	fake := FakeZohoConfig()
	require.Negative(t, fake.MaxConcurrency, "the fake never answers 429 for concurrency")
	require.Negative(t, fake.MaxSubConcurrency)
	require.Equal(t, "127.0.0.1:0", fake.Addr, "loopback only")
}

func TestStartNeedsDirAndToken(t *testing.T) {
	t.Parallel()
	_, err := Start(t.Context(), Config{AdminToken: testAdmin})
	require.ErrorContains(t, err, "Dir")
	_, err = Start(t.Context(), Config{Dir: t.TempDir()})
	require.ErrorContains(t, err, "AdminToken")
}
