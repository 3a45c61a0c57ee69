package report_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/report"
)

const (
	in  = leadcall.CallInbound
	mis = leadcall.CallMissed
	out = leadcall.CallOutbound
)

func TestCallCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		calls func(f *fixture) []leadcall.Call
		group report.GroupBy
		want  map[string]counts
	}{
		{
			name:  "empty range",
			calls: func(f *fixture) []leadcall.Call { return nil },
			group: report.GroupDevice,
			want:  map[string]counts{"TOTAL": {}},
		},
		{
			name: "answered and missed, outbound not counted",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, in, f.day("09:00"), 30),
					f.call("camp", nB, mis, f.day("10:00"), 0),
					f.call("camp2", nC, mis, f.day("11:00"), 0),
					f.call("asha-phone", nB, out, f.day("10:05"), 60), // a callback: feeds recovery only
				}
			},
			group: report.GroupDevice,
			// camp: A answered, B missed; camp2: C missed. Each caller's first call.
			want: map[string]counts{
				"camp":  {Calls: 2, Answered: 1, Missed: 1, FirstTime: 2, Callers: 2},
				"camp2": {Calls: 1, Missed: 1, FirstTime: 1, Callers: 1},
				"TOTAL": {Calls: 3, Answered: 1, Missed: 2, FirstTime: 3, Callers: 3},
			},
		},
		{
			name: "private, unreadable, blocked and own numbers are ignored",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					ignored(f.call("camp", "-1", in, f.day("09:00"), 30), leadcall.ReasonPrivateNumber),
					ignored(f.call("camp", "12345", mis, f.day("09:10"), 0), leadcall.ReasonInvalidNumber),
					ignored(f.call("camp", nD, mis, f.day("09:20"), 0), leadcall.ReasonBlocked),
					ignored(f.call("camp", nC, in, f.day("09:30"), 1), leadcall.ReasonTooShort),
					f.call("camp", nA, mis, f.day("09:40"), 0),
				}
			},
			group: report.GroupDevice,
			// Only A's miss counts; four inbound calls are left out. C's too-short call does
			// not make C a caller.
			want: map[string]counts{
				"camp":  {Calls: 1, Missed: 1, Ignored: 4, FirstTime: 1, Callers: 1},
				"TOTAL": {Calls: 1, Missed: 1, Ignored: 4, FirstTime: 1, Callers: 1},
			},
		},
		{
			name: "calls on a sales-rep phone count, outbound-only phone has no row",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("asha-phone", nA, in, f.day("09:00"), 30),
					f.call("ravi-phone", nB, out, f.day("09:30"), 30),
				}
			},
			group: report.GroupDevice,
			want: map[string]counts{
				"asha-phone": {Calls: 1, Answered: 1, FirstTime: 1, Callers: 1},
				"TOTAL":      {Calls: 1, Answered: 1, FirstTime: 1, Callers: 1},
			},
		},
		{
			name: "calls without an assignment",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, in, f.day("09:00"), 30),
					f.call("camp2", nB, mis, f.day("09:30"), 0),
				}
			},
			group: report.GroupCampaign,
			want: map[string]counts{
				"":      {Calls: 2, Answered: 1, Missed: 1, FirstTime: 2, Callers: 2},
				"TOTAL": {Calls: 2, Answered: 1, Missed: 1, FirstTime: 2, Callers: 2},
			},
		},
		{
			name: "calls outside the range are not counted",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, in, f.day("00:00").Add(-time.Millisecond), 30),
					f.call("camp", nB, in, f.day("00:00"), 30),
					f.call("camp", nC, in, f.day("00:00").AddDate(0, 0, 1), 30),
				}
			},
			group: report.GroupDevice,
			// [from, to): B at midnight is in, A just before and C at the next midnight out.
			want: map[string]counts{
				"camp":  {Calls: 1, Answered: 1, FirstTime: 1, Callers: 1},
				"TOTAL": {Calls: 1, Answered: 1, FirstTime: 1, Callers: 1},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "Asia/Kolkata", nil)
			if calls := tc.calls(f); len(calls) > 0 {
				f.insert(calls...)
			}
			s := f.summary(tc.group, 0)
			require.Empty(t, cmp.Diff(tc.want, countsOf(s)))
			for k, m := range byKey(s) {
				if m.Calls > 0 {
					require.Equal(t, float64(m.Missed)/float64(m.Calls), m.MissedRate, k)
				} else {
					require.Zero(t, m.MissedRate, k)
				}
			}
		})
	}
}

