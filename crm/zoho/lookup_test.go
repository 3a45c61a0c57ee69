package zoho

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

var twoVariants = []string{"+919876543210", "9876543210"}

const (
	leadsQuery2 = "select id, Full_Name, First_Name, Last_Name, Owner, LC_Sync_Key, Phone, Mobile from Leads " +
		"where (Converted__s = false and (((Phone = '+919876543210' or Phone = '9876543210') or Mobile = '+919876543210') or Mobile = '9876543210'))"
	contactsQuery2 = "select id, Full_Name, First_Name, Last_Name, Owner, Phone, Mobile, Home_Phone, Other_Phone, Asst_Phone from Contacts " +
		"where (((((((((Phone = '+919876543210' or Phone = '9876543210') or Mobile = '+919876543210') or Mobile = '9876543210')" +
		" or Home_Phone = '+919876543210') or Home_Phone = '9876543210') or Other_Phone = '+919876543210') or Other_Phone = '9876543210')" +
		" or Asst_Phone = '+919876543210') or Asst_Phone = '9876543210')"
)

// subOK is a composite entry for a sub-request that ran.
func subOK(status int, body string) string {
	if body == "" {
		body = "null"
	}
	return fmt.Sprintf(`{"code":"SUCCESS","message":"composite sub request executed successfully","status":"success",`+
		`"details":{"response":{"headers":{"content-type":"application/json;charset=UTF-8"},"body":%s,"status_code":%d}}}`, body, status)
}

// subFailed is a composite entry for a sub-request that did not run.
func subFailed(code string) string {
	return fmt.Sprintf(`{"code":%q,"details":{"api_name":"sub_request_2","json_path":"$.body.data[0]"},"message":"not run","status":"error"}`, code)
}

func compositeReply(entries ...string) string {
	return `{"__composite_requests":[` + strings.Join(entries, ",") + `]}`
}

func coqlRows(rows ...string) string {
	return fmt.Sprintf(`{"data":[%s],"info":{"count":%d,"more_records":false}}`, strings.Join(rows, ","), len(rows))
}

// coqlBody returns the select_query of a POST /coql request.
func coqlBody(t *testing.T, r *http.Request) string {
	t.Helper()
	var b struct {
		Query string `json:"select_query"`
	}
	require.NoError(t, json.NewDecoder(r.Body).Decode(&b))
	return b.Query
}

func TestFindByPhoneOneCompositeRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"rollback_on_fail":false,"parallel_execution":false,"concurrent_execution":false,"__composite_requests":[
			{"sub_request_id":"q1","method":"POST","uri":"/crm/v8/coql","params":{},"headers":{},"body":{"select_query":"`+leadsQuery2+` limit 25"}},
			{"sub_request_id":"q2","method":"POST","uri":"/crm/v8/coql","params":{},"headers":{},"body":{"select_query":"`+contactsQuery2+` limit 25"}}]}`)
		reply(w, 200, compositeReply(
			subOK(200, testdata(t, "coql_leads.json")),
			subOK(200, coqlRows(
				`{"id":"900","Full_Name":null,"First_Name":"Asha","Last_Name":"Rao","Owner":{"id":"5"},"Phone":"9876543210","Mobile":"+44 20 7946 0958","Home_Phone":null}`,
				`{"id":"900","First_Name":"Asha","Last_Name":"Rao","Phone":"9876543210"}`,
				`{"id":null,"Phone":"9876543210"}`,
				`{"id":"901","Last_Name":"Kumar","Asst_Phone":"+919876543210"}`,
			)),
		))
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	want := []crm.Record{
		{Module: crm.ModuleLeads, ID: "5725767000000524157", Name: "Inbound Lead", Phones: []string{"+919876543210"},
			SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"},
		{Module: crm.ModuleContacts, ID: "900", Name: "Asha Rao", Phones: []string{"9876543210", "+44 20 7946 0958"}, OwnerID: "5"},
		{Module: crm.ModuleContacts, ID: "901", Name: "Kumar", Phones: []string{"+919876543210"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}
	require.EqualValues(t, 1, f.apiHits.Load(), "one request for both modules and every variant")
	require.EqualValues(t, 1, f.crm.Credits(), "a composite call costs one credit")
}

func TestFindByPhonePlainCOQL(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.DisableComposite = true })
	var mu sync.Mutex
	var queries []string
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		q := coqlBody(t, r)
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		if strings.Contains(q, "from Leads") {
			reply(w, 200, coqlRows(`{"id":"1","Last_Name":"A","Phone":"+919876543210","Converted__s":true}`,
				`{"id":"2","Last_Name":"B","Mobile":"9876543210"}`))
			return
		}
		w.WriteHeader(204) // no Contacts
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleLeads, ID: "2", Name: "B", Phones: []string{"9876543210"}}}, got,
		"a converted Lead is dropped even if COQL returns it")
	require.Equal(t, []string{leadsQuery2 + " limit 200", contactsQuery2 + " limit 200"}, queries)
	require.EqualValues(t, 2, f.apiHits.Load())
}

func TestFindByPhoneNoMatch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, compositeReply(subOK(204, ""), subOK(204, `{}`)))
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Empty(t, got)
}

func TestFindByPhoneCompositeRefusedFallsBackToPlainCOQL(t *testing.T) {
	t.Parallel()
	for name, refusal := range map[string]struct {
		status int
		body   string
	}{
		"missing composite scope": {401, testdata(t, "error_scope_mismatch.json")},
		"unsupported":             {400, `{"code":"API_NOT_SUPPORTED","details":{"supported_version":3},"message":"api not supported in this version","status":"error"}`},
		"wrapper validation":      {400, testdata(t, "composite_400.json")},
		"html 404":                {404, "<html>not found</html>"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			var composites atomic.Int64
			f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
				composites.Add(1)
				reply(w, refusal.status, refusal.body)
			})
			f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
			for range 2 {
				got, err := f.crm.FindByPhone(t.Context(), twoVariants)
				require.NoError(t, err)
				require.Empty(t, got)
			}
			require.EqualValues(t, 1, composites.Load(), "composite is not tried again for a while")
			require.EqualValues(t, 1+2+2, f.apiHits.Load())
			f.advance(DefaultFallbackCooldown)
			_, err := f.crm.FindByPhone(t.Context(), twoVariants)
			require.NoError(t, err)
			require.EqualValues(t, 2, composites.Load(), "tried again after the cooldown")
		})
	}
}

func TestFindByPhoneCOQLRefusedFallsBackToSearch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		scope := testdata(t, "error_scope_mismatch.json")
		reply(w, 200, compositeReply(subOK(401, scope), subOK(401, scope)))
	})
	var mu sync.Mutex
	var searches []string
	f.handle("GET /crm/v8/{module}/search", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		searches = append(searches, r.PathValue("module")+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.PathValue("module") == "Leads" && r.URL.Query().Get("phone") == "+919876543210" {
			reply(w, 200, testdata(t, "search_leads.json"))
			return
		}
		w.WriteHeader(204)
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleLeads, ID: "5725767000000649013", Name: "Kris Marrier",
		Phones: []string{"+919876543210", "9876543210"}, SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"}}, got)
	require.Equal(t, []string{
		"Leads?converted=false&per_page=200&phone=%2B919876543210",
		"Leads?converted=false&per_page=200&phone=9876543210",
		"Contacts?per_page=200&phone=%2B919876543210",
		"Contacts?per_page=200&phone=9876543210",
	}, searches, "every variant in both modules, '+' sent as %2B")
	// COQL stays off: the next lookup searches directly.
	_, err = f.crm.FindByPhone(t.Context(), []string{"+15550100"})
	require.NoError(t, err)
	require.Len(t, searches, 6)
	require.EqualValues(t, 1+4+2, f.apiHits.Load())
}

func TestFindByPhoneUnknownColumns(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.DisableComposite = true })
	var mu sync.Mutex
	var queries []string
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		q := coqlBody(t, r)
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		switch {
		case strings.Contains(q, "Converted__s"):
			reply(w, 400, `{"code":"INVALID_QUERY","details":{"column_name":"Converted__s"},"message":"unsupported column","status":"error"}`)
		case strings.Contains(q, "LC_Sync_Key"):
			reply(w, 400, `{"code":"INVALID_QUERY","details":{"column_name":"LC_Sync_Key"},"message":"invalid column given","status":"error"}`)
		default:
			w.WriteHeader(204)
		}
	})
	_, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Len(t, queries, 4, "each unknown column is dropped once")
	require.NotContains(t, queries[3], "Converted__s")
	require.NotContains(t, queries[3], "LC_Sync_Key")
	_, err = f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Len(t, queries, 6, "remembered: two queries per lookup from now on")
}

func TestFindByPhoneErrorsAreNotFallbacks(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 500, testdata(t, "error_internal.json"))
	})
	_, err := f.crm.FindByPhone(t.Context(), twoVariants)
	requireCode(t, err, leadcall.CodeUnavailable)
	require.EqualValues(t, 1, f.apiHits.Load(), "a 5xx is returned, not retried another way")
}

func TestFindByPhoneVariants(t *testing.T) {
	t.Parallel()
	f := setup(t)
	got, err := f.crm.FindByPhone(t.Context(), nil)
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Empty(t, got)
	for name, vs := range map[string][]string{
		"letters":       {"+91987654321O"},
		"one digit":     {"7"},
		"quote":         {"98765' or '1'='1"},
		"plus inside":   {"98+765"},
		"too long":      {"+" + strings.Repeat("9", 21)},
		"too many":      strings.Split(strings.Repeat("12345,", 17)[:17*6-1], ","),
		"empty":         {""},
		"spaces":        {"+91 98765 43210"},
		"unicode digit": {"٩٨٧٦٥٤٣٢١٠"},
	} {
		_, err := f.crm.FindByPhone(t.Context(), vs)
		le := requireCode(t, err, leadcall.CodeInvalid)
		require.Equal(t, "variants", le.Field, name)
	}
	require.EqualValues(t, 0, f.tokenHits.Load()+f.apiHits.Load())
}

func TestPhoneQueriesStayWithinCOQLLimits(t *testing.T) {
	t.Parallel()
	f := setup(t)
	phones := `{"api_name":"Phone","data_type":"phone"},{"api_name":"Mobile","data_type":"phone"},{"api_name":"Home_Phone","data_type":"phone"},` +
		`{"api_name":"Other_Phone","data_type":"phone"},{"api_name":"Asst_Phone","data_type":"phone"},{"api_name":"Work_2","data_type":"phone"},` +
		`{"api_name":"Work_3","data_type":"phone"},{"api_name":"Bad-Name","data_type":"phone"},{"api_name":"Fax","data_type":"text"}`
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"fields":[`+phones+`]}`)
	})
	_, err := f.crm.Fields(t.Context(), crm.ModuleContacts)
	require.NoError(t, err)
	vs := []string{"+919876543210", "09876543210", "9876543210", "919876543210"}
	qs := f.crm.phoneQueries(crm.ModuleContacts, vs)
	require.Len(t, qs, 2, "7 phone fields × 4 variants = 28 criteria: two queries")
	total := 0
	for _, q := range qs {
		n := strings.Count(q.query, " = '")
		require.LessOrEqual(t, n, coqlMaxCriteria)
		total += n
		require.Equal(t, strings.Count(q.query, "("), strings.Count(q.query, ")"))
		require.NotContains(t, q.query, "Bad-Name")
		require.NotContains(t, q.query, "Fax")
	}
	require.Equal(t, 28, total)
	lq := f.crm.phoneQueries(crm.ModuleLeads, vs)
	require.Len(t, lq, 1)
	require.Equal(t, 2*4+1, strings.Count(lq[0].query, " = "), "Leads: Phone, Mobile and Converted__s")
}

