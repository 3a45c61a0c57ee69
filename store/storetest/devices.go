package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

func deviceTests() []test {
	return []test{
		{"Device/CreateAndGet", testDeviceCreateAndGet},
		{"Device/CreateConflict", testDeviceCreateConflict},
		{"Device/Invalid", testDeviceInvalid},
		{"Device/ListOrderAndScope", testDeviceList},
		{"Device/ByCredentialHash", testDeviceByHash},
		{"Device/SeatLimit", testDeviceSeatLimit},
		{"Device/Update", testDeviceUpdate},
		{"Device/UpdateClosesAssignment", testDeviceUpdateClosesAssignment},
		{"Device/Heartbeat", testDeviceHeartbeat},
		{"Device/OwnNumbers", testOwnNumbers},
	}
}

func fullDevice(orgID, id string) *leadcall.Device {
	return &leadcall.Device{
		OrgID: orgID, ID: id, Kind: device.KindSalesRep, Nickname: "Priya's phone", RepID: "rep-1", Active: true,
		Model: "Pixel 9", OS: "Android 16", AppVersion: "1.4.2", Battery: 81,
		SIMs:       []leadcall.SIM{{Slot: 0, Number: "+919800000001", Carrier: "Jio"}, {Slot: 1, Number: "+919800000002"}},
		CreatedAt:  base.Add(123 * time.Millisecond),
		EnrolledAt: base.Add(time.Minute), LastSeenAt: base.Add(2 * time.Minute),
		TokenHash: "tok-hash-" + id, PairingCodeHash: "pair-hash-" + id, PairingExpiresAt: base.Add(time.Hour),
	}
}

func testDeviceCreateAndGet(t *testing.T, e *env) {
	d := fullDevice(e.org, "dev-full")
	require.NoError(t, e.st.CreateDevice(e.ctx, d))
	got, err := e.st.Device(e.ctx, e.org, "dev-full")
	require.NoError(t, err)
	requireDiff(t, d, got, "stored device")
	require.Zero(t, got.AssignmentsVersion)

	// A minimal device: zero times stay zero, CreatedAt is filled in.
	m := &leadcall.Device{OrgID: e.org, ID: "dev-min", Kind: device.KindCampaign}
	require.NoError(t, e.st.CreateDevice(e.ctx, m))
	got, err = e.st.Device(e.ctx, e.org, "dev-min")
	require.NoError(t, err)
	require.False(t, got.CreatedAt.IsZero())
	require.True(t, got.EnrolledAt.IsZero())
	require.True(t, got.LastSeenAt.IsZero())
	require.True(t, got.PairingExpiresAt.IsZero())
	require.Empty(t, got.TokenHash)
	require.False(t, got.Active)
}

func testDeviceCreateConflict(t *testing.T, e *env) {
	requireCode(t, e.st.CreateDevice(e.ctx, e.newDevice(e.org, e.dev)), leadcall.CodeConflict)

	e.createOrg("org-b", 0)
	require.NoError(t, e.st.CreateDevice(e.ctx, e.newDevice("org-b", e.dev)), "the same device ID in another org is another device")

	// Credential hashes identify one device across all orgs.
	a := e.createDevice(e.org, "dev-a", func(d *leadcall.Device) { d.TokenHash = "same-token" })
	b := e.newDevice("org-b", "dev-b")
	b.TokenHash = a.TokenHash
	requireCode(t, e.st.CreateDevice(e.ctx, b), leadcall.CodeConflict, "a token hash already in use")
	_, err := e.st.Device(e.ctx, "org-b", "dev-b")
	requireCode(t, err, leadcall.CodeNotFound, "the conflicting device must not be stored")
}

func testDeviceInvalid(t *testing.T, e *env) {
	for name, d := range map[string]*leadcall.Device{
		"nil":       nil,
		"no org":    {ID: "x", Kind: device.KindCampaign},
		"no id":     {OrgID: e.org, Kind: device.KindCampaign},
		"no kind":   {OrgID: e.org, ID: "x"},
		"bad kind":  {OrgID: e.org, ID: "x", Kind: "tablet"},
		"case kind": {OrgID: e.org, ID: "x", Kind: "Campaign"},
	} {
		requireCode(t, e.st.CreateDevice(e.ctx, d), leadcall.CodeInvalid, name)
	}
	requireCode(t, e.st.CreateDevice(e.ctx, e.newDevice("nope", "x")), leadcall.CodeNotFound, "unknown org")
	_, err := e.st.Device(e.ctx, e.org, "x")
	requireCode(t, err, leadcall.CodeNotFound)
}

