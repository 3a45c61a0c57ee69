package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

func assignmentTests() []test {
	return []test{
		{"Assignment/SetClosesPrevious", testAssignmentSetClosesPrevious},
		{"Assignment/SetAtOpenStart", testAssignmentSetAtOpenStart},
		{"Assignment/SetBeforeOpenStart", testAssignmentSetBeforeOpenStart},
		{"Assignment/SetBeforeHistoryEnd", testAssignmentSetBeforeHistoryEnd},
		{"Assignment/SetInvalid", testAssignmentSetInvalid},
		{"Assignment/Close", testAssignmentClose},
		{"Assignment/Scope", testAssignmentScope},
		{"Assignment/Correct", testAssignmentCorrect},
		{"Assignment/CorrectRefused", testAssignmentCorrectRefused},
	}
}

func (e *env) version(orgID, deviceID string) int64 {
	e.t.Helper()
	d, err := e.st.Device(e.ctx, orgID, deviceID)
	require.NoError(e.t, err)
	return d.AssignmentsVersion
}

func (e *env) assignments(orgID, deviceID string) []leadcall.Assignment {
	e.t.Helper()
	as, err := e.st.Assignments(e.ctx, orgID, deviceID)
	require.NoError(e.t, err)
	return as
}

func testAssignmentSetClosesPrevious(t *testing.T, e *env) {
	v0 := e.version(e.org, e.dev)
	a1 := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "Billboard",
		Metadata: map[string]string{"Campaign": "Spring", "City": "Pune"}, Start: base, CreatedBy: "admin"}
	require.NoError(t, e.st.SetAssignment(e.ctx, a1))
	require.NotZero(t, a1.ID)
	v1 := e.version(e.org, e.dev)
	require.Greater(t, v1, v0, "SetAssignment increments AssignmentsVersion")

	t2 := base.Add(90*time.Minute + 250*time.Millisecond)
	a2 := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "Radio", Start: t2}
	require.NoError(t, e.st.SetAssignment(e.ctx, a2))
	require.NotEqual(t, a1.ID, a2.ID)
	require.Greater(t, e.version(e.org, e.dev), v1)

	closed := *a1
	closed.End = t2
	requireDiff(t, []leadcall.Assignment{closed, *a2}, e.assignments(e.org, e.dev), "timeline")
	got, err := e.st.Assignment(e.ctx, e.org, a1.ID)
	require.NoError(t, err)
	requireDiff(t, &closed, got, "closed assignment")
	require.False(t, got.Open())
	got, err = e.st.Assignment(e.ctx, e.org, a2.ID)
	require.NoError(t, err)
	require.True(t, got.Open())
}

func testAssignmentSetAtOpenStart(t *testing.T, e *env) {
	a1 := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "A", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a1))
	a2 := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "B", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a2), "setting at the open one's start leaves it zero-length")
	as := e.assignments(e.org, e.dev)
	require.Len(t, as, 2)
	require.Equal(t, a1.ID, as[0].ID, "ordered by start, then ID")
	require.True(t, base.Equal(as[0].End))
	require.Equal(t, a2.ID, as[1].ID)
	require.True(t, as[1].Open())
}

func testAssignmentSetBeforeOpenStart(t *testing.T, e *env) {
	a1 := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "A", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a1))
	v := e.version(e.org, e.dev)
	err := e.st.SetAssignment(e.ctx, &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "B", Start: base.Add(-time.Millisecond)})
	requireCode(t, err, leadcall.CodeInvalid)
	as := e.assignments(e.org, e.dev)
	require.Len(t, as, 1, "nothing stored")
	require.True(t, as[0].Open(), "the open assignment stays open")
	require.Equal(t, v, e.version(e.org, e.dev))
}

func testAssignmentSetBeforeHistoryEnd(t *testing.T, e *env) {
	require.NoError(t, e.st.SetAssignment(e.ctx, &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "A", Start: base}))
	require.NoError(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, base.Add(time.Hour)))
	err := e.st.SetAssignment(e.ctx, &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "B", Start: base.Add(30 * time.Minute)})
	requireCode(t, err, leadcall.CodeInvalid, "a start inside recorded history")
	require.NoError(t, e.st.SetAssignment(e.ctx, &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "C", Start: base.Add(time.Hour)}),
		"a start at the end of history is fine")
	require.Len(t, e.assignments(e.org, e.dev), 2)
}

func testAssignmentSetInvalid(t *testing.T, e *env) {
	for name, a := range map[string]*leadcall.Assignment{
		"nil":      nil,
		"no org":   {DeviceID: e.dev, Start: base},
		"no dev":   {OrgID: e.org, Start: base},
		"no start": {OrgID: e.org, DeviceID: e.dev},
		"has end":  {OrgID: e.org, DeviceID: e.dev, Start: base, End: base.Add(time.Hour)},
	} {
		requireCode(t, e.st.SetAssignment(e.ctx, a), leadcall.CodeInvalid, name)
	}
	require.Empty(t, e.assignments(e.org, e.dev))
}

