package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

// sharedLog stands in for a store that several replicas share: the events are the SQLite
// store's, and the test plays the other replicas' notifications (NOTIFY) through notes,
// delivering them late, twice or never as it likes.
type sharedLog struct {
	*sqlite.Store
	notes      chan note
	failListen chan error // Listen returns the error sent here
	listens    atomic.Int32
	reads      atomic.Int32
	failReads  atomic.Int32 // how many next Events calls fail
}

type note struct {
	org string
	id  int64
}

var errConnLost = errors.New("connection lost")

func newSharedLog(st *sqlite.Store) *sharedLog {
	return &sharedLog{Store: st, notes: make(chan note, 100), failListen: make(chan error, 1)}
}

func (l *sharedLog) Listen(ctx context.Context, fn func(string, int64)) error {
	l.listens.Add(1)
	fn("", 0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-l.failListen:
			return err
		case n := <-l.notes:
			fn(n.org, n.id)
		}
	}
}

func (l *sharedLog) LastEventID(ctx context.Context, orgID string) (int64, error) {
	var last int64
	for {
		evs, err := l.Store.Events(ctx, orgID, last, 1000)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			return last, nil
		}
		last = evs[len(evs)-1].ID
	}
}

func (l *sharedLog) Events(ctx context.Context, orgID string, after int64, limit int) ([]leadcall.Event, error) {
	l.reads.Add(1)
	if l.failReads.Load() > 0 {
		l.failReads.Add(-1)
		return nil, leadcall.Errorf(leadcall.CodeUnavailable, "test", "database down")
	}
	return l.Store.Events(ctx, orgID, after, limit)
}

// newFollowEnv is a streamEnv whose hub follows a sharedLog over the env's store.
func newFollowEnv(t *testing.T, resync time.Duration) (*streamEnv, *sharedLog) {
	t.Helper()
	var log *sharedLog
	e := newStreamEnvWith(t, func(st *sqlite.Store) httpapi.HubConfig {
		log = newSharedLog(st)
		return httpapi.HubConfig{Follow: log, Resync: resync}
	})
	return e, log
}

// newStreamEnvWith is newStreamEnv with a hub config that may use the env's store.
func newStreamEnvWith(t *testing.T, hubCfg func(*sqlite.Store) httpapi.HubConfig) *streamEnv {
	t.Helper()
	e := newEnv(t, nil)
	hub, err := httpapi.NewHub(hubCfg(e.store))
	require.NoError(t, err)
	h, err := e.srv.WithStream(httpapi.StreamConfig{Hub: hub})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		require.NoError(t, hub.Close())
		ts.Close()
	})
	return &streamEnv{env: e, hub: hub, ts: ts, url: "ws" + strings.TrimPrefix(ts.URL, "http") + httpapi.StreamPath}
}

// remote appends n events as another replica would: they reach the store, not this hub.
func (e *streamEnv) remote(t *testing.T, n int) []int64 {
	t.Helper()
	evs := make([]leadcall.Event, n)
	for i := range evs {
		evs[i] = leadcall.Event{OrgID: "default", Type: leadcall.EventDeviceSeen, Data: json.RawMessage(`{"remote":true}`)}
	}
	stored, err := e.store.AppendEvents(t.Context(), evs)
	require.NoError(t, err)
	ids := make([]int64, n)
	for i, ev := range stored {
		ids[i] = ev.ID
	}
	return ids
}