func TestFirstTimeAndRepeat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		calls    func(f *fixture) []leadcall.Call
		lookback time.Duration
		want     map[string]counts
	}{
		{
			name: "a caller's first call ever is first-time, the rest repeat",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("camp", nA, mis, f.day("09:05"), 0),
					f.call("camp", nA, in, f.day("15:00"), 20),
				}
			},
			want: map[string]counts{
				"camp":  {Calls: 3, Answered: 1, Missed: 2, FirstTime: 1, Repeat: 2, Callers: 2},
				"TOTAL": {Calls: 3, Answered: 1, Missed: 2, FirstTime: 1, Repeat: 2, Callers: 2},
			},
		},
		{
			name: "a call before the range makes every call in it repeat",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp2", nA, in, f.day("09:00").AddDate(0, 0, -30), 20),
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("camp", nB, mis, f.day("09:00"), 0),
				}
			},
			want: map[string]counts{
				"camp":  {Calls: 2, Missed: 2, FirstTime: 1, Repeat: 1, Callers: 2},
				"TOTAL": {Calls: 2, Missed: 2, FirstTime: 1, Repeat: 1, Callers: 2},
			},
		},
		{
			name: "an earlier call beyond the lookback does not count",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, in, f.day("09:00").AddDate(0, 0, -30), 20),
					f.call("camp", nA, mis, f.day("09:00"), 0),
				}
			},
			lookback: 7 * 24 * time.Hour,
			want: map[string]counts{
				"camp":  {Calls: 1, Missed: 1, FirstTime: 1, Callers: 1},
				"TOTAL": {Calls: 1, Missed: 1, FirstTime: 1, Callers: 1},
			},
		},
		{
			name: "earlier outbound and ignored calls do not make a caller repeat",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("asha-phone", nA, out, f.day("08:00"), 20),
					ignored(f.call("camp", nA, in, f.day("08:30"), 1), leadcall.ReasonTooShort),
					f.call("camp", nA, mis, f.day("09:00"), 0),
				}
			},
			want: map[string]counts{
				"camp":  {Calls: 1, Missed: 1, Ignored: 1, FirstTime: 1, Callers: 1},
				"TOTAL": {Calls: 1, Missed: 1, Ignored: 1, FirstTime: 1, Callers: 1},
			},
		},
		{
			name: "first-time is org-wide: the first call's row gets it",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp2", nA, mis, f.day("09:00"), 0),
					f.call("camp", nA, in, f.day("12:00"), 40),
				}
			},
			want: map[string]counts{
				"camp2": {Calls: 1, Missed: 1, FirstTime: 1, Callers: 1},
				"camp":  {Calls: 1, Answered: 1, Repeat: 1, Callers: 1},
				"TOTAL": {Calls: 2, Answered: 1, Missed: 1, FirstTime: 1, Repeat: 1, Callers: 2},
			},
		},
		{
			name: "two calls at the same instant: the lower ID is first",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00"), 0),  // inserted first: lower ID
					f.call("camp2", nA, mis, f.day("09:00"), 0), // same instant
				}
			},
			want: map[string]counts{
				"camp":  {Calls: 1, Missed: 1, FirstTime: 1, Callers: 1},
				"camp2": {Calls: 1, Missed: 1, Repeat: 1, Callers: 1},
				"TOTAL": {Calls: 2, Missed: 2, FirstTime: 1, Repeat: 1, Callers: 1},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "Asia/Kolkata", nil)
			f.insert(tc.calls(f)...)
			q := report.Query{OrgID: org, From: f.day("00:00"), To: f.day("00:00").AddDate(0, 0, 1), GroupBy: report.GroupDevice}
			// Callers looked up one by one, and found by a scan of the lookback.
			for _, lookups := range []int{0, -1} {
				s, err := f.reporter(report.Config{FirstTimeLookback: tc.lookback, FirstTimeLookups: lookups}).Summary(f.ctx, q)
				require.NoError(t, err)
				require.Empty(t, cmp.Diff(tc.want, countsOf(s)), "lookups %d", lookups)
			}
		})
	}
}

func TestCallersRepeatWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		calls   func(f *fixture) []leadcall.Call
		window  time.Duration
		setting int // org rules.repeat_window_minutes; -1 keeps the default
		group   report.GroupBy
		want    map[string]int // callers by row key
	}{
		{
			name: "exactly one window apart counts twice",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp", nA, mis, f.day("11:00"), 0)}
			},
			setting: -1,
			want:    map[string]int{"camp": 2, "TOTAL": 2},
		},
		{
			name: "a second less than a window apart counts once",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp", nA, mis, f.day("11:00").Add(-time.Second), 0)}
			},
			setting: -1,
			want:    map[string]int{"camp": 1, "TOTAL": 1},
		},
		{
			name: "calls every hour all day are one caller",
			calls: func(f *fixture) []leadcall.Call {
				var out []leadcall.Call
				for h := 8; h < 20; h++ {
					out = append(out, f.call("camp", nA, mis, f.day("00:00").Add(time.Duration(h)*time.Hour), 0))
				}
				return out
			},
			setting: -1,
			want:    map[string]int{"camp": 1, "TOTAL": 1},
		},
		{
			name: "the org's setting applies when the query has no window",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp", nA, mis, f.day("09:30"), 0)}
			},
			setting: 30,
			want:    map[string]int{"camp": 2, "TOTAL": 2},
		},
		{
			name: "the query's window wins over the setting",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp", nA, mis, f.day("09:30"), 0)}
			},
			window:  time.Hour,
			setting: 30,
			want:    map[string]int{"camp": 1, "TOTAL": 1},
		},
		{
			name: "every call counts without a window",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp", nA, mis, f.day("09:00"), 0)}
			},
			window:  report.EveryCall,
			setting: -1,
			want:    map[string]int{"camp": 2, "TOTAL": 2},
		},
		{
			name: "a setting of zero counts every call",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp", nA, mis, f.day("09:01"), 0)}
			},
			setting: 0,
			want:    map[string]int{"camp": 2, "TOTAL": 2},
		},
		{
			name: "rows count callers on their own, the totals once",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("09:00"), 0), f.call("camp2", nA, mis, f.day("09:30"), 0)}
			},
			setting: -1,
			want:    map[string]int{"camp": 1, "camp2": 1, "TOTAL": 1},
		},
		{
			name: "a caller who called just before the range still counts in it",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("00:00").Add(-time.Minute), 0), f.call("camp", nA, mis, f.day("00:10"), 0)}
			},
			setting: -1,
			want:    map[string]int{"camp": 1, "TOTAL": 1},
		},
		{
			name: "a window crossing midnight: each day row counts the caller",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{f.call("camp", nA, mis, f.day("23:30"), 0), f.call("camp", nA, mis, f.day("23:30").Add(time.Hour), 0)}
			},
			setting: -1,
			group:   report.GroupDay,
			want:    map[string]int{"2026-11-20": 1, "2026-11-21": 1, "TOTAL": 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "Asia/Kolkata", func(s *leadcall.Settings) {
				if tc.setting >= 0 {
					s.Rules.RepeatWindowMinutes = tc.setting
				}
			})
			f.insert(tc.calls(f)...)
			g := tc.group
			if g == "" {
				g = report.GroupDevice
			}
			s := f.summaryOf(report.Query{OrgID: org, From: f.day("00:00"), To: f.day("00:00").AddDate(0, 0, 2), GroupBy: g, RepeatWindow: tc.window})
			got := map[string]int{}
			for k, m := range byKey(s) {
				got[k] = m.Callers
			}
			require.Empty(t, cmp.Diff(tc.want, got))
		})
	}
}

