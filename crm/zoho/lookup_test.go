package zoho

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

func TestFindBySyncKey(t *testing.T) {
	t.Parallel()
	key := crm.CallKey("org1", "dev1", "c1")
	f := setup(t)
	rows := coqlRows(`{"id":"3","LC_Sync_Key":"`+key+`"}`, `{"id":"22","LC_Sync_Key":"`+key+`"}`, `{"id":"1","LC_Sync_Key":"other"}`)
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "select id, LC_Sync_Key from Calls where LC_Sync_Key = '"+key+"' limit 2", coqlBody(t, r))
		reply(w, 200, rows)
	})
	id, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleCalls, key)
	require.NoError(t, err)
	require.Equal(t, "3", id, "the oldest of several, and only exact key matches")
	id, err = f.crm.FindBySyncKey(t.Context(), crm.ModuleCalls, key)
	require.NoError(t, err)
	require.Equal(t, "3", id)
	require.EqualValues(t, 1, f.apiHits.Load(), "hits are cached")

	f2 := setup(t)
	f2.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	for range 2 {
		id, err := f2.crm.FindBySyncKey(t.Context(), crm.ModuleTasks, key)
		require.NoError(t, err)
		require.Empty(t, id)
	}
	require.EqualValues(t, 2, f2.apiHits.Load(), "misses are not cached")
}

func TestFindBySyncKeyRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleContacts, "k")
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = f.crm.FindBySyncKey(t.Context(), "Deals'", "k")
	requireCode(t, err, leadcall.CodeInvalid)
	for _, key := range []string{"", "a' or id != '0", strings.Repeat("k", 256), "k\n"} {
		_, err = f.crm.FindBySyncKey(t.Context(), crm.ModuleLeads, key)
		requireCode(t, err, leadcall.CodeInvalid)
	}
	require.EqualValues(t, 0, f.apiHits.Load())
}

func TestFindBySyncKeyWithoutField(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 400, `{"code":"INVALID_QUERY","details":{"column_name":"LC_Sync_Key"},"message":"invalid column given","status":"error"}`)
	})
	for range 2 {
		id, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleLeads, "lc1L_x")
		require.NoError(t, err, "the Engine's grace period takes over")
		require.Empty(t, id)
	}
	require.EqualValues(t, 1, f.apiHits.Load(), "the missing field is remembered")
}

func TestFindBySyncKeyCriteriaFallback(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	f.handle("GET /crm/v8/Leads/search", func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		require.NoError(t, err)
		require.Equal(t, "(LC_Sync_Key:equals:lc1L_x)", q.Get("criteria"))
		// "equals" behaves like "contains": a longer key comes back too.
		reply(w, 200, coqlRows(`{"id":"8","LC_Sync_Key":"lc1L_xyz"}`, `{"id":"9","LC_Sync_Key":"lc1L_x"}`))
	})
	id, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleLeads, "lc1L_x")
	require.NoError(t, err)
	require.Equal(t, "9", id)
}

func TestLogsHoldNoPhoneNumbersOrTokens(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	f := setup(t, func(c *Config) { c.Logger = newTestLogger(&logs, &mu) })
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	f.handle("GET /crm/v8/{module}/search", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, testdata(t, "search_leads.json"))
	})
	f.handle("POST /crm/v8/Leads", created(t))
	_, err := f.crm.FindByPhone(t.Context(), []string{"+919876543210", "9876543210"})
	require.NoError(t, err)
	_, err = f.crm.CreateLead(t.Context(), testLead())
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	out := logs.String()
	require.Contains(t, out, "zoho: request", "debug lines were written")
	require.Contains(t, out, "******3210", "numbers appear masked")
	require.NotContains(t, out, "9876543210")
	noSecrets(t, out)
}