// TestStreamFollowsOtherReplicas: with a following hub, a client gets the events of every
// replica exactly once and in ID order, whether a replica's notification arrives before the
// local Notify of a later event, late, twice, or never (the next wake-up or the resync fills
// the gap from the log).
func TestStreamFollowsOtherReplicas(t *testing.T) {
	t.Parallel()
	e, log := newFollowEnv(t, 100*time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	before := e.publish(t, "default", 2) // stored before anyone connects
	resumed, _, err := dialStream(ctx, e.url+"?after=0", adminToken)
	require.NoError(t, err)
	defer resumed.CloseNow()
	require.Equal(t, before, readUntil(ctx, t, resumed, before[1]))
	live, _, err := dialStream(ctx, e.url, adminToken) // live events only
	require.NoError(t, err)
	defer live.CloseNow()
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 2 }, 10*time.Second, 5*time.Millisecond)

	var want []int64
	a := e.remote(t, 3) // another replica commits; its NOTIFY is slow
	want = append(want, a...)
	want = append(want, e.publish(t, "default", 2)...) // our Notify comes first: the reader reads a too
	log.notes <- note{"default", a[2]}                 // the late NOTIFY changes nothing
	b := e.remote(t, 1)                                // NOTIFY lost
	c := e.remote(t, 1)                                // NOTIFY arrives: b comes with it
	log.notes <- note{"default", c[0]}
	want = append(want, b[0], c[0])
	require.NoError(t, e.hub.Notify(ctx, leadcall.Event{ID: c[0], OrgID: "default"})) // a duplicate wake-up
	require.Equal(t, want, readUntil(ctx, t, live, c[0]))
	require.Equal(t, want, readUntil(ctx, t, resumed, c[0]))

	d := e.remote(t, 2) // no NOTIFY at all: the resync finds them
	require.Equal(t, d, readUntil(ctx, t, live, d[1]))
	require.Equal(t, d, readUntil(ctx, t, resumed, d[1]))

	// Nothing was sent twice: the next message on both is the next event.
	next := e.publish(t, "default", 1)
	require.Equal(t, next, readUntil(ctx, t, live, next[0]))
	require.Equal(t, next, readUntil(ctx, t, resumed, next[0]))
}

// TestHubRelistensAndRereads: when the notification connection fails, the hub listens again
// and re-reads the log, so events whose notifications were lost meanwhile still arrive
// (without waiting for the resync, set to an hour here).
func TestHubRelistensAndRereads(t *testing.T) {
	t.Parallel()
	e, log := newFollowEnv(t, time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, _, err := dialStream(ctx, e.url+"?after=0", adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 1 }, 10*time.Second, 5*time.Millisecond)

	lost := e.remote(t, 2)
	log.failListen <- errConnLost
	require.Equal(t, lost, readUntil(ctx, t, c, lost[1]))
	require.Eventually(t, func() bool { return log.listens.Load() >= 2 }, 10*time.Second, 5*time.Millisecond)
}

// TestHubRetriesFailedReads: a log read that fails delivers nothing and is retried at the
// next wake-up; the client sees each event once.
func TestHubRetriesFailedReads(t *testing.T) {
	t.Parallel()
	e, log := newFollowEnv(t, time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, _, err := dialStream(ctx, e.url+"?after=0", adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 1 }, 10*time.Second, 5*time.Millisecond)

	log.failReads.Store(1)
	first := e.remote(t, 1)
	log.notes <- note{"default", first[0]}
	require.Eventually(t, func() bool { return log.failReads.Load() == 0 }, 10*time.Second, 5*time.Millisecond)
	second := e.publish(t, "default", 1)
	require.Equal(t, []int64{first[0], second[0]}, readUntil(ctx, t, c, second[0]))
}

// TestHubFollowReadsOnlyForSubscribedOrgs: wake-ups for an org nobody follows read nothing,
// and a closed hub stops listening.
func TestHubFollowReadsOnlyForSubscribedOrgs(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), t.TempDir()+"/leadcall.db", nil)
	require.NoError(t, err)
	defer st.Close()
	log := newSharedLog(st)
	hub, err := httpapi.NewHub(httpapi.HubConfig{Follow: log, Resync: 10 * time.Millisecond})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return log.listens.Load() == 1 }, 10*time.Second, 5*time.Millisecond)
	for id := int64(1); id <= 50; id++ {
		require.NoError(t, hub.Notify(t.Context(), leadcall.Event{ID: id, OrgID: "nobody"}))
		log.notes <- note{"nobody", id}
	}
	time.Sleep(50 * time.Millisecond) // several resync periods
	require.Zero(t, log.reads.Load())
	require.NoError(t, hub.Close())
	require.NoError(t, hub.Close())
}

// TestHubConfigRejectsNegativeResync: a negative Resync is a config error.
func TestHubConfigRejectsNegativeResync(t *testing.T) {
	t.Parallel()
	_, err := httpapi.NewHub(httpapi.HubConfig{Resync: -time.Second})
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))
}
