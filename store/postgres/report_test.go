package postgres_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/report"
	"github.com/leadcall/leadcall/store/sqlite"
)

// TestReportsMatchSQLite stores the same calls in PostgreSQL and in SQLite and checks that
// package report, which reads through the Store interface only, gives the same figures on
// both, for every grouping, across a daylight-saving change.
func TestReportsMatchSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := openStore(t, newSchema(t), nil)
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "report.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = lite.Close() })

	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	start := time.Date(2026, 10, 30, 0, 0, 0, 0, ny) // the clocks go back on 1 November
	for _, st := range []leadcall.Store{pg, lite} {
		seedReport(t, st, start)
	}
	now := start.AddDate(0, 0, 6)
	for _, g := range []report.GroupBy{report.GroupCampaign, report.GroupLeadSource, report.GroupDevice, report.GroupRep, report.GroupDay} {
		q := report.Query{OrgID: "acme", From: start.AddDate(0, 0, 1), To: start.AddDate(0, 0, 4), GroupBy: g}
		var got [2]*report.Summary
		for i, st := range []leadcall.Store{pg, lite} {
			r, err := report.New(st, report.Config{Now: func() time.Time { return now }, PageSize: 7})
			require.NoError(t, err)
			got[i], err = r.Summary(ctx, q)
			require.NoError(t, err)
		}
		require.Empty(t, cmp.Diff(got[1], got[0]), "group %s: SQLite (-) and PostgreSQL (+) differ", g)
		require.Positive(t, got[0].Totals.Calls, g)
		require.Positive(t, got[0].Totals.Cases, g)
		require.Positive(t, got[0].Totals.Recovered, g)
		require.Positive(t, got[0].Totals.Repeat, g)
	}
}

// seedReport stores an org with two campaign phones, a rep phone and 300 calls over five
// days: a mix of answered, missed, ignored and callback calls from 40 callers.
func seedReport(t *testing.T, st leadcall.Store, start time.Time) {
	t.Helper()
	ctx := context.Background()
	s := leadcall.DefaultSettings()
	s.TimeZone = "America/New_York"
	require.NoError(t, st.CreateOrg(ctx, &leadcall.Org{ID: "acme", Name: "Acme", Settings: s}))
	require.NoError(t, st.CreateRep(ctx, &leadcall.Rep{OrgID: "acme", ID: "asha", Name: "Asha Rao"}))
	kinds := map[string]device.Kind{"ads": device.KindCampaign, "radio": device.KindCampaign, "asha-phone": device.KindSalesRep}
	for _, id := range []string{"ads", "radio", "asha-phone"} {
		d := &leadcall.Device{OrgID: "acme", ID: id, Nickname: id, Kind: kinds[id], Active: true}
		if id != "radio" {
			d.RepID = "asha"
		}
		require.NoError(t, st.CreateDevice(ctx, d))
	}
	assignment := map[string]int64{}
	for _, dev := range []string{"ads", "radio"} {
		a := &leadcall.Assignment{OrgID: "acme", DeviceID: dev, LeadSource: "Source " + dev, Start: start.Add(-time.Hour)}
		require.NoError(t, st.SetAssignment(ctx, a))
		assignment[dev] = a.ID
	}
	var ncs []leadcall.NewCall
	for i := range 300 {
		number := "+1212555" + strconv.Itoa(1000+(i*7)%40)
		at := start.Add(time.Duration(i) * 23 * time.Minute)
		c := &leadcall.Call{DeviceCallID: "c" + strconv.Itoa(i), NumberRaw: number, NumberE164: number, StartedAt: at,
			Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncSynced}
		var review *leadcall.ReviewItem
		switch r := i % 10; {
		case r < 4:
			c.DeviceID, c.Type, c.DurationS, c.Outcome = "ads", leadcall.CallInbound, 40, leadcall.OutcomeCreatedLead
		case r < 7:
			c.DeviceID, c.Type, c.Outcome = "radio", leadcall.CallMissed, leadcall.OutcomeLinkedContact
		case r == 7:
			c.DeviceID, c.Type, c.Disposition, c.Reason, c.SyncStatus = "ads", leadcall.CallMissed, leadcall.DispositionIgnored, leadcall.ReasonBlocked, leadcall.SyncNone
		case r == 8:
			c.DeviceID, c.Type, c.SyncStatus, c.Outcome = "radio", leadcall.CallInbound, leadcall.SyncReview, leadcall.OutcomeReviewAmbiguous
			review = &leadcall.ReviewItem{Kind: leadcall.ReviewAmbiguous, NumberE164: number, Status: leadcall.ReviewOpen, CreatedAt: at}
		default: // a callback to the caller who missed four calls ago; one in three does not connect
			number = "+1212555" + strconv.Itoa(1000+((i-4)*7)%40)
			c.NumberRaw, c.NumberE164 = number, number
			c.DeviceID, c.Type, c.DurationS, c.Disposition, c.Reason, c.SyncStatus = "asha-phone", leadcall.CallOutbound, (i/10)%3*30, leadcall.DispositionLocal, leadcall.ReasonOutbound, leadcall.SyncNone
		}
		c.DeviceKind, c.AssignmentID = kinds[c.DeviceID], assignment[c.DeviceID]
		if c.DeviceID != "radio" {
			c.RepID = "asha"
		}
		if c.AssignmentID != 0 {
			c.LeadSource = "Source " + c.DeviceID
		}
		ncs = append(ncs, leadcall.NewCall{Call: c, Review: review})
	}
	_, err := st.InsertCalls(ctx, "acme", ncs)
	require.NoError(t, err)
}
