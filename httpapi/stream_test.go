package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// streamEnv is a Server with the stream mounted, served on 127.0.0.1.
type streamEnv struct {
	*env
	hub *httpapi.Hub
	ts  *httptest.Server
	url string // ws:// URL of the stream
}

func newStreamEnv(t *testing.T, hubCfg httpapi.HubConfig, tweak func(*httpapi.StreamConfig)) *streamEnv {
	t.Helper()
	e := newEnv(t, nil)
	hub, err := httpapi.NewHub(hubCfg)
	require.NoError(t, err)
	cfg := httpapi.StreamConfig{Hub: hub}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := e.srv.WithStream(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		require.NoError(t, hub.Close())
		ts.Close()
	})
	return &streamEnv{env: e, hub: hub, ts: ts, url: "ws" + strings.TrimPrefix(ts.URL, "http") + httpapi.StreamPath}
}

// publish stores events of org the way the Engine does (append, then notify in ID order) and
// returns their IDs.
func (e *streamEnv) publish(t testing.TB, orgID string, n int) []int64 {
	t.Helper()
	ids, err := e.tryPublish(orgID, n)
	require.NoError(t, err)
	return ids
}

// tryPublish is publish for goroutines other than the test's.
func (e *streamEnv) tryPublish(orgID string, n int) ([]int64, error) {
	evs := make([]leadcall.Event, n)
	for i := range evs {
		evs[i] = leadcall.Event{OrgID: orgID, Type: leadcall.EventDeviceSeen, At: time.Now().UTC(), Data: json.RawMessage(`{"n":` + strconv.Itoa(i) + `}`)}
	}
	stored, err := e.store.AppendEvents(context.Background(), evs)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(stored))
	for i, ev := range stored {
		if err := e.hub.Notify(context.Background(), ev); err != nil {
			return nil, err
		}
		ids[i] = ev.ID
	}
	return ids, nil
}

func dialStream(ctx context.Context, url, token string) (*websocket.Conn, *http.Response, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
}

type wireEvent struct {
	ID     int64              `json:"id"`
	Type   leadcall.EventType `json:"type"`
	At     time.Time          `json:"at"`
	CallID int64              `json:"call_id"`
	Data   json.RawMessage    `json:"data"`
}

func readEvent(ctx context.Context, t testing.TB, c *websocket.Conn) wireEvent {
	t.Helper()
	typ, b, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	var ev wireEvent
	require.NoError(t, json.Unmarshal(b, &ev), "%s", b)
	return ev
}

// readUntil reads events until one with ID last and returns every ID read.
func readUntil(ctx context.Context, t testing.TB, c *websocket.Conn, last int64) []int64 {
	t.Helper()
	var ids []int64
	for {
		ev := readEvent(ctx, t, c)
		ids = append(ids, ev.ID)
		if ev.ID >= last {
			return ids
		}
	}
}

func idRange(from, to int64) []int64 {
	var ids []int64
	for id := from; id <= to; id++ {
		ids = append(ids, id)
	}
	return ids
}

