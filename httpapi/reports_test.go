package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/httpapi"
)

func TestReportSummary(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, campaign := e.pairedDevice("campaign")
	_, rep := e.pairedDevice("sales_rep")
	base := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	r := e.do("POST", "/v1/device/calls", campaign, map[string]any{"calls": []any{
		call("a", "9876512345", "missed", base),
		call("b", "9876512346", "inbound", base.Add(time.Second)),
		call("c", "+91 98765 12345", "missed", base.Add(2*time.Second)),
		call("d", "9876512347", "missed", base.Add(3*time.Second)),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = e.do("POST", "/v1/device/calls", rep, map[string]any{"calls": []any{
		call("e", "09876512345", "outbound", base.Add(5*time.Second)), // 30 s: connects
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	q := url.Values{"from": {base.Add(-time.Hour).Format(time.RFC3339)}, "to": {base.Add(time.Hour).Format(time.RFC3339)},
		"group_by": {"device"}}
	var out httpapi.ReportSummaryResponse
	e.admin("GET", "/v1/reports/summary?"+q.Encode(), nil, http.StatusOK, &out)
	require.Equal(t, "device", out.GroupBy)
	require.Equal(t, "UTC", out.TimeZone)
	require.Equal(t, int64(2*60*60), out.RepeatWindowS)
	require.True(t, out.From.Equal(base.Add(-time.Hour)))
	tot := out.Totals
	// Calls a c (one caller, 2 s apart), b, d; a and c are one case, called back after 5 s.
	require.Equal(t, httpapi.ReportRow{Key: "", Label: "Total", Calls: 4, Answered: 1, Missed: 3, FirstTime: 3, Repeat: 1,
		Callers: 3, MissedRate: 0.75, Cases: 2, Recovered: 1, RecoveryRate: 0.5,
		MedianTimeToFirstAttemptS: ptr(5.0), MedianTimeToConnectS: ptr(5.0)}, tot)
	require.Len(t, out.Rows, 1, "the rep phone only called back")
	require.Equal(t, "Phone campaign", out.Rows[0].Label)

	// Medians without an attempt are null, not 0.
	q.Set("to", base.Add(4*time.Second).Format(time.RFC3339))
	q.Set("from", base.Add(3*time.Second).Format(time.RFC3339))
	r = e.admin("GET", "/v1/reports/summary?"+q.Encode(), nil, http.StatusOK, nil)
	require.Contains(t, string(r.body), `"median_time_to_first_attempt_s":null`)

	// repeat_window=0 counts every call.
	q = url.Values{"from": {base.Add(-time.Hour).Format(time.RFC3339)}, "to": {base.Add(time.Hour).Format(time.RFC3339)}, "repeat_window": {"0"}}
	e.admin("GET", "/v1/reports/summary?"+q.Encode(), nil, http.StatusOK, &out)
	require.Equal(t, 4, out.Totals.Callers)
	require.Equal(t, "day", out.GroupBy, "the default grouping")
	require.Len(t, out.Rows, 1)
}

func ptr[T any](v T) *T { return &v }

func TestReportSummaryErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.do("GET", "/v1/reports/summary", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, "unauthorized", r.err(t).Code)
	r = e.do("GET", "/v1/reports/summary", "wrong-token-0123456789", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	r = e.do("POST", "/v1/reports/summary", adminToken, nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.status)

	e.admin("GET", "/v1/reports/summary", nil, http.StatusOK, nil) // every parameter has a default

	cases := []struct{ query, field string }{
		{"group_by=week", "group_by"},
		{"group_by=", ""}, // empty: the default
		{"group_by=%00", "group_by"},
		{"group_by=day&group_by=rep", "group_by"},
		{"from=yesterday", "from"},
		{"from=2026-02-30", "from"},
		{"to=2026-11-20T10:00:00", "to"}, // no offset
		{"from=2026-11-20&to=2026-11-19", "to"},
		{"from=2000-01-01&to=2026-01-01", "to"},
		{"from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z", "from"},
		{"repeat_window=2", "repeat_window"},
		{"repeat_window=-1h", "repeat_window"},
		{"repeat_window=99999999999999999999h", "repeat_window"},
		{"repeat_window=721h", "repeat_window"},
		{"repeat_window=" + strings.Repeat("9", 5000), "repeat_window"},
		{"from=" + strings.Repeat("2026-11-20", 1000), "from"},
		{"device=" + strings.Repeat("x", 10000), "device"},
		{"device=" + strings.Repeat("a,", 10000), "device"},
		{strings.Repeat("junk=1&", 20000) + "group_by=rep", ""}, // unknown parameters are ignored
		{"%zz=%zz&group_by=bad", "group_by"},
	}
	for _, tc := range cases {
		r := e.do("GET", "/v1/reports/summary?"+tc.query, adminToken, nil)
		name := tc.query[:min(len(tc.query), 60)]
		if tc.field == "" {
			require.Equal(t, http.StatusOK, r.status, "%s: %s", name, r.body)
			continue
		}
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r.body)
		d := r.err(t)
		require.Equal(t, "invalid", d.Code, name)
		require.Equal(t, tc.field, d.Field, "%s: %s", name, r.body)
		require.Less(t, len(r.body), 400, "%s: the error does not echo the input", name)
	}
}