func TestRecoveryMetrics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		calls func(f *fixture) []leadcall.Call
		want  map[string]recov
	}{
		{
			name: "connected callback from another rep's phone",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("ravi-phone", nA, out, f.day("09:10"), 60),
				}
			},
			// The case belongs to camp (its miss), not to the phone that called back.
			want: map[string]recov{
				"camp":  {Cases: 1, Recovered: 1, Rate: 1, HasAttempt: true, ToAttempt: 10 * time.Minute, HasConnect: true, ToConnect: 10 * time.Minute},
				"TOTAL": {Cases: 1, Recovered: 1, Rate: 1, HasAttempt: true, ToAttempt: 10 * time.Minute, HasConnect: true, ToConnect: 10 * time.Minute},
			},
		},
		{
			name: "an unanswered attempt, then a connection; and an untouched miss",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("asha-phone", nA, out, f.day("09:20"), 0), // not connected
					f.call("asha-phone", nA, out, f.day("10:00"), 45),
					f.call("camp", nB, mis, f.day("11:00"), 0),
				}
			},
			// A: first attempt 20 min, connect 60 min; B: open. Rate 1/2.
			want: map[string]recov{
				"camp":  {Cases: 2, Recovered: 1, Rate: 0.5, HasAttempt: true, ToAttempt: 20 * time.Minute, HasConnect: true, ToConnect: time.Hour},
				"TOTAL": {Cases: 2, Recovered: 1, Rate: 0.5, HasAttempt: true, ToAttempt: 20 * time.Minute, HasConnect: true, ToConnect: time.Hour},
			},
		},
		{
			name: "medians of two cases; a callback after the range counts",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("asha-phone", nA, out, f.day("09:05"), 30),
					f.call("camp2", nB, mis, f.day("23:50"), 0),
					f.call("asha-phone", nB, out, f.day("23:50").Add(20*time.Minute), 30), // next day
				}
			},
			// Times 5 and 20 minutes: median 12m30s. Grouped by device: one case each.
			want: map[string]recov{
				"camp":  {Cases: 1, Recovered: 1, Rate: 1, HasAttempt: true, ToAttempt: 5 * time.Minute, HasConnect: true, ToConnect: 5 * time.Minute},
				"camp2": {Cases: 1, Recovered: 1, Rate: 1, HasAttempt: true, ToAttempt: 20 * time.Minute, HasConnect: true, ToConnect: 20 * time.Minute},
				"TOTAL": {Cases: 2, Recovered: 2, Rate: 1, HasAttempt: true, ToAttempt: 12*time.Minute + 30*time.Second, HasConnect: true, ToConnect: 12*time.Minute + 30*time.Second},
			},
		},
		{
			name: "a callback before the miss does not count; two misses are one case",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("asha-phone", nA, out, f.day("08:00"), 60),
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("camp", nA, mis, f.day("09:30"), 0),
				}
			},
			want: map[string]recov{
				"camp":  {Cases: 1},
				"TOTAL": {Cases: 1},
			},
		},
		{
			name: "an answered call from the caller recovers; a miss on a rep phone opens nothing",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00"), 0),
					f.call("camp2", nA, in, f.day("09:30"), 60),
					f.call("asha-phone", nB, mis, f.day("10:00"), 0),
				}
			},
			// An inbound call is not an attempt: no time to first attempt.
			want: map[string]recov{
				"camp":       {Cases: 1, Recovered: 1, Rate: 1, HasConnect: true, ToConnect: 30 * time.Minute},
				"camp2":      {},
				"asha-phone": {},
				"TOTAL":      {Cases: 1, Recovered: 1, Rate: 1, HasConnect: true, ToConnect: 30 * time.Minute},
			},
		},
		{
			name: "a miss that joins a case opened before the range is not reported",
			calls: func(f *fixture) []leadcall.Call {
				return []leadcall.Call{
					f.call("camp", nA, mis, f.day("09:00").AddDate(0, 0, -1), 0),
					f.call("camp", nA, mis, f.day("09:00"), 0),
				}
			},
			want: map[string]recov{"camp": {}, "TOTAL": {}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, "Asia/Kolkata", nil)
			f.insert(tc.calls(f)...)
			s := f.summary(report.GroupDevice, 0)
			require.Empty(t, cmp.Diff(tc.want, recovOf(s)))
		})
	}
}

