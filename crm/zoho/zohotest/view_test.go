package zohotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// getView calls the view handler directly and decodes its answer.
func getView(t testing.TB, s *Server, method, target string) (int, ViewResponse, map[string]map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ViewHandler().ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var ok ViewResponse
	var bad map[string]map[string]string
	if rec.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ok), rec.Body.String())
	} else {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &bad), rec.Body.String())
	}
	return rec.Code, ok, bad
}

func TestViewShowsRecordsNewestFirstWithLinks(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	leadID := h.insertOK(t, "Leads", map[string]any{"Last_Name": "Kumar", "Phone": "+919876543210", "Lead_Source": "Web Download", SyncKeyField: "lc1:A"})
	callID := h.insertOK(t, "Calls", inboundCall(leadID))
	task := map[string]any{"Subject": "Call back +919876543210", "Status": "Not Started", "What_Id": map[string]any{"id": leadID}, "$se_module": "Leads"}
	taskID := h.insertOK(t, "Tasks", task)
	contactID := h.insertOK(t, "Contacts", map[string]any{"First_Name": "Asha", "Last_Name": "Rao", "Mobile": "+919876500000"})
	call2 := inboundCall(leadID)
	delete(call2, "What_Id")
	delete(call2, "$se_module")
	call2["Who_Id"] = map[string]any{"id": contactID}
	call2ID := h.insertOK(t, "Calls", call2)

	status, v, _ := getView(t, h.srv, "GET", "/?module=Calls")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Calls", v.Module)
	require.Equal(t, DefaultViewLimit, v.Limit)
	require.Equal(t, map[string]int{"Leads": 1, "Contacts": 1, "Calls": 2, "Tasks": 1}, v.Counts)
	require.Len(t, v.Records, 2)
	require.Equal(t, []string{call2ID, callID}, []string{v.Records[0].ID, v.Records[1].ID}, "newest first")
	require.Equal(t, &ViewLookup{ID: contactID, Name: "Asha Rao", Module: "Contacts"}, v.Records[0].WhoID)
	require.Nil(t, v.Records[0].WhatID)
	got := v.Records[1]
	require.Equal(t, &ViewLookup{ID: leadID, Name: "Kumar", Module: "Leads"}, got.WhatID)
	require.Equal(t, "Inbound", got.CallType)
	require.Equal(t, "02:05", got.CallDuration)
	require.NotEmpty(t, got.CallStartTime)
	require.NotEmpty(t, got.CreatedTime)
	require.NotNil(t, got.Owner)
	require.Equal(t, h.srv.AdminUserID(), got.Owner.ID)

	_, v, _ = getView(t, h.srv, "GET", "/") // Leads by default
	require.Equal(t, "Leads", v.Module)
	want := ViewRecord{ID: leadID, Module: "Leads", FullName: "Kumar", LastName: "Kumar", Phone: "+919876543210",
		LeadSource: "Web Download", SyncKey: "lc1:A", Linked: map[string]int{"Calls": 1, "Tasks": 1}}
	require.Len(t, v.Records, 1)
	got = v.Records[0]
	require.NotNil(t, got.Owner)
	got.Owner, got.CreatedTime, got.LeadStatus = nil, "", ""
	require.Empty(t, cmp.Diff(want, got))

	_, v, _ = getView(t, h.srv, "GET", "/?module=tasks&limit=1")
	require.Equal(t, "Tasks", v.Module)
	require.Len(t, v.Records, 1)
	require.Equal(t, taskID, v.Records[0].ID)
	require.Equal(t, "Not Started", v.Records[0].Status)
	require.Equal(t, &ViewLookup{ID: leadID, Name: "Kumar", Module: "Leads"}, v.Records[0].WhatID)

	// Both directions: a person counts its Calls and Tasks, and related= lists them.
	_, v, _ = getView(t, h.srv, "GET", "/?module=Contacts")
	require.Equal(t, map[string]int{"Calls": 1}, v.Records[0].Linked)
	_, v, _ = getView(t, h.srv, "GET", "/?module=Leads")
	require.Equal(t, map[string]int{"Calls": 1, "Tasks": 1}, v.Records[0].Linked)
	_, v, _ = getView(t, h.srv, "GET", "/?module=Calls&related="+leadID)
	require.Equal(t, leadID, v.Related)
	require.Len(t, v.Records, 1)
	require.Equal(t, callID, v.Records[0].ID)
	_, v, _ = getView(t, h.srv, "GET", "/?module=Calls&related="+contactID)
	require.Len(t, v.Records, 1)
	require.Equal(t, call2ID, v.Records[0].ID)
	_, v, _ = getView(t, h.srv, "GET", "/?module=Tasks&related=123")
	require.Empty(t, v.Records)
	require.Equal(t, 1, v.Counts["Tasks"], "counts stay the module's")
}

