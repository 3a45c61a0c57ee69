package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func orgTests() []test {
	return []test{
		{"Org/CreateAndGet", testOrgCreateAndGet},
		{"Org/CreateConflict", testOrgCreateConflict},
		{"Org/Invalid", testOrgInvalid},
		{"Org/NotFound", testOrgNotFound},
		{"Org/Update", testOrgUpdate},
		{"Rep/CreateGetList", testRepCreateGetList},
		{"Rep/ConflictAndScope", testRepConflictAndScope},
		{"Rep/Update", testRepUpdate},
		{"Pause/NeverShortened", testPauseNeverShortened},
		{"Pause/Ended", testPauseEnded},
		{"Pause/UnknownOrg", testPauseUnknownOrg},
		{"Pause/Resume", testPauseResume},
		{"Store/Ping", testPing},
		{"Store/CanceledContext", testCanceledContext},
	}
}

func testOrgCreateAndGet(t *testing.T, e *env) {
	settings := leadcall.DefaultSettings()
	settings.Rules.BlockedNumbers = []string{"+14155550100"}
	settings.TimeZone = "Asia/Kolkata"
	o := &leadcall.Org{ID: "org-x", Name: "Acme Ünïcode", Settings: settings, SeatLimit: 3,
		CreatedAt: base.Add(1500 * time.Millisecond)}
	require.NoError(t, e.st.CreateOrg(e.ctx, o))
	got, err := e.st.Org(e.ctx, "org-x")
	require.NoError(t, err)
	requireDiff(t, o, got, "stored org")

	// A zero CreatedAt is filled in by the store.
	z := &leadcall.Org{ID: "org-z", Settings: leadcall.DefaultSettings()}
	require.NoError(t, e.st.CreateOrg(e.ctx, z))
	got, err = e.st.Org(e.ctx, "org-z")
	require.NoError(t, err)
	require.False(t, got.CreatedAt.IsZero(), "CreatedAt filled in")
	require.Equal(t, time.UTC, got.CreatedAt.Location())
}

func testOrgCreateConflict(t *testing.T, e *env) {
	err := e.st.CreateOrg(e.ctx, &leadcall.Org{ID: e.org, Name: "again", Settings: leadcall.DefaultSettings()})
	requireCode(t, err, leadcall.CodeConflict)
	got, err := e.st.Org(e.ctx, e.org)
	require.NoError(t, err)
	require.Equal(t, "Org "+e.org, got.Name, "a conflicting create must not overwrite")
}

func testOrgInvalid(t *testing.T, e *env) {
	requireCode(t, e.st.CreateOrg(e.ctx, &leadcall.Org{ID: ""}), leadcall.CodeInvalid)
	requireCode(t, e.st.CreateOrg(e.ctx, &leadcall.Org{ID: "neg", SeatLimit: -1}), leadcall.CodeInvalid)
	requireCode(t, e.st.UpdateOrg(e.ctx, &leadcall.Org{ID: e.org, SeatLimit: -1}), leadcall.CodeInvalid)
}

func testOrgNotFound(t *testing.T, e *env) {
	_, err := e.st.Org(e.ctx, "nope")
	requireCode(t, err, leadcall.CodeNotFound)
	requireCode(t, e.st.UpdateOrg(e.ctx, &leadcall.Org{ID: "nope", Settings: leadcall.DefaultSettings()}), leadcall.CodeNotFound)
	_, err = e.st.Reps(e.ctx, "nope")
	requireCode(t, err, leadcall.CodeNotFound)
	_, err = e.st.Devices(e.ctx, "nope")
	requireCode(t, err, leadcall.CodeNotFound)
}

func testOrgUpdate(t *testing.T, e *env) {
	o, err := e.st.Org(e.ctx, e.org)
	require.NoError(t, err)
	o.Name = "Renamed"
	o.SeatLimit = 7
	o.Settings.TaskPrefix = "Ring back"
	o.Settings.Rules.InternalNumbers = []string{"+919800000001", "+919800000002"}
	require.NoError(t, e.st.UpdateOrg(e.ctx, o))
	got, err := e.st.Org(e.ctx, e.org)
	require.NoError(t, err)
	requireDiff(t, o, got, "updated org")

	evs := e.events(e.org)
	require.Len(t, evs, 1)
	require.Equal(t, leadcall.EventSettingsUpdated, evs[0].Type)
	require.Equal(t, e.org, evs[0].OrgID)
	requireDiff(t, o.Settings, decode[leadcall.Settings](t, evs[0]), "settings.updated data")
}