func TestCRMOutcomes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "Asia/Kolkata", nil)
	f.insertWith(map[int]leadcall.ReviewKind{3: leadcall.ReviewDuplicateLead, 4: leadcall.ReviewInvalidNumber},
		outcome(f.call("camp", nA, in, f.day("09:00"), 30), leadcall.SyncSynced, leadcall.OutcomeCreatedLead),
		outcome(f.call("camp", nA, mis, f.day("09:30"), 0), leadcall.SyncSynced, leadcall.OutcomeLinkedLead),
		outcome(f.call("camp", nB, mis, f.day("10:00"), 0), leadcall.SyncSynced, leadcall.OutcomeLinkedContact),
		outcome(f.call("camp2", nC, in, f.day("10:30"), 30), leadcall.SyncReview, leadcall.OutcomeReviewDuplicateLead),
		ignored(f.call("camp2", "12345", mis, f.day("11:00"), 0), leadcall.ReasonInvalidNumber),
		outcome(f.call("camp2", nD, mis, f.day("11:30"), 0), leadcall.SyncFailed, leadcall.OutcomeFailed),
	)
	type crmOut struct{ NewLeads, ContactLinks, ReviewItems, Failures int }
	got := map[string]crmOut{}
	for k, m := range byKey(f.summary(report.GroupDevice, 0)) {
		got[k] = crmOut{m.NewLeads, m.ContactLinks, m.ReviewItems, m.Failures}
	}
	require.Empty(t, cmp.Diff(map[string]crmOut{
		"camp":  {NewLeads: 1, ContactLinks: 1},
		"camp2": {ReviewItems: 2, Failures: 1}, // the unreadable number's review item counts too
		"TOTAL": {NewLeads: 1, ContactLinks: 1, ReviewItems: 2, Failures: 1},
	}, got))
}

func TestGroupingsAndLabels(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "Asia/Kolkata", nil)
	diwali := f.assign("camp", "Google Ads", map[string]string{"Campaign": "Diwali"}, f.day("08:00"))
	expo := f.assign("camp", "Facebook", map[string]string{"campaign": "Expo", "city": "Pune"}, f.day("12:00"))
	c1 := f.call("camp", nA, in, f.day("09:00"), 30)
	c1.AssignmentID, c1.LeadSource = diwali, "Google Ads"
	c2 := f.call("camp", nB, mis, f.day("10:00"), 0)
	c2.AssignmentID, c2.LeadSource = diwali, "Google Ads"
	c3 := f.call("camp", nC, mis, f.day("13:00"), 0)
	c3.AssignmentID, c3.LeadSource = expo, "Facebook"
	f.insert(c1, c2, c3, f.call("camp2", nD, in, f.day("14:00"), 30), f.call("asha-phone", nA, in, f.day("15:00"), 30))

	type row struct {
		Key, Label string
		Calls      int
	}
	rows := func(g report.GroupBy) []row {
		var out []row
		for _, r := range f.summary(g, 0).Rows {
			out = append(out, row{r.Key, r.Label, r.Calls})
		}
		return out
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	require.Empty(t, cmp.Diff([]row{
		{id(diwali), "Google Ads – Diwali (Google line, from 2026-11-20 08:00)", 2},
		{"", report.NoCampaignLabel, 2}, // same calls: by label
		{id(expo), "Facebook – Expo (Google line, from 2026-11-20 12:00)", 1},
	}, rows(report.GroupCampaign)), "campaign")
	require.Empty(t, cmp.Diff([]row{
		{"Google Ads", "Google Ads", 2},
		{"", report.NoLeadSourceLabel, 2},
		{"Facebook", "Facebook", 1},
	}, rows(report.GroupLeadSource)), "lead source")
	require.Empty(t, cmp.Diff([]row{
		{"camp", "Google line", 3},
		{"asha-phone", "Asha", 1},
		{"camp2", "Hoarding line", 1},
	}, rows(report.GroupDevice)), "device")
	require.Empty(t, cmp.Diff([]row{
		{"asha", "Asha Rao", 4},
		{"", report.NoRepLabel, 1},
	}, rows(report.GroupRep)), "rep")
	require.Empty(t, cmp.Diff([]row{
		{"2026-11-20", "Fri 20 Nov 2026", 5},
	}, rows(report.GroupDay)), "day")
}

