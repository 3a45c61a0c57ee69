package leadcall_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/report"
)

// TestRealisticDayReport runs the realistic day (day_test.go) and checks the reports of
// package report against figures worked out by hand from the day's script, following the
// definitions of the report package doc:
//
//   - Counted calls are inbound and missed calls that are not ignored: g1 g2 g3 g5 (Google
//     Ads line), f1 f3 f4 f5 f6 (Facebook line), h3 (hoarding). Ignored inbound calls: f2
//     (private), h1 (blocked), h2 (own number), g4 (unreadable). a1 and r1 are callbacks.
//   - Callers: A (+919876512345) g1 09:00, g2 09:30, g5 16:00; E (+919833333333) g3;
//     M (Meera) f1; O (old Lead) f3; B (+919700000003) f4 12:30, f5 12:40;
//     C (+919700000004) f6; D (UK) h3. Nobody called the org before the day, so each
//     caller's first call is first-time: g1 g3 f1 f3 f4 f6 h3; g2 g5 f5 are repeats.
//   - Repeat window 2 h (the default setting): A's g2 is 30 min after g1 (same caller), g5
//     6½ h after g2 (a new one); B's f5 is 10 min after f4.
//   - Recovery cases (misses on campaign phones that count): A1 opened by g2 09:30 and
//     recovered by Asha's a1 at 11:20 (90 s): first attempt and connection after 1 h 50 min;
//     A2 opened by g5 16:00 after that recovery, still open; E (g3), M (f1) and C (f6) open;
//     B opened by f4 12:30, joined by f5, attempted by Ravi's r1 at 13:05 (0 s, not
//     connected): first attempt after 35 min.
//   - CRM: Leads created by g1 f4 f6 h3; f1 linked to Meera's Contact; review items for g3
//     (ambiguous), f3 (duplicate Lead) and g4 (unreadable number); no failures.
func TestRealisticDayReport(t *testing.T) {
	t.Parallel()
	d := newDay(t, memcrmDay, nil)
	d.run()

	require.Equal(t, leadcall.DefaultRecoveryWindow, d.eng.RecoveryWindow())
	r, err := report.New(d.store, report.Config{Now: d.clock.Now, RecoveryWindow: d.eng.RecoveryWindow()})
	require.NoError(t, err)
	summary := func(g report.GroupBy) *report.Summary {
		s, err := r.Summary(d.ctx, report.Query{OrgID: d.org, From: at("00:00"), To: at("00:00").Add(24 * time.Hour), GroupBy: g})
		require.NoError(t, err)
		require.Equal(t, "Asia/Kolkata", s.TimeZone)
		require.Equal(t, 2*time.Hour, s.RepeatWindow)
		return s
	}
	assignmentKeys := func(dev string) []string {
		as, err := d.store.Assignments(d.ctx, d.org, dev)
		require.NoError(t, err)
		var keys []string
		for _, a := range as {
			keys = append(keys, strconv.FormatInt(a.ID, 10))
		}
		return keys
	}
	google, fb, hoarding := assignmentKeys("google"), assignmentKeys("fb"), assignmentKeys("hoarding")
	require.Len(t, google, 2)
	require.Len(t, fb, 2)
	require.Len(t, hoarding, 1)

	// The whole day. Calls 10: answered g1 f3 h3, missed the other 7. Callers: A twice,
	// E M O B C D once. Cases A1 A2 E M B C, A1 recovered: rate 1/6. First attempts after
	// 110 and 35 min: median 72.5 min; one connection, after 110 min.
	totals := report.Metrics{
		Calls: 10, Answered: 3, Missed: 7, FirstTime: 7, Repeat: 3, Callers: 8, Ignored: 4, MissedRate: 0.7,
		Cases: 6, Recovered: 1, RecoveryRate: 1.0 / 6,
		HasFirstAttempt: true, MedianTimeToFirstAttempt: 72*time.Minute + 30*time.Second,
		HasConnect: true, MedianTimeToConnect: 110 * time.Minute,
		NewLeads: 4, ContactLinks: 1, ReviewItems: 3,
	}
	// The Google Ads line (rep Asha): g1 g2 g3 g5 counted, g4 ignored; first-time g1 (A) and
	// g3 (E); callers A twice (g1+g2, g5) and E; cases A1 (recovered), E, A2.
	googleLine := report.Metrics{
		Calls: 4, Answered: 1, Missed: 3, FirstTime: 2, Repeat: 2, Callers: 3, Ignored: 1, MissedRate: 3.0 / 4,
		Cases: 3, Recovered: 1, RecoveryRate: 1.0 / 3,
		HasFirstAttempt: true, MedianTimeToFirstAttempt: 110 * time.Minute, HasConnect: true, MedianTimeToConnect: 110 * time.Minute,
		NewLeads: 1, ReviewItems: 2,
	}
	// The Facebook line (rep Ravi): f1 f3 f4 f5 f6 counted, f2 ignored; f5 is B's repeat;
	// callers M O B C; cases M, C, B (attempted after 35 min).
	fbLine := report.Metrics{
		Calls: 5, Answered: 1, Missed: 4, FirstTime: 4, Repeat: 1, Callers: 4, Ignored: 1, MissedRate: 4.0 / 5,
		Cases: 3, HasFirstAttempt: true, MedianTimeToFirstAttempt: 35 * time.Minute,
		NewLeads: 2, ContactLinks: 1, ReviewItems: 1,
	}
	// The hoarding (no rep): h3 from D, answered; h1 and h2 ignored.
	hoardingLine := report.Metrics{
		Calls: 1, Answered: 1, FirstTime: 1, Callers: 1, Ignored: 2, NewLeads: 1,
	}

	t.Run("campaign", func(t *testing.T) {
		s := summary(report.GroupCampaign)
		require.Empty(t, cmp.Diff(totals, s.Totals), "totals")
		require.Empty(t, cmp.Diff([]report.Row{
			// Facebook until noon: f1 (M), f3 (O), f6 (C) counted, f2 ignored; cases M, C.
			{Key: fb[0], Label: "Facebook (Facebook line, from 2026-11-20 08:00)", Metrics: report.Metrics{
				Calls: 3, Answered: 1, Missed: 2, FirstTime: 3, Callers: 3, Ignored: 1, MissedRate: 2.0 / 3,
				Cases: 2, NewLeads: 1, ContactLinks: 1, ReviewItems: 1,
			}},
			// Google Ads (Diwali) until 13:00: g1 g2 (A), g3 (E); cases A1 (recovered after
			// 110 min) and E.
			{Key: google[0], Label: "Google Ads – Diwali (Google Ads line, from 2026-11-20 08:00)", Metrics: report.Metrics{
				Calls: 3, Answered: 1, Missed: 2, FirstTime: 2, Repeat: 1, Callers: 2, MissedRate: 2.0 / 3,
				Cases: 2, Recovered: 1, RecoveryRate: 0.5,
				HasFirstAttempt: true, MedianTimeToFirstAttempt: 110 * time.Minute, HasConnect: true, MedianTimeToConnect: 110 * time.Minute,
				NewLeads: 1, ReviewItems: 1,
			}},
			// Instagram from noon: f4, f5 (B, 10 min apart); case B attempted after 35 min.
			{Key: fb[1], Label: "Instagram (Facebook line, from 2026-11-20 12:00)", Metrics: report.Metrics{
				Calls: 2, Missed: 2, FirstTime: 1, Repeat: 1, Callers: 1, MissedRate: 1,
				Cases: 1, HasFirstAttempt: true, MedianTimeToFirstAttempt: 35 * time.Minute, NewLeads: 1,
			}},
			// Google Ads from 13:00: g5 (A again, case A2 open); g4 ignored with its review item.
			{Key: google[1], Label: "Google Ads (Google Ads line, from 2026-11-20 13:00)", Metrics: report.Metrics{
				Calls: 1, Missed: 1, Repeat: 1, Callers: 1, Ignored: 1, MissedRate: 1, Cases: 1, ReviewItems: 1,
			}},
			{Key: hoarding[0], Label: "Hoarding (MG Road hoarding, from 2026-11-20 08:00)", Metrics: hoardingLine},
			// The callbacks a1 and r1 have no campaign and nothing to count: no row.
		}, s.Rows), "rows")
	})

	t.Run("device", func(t *testing.T) {
		s := summary(report.GroupDevice)
		require.Empty(t, cmp.Diff(totals, s.Totals), "totals")
		require.Empty(t, cmp.Diff([]report.Row{
			{Key: "fb", Label: "Facebook line", Metrics: fbLine},
			{Key: "google", Label: "Google Ads line", Metrics: googleLine},
			{Key: "hoarding", Label: "MG Road hoarding", Metrics: hoardingLine},
		}, s.Rows), "rows")
	})

	t.Run("rep", func(t *testing.T) {
		s := summary(report.GroupRep)
		require.Empty(t, cmp.Diff(totals, s.Totals), "totals")
		// Cases are credited to the rep of the phone that missed, not to the one who called
		// back: Asha's Google line, Ravi's Facebook line.
		require.Empty(t, cmp.Diff([]report.Row{
			{Key: "ravi", Label: "Ravi Kumar", Metrics: fbLine},
			{Key: "asha", Label: "Asha Rao", Metrics: googleLine},
			{Key: "", Label: report.NoRepLabel, Metrics: hoardingLine},
		}, s.Rows), "rows")
	})

	t.Run("lead_source", func(t *testing.T) {
		s := summary(report.GroupLeadSource)
		require.Empty(t, cmp.Diff(totals, s.Totals), "totals")
		require.Empty(t, cmp.Diff([]string{"Google Ads", "Facebook", "Instagram", "Hoarding"}, keys(s)))
		require.Empty(t, cmp.Diff(googleLine, s.Rows[0].Metrics), "both Google Ads campaigns")
	})

	t.Run("day", func(t *testing.T) {
		s := summary(report.GroupDay)
		require.Empty(t, cmp.Diff([]report.Row{{Key: "2026-11-20", Label: "Fri 20 Nov 2026", Metrics: totals}}, s.Rows))
	})
}

func keys(s *report.Summary) []string {
	var out []string
	for _, r := range s.Rows {
		out = append(out, r.Key)
	}
	return out
}