func testRepCreateGetList(t *testing.T, e *env) {
	for _, r := range []leadcall.Rep{
		{ID: "r1", Name: "Zed", Email: "zed@example.com"},
		{ID: "r2", Name: "Amy", Email: "amy@example.com", CRMUserID: "u-9"},
		{ID: "r3", Name: "Bob", Email: "bob@example.com"},
		{ID: "r0", Name: "Bob", Email: "bob2@example.com"},
	} {
		r.OrgID, r.CreatedAt = e.org, base
		require.NoError(t, e.st.CreateRep(e.ctx, &r))
	}
	got, err := e.st.Rep(e.ctx, e.org, "r2")
	require.NoError(t, err)
	requireDiff(t, &leadcall.Rep{OrgID: e.org, ID: "r2", Name: "Amy", Email: "amy@example.com", CRMUserID: "u-9", CreatedAt: base}, got, "rep")

	reps, err := e.st.Reps(e.ctx, e.org)
	require.NoError(t, err)
	var ids []string
	for _, r := range reps {
		ids = append(ids, r.ID)
	}
	require.Equal(t, []string{"r2", "r0", "r3", "r1"}, ids, "reps ordered by name, then ID")
}

func testRepConflictAndScope(t *testing.T, e *env) {
	r := &leadcall.Rep{OrgID: e.org, ID: "r1", Name: "A"}
	require.NoError(t, e.st.CreateRep(e.ctx, r))
	requireCode(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: e.org, ID: "r1", Name: "B"}), leadcall.CodeConflict)
	requireCode(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: "nope", ID: "r1"}), leadcall.CodeNotFound)
	requireCode(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: e.org, ID: ""}), leadcall.CodeInvalid)

	e.createOrg("org-b", 0)
	// The same ID in another org is another rep.
	require.NoError(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: "org-b", ID: "r2", Name: "Other"}))
	_, err := e.st.Rep(e.ctx, e.org, "r2")
	requireCode(t, err, leadcall.CodeNotFound, "another org's rep")
	requireCode(t, e.st.UpdateRep(e.ctx, &leadcall.Rep{OrgID: e.org, ID: "r2", Name: "X"}), leadcall.CodeNotFound)
	reps, err := e.st.Reps(e.ctx, "org-b")
	require.NoError(t, err)
	require.Len(t, reps, 1)
	require.Equal(t, "r2", reps[0].ID)
}

func testRepUpdate(t *testing.T, e *env) {
	r := &leadcall.Rep{OrgID: e.org, ID: "r1", Name: "A", Email: "a@example.com", CreatedAt: base}
	require.NoError(t, e.st.CreateRep(e.ctx, r))
	r.Name, r.Email, r.CRMUserID = "Alice", "alice@example.com", "crm-1"
	require.NoError(t, e.st.UpdateRep(e.ctx, r))
	got, err := e.st.Rep(e.ctx, e.org, "r1")
	require.NoError(t, err)
	requireDiff(t, r, got, "updated rep")
}