// TestDaysAcrossDST checks that days follow New York's clock across both changes of 2026:
// 8 March has 23 hours and 1 November 25.
func TestDaysAcrossDST(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "America/New_York", nil)
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return tm
	}
	f.insert(
		f.call("camp", nA, in, utc("2026-03-08T04:59:00Z"), 10), // 23:59 EST, 7 March
		f.call("camp", nB, in, utc("2026-03-08T05:00:00Z"), 10), // 00:00 EST, 8 March
		f.call("camp", nC, in, utc("2026-03-09T03:59:00Z"), 10), // 23:59 EDT, 8 March (23 h later)
		f.call("camp", nD, in, utc("2026-03-09T04:00:00Z"), 10), // 00:00 EDT, 9 March
		f.call("camp", nA, in, utc("2026-11-01T04:00:00Z"), 10), // 00:00 EDT, 1 November
		f.call("camp", nB, in, utc("2026-11-01T05:30:00Z"), 10), // 01:30 EDT, 1 November
		f.call("camp", nC, in, utc("2026-11-01T06:30:00Z"), 10), // 01:30 EST, 1 November (again)
		f.call("camp", nD, in, utc("2026-11-02T04:59:00Z"), 10), // 23:59 EST, 1 November (25 h after midnight)
		f.call("camp", nA, in, utc("2026-11-02T05:00:00Z"), 10), // 00:00 EST, 2 November
	)
	q := report.Query{OrgID: org, From: utc("2026-03-01T00:00:00Z"), To: utc("2026-11-30T00:00:00Z"), GroupBy: report.GroupDay}
	s := f.summaryOf(q)
	require.Equal(t, "America/New_York", s.TimeZone)
	got := map[string]int{}
	for _, r := range s.Rows {
		got[r.Key] = r.Calls
	}
	require.Empty(t, cmp.Diff(map[string]int{"2026-03-07": 1, "2026-03-08": 2, "2026-03-09": 1, "2026-11-01": 4, "2026-11-02": 1}, got))
	require.Equal(t, "Sun 1 Nov 2026", s.Rows[3].Label)
}

func TestDeviceScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "Asia/Kolkata", nil)
	f.insert(
		f.call("camp", nA, mis, f.day("09:00"), 0),
		f.call("camp2", nB, mis, f.day("09:00"), 0),
		f.call("ravi-phone", nA, out, f.day("09:30"), 60), // out of scope, still recovers A
	)
	s := f.summaryOf(report.Query{OrgID: org, From: f.day("00:00"), To: f.day("23:59"), GroupBy: report.GroupDevice, DeviceIDs: []string{"camp"}})
	require.Len(t, s.Rows, 1)
	require.Equal(t, "camp", s.Rows[0].Key)
	require.Equal(t, 1, s.Totals.Calls)
	require.Equal(t, 1, s.Totals.Recovered)
	require.Equal(t, 1.0, s.Totals.RecoveryRate)
}

