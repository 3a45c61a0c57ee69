package zohotest

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkInsertOverHTTP measures one single-record Lead insert through loopback HTTP.
func BenchmarkInsertOverHTTP(b *testing.B) {
	h := setupBench(b)
	i := 0
	for b.Loop() {
		i++
		status, _ := h.call(b, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{
			map[string]any{"Last_Name": "Bench", "Phone": fmt.Sprintf("+9198%08d", i), SyncKeyField: fmt.Sprint("k", i)}}})
		if status != http.StatusCreated {
			b.Fatalf("status %d", status)
		}
	}
}

// BenchmarkPhoneSearch measures ?phone= over 1,000 Contacts with 5 phone fields each.
func BenchmarkPhoneSearch(b *testing.B) {
	h := setupBench(b)
	for i := range 1000 {
		if _, err := h.srv.AddContact(map[string]any{"Last_Name": "C", "Phone": fmt.Sprintf("+9198%08d", i),
			"Mobile": fmt.Sprintf("098%08d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		status, _ := h.call(b, http.MethodGet, "/crm/v8/Contacts/search?phone=%2B919800000500", nil)
		if status != http.StatusOK {
			b.Fatalf("status %d", status)
		}
	}
}

// BenchmarkCOQLLookup measures leadcall's lookup query (4 variants x 2 fields) over 1,000 Leads.
func BenchmarkCOQLLookup(b *testing.B) {
	h := setupBench(b)
	for i := range 1000 {
		if _, err := h.srv.AddLead(map[string]any{"Last_Name": "L", "Phone": fmt.Sprintf("+9198%08d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	q := map[string]any{"select_query": "select id, Phone, Mobile from Leads where " +
		"(((Phone = '+919800000500' or Phone = '09800000500') or (Phone = '9800000500' or Phone = '919800000500')) or " +
		"((Mobile = '+919800000500' or Mobile = '09800000500') or (Mobile = '9800000500' or Mobile = '919800000500')))"}
	for b.Loop() {
		status, _ := h.call(b, http.MethodPost, "/crm/v8/coql", q)
		if status != http.StatusOK {
			b.Fatalf("status %d", status)
		}
	}
}

func setupBench(b *testing.B) *harness {
	b.Helper()
	srv := New(Config{MaxConcurrency: -1})
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{}
	h := &harness{srv: srv, client: &http.Client{Transport: tr}}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		_ = srv.Close()
	})
	tok := &accessToken{token: "1000.bench", scopes: DefaultScopes(), userID: srv.AdminUserID(), expires: srv.now().Add(DefaultAccessTokenTTL)}
	srv.mu.Lock()
	srv.access[tok.token] = tok
	srv.mu.Unlock()
	h.token = tok.token
	return h
}
