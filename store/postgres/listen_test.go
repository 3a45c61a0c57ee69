package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// TestLastEventID: the org's highest event ID, 0 before any, whichever replica appended;
// CodeNotFound for an unknown org.
func TestLastEventID(t *testing.T) {
	stores := replicas(t, 2)
	ctx := t.Context()
	org := "last-" + randomHex(6)
	seed(t, stores[0], org)
	other := "last-" + randomHex(6)
	seed(t, stores[0], other)

	before, err := stores[1].LastEventID(ctx, org)
	require.NoError(t, err)
	evs, err := stores[0].AppendEvents(ctx, []leadcall.Event{{OrgID: org, Type: leadcall.EventBackfillProgress}, {OrgID: org, Type: leadcall.EventBackfillProgress}})
	require.NoError(t, err)
	_, err = stores[0].AppendEvents(ctx, []leadcall.Event{{OrgID: other, Type: leadcall.EventBackfillProgress}})
	require.NoError(t, err)
	got, err := stores[1].LastEventID(ctx, org)
	require.NoError(t, err)
	require.Less(t, before, got)
	require.Equal(t, evs[1].ID, got, "another org's later event does not count")

	_, err = stores[1].LastEventID(ctx, "no-such-org")
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
}

// TestListenSaysAnyOrgFirst: Listen's first call is fn("", 0) once it listens, so a caller
// that re-reads its cursors then misses nothing committed before.
func TestListenSaysAnyOrgFirst(t *testing.T) {
	stores := replicas(t, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type call struct {
		org string
		id  int64
	}
	got := make(chan call, 100)
	done := make(chan error, 1)
	go func() {
		done <- stores[0].Listen(ctx, func(org string, id int64) { got <- call{org, id} })
	}()
	select {
	case c := <-got:
		require.Equal(t, call{"", 0}, c)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not call fn once listening")
	}
	cancel()
	require.NoError(t, <-done)
}

// TestNotifiesOnlyCommittedEvents: a transaction that fails (here: one org of the batch does
// not exist) sends no notification, not even for the org that exists; the next committed
// append's notification names its own last event.
func TestNotifiesOnlyCommittedEvents(t *testing.T) {
	stores := replicas(t, 2)
	ctx := t.Context()
	org := "notify-" + randomHex(6)
	seed(t, stores[0], org)
	sub, err := stores[1].Subscribe(ctx)
	require.NoError(t, err)
	defer sub.Close()

	_, err = stores[0].AppendEvents(ctx, []leadcall.Event{
		{OrgID: org, Type: leadcall.EventBackfillProgress},
		{OrgID: "missing-" + randomHex(6), Type: leadcall.EventBackfillProgress},
	})
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
	evs, err := stores[0].AppendEvents(ctx, []leadcall.Event{{OrgID: org, Type: leadcall.EventBackfillProgress}})
	require.NoError(t, err)
	require.Equal(t, evs[0].ID, nextFor(t, sub, org).EventID, "the first notification is the committed append's")
}
