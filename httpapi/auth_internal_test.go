package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
)

func TestRouteWithoutAccessRulePanics(t *testing.T) {
	m := &routeMux{ServeMux: http.NewServeMux()}
	require.PanicsWithValue(t, `httpapi: route "GET /x" registered without an access rule (wrap it with s.public, s.device or s.role)`,
		func() { m.Handle("GET /x", http.NotFoundHandler()) })
	require.Panics(t, func() { m.Handle("/nomethod", &guarded{access: AccessPublic, h: http.NotFound}) })
	m.HandleFunc("GET /y", &guarded{access: AccessRep, h: http.NotFound})
	require.Equal(t, []Route{{Method: "GET", Path: "/y", Access: AccessRep}}, m.routes)
}

// fakeStore answers the filter's lookups: calls 1–9 are rep-a's, devices "d-a*" rep-a's.
type fakeStore struct{ leadcall.Store }

func (fakeStore) Call(_ context.Context, _ string, id int64) (*leadcall.Call, error) {
	if id >= 1 && id <= 9 {
		return &leadcall.Call{ID: id, RepID: "rep-a"}, nil
	}
	return nil, leadcall.Errorf(leadcall.CodeNotFound, "fake", "no call")
}

func (fakeStore) Device(_ context.Context, _ string, id string) (*leadcall.Device, error) {
	if len(id) >= 3 && id[:3] == "d-a" {
		return &leadcall.Device{ID: id, RepID: "rep-a"}, nil
	}
	return &leadcall.Device{ID: id, RepID: "rep-b"}, nil
}

// FuzzRepFilter: any stream message, however malformed, is decided without a panic, and one
// that names nothing of rep-a's is never let through.
func FuzzRepFilter(f *testing.F) {
	for _, s := range []string{
		`{"type":"device.updated","data":{"id":"d-a1","rep_id":"rep-a"}}`,
		`{"type":"call.synced","call_id":3}`,
		`{"type":"review.created","data":{"call_id":12}}`,
		`{"type":"recovery.updated","data":{"device_id":"d-b","recovered_by_rep_id":"rep-a"}}`,
		`{"type":"assignment.set","data":{"device_id":"d-a2"}}`,
		`{"type":"settings.updated","data":{}}`, `{"type":"device.seen","data":{"id":7}}`, `null`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		rf := newRepFilter(fakeStore{}, "org", "rep-a")
		allowed := rf.allow(context.Background(), payload)
		// An event that names nothing of rep-a's is refused.
		if allowed {
			var ev filterEvent
			require.NoError(t, json.Unmarshal(payload, &ev))
			d := ev.Data
			var id string
			_ = json.Unmarshal(d.ID, &id)
			mine := d.RepID == "rep-a" || d.RecoveredByRepID == "rep-a" ||
				(ev.CallID >= 1 && ev.CallID <= 9) || (ev.CallID == 0 && d.CallID >= 1 && d.CallID <= 9)
			for _, dev := range []string{id, d.DeviceID, d.RecoveredByDeviceID} {
				mine = mine || strings.HasPrefix(dev, "d-a")
			}
			require.True(t, mine, "let through: %q", payload)
		}
	})
}

// TestLoginsBeyondTheCapAreRefused: with every password-check slot taken, a login answers 429
// at once, and works again when a slot frees.
func TestLoginsBeyondTheCapAreRefused(t *testing.T) {
	s := &Server{cfg: Config{MaxBodyBytes: 1 << 10, OrgID: "default", Now: time.Now, BcryptCost: 4},
		logins: newLoginLimiter(rate.Inf, 1), loginSlots: make(chan struct{}, 1), store: fakeStore{}}
	s.log = slog.New(slog.DiscardHandler)
	s.loginSlots <- struct{}{}
	login := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"whatever pw"}`))
		rec := httptest.NewRecorder()
		s.login(rec, req)
		return rec
	}
	rec := login()
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Contains(t, rec.Body.String(), "sign-ins in progress")
	<-s.loginSlots
	require.Equal(t, http.StatusUnauthorized, login().Code, "unknown email: a password check, then 401")
	require.Empty(t, s.loginSlots, "the slot is given back")
}

func (fakeStore) UserByEmail(context.Context, string, string) (*leadcall.User, error) {
	return nil, leadcall.Errorf(leadcall.CodeNotFound, "fake", "no user")
}