func TestQueryValidate(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	ok := report.Query{OrgID: org, From: from, To: from.Add(24 * time.Hour)}
	cases := []struct {
		name  string
		edit  func(q *report.Query)
		param string
	}{
		{"valid", func(q *report.Query) {}, ""},
		{"no org", func(q *report.Query) { q.OrgID = "" }, "org"},
		{"no from", func(q *report.Query) { q.From = time.Time{} }, "from"},
		{"no to", func(q *report.Query) { q.To = time.Time{} }, "to"},
		{"to before from", func(q *report.Query) { q.To = from.Add(-time.Hour) }, "to"},
		{"empty range", func(q *report.Query) { q.To = from }, "to"},
		{"too long", func(q *report.Query) { q.To = from.Add(report.MaxRange + time.Hour) }, "to"},
		{"longest", func(q *report.Query) { q.To = from.Add(report.MaxRange) }, ""},
		{"year 1", func(q *report.Query) { q.From = time.Time{}.Add(time.Hour) }, "from"},
		{"bad group", func(q *report.Query) { q.GroupBy = "week" }, "group_by"},
		{"negative window", func(q *report.Query) { q.RepeatWindow = -time.Hour }, "repeat_window"},
		{"huge window", func(q *report.Query) { q.RepeatWindow = report.MaxRepeatWindow + 1 }, "repeat_window"},
		{"every call", func(q *report.Query) { q.RepeatWindow = report.EveryCall }, ""},
		{"too many devices", func(q *report.Query) { q.DeviceIDs = make([]string, report.MaxDeviceIDs+1) }, "device"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := ok
			tc.edit(&q)
			err := q.Validate()
			if tc.param == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, report.ErrInvalidQuery)
			var qe *report.QueryError
			require.True(t, errors.As(err, &qe))
			require.Equal(t, tc.param, qe.Param)
			require.NotEmpty(t, qe.Message)
		})
	}
}

func TestSummaryErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "Asia/Kolkata", nil)
	r := f.reporter(report.Config{})
	_, err := r.Summary(f.ctx, report.Query{OrgID: "nobody", From: f.day("00:00"), To: f.day("12:00")})
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
	_, err = r.Summary(f.ctx, report.Query{OrgID: org})
	require.ErrorIs(t, err, report.ErrInvalidQuery)
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	_, err = r.Summary(ctx, report.Query{OrgID: org, From: f.day("00:00"), To: f.day("12:00")})
	require.Error(t, err)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "UTC", nil)
	for _, cfg := range []report.Config{
		{PageSize: -1}, {PageSize: report.MaxPageSize + 1},
		{RecoveryWindow: -time.Second}, {RecoveryWindow: 400 * 24 * time.Hour},
		{FirstTimeLookback: -1}, {FirstTimeLookback: report.MaxFirstTimeLookback + 1},
	} {
		_, err := report.New(f.st, cfg)
		require.ErrorIs(t, err, report.ErrInvalidConfig, "%+v", cfg)
	}
	_, err := report.New(nil, report.Config{})
	require.ErrorIs(t, err, report.ErrInvalidConfig)
	_, err = report.New(f.st, report.Config{PageSize: 1, RecoveryWindow: time.Hour, FirstTimeLookback: time.Hour})
	require.NoError(t, err)
}

// TestPagingDoesNotChangeFigures runs one report with pages of 1 and of 1000 calls.
func TestPagingDoesNotChangeFigures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "Asia/Kolkata", nil)
	var calls []leadcall.Call
	for i := range 40 {
		n := []string{nA, nB, nC, nD}[i%4]
		typ := []leadcall.CallType{mis, in, out, mis, in}[i%5]
		dev := map[leadcall.CallType]string{mis: "camp", in: "camp2", out: "asha-phone"}[typ]
		calls = append(calls, f.call(dev, n, typ, f.day("08:00").Add(time.Duration(i)*17*time.Minute), i%3*20))
	}
	f.insert(calls...)
	q := report.Query{OrgID: org, From: f.day("10:00"), To: f.day("18:00"), GroupBy: report.GroupDevice}
	small, err := f.reporter(report.Config{PageSize: 1}).Summary(f.ctx, q)
	require.NoError(t, err)
	big, err := f.reporter(report.Config{PageSize: 1000}).Summary(f.ctx, q)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(big, small))
	require.Positive(t, big.Totals.Calls)
	require.Positive(t, big.Totals.Cases)
}
