package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func eventTests() []test {
	return []test{
		{"Events/AppendAndRead", testEventsAppendAndRead},
		{"Events/Invalid", testEventsInvalid},
		{"Events/ConcurrentAppendsIncrease", testEventsConcurrent},
	}
}

func testEventsAppendAndRead(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	evs := []leadcall.Event{
		{OrgID: e.org, Type: leadcall.EventBackfillProgress, At: base, Data: json.RawMessage(`{"done":1,"total":3}`)},
		{OrgID: "org-b", Type: leadcall.EventRecoveryUpdated, At: base.Add(time.Second)},
		{OrgID: e.org, Type: leadcall.EventRecoverySLA, At: base.Add(2 * time.Second), CallID: 42, Data: json.RawMessage(`{"case":7}`)},
	}
	out, err := e.st.AppendEvents(e.ctx, evs)
	require.NoError(t, err)
	require.Len(t, out, 3)
	requireIncreasing(t, out)
	for i := range out {
		require.NotZero(t, out[i].ID)
		require.Equal(t, out[i].ID, evs[i].ID, "IDs are set on the argument too")
	}

	got, err := e.st.Events(e.ctx, e.org, 0, 10)
	require.NoError(t, err)
	requireDiff(t, []leadcall.Event{out[0], out[2]}, got, "org-a's events", eventData)
	got, err = e.st.Events(e.ctx, e.org, out[0].ID, 10)
	require.NoError(t, err)
	requireDiff(t, []leadcall.Event{out[2]}, got, "events after the first", eventData)
	got, err = e.st.Events(e.ctx, e.org, 0, 1)
	require.NoError(t, err)
	require.Len(t, got, 1, "limit")
	require.Equal(t, out[0].ID, got[0].ID)
	got, err = e.st.Events(e.ctx, e.org, out[2].ID, 10)
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = e.st.Events(e.ctx, "org-b", 0, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, out[1].ID, got[0].ID)
	require.Empty(t, got[0].Data)

	// Events written by other methods share the sequence.
	c := e.enqueued("c-1", number(1), base)
	_, err = e.st.PauseOrg(e.ctx, e.org, time.Now().Add(time.Hour), "x")
	require.NoError(t, err)
	all, err := e.st.Events(e.ctx, e.org, 0, 100)
	require.NoError(t, err)
	requireIncreasing(t, all)
	require.Equal(t, []leadcall.EventType{leadcall.EventBackfillProgress, leadcall.EventRecoverySLA, leadcall.EventCallIngested, leadcall.EventSyncPaused}, eventTypes(all))
	require.Equal(t, c.ID, all[2].CallID)

	empty, err := e.st.AppendEvents(e.ctx, nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func testEventsInvalid(t *testing.T, e *env) {
	for name, ev := range map[string]leadcall.Event{
		"no org":   {Type: leadcall.EventBackfillProgress},
		"no type":  {OrgID: e.org},
		"bad json": {OrgID: e.org, Type: leadcall.EventBackfillProgress, Data: json.RawMessage(`{"done":`)},
	} {
		_, err := e.st.AppendEvents(e.ctx, []leadcall.Event{{OrgID: e.org, Type: leadcall.EventBackfillProgress}, ev})
		requireCode(t, err, leadcall.CodeInvalid, name)
	}
	_, err := e.st.AppendEvents(e.ctx, []leadcall.Event{{OrgID: e.org, Type: leadcall.EventBackfillProgress}, {OrgID: "nope", Type: leadcall.EventBackfillProgress}})
	requireCode(t, err, leadcall.CodeNotFound, "unknown org")
	require.Empty(t, e.events(e.org), "a refused batch stores nothing")
	_, err = e.st.Events(e.ctx, "nope", 0, 10)
	requireCode(t, err, leadcall.CodeNotFound)
}

func testEventsConcurrent(t *testing.T, e *env) {
	const (
		writers = 8
		each    = 10
	)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				data := json.RawMessage(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))
				if _, err := e.st.AppendEvents(e.ctx, []leadcall.Event{{OrgID: e.org, Type: leadcall.EventBackfillProgress, Data: data}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Read them back in pages, as a live-stream consumer does.
	var all []leadcall.Event
	after := int64(0)
	for {
		page, err := e.st.Events(e.ctx, e.org, after, 7)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	require.Len(t, all, writers*each)
	requireIncreasing(t, all)
	next := make([]int, writers)
	for _, ev := range all {
		var d struct{ W, I int }
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		require.Equalf(t, next[d.W], d.I, "writer %d's events out of order", d.W)
		next[d.W]++
	}
}