func TestViewLimitCapsNewestFirst(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	t.Cleanup(func() { _ = s.Close() })
	var ids []string
	for i := range 7 {
		id, err := s.AddLead(map[string]any{"Last_Name": fmt.Sprintf("L%d", i)})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	_, v, _ := getView(t, s, "GET", "/?limit=3")
	var got []string
	for _, r := range v.Records {
		got = append(got, r.ID)
	}
	require.Equal(t, []string{ids[6], ids[5], ids[4]}, got)
	require.Equal(t, 7, v.Counts["Leads"])
	recent := s.RecentRecords("Leads", 2)
	require.Equal(t, []string{ids[6], ids[5]}, []string{recent[0].ID, recent[1].ID})
	require.Nil(t, s.RecentRecords("Leads", 0))
	require.Nil(t, s.RecentRecords("Accounts", 5))
	require.Len(t, s.RecentRecords("Leads", 100), 7)
}

func TestViewRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	t.Cleanup(func() { _ = s.Close() })
	cases := []struct {
		name, method, target string
		status               int
		code, field          string
	}{
		{"unknown module", "GET", "/?module=Accounts", 400, "invalid", "module"},
		{"empty-ish module", "GET", "/?module=%00", 400, "invalid", "module"},
		{"limit zero", "GET", "/?limit=0", 400, "invalid", "limit"},
		{"limit negative", "GET", "/?limit=-5", 400, "invalid", "limit"},
		{"limit too big", "GET", fmt.Sprintf("/?limit=%d", MaxViewLimit+1), 400, "invalid", "limit"},
		{"limit huge", "GET", "/?limit=99999999999999999999999", 400, "invalid", "limit"},
		{"limit not a number", "GET", "/?limit=ten", 400, "invalid", "limit"},
		{"limit empty", "GET", "/?limit=", 400, "invalid", "limit"},
		{"module twice", "GET", "/?module=Leads&module=Calls", 400, "invalid", "module"},
		{"unknown parameter", "GET", "/?fields=Phone", 400, "invalid", "fields"},
		{"related for Leads", "GET", "/?module=Leads&related=123", 400, "invalid", "related"},
		{"related not an id", "GET", "/?module=Calls&related=1%20or%201", 400, "invalid", "related"},
		{"related empty", "GET", "/?module=Calls&related=", 400, "invalid", "related"},
		{"related too long", "GET", "/?module=Calls&related=" + strings.Repeat("9", 33), 400, "invalid", "related"},
		{"related and bad module", "GET", "/?module=Accounts&related=1", 400, "invalid", "module"},
		{"long unknown parameter", "GET", "/?" + strings.Repeat("x", 100) + "=1", 400, "invalid", strings.Repeat("x", 32) + "…"},
		{"malformed query", "GET", "/?module=%zz", 400, "invalid", ""},
		{"huge query", "GET", "/?module=" + strings.Repeat("L", 10000), 400, "query_too_long", ""},
		{"write", "POST", "/?module=Leads", 405, "method_not_allowed", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := getView(t, s, tc.method, tc.target)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.code, body["error"]["code"])
			require.Equal(t, tc.field, body["error"]["field"])
			require.NotEmpty(t, body["error"]["message"])
		})
	}
}

func TestViewNeverExceedsTheLimit(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	t.Cleanup(func() { _ = s.Close() })
	for i := range MaxViewLimit + 3 {
		_, err := s.AddLead(map[string]any{"Last_Name": fmt.Sprintf("L%d", i)})
		require.NoError(t, err)
	}
	v, ok := s.View(ViewQuery{Module: "Leads", Limit: 1 << 30})
	require.True(t, ok)
	require.Len(t, v.Records, MaxViewLimit)
	require.Equal(t, MaxViewLimit+3, v.Counts["Leads"])
	v, ok = s.View(ViewQuery{Module: "Leads", Limit: -1})
	require.True(t, ok)
	require.Len(t, v.Records, 1)
}

func FuzzViewQuery(f *testing.F) {
	for _, seed := range []string{"module=Leads", "module=Calls&limit=3", "limit=0", "module=%zz", "a=b&c=d", "module=Tasks;limit=2", ""} {
		f.Add(seed)
	}
	s := New(Config{})
	f.Cleanup(func() { _ = s.Close() })
	if _, err := s.AddLead(map[string]any{"Last_Name": "Kumar"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		s.ViewHandler().ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var v ViewResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || len(v.Records) > v.Limit || v.Limit > MaxViewLimit {
				t.Fatalf("query %q: bad answer %s", query, rec.Body)
			}
		case http.StatusBadRequest:
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("query %q: invalid JSON error %s", query, rec.Body)
			}
		default:
			t.Fatalf("query %q: status %d", query, rec.Code)
		}
	})
}

// BenchmarkView reads the newest 100 Leads, with their link counts, of a store holding 10,000
// Leads each with a Call and a Task: the dashboard's refresh after a synced call.
func BenchmarkView(b *testing.B) {
	s := New(Config{})
	b.Cleanup(func() { _ = s.Close() })
	for i := range 10_000 {
		id, err := s.AddLead(map[string]any{"Last_Name": fmt.Sprintf("L%d", i), "Phone": fmt.Sprintf("+9198765%05d", i)})
		require.NoError(b, err)
		for _, m := range []string{"Calls", "Tasks"} {
			_, err := s.AddRecord(m, map[string]any{"Subject": "x", "What_Id": map[string]any{"id": id}, "$se_module": "Leads"})
			require.NoError(b, err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		v, ok := s.View(ViewQuery{Module: "Leads", Limit: 100})
		if !ok || len(v.Records) != 100 || v.Records[0].Linked["Calls"] != 1 {
			b.Fatalf("unexpected view: %d records", len(v.Records))
		}
	}
}
