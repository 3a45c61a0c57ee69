package report_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/report"
	"github.com/leadcall/leadcall/store/sqlite"
)

const org = "acme"

// fixture is an org in a SQLite store with two campaign phones (one of rep asha, one
// without a rep), a sales-rep phone of asha and one of ravi.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	st    *sqlite.Store
	loc   *time.Location
	now   time.Time
	kinds map[string]device.Kind
	reps  map[string]string
	seq   int
}

func newFixture(t testing.TB, tz string, tweak func(*leadcall.Settings)) *fixture {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	require.NoError(t, err)
	f := &fixture{t: t, ctx: context.Background(), loc: loc,
		now:   time.Date(2026, 11, 21, 12, 0, 0, 0, loc),
		kinds: map[string]device.Kind{}, reps: map[string]string{}}
	st, err := sqlite.Open(f.ctx, filepath.Join(t.TempDir(), "report.db"), &sqlite.Config{Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	f.st = st
	s := leadcall.DefaultSettings()
	s.TimeZone = tz
	if tweak != nil {
		tweak(&s)
	}
	require.NoError(t, st.CreateOrg(f.ctx, &leadcall.Org{ID: org, Name: "Acme", Settings: s}))
	for _, r := range []leadcall.Rep{{ID: "asha", Name: "Asha Rao"}, {ID: "ravi", Name: "Ravi Kumar"}} {
		r.OrgID = org
		require.NoError(t, st.CreateRep(f.ctx, &r))
	}
	for _, d := range []leadcall.Device{
		{ID: "camp", Nickname: "Google line", Kind: device.KindCampaign, RepID: "asha"},
		{ID: "camp2", Nickname: "Hoarding line", Kind: device.KindCampaign},
		{ID: "asha-phone", Nickname: "Asha", Kind: device.KindSalesRep, RepID: "asha"},
		{ID: "ravi-phone", Nickname: "Ravi", Kind: device.KindSalesRep, RepID: "ravi"},
	} {
		d.OrgID, d.Active = org, true
		require.NoError(t, st.CreateDevice(f.ctx, &d))
		f.kinds[d.ID], f.reps[d.ID] = d.Kind, d.RepID
	}
	return f
}

// day is a time on 2026-11-20 in the fixture's zone.
func (f *fixture) day(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-20 "+hhmm, f.loc)
	require.NoError(f.t, err)
	return t
}

// call is a stored call as the Engine would dispose it: inbound and missed calls on campaign
// phones sync, the rest is local.
func (f *fixture) call(dev, number string, typ leadcall.CallType, at time.Time, dur int) leadcall.Call {
	f.seq++
	c := leadcall.Call{
		OrgID: org, DeviceID: dev, DeviceCallID: "c" + strconv.Itoa(f.seq), NumberRaw: number, NumberE164: number,
		Type: typ, StartedAt: at, DurationS: dur, DeviceKind: f.kinds[dev], RepID: f.reps[dev],
		Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncSynced,
	}
	switch {
	case typ == leadcall.CallOutbound:
		c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionLocal, leadcall.ReasonOutbound, leadcall.SyncNone
	case f.kinds[dev] == device.KindSalesRep:
		c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionLocal, leadcall.ReasonSalesRep, leadcall.SyncNone
	}
	return c
}

// ignored marks a call ignored for reason.
func ignored(c leadcall.Call, reason leadcall.Reason) leadcall.Call {
	c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionIgnored, reason, leadcall.SyncNone
	if reason == leadcall.ReasonPrivateNumber || reason == leadcall.ReasonInvalidNumber {
		c.NumberE164 = ""
	}
	return c
}

func outcome(c leadcall.Call, status leadcall.SyncStatus, o leadcall.SyncOutcome) leadcall.Call {
	c.SyncStatus, c.Outcome = status, o
	return c
}

// insert stores calls and returns their IDs.
func (f *fixture) insert(calls ...leadcall.Call) []int64 {
	f.t.Helper()
	return f.insertWith(nil, calls...)
}

// insertWith stores calls, raising a review item of the given kind for those whose index is
// in review.
func (f *fixture) insertWith(review map[int]leadcall.ReviewKind, calls ...leadcall.Call) []int64 {
	f.t.Helper()
	ncs := make([]leadcall.NewCall, len(calls))
	for i := range calls {
		ncs[i].Call = &calls[i]
		if k, ok := review[i]; ok {
			ncs[i].Review = &leadcall.ReviewItem{Kind: k, NumberE164: calls[i].NumberE164, Status: leadcall.ReviewOpen,
				CreatedAt: calls[i].StartedAt.Add(time.Minute)}
		}
	}
	res, err := f.st.InsertCalls(f.ctx, org, ncs)
	require.NoError(f.t, err)
	ids := make([]int64, len(calls))
	for i := range ncs {
		require.True(f.t, res.Inserted[i])
		ids[i] = ncs[i].Call.ID
	}
	return ids
}

// assign opens an assignment on dev at start and returns its ID.
func (f *fixture) assign(dev, source string, md map[string]string, start time.Time) int64 {
	f.t.Helper()
	a := &leadcall.Assignment{OrgID: org, DeviceID: dev, LeadSource: source, Metadata: md, Start: start}
	require.NoError(f.t, f.st.SetAssignment(f.ctx, a))
	return a.ID
}

func (f *fixture) reporter(cfg report.Config) *report.Reporter {
	f.t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return f.now }
	}
	r, err := report.New(f.st, cfg)
	require.NoError(f.t, err)
	return r
}

// summary runs a report on 2026-11-20 (the fixture's zone) by group.
func (f *fixture) summary(g report.GroupBy, window time.Duration) *report.Summary {
	f.t.Helper()
	return f.summaryOf(report.Query{OrgID: org, From: f.day("00:00"), To: f.day("00:00").AddDate(0, 0, 1), GroupBy: g, RepeatWindow: window})
}

func (f *fixture) summaryOf(q report.Query) *report.Summary {
	f.t.Helper()
	s, err := f.reporter(report.Config{}).Summary(f.ctx, q)
	require.NoError(f.t, err)
	return s
}

// byKey indexes a summary's rows, with the totals under "TOTAL".
func byKey(s *report.Summary) map[string]report.Metrics {
	out := map[string]report.Metrics{"TOTAL": s.Totals}
	for _, r := range s.Rows {
		out[r.Key] = r.Metrics
	}
	return out
}

// counts are the call-count fields of Metrics.
type counts struct{ Calls, Answered, Missed, Ignored, FirstTime, Repeat, Callers int }

func countsOf(s *report.Summary) map[string]counts {
	out := map[string]counts{}
	for k, m := range byKey(s) {
		out[k] = counts{m.Calls, m.Answered, m.Missed, m.Ignored, m.FirstTime, m.Repeat, m.Callers}
	}
	return out
}

// recov are the recovery fields of Metrics.
type recov struct {
	Cases, Recovered int
	Rate             float64
	HasAttempt       bool
	ToAttempt        time.Duration
	HasConnect       bool
	ToConnect        time.Duration
}

func recovOf(s *report.Summary) map[string]recov {
	out := map[string]recov{}
	for k, m := range byKey(s) {
		out[k] = recov{m.Cases, m.Recovered, m.RecoveryRate, m.HasFirstAttempt, m.MedianTimeToFirstAttempt, m.HasConnect, m.MedianTimeToConnect}
	}
	return out
}

// Numbers of the tests' callers.
const (
	nA = "+919876500001"
	nB = "+919876500002"
	nC = "+919876500003"
	nD = "+919876500004"
)
