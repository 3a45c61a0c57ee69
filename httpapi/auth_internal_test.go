package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