func TestStreamMessageShape(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	stored, err := e.store.AppendEvents(ctx, []leadcall.Event{{OrgID: "default", Type: leadcall.EventCallIngested, At: at, CallID: 42, Data: json.RawMessage(`{"k":"v"}`)}})
	require.NoError(t, err)
	c, _, err := dialStream(ctx, e.url+"?after=0", adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	_, b, err := c.Read(ctx)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	want := map[string]any{"id": float64(stored[0].ID), "type": "call.ingested", "at": "2026-03-01T09:30:00Z", "call_id": float64(42), "data": map[string]any{"k": "v"}}
	require.Empty(t, cmp.Diff(want, got))
}

// TestStreamResume connects clients at different moments while events are appended and
// notified concurrently; each must see exactly the IDs after its cursor, in order.
func TestStreamResume(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{Buffer: 4096}, func(c *httpapi.StreamConfig) { c.PageSize = 7 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := e.publish(t, "default", 30)

	const total = 400
	var (
		mu     sync.Mutex
		lastID int64
	)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; i < total; i++ {
			ids, err := e.tryPublish("default", 1)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			lastID = ids[0]
			mu.Unlock()
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	type dialed struct {
		after int64
		conn  *websocket.Conn
		err   error
	}
	dials := make(chan dialed, 6)
	for k := 0; k < 6; k++ {
		after := first[5*k] // cursors inside the backlog
		go func() {
			time.Sleep(time.Duration(k) * 3 * time.Millisecond)
			c, _, err := dialStream(ctx, e.url+"?after="+strconv.FormatInt(after, 10), adminToken)
			dials <- dialed{after: after, conn: c, err: err}
		}()
	}
	var clients []dialed
	for range 6 {
		d := <-dials
		require.NoError(t, d.err)
		defer d.conn.CloseNow()
		clients = append(clients, d)
	}
	<-writerDone
	mu.Lock()
	end := lastID
	mu.Unlock()
	for _, d := range clients {
		require.Empty(t, cmp.Diff(idRange(d.after+1, end), readUntil(ctx, t, d.conn, end)), "after=%d", d.after)
	}
}

// TestStreamLateNotification: events already in the store when the client subscribes but
// notified only afterwards arrive once, from the store, and nothing after them is lost.
func TestStreamLateNotification(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stored, err := e.store.AppendEvents(ctx, []leadcall.Event{
		{OrgID: "default", Type: leadcall.EventDeviceSeen, At: time.Now()},
		{OrgID: "default", Type: leadcall.EventDeviceSeen, At: time.Now()},
	})
	require.NoError(t, err)
	c, _, err := dialStream(ctx, e.url+"?after=0", adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, stored[0].ID, readEvent(ctx, t, c).ID, "from the store")
	for _, ev := range stored { // the Engine's notifications arrive late
		require.NoError(t, e.hub.Notify(ctx, ev))
	}
	more := e.publish(t, "default", 2)
	require.Equal(t, append([]int64{stored[1].ID}, more...), readUntil(ctx, t, c, more[1]))
}

// TestStreamWriteTimeout: a client that stops reading is dropped after the write timeout even
// when its buffer never fills.
func TestStreamWriteTimeout(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{Buffer: 100_000}, func(c *httpapi.StreamConfig) { c.WriteTimeout = 100 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := dialStream(ctx, e.url, adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 1 }, 5*time.Second, 5*time.Millisecond)
	big := json.RawMessage(`"` + strings.Repeat("x", 256<<10) + `"`)
	for i := int64(1); i <= 400 && e.hub.Subscribers("default") == 1; i++ {
		require.NoError(t, e.hub.Notify(ctx, leadcall.Event{ID: i, OrgID: "default", Type: leadcall.EventDeviceSeen, Data: big}))
		time.Sleep(5 * time.Millisecond)
	}
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 0 }, 5*time.Second, 10*time.Millisecond)
	metrics := string(e.do("GET", "/metrics", "", nil).body)
	require.Contains(t, metrics, "leadcall_stream_evictions_total 0\n", "dropped by the timeout, not evicted")
}

func TestStreamLiveOnlyWithoutAfter(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.publish(t, "default", 5) // before connecting: not sent
	c, _, err := dialStream(ctx, e.url, adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 1 }, 5*time.Second, 5*time.Millisecond)
	ids := e.publish(t, "default", 3)
	require.Equal(t, ids, readUntil(ctx, t, c, ids[2]))
}

func TestStreamOrgIsolation(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.eng.CreateOrg(ctx, &leadcall.Org{ID: "other", Name: "Other"}))
	e.publish(t, "other", 3) // in the store before connecting
	c, _, err := dialStream(ctx, e.url+"?after=0", adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Zero(t, e.hub.Subscribers("other"))
	e.publish(t, "other", 3) // live
	mine := e.publish(t, "default", 2)
	require.Equal(t, mine, readUntil(ctx, t, c, mine[1]), "only the default org's events")
}

func TestStreamRefusesUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cases := []struct {
		name   string
		url    string
		header http.Header
		protos []string
	}{
		{name: "no token", url: e.url},
		{name: "wrong token", url: e.url, header: http.Header{"Authorization": {"Bearer wrong-token-0123456789"}}},
		{name: "not bearer", url: e.url, header: http.Header{"Authorization": {"Basic " + adminToken}}},
		{name: "token in the query is ignored", url: e.url + "?token=" + adminToken + "&access_token=" + adminToken},
		{name: "wrong subprotocol token", url: e.url, protos: []string{httpapi.StreamProtocol, "bearer.nope"}},
		{name: "huge header", url: e.url, header: http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 64<<10)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := websocket.Dial(ctx, tc.url, &websocket.DialOptions{HTTPHeader: tc.header, Subprotocols: tc.protos})
			if c != nil {
				c.CloseNow()
			}
			require.Error(t, err)
			require.NotNil(t, resp)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		})
	}
	require.Zero(t, e.hub.Subscribers("default"))
}

