package report_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/report"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	ist, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	now := time.Date(2026, 11, 22, 15, 30, 0, 0, ist)
	midnight := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, ist) }
	cases := []struct {
		name  string
		query string
		want  report.Query
		param string // of the expected error
	}{
		{"defaults: the last 7 days", "", report.Query{From: midnight(16), To: now}, ""},
		{"dates are whole days in the org's zone", "from=2026-11-20&to=2026-11-20&group_by=campaign",
			report.Query{From: midnight(20), To: midnight(21), GroupBy: report.GroupCampaign}, ""},
		{"RFC 3339 times", "from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z&group_by=rep",
			report.Query{From: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), GroupBy: report.GroupRep}, ""},
		{"only to: the 7 days before it", "to=2026-11-20", report.Query{From: midnight(14), To: midnight(21)}, ""},
		{"window", "from=2026-11-20&repeat_window=90m", report.Query{From: midnight(20), To: now, RepeatWindow: 90 * time.Minute}, ""},
		{"window zero counts every call", "from=2026-11-20&repeat_window=0", report.Query{From: midnight(20), To: now, RepeatWindow: report.EveryCall}, ""},
		{"devices", "from=2026-11-20&device=a,b&device=c,,", report.Query{From: midnight(20), To: now, DeviceIDs: []string{"a", "b", "c"}}, ""},
		{"unknown parameters are ignored", "from=2026-11-20&colour=blue", report.Query{From: midnight(20), To: now}, ""},

		{"bad group", "group_by=week", report.Query{}, "group_by"},
		{"bad from", "from=yesterday", report.Query{}, "from"},
		{"bad date", "from=2026-13-45", report.Query{}, "from"},
		{"bad to", "to=2026-11-20T25:00:00Z", report.Query{}, "to"},
		{"to before from", "from=2026-11-20&to=2026-11-19", report.Query{}, "to"},
		{"from in the future", "from=2026-12-20", report.Query{}, "to"},
		{"range too long", "from=2020-01-01&to=2026-01-01", report.Query{}, "to"},
		{"year out of range", "from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z", report.Query{}, "from"},
		{"bad window", "repeat_window=2 hours", report.Query{}, "repeat_window"},
		{"negative window", "repeat_window=-2h", report.Query{}, "repeat_window"},
		{"huge window", "repeat_window=100000h", report.Query{}, "repeat_window"},
		{"overflowing window", "repeat_window=9999999999999999999h", report.Query{}, "repeat_window"},
		{"given twice", "from=2026-11-20&from=2026-11-21", report.Query{}, "from"},
		{"long value", "group_by=" + strings.Repeat("x", 100), report.Query{}, "group_by"},
		{"invalid UTF-8", "group_by=%ff", report.Query{}, "group_by"},
		{"long device ID", "device=" + strings.Repeat("d", 200), report.Query{}, "device"},
		{"too many devices", "device=" + strings.Repeat("d,", report.MaxDeviceIDs+1), report.Query{}, "device"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			got, err := report.ParseQuery(v, now, ist)
			if tc.param != "" {
				var qe *report.QueryError
				require.True(t, errors.As(err, &qe), "err %v", err)
				require.Equal(t, tc.param, qe.Param, "%v", err)
				require.ErrorIs(t, err, report.ErrInvalidQuery)
				require.Less(t, len(err.Error()), 200, "errors do not repeat long input")
				return
			}
			require.NoError(t, err)
			require.True(t, tc.want.From.Equal(got.From), "from %v, want %v", got.From, tc.want.From)
			require.True(t, tc.want.To.Equal(got.To), "to %v, want %v", got.To, tc.want.To)
			require.Equal(t, tc.want.GroupBy, got.GroupBy)
			require.Equal(t, tc.want.RepeatWindow, got.RepeatWindow)
			require.Equal(t, tc.want.DeviceIDs, got.DeviceIDs)
		})
	}
}

// TestParseQueryDSTDates checks that a date range covers the whole local day when the
// clocks change: 1 November 2026 lasts 25 hours in New York.
func TestParseQueryDSTDates(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	v, err := url.ParseQuery("from=2026-11-01&to=2026-11-01")
	require.NoError(t, err)
	q, err := report.ParseQuery(v, time.Date(2026, 11, 5, 0, 0, 0, 0, ny), ny)
	require.NoError(t, err)
	require.Equal(t, 25*time.Hour, q.To.Sub(q.From))
	v, err = url.ParseQuery("from=2026-03-08&to=2026-03-08")
	require.NoError(t, err)
	q, err = report.ParseQuery(v, time.Date(2026, 3, 10, 0, 0, 0, 0, ny), ny)
	require.NoError(t, err)
	require.Equal(t, 23*time.Hour, q.To.Sub(q.From))
}

func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "from=2026-11-20&to=2026-11-21&group_by=day&repeat_window=2h",
		"from=2026-11-20T00:00:00%2B05:30&device=a,b", "repeat_window=0", "group_by=%00",
		"from=9999-12-31&to=9999-12-31", "to=1900-01-01", "repeat_window=1ns&device=,,,",
	} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := report.ParseQuery(v, now, time.UTC)
		if err != nil {
			var qe *report.QueryError
			require.True(t, errors.As(err, &qe), "every error names a parameter: %v", err)
			require.NotEmpty(t, qe.Param)
			require.NotEmpty(t, qe.Message)
			return
		}
		q.OrgID = "org"
		require.NoError(t, q.Validate(), "a parsed query is valid")
		require.True(t, q.From.Before(q.To))
	})
}
