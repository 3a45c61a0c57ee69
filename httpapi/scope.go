package httpapi

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/leadcall/leadcall"
)

// noDevice is a device ID no device has: a filter on it selects nothing (a rep without
// devices).
const noDevice = "\x00none"

// repDevices narrows a device filter to the rep's devices (Device.RepID): the requested ones
// that are the rep's, or all the rep's when none were requested. The result is never empty, as
// an empty filter would mean every device.
func (s *Server) repDevices(ctx context.Context, orgID, repID string, requested []string) ([]string, error) {
	ds, err := s.store.Devices(ctx, orgID)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(requested))
	for _, id := range requested {
		want[id] = true
	}
	var out []string
	for _, d := range ds {
		if d.RepID == repID && (len(requested) == 0 || want[d.ID]) {
			out = append(out, d.ID)
		}
	}
	if len(out) == 0 {
		out = []string{noDevice}
	}
	return out, nil
}

// repFilter picks the live-stream events a user of role rep may see, from each event's type,
// call_id and data:
//   - an event with a call_id (call.*, review.*): when the call's RepID is the rep's (the
//     device's rep when the call was ingested, as for GET /v1/calls);
//   - device.*: when the device's rep_id (in the data) is the rep's;
//   - an event whose data names a device_id (assignment.set, recovery.*): when that device is
//     the rep's now; recovery.* also when recovered_by_rep_id is the rep;
//   - anything else (settings, reps, sync pauses, backfills) is not sent to reps.
//
// Lookups are cached per connection; device.* events keep the device cache current.
type repFilter struct {
	store   leadcall.Store
	orgID   string
	repID   string
	calls   map[int64]bool
	devices map[string]bool
}

// maxFilterCache bounds each cache of one connection.
const maxFilterCache = 10_000

func newRepFilter(st leadcall.Store, orgID, repID string) *repFilter {
	return &repFilter{store: st, orgID: orgID, repID: repID, calls: make(map[int64]bool), devices: make(map[string]bool)}
}

// filterEvent is the part of a stream message the filter reads.
type filterEvent struct {
	Type   string `json:"type"`
	CallID int64  `json:"call_id"`
	Data   struct {
		ID                  json.RawMessage `json:"id"`
		RepID               string          `json:"rep_id"`
		DeviceID            string          `json:"device_id"`
		CallID              int64           `json:"call_id"`
		RecoveredByRepID    string          `json:"recovered_by_rep_id"`
		RecoveredByDeviceID string          `json:"recovered_by_device_id"`
	} `json:"data"`
}

func (f *repFilter) allow(ctx context.Context, payload []byte) bool {
	var ev filterEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return false
	}
	d := &ev.Data
	switch {
	case strings.HasPrefix(ev.Type, "device."):
		var id string
		if json.Unmarshal(d.ID, &id) != nil || id == "" {
			return false
		}
		mine := d.RepID == f.repID
		remember(f.devices, id, mine)
		return mine
	case ev.CallID != 0:
		return f.call(ctx, ev.CallID)
	case d.CallID != 0:
		return f.call(ctx, d.CallID)
	case strings.HasPrefix(ev.Type, "recovery."):
		return d.RecoveredByRepID == f.repID || f.device(ctx, d.DeviceID) || f.device(ctx, d.RecoveredByDeviceID)
	case d.DeviceID != "":
		return f.device(ctx, d.DeviceID)
	}
	return false
}

func (f *repFilter) call(ctx context.Context, id int64) bool {
	if mine, ok := f.calls[id]; ok {
		return mine
	}
	c, err := f.store.Call(ctx, f.orgID, id)
	if err != nil {
		return false // not cached: a transient failure is retried on the next event
	}
	mine := c.RepID == f.repID
	remember(f.calls, id, mine)
	return mine
}

func (f *repFilter) device(ctx context.Context, id string) bool {
	if id == "" {
		return false
	}
	if mine, ok := f.devices[id]; ok {
		return mine
	}
	d, err := f.store.Device(ctx, f.orgID, id)
	if err != nil {
		return false
	}
	mine := d.RepID == f.repID
	remember(f.devices, id, mine)
	return mine
}

// remember caches a decision; a full cache starts over.
func remember[K comparable](m map[K]bool, key K, mine bool) {
	if len(m) >= maxFilterCache {
		clear(m)
	}
	m[key] = mine
}
