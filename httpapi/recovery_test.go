package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/recovery"
)

func TestRecoveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	campaignID, campaign := e.pairedDevice("campaign")
	repID, rep := e.pairedDevice("sales_rep")
	// Calls after the devices enrolled (earlier ones are ignored).
	base := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	r := e.do("POST", "/v1/device/calls", campaign, map[string]any{"calls": []any{
		call("a", "9876512345", "missed", base),
		call("b", "9876512346", "missed", base.Add(time.Minute)),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = e.do("POST", "/v1/device/calls", rep, map[string]any{"calls": []any{
		call("cb", "+91 98765 12345", "outbound", base.Add(5*time.Minute)), // 30 s: connects
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// Default: open and attempted cases.
	var out httpapi.RecoveryResponse

	e.admin("GET", "/v1/recovery", nil, http.StatusOK, &out)
	require.Len(t, out.Items, 1)
	require.Equal(t, "+919876512346", out.Items[0].NumberE164)
	require.Equal(t, recovery.StatusOpen, out.Items[0].Status)
	require.Equal(t, httpapi.RecoverySummary{Cases: 2, Open: 1, Recovered: 1, RecoveryRate: 0.5,
		MedianTimeToFirstAttemptS: ptr(300.0), MedianTimeToConnectS: ptr(300.0)}, out.Summary)

	e.admin("GET", "/v1/recovery?status=recovered", nil, http.StatusOK, &out)
	require.Len(t, out.Items, 1)
	c := out.Items[0]
	require.Equal(t, "+919876512345", c.NumberE164)
	require.Equal(t, repID, c.RecoveredByDeviceID)
	require.Equal(t, campaignID, c.DeviceID)
	require.Equal(t, 300.0, *c.TimeToConnectS)
	require.Equal(t, 1, c.Attempts)

	// The JSON names of the contract.
	raw := e.admin("GET", "/v1/recovery?status=open,recovered&device_id="+campaignID, nil, http.StatusOK, nil)
	var m struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
		Summary    map[string]any   `json:"summary"`
	}
	require.NoError(t, json.Unmarshal(raw.body, &m))
	require.Len(t, m.Items, 2)
	require.NotNil(t, m.NextCursor)
	require.Empty(t, *m.NextCursor, "one page")
	// DESIGN.md §6's fields, and the board's.
	for _, k := range []string{"id", "number_e164", "status", "missed_call_ids", "miss_count", "first_missed_at", "last_missed_at", "expires_at",
		"sla_due_at", "sla_breached", "attempts", "first_attempt_at", "connected_at", "time_to_first_attempt_s",
		"time_to_connect_s", "recovered_by_device_id", "recovered_by_rep_id", "device_id", "assignment_id",
		"lead_source", "campaign"} {
		require.Contains(t, m.Items[0], k)
	}
	for _, k := range []string{"open", "attempted", "recovered", "expired", "recovery_rate",
		"median_time_to_first_attempt_s", "median_time_to_connect_s"} {
		require.Contains(t, m.Summary, k)
	}
	// A range without cases: medians are null.
	q := url.Values{"from": {base.Add(-48 * time.Hour).Format(time.RFC3339)}, "to": {base.Add(-47 * time.Hour).Format(time.RFC3339)}}
	raw = e.admin("GET", "/v1/recovery?"+q.Encode(), nil, http.StatusOK, &out)
	require.Empty(t, out.Items)
	require.Contains(t, string(raw.body), `"items":[]`)
	require.Contains(t, string(raw.body), `"median_time_to_connect_s":null`)
}

// Pages of GET /v1/recovery walk every case once, in order, whatever the page size.
func TestRecoveryRoutePages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, campaign := e.pairedDevice("campaign")
	base := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	var calls []any
	for i := range 7 {
		calls = append(calls, call(fmt.Sprintf("m%d", i), fmt.Sprintf("98765123%02d", i), "missed", base.Add(time.Duration(i)*time.Second)))
	}
	r := e.do("POST", "/v1/device/calls", campaign, map[string]any{"calls": calls})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	var all httpapi.RecoveryResponse
	e.admin("GET", "/v1/recovery", nil, http.StatusOK, &all)
	require.Len(t, all.Items, 7)
	require.Empty(t, all.NextCursor)
	for _, size := range []int{1, 3, 7} {
		var got []int64
		cursor := ""
		for pages := 0; ; pages++ {
			require.Less(t, pages, 8, "paging must end")
			var out httpapi.RecoveryResponse
			q := url.Values{"limit": {strconv.Itoa(size)}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			e.admin("GET", "/v1/recovery?"+q.Encode(), nil, http.StatusOK, &out)
			require.LessOrEqual(t, len(out.Items), size)
			require.Equal(t, all.Summary, out.Summary, "the summary covers the range, not the page")
			for _, c := range out.Items {
				got = append(got, c.Key)
			}
			if cursor = out.NextCursor; cursor == "" {
				break
			}
		}
		var want []int64
		for _, c := range all.Items {
			want = append(want, c.Key)
		}
		require.Equal(t, want, got, "page size %d", size)
	}
}

func TestRecoveryRouteErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	now := time.Now().UTC()
	r := e.do("GET", "/v1/recovery", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	r = e.do("GET", "/v1/recovery", "wrong-token-wrong-token-wrong", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)

	tests := []struct {
		name   string
		query  string
		status int
		field  string
	}{
		{"unknown status", "status=lost", http.StatusBadRequest, "status"},
		{"hostile status", "status=" + url.QueryEscape("open'; DROP TABLE calls;--"), http.StatusBadRequest, "status"},
		{"bad from", "from=yesterday", http.StatusBadRequest, "from"},
		{"bad to", "to=2026-13-40", http.StatusBadRequest, "to"},
		{"reversed", "from=" + now.Format(time.RFC3339) + "&to=" + now.Add(-time.Hour).Format(time.RFC3339), http.StatusBadRequest, "to"},
		{"unknown parameter", "state=open", http.StatusBadRequest, "state"},
		{"huge parameter name", strings.Repeat("x", 5000) + "=1", http.StatusBadRequest, strings.Repeat("x", 32) + "…"},
		{"bad device", "device_id=" + url.QueryEscape("a b"), http.StatusBadRequest, "device_id"},
		{"huge device", "device_id=" + strings.Repeat("d", 100000), http.StatusBadRequest, "device_id"},
		{"too many values", "status=" + strings.Repeat("open,", 200), http.StatusBadRequest, "status"},
		{"range too long", "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", http.StatusUnprocessableEntity, "from"},
		{"zero limit", "limit=0", http.StatusBadRequest, "limit"},
		{"huge limit", "limit=1000000", http.StatusBadRequest, "limit"},
		{"word limit", "limit=all", http.StatusBadRequest, "limit"},
		{"forged cursor", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("rc1:-5")), http.StatusBadRequest, "cursor"},
		{"foreign cursor", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("calls:10")), http.StatusBadRequest, "cursor"},
		{"garbage cursor", "cursor=%FF%FE", http.StatusBadRequest, "cursor"},
		{"huge cursor", "cursor=" + strings.Repeat("QUFB", 5000), http.StatusBadRequest, "cursor"},
	}
	for _, tc := range tests {
		r := e.do("GET", "/v1/recovery?"+tc.query, adminToken, nil)
		require.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		d := r.err(t)
		require.Equal(t, tc.field, d.Field, tc.name)
	}
}

// FuzzRecoveryQuery: whatever the query, GET /v1/recovery answers 200 or a 4xx with a JSON
// error, never a server error.
func FuzzRecoveryQuery(f *testing.F) {
	for _, seed := range []string{"", "status=open", "status=open,attempted&from=2026-11-01T00:00:00Z",
		"to=2026-11-01T00:00:00Z&from=2026-12-01T00:00:00Z", "device_id=a&device_id=b", "status=%00", "x=1",
		"from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z", "from=9999-12-31T23:59:59Z"} {
		f.Add(seed)
	}
	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequestWithContext(t.Context(), "GET", "/v1/recovery", nil)
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+adminToken)
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
			t.Fatalf("query %q: status %d: %s", query, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			var b httpapi.ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Error.Code == "" {
				t.Fatalf("query %q: error body %s", query, rec.Body)
			}
		}
	})
}

