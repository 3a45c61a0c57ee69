package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// dialAs opens the stream with c (bearer token, or session cookie with origin as Origin).
func (e *streamEnv) dialAs(ctx context.Context, c cred, query string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if c.bearer != "" {
		h.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.cookie != "" {
		h.Set("Cookie", httpapi.SessionCookie+"="+c.cookie)
		if c.origin != "" && c.origin != "-" {
			h.Set("Origin", c.origin)
		}
	}
	return websocket.Dial(ctx, e.url+query, &websocket.DialOptions{HTTPHeader: h})
}

func (e *streamEnv) lastEventID(t *testing.T) int64 {
	t.Helper()
	evs, err := e.store.Events(t.Context(), "default", 0, 100000)
	require.NoError(t, err)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

func (e *streamEnv) publishEvents(t *testing.T, evs []leadcall.Event) []int64 {
	t.Helper()
	stored, err := e.store.AppendEvents(t.Context(), evs)
	require.NoError(t, err)
	ids := make([]int64, len(stored))
	for i, ev := range stored {
		require.NoError(t, e.hub.Notify(t.Context(), ev))
		ids[i] = ev.ID
	}
	return ids
}

func TestStreamSessionCookieAndAPIToken(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	mgr := e.newUser(leadcall.RoleManager, "mgr@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := strings.TrimPrefix(e.ts.URL, "http://")

	for name, c := range map[string]cred{
		"cookie, own origin": {cookie: mgr.session.cookie, origin: "http://" + host},
		"cookie, no origin":  {cookie: mgr.session.cookie, origin: "-"},
		"API token":          mgr.token,
	} {
		conn, _, err := e.dialAs(ctx, c, "")
		require.NoError(t, err, name)
		ids := e.publish(t, "default", 1)
		require.Equal(t, ids[0], readEvent(ctx, t, conn).ID, name)
		conn.CloseNow()
	}

	// A page of another site cannot open the stream with the cookie.
	_, resp, err := e.dialAs(ctx, cred{cookie: mgr.session.cookie, origin: "https://evil.example"}, "")
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	// Ended sessions and revoked or disabled credentials are refused.
	for _, c := range []cred{{cookie: "forged", origin: "-"}, bearerCred("lct_forged")} {
		_, resp, err := e.dialAs(ctx, c, "")
		require.Error(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	r := e.send("POST", "/v1/auth/logout", mgr.session, nil)
	require.Equal(t, http.StatusNoContent, r.status)
	_, resp, err = e.dialAs(ctx, cred{cookie: mgr.session.cookie, origin: "-"}, "")
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestStreamRepSeesOnlyTheirEvents: a rep's stream, live and on resume, carries only the events
// of their calls and devices (see repFilter); a manager's carries all.
func TestStreamRepSeesOnlyTheirEvents(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	repA := e.newUser(leadcall.RoleRep, "a@example.com")
	repB := e.newUser(leadcall.RoleRep, "b@example.com")
	mgr := e.newUser(leadcall.RoleManager, "mgr@example.com")
	devA, tokA := e.deviceFor(repA.repID)
	devB, tokB := e.deviceFor(repB.repID)
	at := time.Now().Add(time.Second)
	for _, c := range []struct{ tok, id, num string }{{tokA, "a1", "+919800000001"}, {tokB, "b1", "+919800000002"}} {
		r := e.do("POST", "/v1/device/calls", c.tok, map[string]any{"calls": []any{call(c.id, c.num, "missed", at)}})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	callOf := map[string]int64{}
	page, err := e.store.ListCalls(t.Context(), &leadcall.CallFilter{OrgID: "default"})
	require.NoError(t, err)
	for _, c := range page.Items {
		callOf[c.DeviceID] = c.ID
	}
	after := e.lastEventID(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := fmt.Sprintf("?after=%d", after)
	liveA, _, err := e.dialAs(ctx, repA.token, q)
	require.NoError(t, err)
	defer liveA.CloseNow()
	liveMgr, _, err := e.dialAs(ctx, mgr.token, q)
	require.NoError(t, err)
	defer liveMgr.CloseNow()

	ev := func(typ leadcall.EventType, callID int64, data string) leadcall.Event {
		return leadcall.Event{OrgID: "default", Type: typ, At: time.Now().UTC(), CallID: callID, Data: json.RawMessage(data)}
	}
	evs := []leadcall.Event{
		ev(leadcall.EventDeviceUpdated, 0, fmt.Sprintf(`{"id":%q,"rep_id":%q}`, devA, repA.repID)),                       // A's
		ev(leadcall.EventDeviceSeen, 0, fmt.Sprintf(`{"id":%q,"rep_id":%q}`, devB, repB.repID)),                          // B's
		ev(leadcall.EventCallIngested, callOf[devA], `{}`),                                                               // A's call
		ev(leadcall.EventCallSynced, callOf[devB], `{}`),                                                                 // B's call
		ev(leadcall.EventReviewCreated, 0, fmt.Sprintf(`{"id":7,"call_id":%d}`, callOf[devA])),                           // A's call
		ev(leadcall.EventSettingsUpdated, 0, `{"time_zone":"Asia/Kolkata"}`),                                             // org-wide
		ev(leadcall.EventAssignmentSet, 0, fmt.Sprintf(`{"id":1,"device_id":%q}`, devA)),                                 // A's device
		ev(leadcall.EventAssignmentSet, 0, fmt.Sprintf(`{"id":2,"device_id":%q}`, devB)),                                 // B's device
		ev(leadcall.EventRecoveryUpdated, 0, fmt.Sprintf(`{"device_id":%q,"recovered_by_rep_id":%q}`, devB, repA.repID)), // A recovered it
		ev(leadcall.EventRecoveryUpdated, 0, fmt.Sprintf(`{"device_id":%q}`, devB)),                                      // B's
		ev(leadcall.EventBackfillProgress, 0, `{"done":1,"total":2}`),                                                    // org-wide
		ev(leadcall.EventDeviceUpdated, 0, fmt.Sprintf(`{"id":%q,"rep_id":%q}`, devB, repA.repID)),                       // B's phone moved to A
		ev(leadcall.EventAssignmentSet, 0, fmt.Sprintf(`{"id":3,"device_id":%q}`, devB)),                                 // now A's device
	}
	ids := e.publishEvents(t, evs)
	wantA := []int64{ids[0], ids[2], ids[4], ids[6], ids[8], ids[11], ids[12]}

	read := func(c *websocket.Conn, n int) []int64 {
		var got []int64
		for range n {
			got = append(got, readEvent(ctx, t, c).ID)
		}
		return got
	}
	require.Equal(t, wantA, read(liveA, len(wantA)), "live")
	require.Equal(t, ids, read(liveMgr, len(ids)), "a manager sees everything")

	// Resuming reads the same selection from the event log.
	resumed, _, err := e.dialAs(ctx, repA.session, q)
	require.NoError(t, err)
	defer resumed.CloseNow()
	require.Equal(t, wantA, read(resumed, len(wantA)), "resumed")
	// Nothing else follows: the next event A gets is the next of theirs.
	more := e.publishEvents(t, []leadcall.Event{ev(leadcall.EventCallSynced, callOf[devB], `{}`), ev(leadcall.EventCallSynced, callOf[devA], `{}`)})
	require.Equal(t, []int64{more[1]}, read(liveA, 1))
	require.Equal(t, []int64{more[1]}, read(resumed, 1))
}