func TestStreamSubprotocolToken(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := e.publish(t, "default", 2)
	c, _, err := websocket.Dial(ctx, e.url+"?after=0", &websocket.DialOptions{
		Subprotocols: []string{httpapi.StreamProtocol, httpapi.StreamTokenProtocolPrefix + adminToken}})
	require.NoError(t, err)
	defer c.CloseNow()
	require.Equal(t, httpapi.StreamProtocol, c.Subprotocol(), "the token is never echoed")
	require.Equal(t, ids, readUntil(ctx, t, c, ids[1]))
}

func TestStreamOrigin(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, func(c *httpapi.StreamConfig) { c.OriginPatterns = []string{"dash.example.com"} })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := strings.TrimPrefix(e.ts.URL, "http://")
	cases := []struct {
		origin string
		want   int
	}{
		{"", http.StatusSwitchingProtocols}, // not a browser
		{"http://" + host, http.StatusSwitchingProtocols},
		{"https://dash.example.com", http.StatusSwitchingProtocols},
		{"https://evil.example.com", http.StatusForbidden},
		{"https://dash.example.com.evil.net", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{"://%%", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.origin, func(t *testing.T) {
			h := http.Header{"Authorization": {"Bearer " + adminToken}}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := websocket.Dial(ctx, e.url, &websocket.DialOptions{HTTPHeader: h})
			if c != nil {
				defer c.CloseNow()
			}
			if tc.want != http.StatusSwitchingProtocols {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.NotNil(t, resp)
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

func TestStreamBadRequests(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, q := range []string{"after=", "after=abc", "after=-1", "after=1e3", "after=+5", "after=0x10",
		"after=99999999999999999999", "after=9223372036854775808", "after=1&after=2", "after=" + strings.Repeat("9", 4096)} {
		t.Run(q, func(t *testing.T) {
			c, resp, err := dialStream(ctx, e.url+"?"+q, adminToken)
			if c != nil {
				c.CloseNow()
			}
			require.Error(t, err)
			require.NotNil(t, resp)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		})
	}
	// Not a WebSocket handshake, and not GET.
	r := e.do("GET", httpapi.StreamPath, adminToken, nil)
	require.NotEqual(t, http.StatusSwitchingProtocols, r.status)
	resp, err := http.Post(e.ts.URL+httpapi.StreamPath, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, "GET", resp.Header.Get("Allow"))
	// Other routes still reach the Server.
	resp, err = http.Get(e.ts.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestStreamSlowClientEvicted: a client that stops reading is evicted once its buffer is
// full, while a client that keeps reading receives every event; the evicted client gets
// StatusPolicyViolation once it reads again, and can resume where it stopped.
func TestStreamSlowClientEvicted(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{Buffer: 2}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fast, _, err := dialStream(ctx, e.url, adminToken)
	require.NoError(t, err)
	defer fast.CloseNow()
	fast.SetReadLimit(-1)
	slow, _, err := dialStream(ctx, e.url, adminToken)
	require.NoError(t, err)
	defer slow.CloseNow()
	slow.SetReadLimit(-1)
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 2 }, 5*time.Second, 5*time.Millisecond)

	// Large events fill the slow client's socket buffers, then its hub buffer.
	big := json.RawMessage(`"` + strings.Repeat("x", 256<<10) + `"`)
	var published []int64
	for i := 0; i < 400 && e.hub.Subscribers("default") == 2; i++ {
		stored, err := e.store.AppendEvents(ctx, []leadcall.Event{{OrgID: "default", Type: leadcall.EventDeviceSeen, At: time.Now(), Data: big}})
		require.NoError(t, err)
		require.NoError(t, e.hub.Notify(ctx, stored[0]))
		published = append(published, stored[0].ID)
		// Lockstep with the fast client, so only the slow one falls behind.
		require.Equal(t, stored[0].ID, readEvent(ctx, t, fast).ID)
	}
	require.Equal(t, 1, e.hub.Subscribers("default"), "slow client evicted")
	metrics := string(e.do("GET", "/metrics", "", nil).body)
	require.Contains(t, metrics, "leadcall_stream_evictions_total 1\n")
	require.Contains(t, metrics, "leadcall_stream_clients 1\n")
	more := e.publish(t, "default", 3)
	require.Equal(t, more, readUntil(ctx, t, fast, more[2]), "the fast client keeps receiving")

	var last int64
	for {
		_, b, err := slow.Read(ctx)
		if err != nil {
			require.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
			break
		}
		var ev wireEvent
		require.NoError(t, json.Unmarshal(b, &ev))
		last = ev.ID
	}
	require.Less(t, last, more[2])

	// Resume from the last event seen: the rest comes from the store.
	again, _, err := dialStream(ctx, e.url+"?after="+strconv.FormatInt(last, 10), adminToken)
	require.NoError(t, err)
	defer again.CloseNow()
	again.SetReadLimit(-1)
	want := append(published, more...)
	var wantRest []int64
	for _, id := range want {
		if id > last {
			wantRest = append(wantRest, id)
		}
	}
	require.Equal(t, wantRest, readUntil(ctx, t, again, more[2]))
}

func TestStreamClientMessageClosesConnection(t *testing.T) {
	t.Parallel()
	e := newStreamEnv(t, httpapi.HubConfig{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := dialStream(ctx, e.url, adminToken)
	require.NoError(t, err)
	defer c.CloseNow()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`{"hello":1}`)))
	_, _, err = c.Read(ctx)
	require.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
	require.Eventually(t, func() bool { return e.hub.Subscribers("default") == 0 }, 5*time.Second, 5*time.Millisecond)
}

// TestStreamShutdown: Hub.Close ends every connection with StatusGoingAway, waits for the
// handlers, refuses new clients, and leaves no goroutine behind.
func TestStreamShutdown(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	// Registered first, so it runs after every other cleanup (the store's Close included).
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	e := newEnv(t, nil)
	hub, err := httpapi.NewHub(httpapi.HubConfig{})
	require.NoError(t, err)
	h, err := e.srv.WithStream(httpapi.StreamConfig{Hub: hub, PingInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + httpapi.StreamPath
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var conns []*websocket.Conn
	for range 5 {
		c, _, err := dialStream(ctx, url+"?after=0", adminToken)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	errs := make(chan error, len(conns))
	for _, c := range conns {
		go func() {
			_, _, err := c.Read(ctx)
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // a few pings go by
	require.NoError(t, hub.Close())
	require.Zero(t, hub.Subscribers("default"))
	for range conns {
		require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(<-errs))
	}
	_, resp, err := dialStream(ctx, url, adminToken)
	require.Error(t, err)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NoError(t, hub.Close(), "idempotent")
	require.NoError(t, hub.Notify(ctx, leadcall.Event{ID: 1, OrgID: "default", Type: leadcall.EventDeviceSeen}), "a closed hub drops events")
	for _, c := range conns {
		c.CloseNow()
	}
	ts.Close()
}

func TestStreamConfigValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	hub, err := httpapi.NewHub(httpapi.HubConfig{})
	require.NoError(t, err)
	cases := []struct {
		name  string
		cfg   httpapi.StreamConfig
		field string
	}{
		{"no hub", httpapi.StreamConfig{}, "Hub"},
		{"negative timeout", httpapi.StreamConfig{Hub: hub, WriteTimeout: -1}, "StreamConfig"},
		{"page too big", httpapi.StreamConfig{Hub: hub, PageSize: httpapi.MaxStreamPageSize + 1}, "PageSize"},
		{"negative page", httpapi.StreamConfig{Hub: hub, PageSize: -1}, "PageSize"},
		{"any origin", httpapi.StreamConfig{Hub: hub, OriginPatterns: []string{"*"}}, "OriginPatterns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.srv.WithStream(tc.cfg)
			var le *leadcall.Error
			require.True(t, errors.As(err, &le), "%v", err)
			require.Equal(t, tc.field, le.Field)
		})
	}
	_, err = httpapi.NewHub(httpapi.HubConfig{Buffer: -1})
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))
	// The metrics register once per registry.
	_, err = e.srv.WithStream(httpapi.StreamConfig{Hub: hub})
	require.NoError(t, err)
	_, err = e.srv.WithStream(httpapi.StreamConfig{Hub: hub})
	require.Error(t, err)
}

func TestHubNotifyRejectsBadData(t *testing.T) {
	t.Parallel()
	hub, err := httpapi.NewHub(httpapi.HubConfig{})
	require.NoError(t, err)
	err = hub.Notify(context.Background(), leadcall.Event{ID: 1, OrgID: "default", Type: leadcall.EventDeviceSeen, Data: json.RawMessage(`{not json`)})
	require.Error(t, err)
}