// waitSync waits until n calls of the default org have the sync status.
func waitSync(t *testing.T, e *env, status leadcall.SyncStatus, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		page, err := e.store.ListCalls(t.Context(), &leadcall.CallFilter{OrgID: "default", SyncStatus: []leadcall.SyncStatus{status}})
		require.NoError(t, err)
		return len(page.Items) == n
	}, 30*time.Second, 20*time.Millisecond, "calls did not reach %s", status)
}

// TestRecoveryRouteRoles: a rep sees the cases their devices recovered (or were credited
// with), and may not run a backfill; a manager sees every case.
func TestRecoveryRouteRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, campaign := e.pairedDevice("campaign")
	asha, ravi := e.newUser(leadcall.RoleRep, "asha@example.com"), e.newUser(leadcall.RoleRep, "ravi@example.com")
	manager := e.newUser(leadcall.RoleManager, "meera@example.com")
	_, ashaPhone := e.deviceFor(asha.repID)
	_, raviPhone := e.deviceFor(ravi.repID)
	base := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	r := e.do("POST", "/v1/device/calls", campaign, map[string]any{"calls": []any{
		call("a", "9876512345", "missed", base), call("b", "9876512346", "missed", base), call("c", "9876512347", "missed", base),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	for phone, number := range map[string]string{ashaPhone: "9876512345", raviPhone: "9876512346"} {
		r = e.do("POST", "/v1/device/calls", phone, map[string]any{"calls": []any{call("cb", number, "outbound", base.Add(time.Minute))}})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	}
	all := "/v1/recovery?status=open,attempted,recovered,expired"
	numbers := func(c cred) []string {
		r := e.send("GET", all, c, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var out httpapi.RecoveryResponse
		r.json(t, &out)
		var got []string
		for _, k := range out.Items {
			got = append(got, k.NumberE164)
		}
		return got
	}
	require.Equal(t, []string{"+919876512345"}, numbers(asha.token))
	require.Equal(t, []string{"+919876512346"}, numbers(ravi.session))
	require.ElementsMatch(t, []string{"+919876512345", "+919876512346", "+919876512347"}, numbers(manager.token))

	body := map[string]any{"from": base.Add(-time.Hour), "to": base.Add(time.Hour), "dry_run": true}
	r = e.send("POST", "/v1/backfill", asha.token, body)
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	r = e.send("POST", "/v1/backfill", manager.token, body)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}