func testAssignmentClose(t *testing.T, e *env) {
	v := e.version(e.org, e.dev)
	require.NoError(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, base), "closing with nothing open is a no-op")
	require.Equal(t, v, e.version(e.org, e.dev), "a no-op close does not change the version")

	a := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "A", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a))
	v = e.version(e.org, e.dev)
	requireCode(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, base.Add(-time.Second)), leadcall.CodeInvalid)
	require.True(t, e.assignments(e.org, e.dev)[0].Open())
	requireCode(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, time.Time{}), leadcall.CodeInvalid)

	end := base.Add(2 * time.Hour)
	require.NoError(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, end))
	require.Greater(t, e.version(e.org, e.dev), v)
	as := e.assignments(e.org, e.dev)
	require.True(t, end.Equal(as[0].End))

	v = e.version(e.org, e.dev)
	require.NoError(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, end.Add(time.Hour)), "closing again is a no-op")
	require.Equal(t, v, e.version(e.org, e.dev))
	require.True(t, end.Equal(e.assignments(e.org, e.dev)[0].End), "a closed assignment is never moved")
}

func testAssignmentScope(t *testing.T, e *env) {
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	b := &leadcall.Assignment{OrgID: "org-b", DeviceID: "dev-b", LeadSource: "B", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, b))

	_, err := e.st.Assignment(e.ctx, e.org, b.ID)
	requireCode(t, err, leadcall.CodeNotFound, "another org's assignment")
	_, err = e.st.Assignments(e.ctx, e.org, "dev-b")
	requireCode(t, err, leadcall.CodeNotFound, "another org's device")
	requireCode(t, e.st.SetAssignment(e.ctx, &leadcall.Assignment{OrgID: e.org, DeviceID: "dev-b", Start: base}), leadcall.CodeNotFound)
	requireCode(t, e.st.CloseAssignment(e.ctx, e.org, "dev-b", base.Add(time.Hour)), leadcall.CodeNotFound)
	_, err = e.st.Assignment(e.ctx, e.org, 987654)
	requireCode(t, err, leadcall.CodeNotFound)

	got, err := e.st.Assignment(e.ctx, "org-b", b.ID)
	require.NoError(t, err)
	require.True(t, got.Open(), "untouched by the refused calls")

	// A sales-rep device can hold a timeline too; the store does not judge kinds.
	e.createDevice(e.org, "rep-phone", func(d *leadcall.Device) { d.Kind = device.KindSalesRep })
	require.Empty(t, e.assignments(e.org, "rep-phone"))
}

func testAssignmentCorrect(t *testing.T, e *env) {
	a := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "Bilboard", Metadata: map[string]string{"City": "Pnue"}, Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a))
	require.NoError(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, base.Add(time.Hour)))
	v := e.version(e.org, e.dev)

	require.NoError(t, e.st.CorrectAssignment(e.ctx, &leadcall.AssignmentCorrection{
		OrgID: e.org, AssignmentID: a.ID, LeadSource: "Billboard", Metadata: map[string]string{"City": "Pune"},
		By: "manager@example.com", Reason: "typo", At: base.Add(2 * time.Hour),
	}))
	got, err := e.st.Assignment(e.ctx, e.org, a.ID)
	require.NoError(t, err)
	want := *a
	want.LeadSource, want.Metadata, want.End = "Billboard", map[string]string{"City": "Pune"}, base.Add(time.Hour)
	requireDiff(t, &want, got, "corrected assignment")
	require.Greater(t, e.version(e.org, e.dev), v, "a correction changes the timeline version")
}

func testAssignmentCorrectRefused(t *testing.T, e *env) {
	a := &leadcall.Assignment{OrgID: e.org, DeviceID: e.dev, LeadSource: "A", Start: base}
	require.NoError(t, e.st.SetAssignment(e.ctx, a))
	corr := func(mod func(*leadcall.AssignmentCorrection)) error {
		c := &leadcall.AssignmentCorrection{OrgID: e.org, AssignmentID: a.ID, LeadSource: "B", By: "m", Reason: "why", At: base}
		mod(c)
		return e.st.CorrectAssignment(e.ctx, c)
	}
	requireCode(t, corr(func(*leadcall.AssignmentCorrection) {}), leadcall.CodeInvalid, "open assignment")

	require.NoError(t, e.st.CloseAssignment(e.ctx, e.org, e.dev, base.Add(time.Hour)))
	requireCode(t, corr(func(c *leadcall.AssignmentCorrection) { c.Reason = "" }), leadcall.CodeInvalid, "empty reason")
	requireCode(t, corr(func(c *leadcall.AssignmentCorrection) { c.Reason = "  \t" }), leadcall.CodeInvalid, "blank reason")
	requireCode(t, corr(func(c *leadcall.AssignmentCorrection) { c.AssignmentID = 424242 }), leadcall.CodeNotFound)
	e.createOrg("org-b", 0)
	requireCode(t, corr(func(c *leadcall.AssignmentCorrection) { c.OrgID = "org-b" }), leadcall.CodeNotFound, "another org")

	got, err := e.st.Assignment(e.ctx, e.org, a.ID)
	require.NoError(t, err)
	require.Equal(t, "A", got.LeadSource, "refused corrections change nothing")
}