func testDeviceList(t *testing.T, e *env) {
	e.createDevice(e.org, "b", func(d *leadcall.Device) { d.Nickname = "Alpha" })
	e.createDevice(e.org, "a", func(d *leadcall.Device) { d.Nickname = "Alpha" })
	e.createDevice(e.org, "c", func(d *leadcall.Device) { d.Nickname = "Zulu" })
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "other", func(d *leadcall.Device) { d.Nickname = "Aaa" })

	ds, err := e.st.Devices(e.ctx, e.org)
	require.NoError(t, err)
	var ids []string
	for _, d := range ds {
		require.Equal(t, e.org, d.OrgID)
		ids = append(ids, d.ID)
	}
	require.Equal(t, []string{"a", "b", e.dev, "c"}, ids, "ordered by nickname (Alpha, Alpha, Phone dev-1, Zulu), then ID")

	_, err = e.st.Device(e.ctx, e.org, "other")
	requireCode(t, err, leadcall.CodeNotFound, "another org's device")
}

func testDeviceByHash(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	d := fullDevice("org-b", "dev-h")
	require.NoError(t, e.st.CreateDevice(e.ctx, d))

	got, err := e.st.DeviceByTokenHash(e.ctx, d.TokenHash)
	require.NoError(t, err)
	requireDiff(t, d, got, "device by token hash")
	got, err = e.st.DeviceByPairingCodeHash(e.ctx, d.PairingCodeHash)
	require.NoError(t, err)
	requireDiff(t, d, got, "device by pairing code hash")

	for _, h := range []string{"", "unknown", d.PairingCodeHash} {
		_, err = e.st.DeviceByTokenHash(e.ctx, h)
		requireCode(t, err, leadcall.CodeNotFound, "token hash %q", h)
	}
	for _, h := range []string{"", "unknown", d.TokenHash} {
		_, err = e.st.DeviceByPairingCodeHash(e.ctx, h)
		requireCode(t, err, leadcall.CodeNotFound, "pairing hash %q", h)
	}
}

func testDeviceSeatLimit(t *testing.T, e *env) {
	e.createOrg("org-s", 2)
	e.createDevice("org-s", "d1")
	e.createDevice("org-s", "d2")
	requireCode(t, e.st.CreateDevice(e.ctx, e.newDevice("org-s", "d3")), leadcall.CodeSeatLimit)
	_, err := e.st.Device(e.ctx, "org-s", "d3")
	requireCode(t, err, leadcall.CodeNotFound, "a device refused for the seat limit is not stored")

	// Inactive devices take no seat.
	inactive := e.createDevice("org-s", "d4", func(d *leadcall.Device) { d.Active = false })

	// Reactivating checks the limit too.
	inactive.Active = true
	requireCode(t, e.st.UpdateDevice(e.ctx, inactive, time.Time{}), leadcall.CodeSeatLimit)
	got, err := e.st.Device(e.ctx, "org-s", "d4")
	require.NoError(t, err)
	require.False(t, got.Active, "refused reactivation leaves the device inactive")

	// Updating an active device at the limit is fine.
	d1, err := e.st.Device(e.ctx, "org-s", "d1")
	require.NoError(t, err)
	d1.Nickname = "renamed"
	require.NoError(t, e.st.UpdateDevice(e.ctx, d1, time.Time{}))

	// Freeing a seat lets the other one in.
	d1.Active = false
	require.NoError(t, e.st.UpdateDevice(e.ctx, d1, time.Time{}))
	inactive.Active = true
	require.NoError(t, e.st.UpdateDevice(e.ctx, inactive, time.Time{}))

	// Lowering the limit never deactivates anyone.
	o, err := e.st.Org(e.ctx, "org-s")
	require.NoError(t, err)
	o.SeatLimit = 1
	require.NoError(t, e.st.UpdateOrg(e.ctx, o))
	ds, err := e.st.Devices(e.ctx, "org-s")
	require.NoError(t, err)
	active := 0
	for _, d := range ds {
		if d.Active {
			active++
		}
	}
	require.Equal(t, 2, active)

	// No limit in the default org.
	for _, id := range []string{"x1", "x2", "x3"} {
		e.createDevice(e.org, id)
	}
}

