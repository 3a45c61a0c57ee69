package leadcall_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// EachCall visits every call once, newest first, across pages, calls at the same instant
// included; it stops when told to and returns the callback's error.
func TestEachCall(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	now := h.clock.Now().Truncate(time.Second)
	var in []leadcall.IncomingCall
	for i := range 25 {
		// Groups of three calls share a start, so pages end inside a group.
		in = append(in, leadcall.IncomingCall{ID: fmt.Sprintf("e%d", i), Number: fmt.Sprintf("98765%05d", i),
			Type: "inbound", DurationS: 30, StartedAt: now.Add(-time.Duration(25-i/3) * time.Minute)})
	}
	h.ingest("o1", "line", in...)
	all, err := h.store.ListCalls(h.ctx, &leadcall.CallFilter{OrgID: "o1", Limit: 100})
	require.NoError(t, err)
	require.Len(t, all.Items, 25)
	var want []int64
	for _, c := range all.Items {
		want = append(want, c.ID)
	}

	var got []int64
	pages := 0
	err = leadcall.EachCall(h.ctx, h.store, leadcall.CallFilter{OrgID: "o1", Limit: 4}, func(c *leadcall.Call) (bool, error) {
		got = append(got, c.ID)
		return true, nil
	}, func() error { pages++; return nil })
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, 7, pages, "25 calls in pages of 4")

	got = nil
	err = leadcall.EachCall(h.ctx, h.store, leadcall.CallFilter{OrgID: "o1", Limit: 4}, func(c *leadcall.Call) (bool, error) {
		got = append(got, c.ID)
		return len(got) < 6, nil
	}, nil)
	require.NoError(t, err)
	require.Equal(t, want[:6], got, "stops when fn says so")

	boom := errors.New("boom")
	err = leadcall.EachCall(h.ctx, h.store, leadcall.CallFilter{OrgID: "o1"}, func(*leadcall.Call) (bool, error) { return true, boom },
		nil)
	require.ErrorIs(t, err, boom)
	err = leadcall.EachCall(h.ctx, h.store, leadcall.CallFilter{OrgID: "o1", Limit: 4}, func(*leadcall.Call) (bool, error) { return true, nil },
		func() error { return boom })
	require.ErrorIs(t, err, boom)
	err = leadcall.EachCall(h.ctx, h.store, leadcall.CallFilter{OrgID: "no-such-org"}, func(*leadcall.Call) (bool, error) { return true, nil }, nil)
	require.Error(t, err)
}