func TestNest(t *testing.T) {
	t.Parallel()
	require.Equal(t, "a", nest([]string{"a"}, "or"))
	require.Equal(t, "(a or b)", nest([]string{"a", "b"}, "or"))
	require.Equal(t, "(((a and b) and c) and d)", nest([]string{"a", "b", "c", "d"}, "and"))
	require.Equal(t, `'it\'s \\ ok'`, coqlString(`it's \ ok`))
}

func TestPhoneCache(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.PhoneCacheTTL = time.Minute; c.DisableComposite = true })
	var hit atomic.Bool
	hit.Store(true)
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		if hit.Load() && strings.Contains(coqlBody(t, r), "from Leads") {
			reply(w, 200, coqlRows(`{"id":"1","Last_Name":"A","Phone":"+919876543210"}`))
			return
		}
		w.WriteHeader(204)
	})
	first, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Len(t, first, 1)
	second, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, first, second)
	require.EqualValues(t, 2, f.apiHits.Load(), "a hit is remembered")
	f.advance(time.Minute)
	hit.Store(false)
	for range 2 {
		got, err := f.crm.FindByPhone(t.Context(), twoVariants)
		require.NoError(t, err)
		require.Empty(t, got)
	}
	require.EqualValues(t, 6, f.apiHits.Load(), "a miss is never remembered")
}

func TestPhoneCacheLearnsCreatedLeads(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.PhoneCacheTTL = time.Minute })
	f.handle("POST /crm/v8/Leads", created(t))
	_, err := f.crm.CreateLead(t.Context(), testLead())
	require.NoError(t, err)
	hits := f.apiHits.Load()
	got, err := f.crm.FindByPhone(t.Context(), []string{"+919876543210", "09876543210", "9876543210", "919876543210"})
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleLeads, ID: sampleID, Name: "Inbound Lead", Phones: []string{"+919876543210"},
		SyncKey: testLead().SyncKey, OwnerID: testLead().OwnerID}}, got)
	require.Equal(t, hits, f.apiHits.Load(), "a repeat caller's lookup needs no request")
}

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