func testDeviceUpdate(t *testing.T, e *env) {
	d := fullDevice(e.org, "dev-u")
	require.NoError(t, e.st.CreateDevice(e.ctx, d))

	u := *d
	u.Kind = device.KindCampaign
	u.Nickname = "Billboard"
	u.RepID = ""
	u.Model, u.OS, u.AppVersion, u.Battery = "Moto", "Android 15", "2.0.0", 12
	u.EnrolledAt = base.Add(10 * time.Minute)
	u.TokenHash, u.PairingCodeHash, u.PairingExpiresAt = "new-token", "", time.Time{}
	// Fields UpdateDevice does not own: ignored.
	u.LastSeenAt = base.Add(99 * time.Hour)
	u.SIMs = nil
	u.CreatedAt = base.Add(99 * time.Hour)
	require.NoError(t, e.st.UpdateDevice(e.ctx, &u, time.Time{}))

	want := u
	want.LastSeenAt, want.SIMs, want.CreatedAt = d.LastSeenAt, d.SIMs, d.CreatedAt
	got, err := e.st.Device(e.ctx, e.org, "dev-u")
	require.NoError(t, err)
	requireDiff(t, &want, got, "updated device")

	_, err = e.st.DeviceByTokenHash(e.ctx, d.TokenHash)
	requireCode(t, err, leadcall.CodeNotFound, "the old token no longer matches")
	_, err = e.st.DeviceByPairingCodeHash(e.ctx, d.PairingCodeHash)
	requireCode(t, err, leadcall.CodeNotFound, "the cleared pairing code no longer matches")
	byToken, err := e.st.DeviceByTokenHash(e.ctx, "new-token")
	require.NoError(t, err)
	require.Equal(t, "dev-u", byToken.ID)

	evs := e.events(e.org)
	require.Equal(t, []leadcall.EventType{leadcall.EventDeviceUpdated}, eventTypes(evs))
	ev := decode[leadcall.Device](t, evs[0])
	require.Equal(t, "dev-u", ev.ID)
	require.Equal(t, "Billboard", ev.Nickname)
	require.NotContains(t, string(evs[0].Data), "new-token", "credentials never appear in event data")

	missing := e.newDevice(e.org, "missing")
	requireCode(t, e.st.UpdateDevice(e.ctx, missing, time.Time{}), leadcall.CodeNotFound)
	e.createOrg("org-b", 0)
	other := e.newDevice("org-b", "dev-u")
	requireCode(t, e.st.UpdateDevice(e.ctx, other, time.Time{}), leadcall.CodeNotFound, "same ID, other org")
	bad := *got
	bad.Kind = ""
	requireCode(t, e.st.UpdateDevice(e.ctx, &bad, time.Time{}), leadcall.CodeInvalid)
}

func testDeviceUpdateClosesAssignment(t *testing.T, e *env) {
	a := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "Billboard", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a))
	d, err := e.st.Device(e.ctx, e.org, e.dev)
	require.NoError(t, err)
	v := d.AssignmentsVersion

	// Closing before the open assignment's start fails, and nothing changes.
	d.Active = false
	requireCode(t, e.st.UpdateDevice(e.ctx, d, base.Add(-time.Second)), leadcall.CodeInvalid)
	got, err := e.st.Device(e.ctx, e.org, e.dev)
	require.NoError(t, err)
	require.True(t, got.Active, "a failed UpdateDevice changes nothing")
	require.Equal(t, v, got.AssignmentsVersion)
	for _, ev := range e.events(e.org) {
		require.NotEqual(t, leadcall.EventDeviceUpdated, ev.Type, "no event for a failed update")
	}

	end := base.Add(time.Hour)
	require.NoError(t, e.st.UpdateDevice(e.ctx, d, end))
	got, err = e.st.Device(e.ctx, e.org, e.dev)
	require.NoError(t, err)
	require.False(t, got.Active)
	require.Greater(t, got.AssignmentsVersion, v, "closing the assignment changes the timeline version")
	closed, err := e.st.Assignment(e.ctx, e.org, a.ID)
	require.NoError(t, err)
	require.True(t, end.Equal(closed.End), "closed at %v", closed.End)

	// With nothing open, closeAssignmentAt is a no-op.
	v = got.AssignmentsVersion
	require.NoError(t, e.st.UpdateDevice(e.ctx, got, end.Add(time.Hour)))
	got, err = e.st.Device(e.ctx, e.org, e.dev)
	require.NoError(t, err)
	require.Equal(t, v, got.AssignmentsVersion)
}