func testPauseNeverShortened(t *testing.T, e *env) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	evs, err := e.st.PauseOrg(e.ctx, e.org, now.Add(2*time.Hour), "rate limited")
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, leadcall.EventSyncPaused, evs[0].Type)

	until, reason, err := e.st.OrgPause(e.ctx, e.org)
	require.NoError(t, err)
	require.True(t, now.Add(2*time.Hour).Equal(until), "until = %v", until)
	require.Equal(t, "rate limited", reason)

	// A shorter pause does not shorten it.
	evs, err = e.st.PauseOrg(e.ctx, e.org, now.Add(time.Hour), "shorter")
	require.NoError(t, err)
	require.Len(t, evs, 1)
	until, reason, err = e.st.OrgPause(e.ctx, e.org)
	require.NoError(t, err)
	require.True(t, now.Add(2*time.Hour).Equal(until), "a shorter pause must not shorten: until = %v", until)
	require.Equal(t, "rate limited", reason)
	// The event tells the pause in force.
	data := decode[struct {
		Until  time.Time `json:"until"`
		Reason string    `json:"reason"`
	}](t, evs[0])
	require.True(t, now.Add(2*time.Hour).Equal(data.Until), "sync.paused until = %v", data.Until)
	require.Equal(t, "rate limited", data.Reason)

	// A longer one extends it.
	_, err = e.st.PauseOrg(e.ctx, e.org, now.Add(3*time.Hour), "unauthorized")
	require.NoError(t, err)
	until, reason, err = e.st.OrgPause(e.ctx, e.org)
	require.NoError(t, err)
	require.True(t, now.Add(3*time.Hour).Equal(until))
	require.Equal(t, "unauthorized", reason)

	stored := e.events(e.org)
	require.Equal(t, []leadcall.EventType{leadcall.EventSyncPaused, leadcall.EventSyncPaused, leadcall.EventSyncPaused}, eventTypes(stored))
	requireIncreasing(t, stored)

	// Another org is not paused.
	e.createOrg("org-b", 0)
	until, _, err = e.st.OrgPause(e.ctx, "org-b")
	require.NoError(t, err)
	require.True(t, until.IsZero())
}

func testPauseEnded(t *testing.T, e *env) {
	until, reason, err := e.st.OrgPause(e.ctx, e.org)
	require.NoError(t, err)
	require.True(t, until.IsZero(), "never paused")
	require.Empty(t, reason)

	_, err = e.st.PauseOrg(e.ctx, e.org, time.Now().Add(-time.Hour), "long ago")
	require.NoError(t, err)
	until, _, err = e.st.OrgPause(e.ctx, e.org)
	require.NoError(t, err)
	require.True(t, until.IsZero(), "a pause that ended reports zero, got %v", until)

	requireCode(t, func() error { _, err := e.st.PauseOrg(e.ctx, e.org, time.Time{}, "x"); return err }(), leadcall.CodeInvalid)
}

func testPauseUnknownOrg(t *testing.T, e *env) {
	_, err := e.st.PauseOrg(e.ctx, "nope", time.Now().Add(time.Hour), "x")
	requireCode(t, err, leadcall.CodeNotFound)
	_, _, err = e.st.OrgPause(e.ctx, "nope")
	requireCode(t, err, leadcall.CodeNotFound)
}

func testPing(t *testing.T, e *env) {
	require.NoError(t, e.st.Ping(e.ctx))
}

func testCanceledContext(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	c := newCall(e.dev, "cancel-1", number(1), base)
	_, err := e.st.InsertCalls(ctx, e.org, []leadcall.NewCall{{Call: c, Enqueue: true}})
	require.ErrorIs(t, err, context.Canceled)
	_, err = e.st.ListCalls(ctx, &leadcall.CallFilter{OrgID: e.org})
	require.ErrorIs(t, err, context.Canceled)
	_, err = e.st.ClaimJobs(ctx, &leadcall.ClaimParams{Now: claimTime, Lease: time.Minute, Limit: 1})
	require.ErrorIs(t, err, context.Canceled)

	page, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Empty(t, page.Items, "a cancelled insert stores nothing")
}

func testPauseResume(t *testing.T, e *env) {
	// Not paused: nothing to end, no event.
	evs, err := e.st.ResumeOrg(e.ctx, e.org, "crm_connected")
	require.NoError(t, err)
	require.Empty(t, evs)

	_, err = e.st.PauseOrg(e.ctx, e.org, time.Now().Add(time.Hour), "crm_not_connected")
	require.NoError(t, err)
	evs, err = e.st.ResumeOrg(e.ctx, e.org, "crm_connected")
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, leadcall.EventSyncResumed, evs[0].Type)
	require.Equal(t, "crm_connected", decode[struct {
		Reason string `json:"reason"`
	}](t, evs[0]).Reason)
	until, reason, err := e.st.OrgPause(e.ctx, e.org)
	require.NoError(t, err)
	require.True(t, until.IsZero(), "until = %v", until)
	require.Empty(t, reason)

	// Resumed twice: the second finds no pause.
	evs, err = e.st.ResumeOrg(e.ctx, e.org, "again")
	require.NoError(t, err)
	require.Empty(t, evs)
	_, err = e.st.ResumeOrg(e.ctx, "no-such-org", "x")
	requireCode(t, err, leadcall.CodeNotFound)
}