func testDeviceHeartbeat(t *testing.T, e *env) {
	sims := []leadcall.SIM{{Slot: 0, Number: "+919800000011", Carrier: "Airtel"}}
	hb := &leadcall.Heartbeat{OrgID: e.org, DeviceID: e.dev, At: base.Add(time.Hour), AppVersion: "1.2.3", Battery: 55, SIMs: sims}
	require.NoError(t, e.st.RecordHeartbeat(e.ctx, hb))
	got, err := e.st.Device(e.ctx, e.org, e.dev)
	require.NoError(t, err)
	require.True(t, base.Add(time.Hour).Equal(got.LastSeenAt))
	require.Equal(t, "1.2.3", got.AppVersion)
	require.Equal(t, 55, got.Battery)
	requireDiff(t, sims, got.SIMs, "SIMs")

	// A late, older heartbeat never moves last-seen backwards.
	require.NoError(t, e.st.RecordHeartbeat(e.ctx, &leadcall.Heartbeat{OrgID: e.org, DeviceID: e.dev,
		At: base.Add(time.Minute), AppVersion: "1.2.3", Battery: -1, SIMs: sims}))
	got, err = e.st.Device(e.ctx, e.org, e.dev)
	require.NoError(t, err)
	require.True(t, base.Add(time.Hour).Equal(got.LastSeenAt), "last seen = %v", got.LastSeenAt)

	requireCode(t, e.st.RecordHeartbeat(e.ctx, &leadcall.Heartbeat{OrgID: e.org, DeviceID: "nope", At: base}), leadcall.CodeNotFound)
	e.createOrg("org-b", 0)
	requireCode(t, e.st.RecordHeartbeat(e.ctx, &leadcall.Heartbeat{OrgID: "org-b", DeviceID: e.dev, At: base}), leadcall.CodeNotFound)
	requireCode(t, e.st.RecordHeartbeat(e.ctx, nil), leadcall.CodeInvalid)
}

func testOwnNumbers(t *testing.T, e *env) {
	got, err := e.st.OwnNumbers(e.ctx, e.org)
	require.NoError(t, err)
	require.Empty(t, got)

	require.NoError(t, e.st.RecordHeartbeat(e.ctx, &leadcall.Heartbeat{OrgID: e.org, DeviceID: e.dev, At: base,
		SIMs: []leadcall.SIM{{Slot: 0, Number: "+919800000003"}, {Slot: 1, Number: ""}}}))
	c1 := newCall(e.dev, "c1", number(1), base)
	c1.SIMNumber = "+919800000001"
	c2 := newCall(e.dev, "c2", number(2), base)
	c2.SIMNumber = "+919800000003" // also reported by a heartbeat
	c3 := newCall(e.dev, "c3", number(3), base)
	c3.SIMNumber = "09800000002" // stored as reported
	e.insert(e.org, leadcall.NewCall{Call: c1}, leadcall.NewCall{Call: c2}, leadcall.NewCall{Call: c3})

	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	require.NoError(t, e.st.RecordHeartbeat(e.ctx, &leadcall.Heartbeat{OrgID: "org-b", DeviceID: "dev-b", At: base,
		SIMs: []leadcall.SIM{{Slot: 0, Number: "+14155550100"}}}))

	got, err = e.st.OwnNumbers(e.ctx, e.org)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"+919800000001", "+919800000003", "09800000002"}, got)
	got, err = e.st.OwnNumbers(e.ctx, "org-b")
	require.NoError(t, err)
	require.Equal(t, []string{"+14155550100"}, got)
	_, err = e.st.OwnNumbers(e.ctx, "nope")
	requireCode(t, err, leadcall.CodeNotFound)
}
