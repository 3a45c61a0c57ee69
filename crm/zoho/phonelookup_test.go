package zoho

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

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
	twoValues       = "+919876543210,9876543210"
	leadsCriteria2  = "((Phone:in:" + twoValues + ")or(Mobile:in:" + twoValues + "))"
	contactsCriter2 = "(((((Phone:in:" + twoValues + ")or(Mobile:in:" + twoValues + "))or(Home_Phone:in:" + twoValues +
		"))or(Other_Phone:in:" + twoValues + "))or(Asst_Phone:in:" + twoValues + "))"
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

// lookupStub answers COQL queries and searches, plain or inside composite requests, from two
// functions, and logs what was asked: "coql Leads", "search Contacts criteria=...", with a
// "composite:" line per composite request.
type lookupStub struct {
	t      *testing.T
	coql   func(module, query string) (int, string)
	search func(module string, q url.Values) (int, string)
	// refuseComposite, when set, answers every composite request instead.
	refuseComposite func() (int, string)

	mu  sync.Mutex
	log []string
}

var coqlModule = regexp.MustCompile(` from (\w+) `)

func newLookupStub(t *testing.T, f *fixture) *lookupStub {
	s := &lookupStub{
		t:      t,
		coql:   func(string, string) (int, string) { return 204, "" },
		search: func(string, url.Values) (int, string) { return 204, "" },
	}
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		status, body := s.answerCOQL(coqlBody(t, r))
		reply(w, status, body)
	})
	f.handle("GET /crm/v8/{module}/search", func(w http.ResponseWriter, r *http.Request) {
		status, body := s.answerSearch(r.PathValue("module"), r.URL.Query())
		reply(w, status, body)
	})
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		if s.refuseComposite != nil {
			s.add("composite")
			status, body := s.refuseComposite()
			reply(w, status, body)
			return
		}
		var req struct {
			Subs []struct {
				Method string            `json:"method"`
				URI    string            `json:"uri"`
				Params map[string]string `json:"params"`
				Body   struct {
					Query string `json:"select_query"`
				} `json:"body"`
			} `json:"__composite_requests"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		require.LessOrEqual(t, len(req.Subs), compositeMaxSubs)
		s.add(fmt.Sprintf("composite: %d", len(req.Subs)))
		var entries []string
		for _, sub := range req.Subs {
			var status int
			var body string
			if strings.HasSuffix(sub.URI, "/coql") {
				require.Equal(t, "POST", sub.Method)
				status, body = s.answerCOQL(sub.Body.Query)
			} else {
				require.Equal(t, "GET", sub.Method)
				module := strings.TrimSuffix(strings.TrimPrefix(sub.URI, "/crm/v8/"), "/search")
				q := url.Values{}
				for k, v := range sub.Params {
					q.Set(k, v)
				}
				status, body = s.answerSearch(module, q)
			}
			if status == 204 {
				body = ""
			}
			entries = append(entries, subOK(status, body))
		}
		reply(w, 200, compositeReply(entries...))
	})
	return s
}

func (s *lookupStub) add(line string) {
	s.mu.Lock()
	s.log = append(s.log, line)
	s.mu.Unlock()
}

func (s *lookupStub) answerCOQL(query string) (int, string) {
	m := coqlModule.FindStringSubmatch(query)
	require.NotNil(s.t, m, "query %q", query)
	s.add("coql " + m[1])
	return s.coql(m[1], query)
}

func (s *lookupStub) answerSearch(module string, q url.Values) (int, string) {
	form := "phone=" + q.Get("phone")
	if q.Has("criteria") {
		form = "criteria"
	}
	s.add("search " + module + " " + form)
	return s.search(module, q)
}

// take returns the log and empties it.
func (s *lookupStub) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.log
	s.log = nil
	return out
}

func TestFindByPhoneOneCompositeRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"rollback_on_fail":false,"parallel_execution":false,"concurrent_execution":false,"__composite_requests":[
			{"sub_request_id":"r1","method":"POST","uri":"/crm/v8/coql","params":{},"headers":{},"body":{"select_query":"`+leadsQuery2+` limit 25"}},
			{"sub_request_id":"r2","method":"GET","uri":"/crm/v8/Leads/search","headers":{},"body":null,
				"params":{"criteria":"`+leadsCriteria2+`","converted":"false","per_page":"25"}},
			{"sub_request_id":"r3","method":"POST","uri":"/crm/v8/coql","params":{},"headers":{},"body":{"select_query":"`+contactsQuery2+` limit 25"}},
			{"sub_request_id":"r4","method":"GET","uri":"/crm/v8/Contacts/search","headers":{},"body":null,
				"params":{"criteria":"`+contactsCriter2+`","per_page":"25"}}]}`)
		reply(w, 200, compositeReply(
			subOK(200, testdata(t, "coql_leads.json")),
			subOK(200, testdata(t, "search_leads.json")),
			subOK(200, coqlRows(
				`{"id":"900","Full_Name":null,"First_Name":"Asha","Last_Name":"Rao","Owner":{"id":"5"},"Phone":"9876543210","Mobile":"+44 20 7946 0958","Home_Phone":null}`,
				`{"id":"900","First_Name":"Asha","Last_Name":"Rao","Phone":"9876543210"}`,
				`{"id":null,"Phone":"9876543210"}`,
				`{"id":"901","Last_Name":"Kumar","Asst_Phone":"+919876543210"}`,
			)),
			subOK(200, coqlRows(
				`{"id":"900","Full_Name":"Asha Rao","Phone":"9876543210"}`,
				`{"id":"902","Full_Name":"Typed By Hand","Mobile":"+91 98765-43210"}`,
				// "equals" behaves like "contains": numbers that merely hold the digits come back.
				`{"id":"903","Full_Name":"Longer","Phone":"+9198765432101"}`,
				`{"id":"904","Full_Name":"Other Country","Phone":"+1 9876543210"}`,
			)),
		))
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	want := []crm.Record{
		{Module: crm.ModuleLeads, ID: "5725767000000524157", Name: "Inbound Lead", Phones: []string{"+919876543210"},
			SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"},
		{Module: crm.ModuleLeads, ID: "5725767000000649013", Name: "Kris Marrier", Phones: []string{"+919876543210", "9876543210"},
			SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"},
		{Module: crm.ModuleContacts, ID: "900", Name: "Asha Rao", Phones: []string{"9876543210", "+44 20 7946 0958"}, OwnerID: "5"},
		{Module: crm.ModuleContacts, ID: "901", Name: "Kumar", Phones: []string{"+919876543210"}},
		{Module: crm.ModuleContacts, ID: "902", Name: "Typed By Hand", Phones: []string{"+91 98765-43210"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("records (-want +got):\n%s", d)
	}
	require.EqualValues(t, 1, f.apiHits.Load(), "one request for both modules, both halves and every variant")
	require.EqualValues(t, 1, f.crm.Credits(), "a composite call costs one credit")
}

func TestFindByPhonePlainRequests(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.DisableComposite = true })
	var mu sync.Mutex
	var asked []string
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		q := coqlBody(t, r)
		mu.Lock()
		asked = append(asked, q)
		mu.Unlock()
		if strings.Contains(q, "from Leads") {
			reply(w, 200, coqlRows(`{"id":"1","Last_Name":"A","Phone":"+919876543210","Converted__s":true}`,
				`{"id":"2","Last_Name":"B","Mobile":"9876543210"}`))
			return
		}
		w.WriteHeader(204) // no Contacts
	})
	f.handle("GET /crm/v8/{module}/search", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.PathValue("module")+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.PathValue("module") == "Contacts" {
			reply(w, 200, coqlRows(`{"id":"3","Full_Name":"C","Home_Phone":"(98765) 43210"}`))
			return
		}
		w.WriteHeader(204)
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{
		{Module: crm.ModuleLeads, ID: "2", Name: "B", Phones: []string{"9876543210"}},
		{Module: crm.ModuleContacts, ID: "3", Name: "C", Phones: []string{"(98765) 43210"}},
	}, got, "a converted Lead is dropped even if COQL returns it")
	require.Equal(t, []string{
		leadsQuery2 + " limit 200",
		"Leads?" + url.Values{"criteria": {leadsCriteria2}, "converted": {"false"}, "per_page": {"200"}}.Encode(),
		contactsQuery2 + " limit 200",
		"Contacts?" + url.Values{"criteria": {contactsCriter2}, "per_page": {"200"}}.Encode(),
	}, asked, "'+' is sent as %2B in a query string")
	require.EqualValues(t, 4, f.apiHits.Load())
	require.EqualValues(t, 4, f.crm.Credits())
}

func TestFindByPhoneNoMatch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, compositeReply(subOK(204, ""), subOK(204, `{}`), subOK(200, `{"data":[]}`), subOK(204, "")))
	})
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Empty(t, got)
}

func TestFindByPhoneCompositeRefusedFallsBackToPlain(t *testing.T) {
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
			s := newLookupStub(t, f)
			s.refuseComposite = func() (int, string) { return refusal.status, refusal.body }
			s.search = func(module string, q url.Values) (int, string) {
				if module == "Leads" {
					return 200, testdata(t, "search_leads.json")
				}
				return 204, ""
			}
			plain := []string{"coql Leads", "search Leads criteria", "coql Contacts", "search Contacts criteria"}
			for i := range 2 {
				got, err := f.crm.FindByPhone(t.Context(), twoVariants)
				require.NoError(t, err)
				require.Len(t, got, 1)
				want := plain
				if i == 0 {
					want = append([]string{"composite"}, plain...)
				}
				require.Equal(t, want, s.take(), "composite is not tried again for a while")
				f.advance(DefaultPhoneCacheTTL) // past the phone cache
			}
			f.advance(DefaultFallbackCooldown)
			_, err := f.crm.FindByPhone(t.Context(), twoVariants)
			require.NoError(t, err)
			require.Equal(t, "composite", s.take()[0], "tried again after the cooldown")
		})
	}
}

func TestFindByPhoneCOQLRefusedSearchAnswersAlone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	s := newLookupStub(t, f)
	s.coql = func(string, string) (int, string) { return 401, testdata(t, "error_scope_mismatch.json") }
	s.search = func(module string, q url.Values) (int, string) {
		if module == "Leads" {
			return 200, testdata(t, "search_leads.json")
		}
		return 204, ""
	}
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleLeads, ID: "5725767000000649013", Name: "Kris Marrier",
		Phones: []string{"+919876543210", "9876543210"}, SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"}}, got)
	require.Equal(t, []string{"composite: 4", "coql Leads", "search Leads criteria", "coql Contacts", "search Contacts criteria"}, s.take())
	// COQL stays off: the next lookup searches only, still in one request.
	_, err = f.crm.FindByPhone(t.Context(), []string{"+15550100"})
	require.NoError(t, err)
	require.Equal(t, []string{"composite: 2", "search Leads criteria", "search Contacts criteria"}, s.take())
	require.EqualValues(t, 2, f.apiHits.Load())
}

func TestFindByPhoneSearchRefusedCOQLAnswersAlone(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	f := setup(t, func(c *Config) { c.Logger = newTestLogger(&logs, &mu) })
	s := newLookupStub(t, f)
	s.search = func(string, url.Values) (int, string) { return 401, testdata(t, "error_scope_mismatch.json") }
	s.coql = func(module, _ string) (int, string) {
		if module == "Contacts" {
			return 200, coqlRows(`{"id":"7","Full_Name":"Exact","Phone":"9876543210"}`)
		}
		return 204, ""
	}
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleContacts, ID: "7", Name: "Exact", Phones: []string{"9876543210"}}}, got)
	require.Len(t, s.take(), 5)
	_, err = f.crm.FindByPhone(t.Context(), []string{"+15550100"})
	require.NoError(t, err)
	require.Equal(t, []string{"composite: 2", "coql Leads", "coql Contacts"}, s.take())
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, logs.String(), "numbers typed with spaces or dashes are not found", "the degraded lookup is announced")
}

func TestFindByPhoneCriteriaRefusedUsesPhoneSearch(t *testing.T) {
	t.Parallel()
	f := setup(t)
	s := newLookupStub(t, f)
	s.search = func(module string, q url.Values) (int, string) {
		if q.Has("criteria") {
			return 400, `{"code":"INVALID_QUERY","details":{"reason":"invalid operator","api_name":"Phone","operator":"in"},"message":"invalid query formed","status":"error"}`
		}
		if module == "Contacts" && q.Get("phone") == "9876543210" {
			return 200, coqlRows(`{"id":"8","Full_Name":"Spaced","Mobile":"98765 43210"}`)
		}
		return 204, ""
	}
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleContacts, ID: "8", Name: "Spaced", Phones: []string{"98765 43210"}}}, got)
	require.Equal(t, []string{
		"composite: 4", "coql Leads", "search Leads criteria", "coql Contacts", "search Contacts criteria",
		"composite: 4", "search Leads phone=+919876543210", "search Leads phone=9876543210",
		"search Contacts phone=+919876543210", "search Contacts phone=9876543210",
	}, s.take(), "only the refused half is read again, with ?phone= per variant and module")
	// From now on: 2 COQL queries and 4 searches, 5 in a composite request and one plain.
	f.advance(DefaultPhoneCacheTTL)
	_, err = f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []string{
		"composite: 5", "coql Leads", "search Leads phone=+919876543210", "search Leads phone=9876543210",
		"coql Contacts", "search Contacts phone=+919876543210", "search Contacts phone=9876543210",
	}, s.take())
	require.EqualValues(t, 4, f.apiHits.Load())
}

func TestFindByPhoneEverythingRefused(t *testing.T) {
	t.Parallel()
	f := setup(t)
	s := newLookupStub(t, f)
	scope := func() (int, string) { return 401, testdata(t, "error_scope_mismatch.json") }
	s.coql = func(string, string) (int, string) { return scope() }
	s.search = func(string, url.Values) (int, string) { return scope() }
	for range 2 {
		_, err := f.crm.FindByPhone(t.Context(), twoVariants)
		requireCode(t, err, leadcall.CodeReconnectRequired)
		requireAPIError(t, err, "OAUTH_SCOPE_MISMATCH", 401)
		require.Len(t, s.take(), 5, "with both halves refused, both are asked again rather than nothing")
	}
}

func TestFindByPhoneUnknownColumns(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.DisableComposite = true })
	s := newLookupStub(t, f)
	var mu sync.Mutex
	var queries []string
	s.coql = func(_, q string) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		queries = append(queries, q)
		switch {
		case strings.Contains(q, "Converted__s"):
			return 400, `{"code":"INVALID_QUERY","details":{"column_name":"Converted__s"},"message":"unsupported column","status":"error"}`
		case strings.Contains(q, "LC_Sync_Key"):
			return 400, `{"code":"INVALID_QUERY","details":{"column_name":"LC_Sync_Key"},"message":"invalid column given","status":"error"}`
		}
		return 204, ""
	}
	_, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Len(t, queries, 4, "each unknown column is dropped once")
	require.NotContains(t, queries[3], "Converted__s")
	require.NotContains(t, queries[3], "LC_Sync_Key")
	require.Equal(t, []string{"coql Leads", "search Leads criteria", "coql Contacts", "search Contacts criteria",
		"coql Leads", "coql Leads"}, s.take(), "the searches are not repeated")
	_, err = f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Len(t, queries, 6, "remembered: two queries per lookup from now on")
}

func TestFindByPhoneErrorsAreNotFallbacks(t *testing.T) {
	t.Parallel()
	t.Run("composite 5xx", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 500, testdata(t, "error_internal.json"))
		})
		_, err := f.crm.FindByPhone(t.Context(), twoVariants)
		requireCode(t, err, leadcall.CodeUnavailable)
		require.EqualValues(t, 1, f.apiHits.Load(), "a 5xx is returned, not retried another way")
	})
	t.Run("one sub-request fails", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		s := newLookupStub(t, f)
		s.coql = func(string, string) (int, string) {
			return 200, coqlRows(`{"id":"1","Last_Name":"A","Phone":"9876543210"}`)
		}
		s.search = func(module string, _ url.Values) (int, string) {
			if module == "Contacts" {
				return 500, testdata(t, "error_internal.json")
			}
			return 204, ""
		}
		_, err := f.crm.FindByPhone(t.Context(), twoVariants)
		requireCode(t, err, leadcall.CodeUnavailable)
		require.Len(t, s.take(), 5, "half an answer is no answer: a missed record makes a duplicate Lead")
	})
	for name, sub := range map[string]string{
		"throttled": `{"code":"TOO_MANY_REQUESTS","details":{},"message":"too many","status":"error"}`,
		"garbled":   `"not a search result"`,
	} {
		t.Run(name+" plain", func(t *testing.T) {
			t.Parallel()
			f := setup(t, func(c *Config) { c.DisableComposite = true })
			s := newLookupStub(t, f)
			s.coql = func(string, string) (int, string) { return 200, sub }
			if name == "throttled" {
				s.coql = func(string, string) (int, string) { return 429, sub }
			}
			_, err := f.crm.FindByPhone(t.Context(), twoVariants)
			require.Error(t, err)
			require.NotEqual(t, leadcall.CodeInvalid, leadcall.CodeOf(err))
			require.Equal(t, []string{"coql Leads"}, s.take(), "the first hard failure stops the lookup")
		})
	}
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
		"criteria":      {"98765)or(Phone:starts_with:9"},
		"comma":         {"98765,12345"},
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

func TestPhoneReadsStayWithinZohoLimits(t *testing.T) {
	t.Parallel()
	f := setup(t)
	phones := `{"api_name":"Phone","data_type":"phone"},{"api_name":"Mobile","data_type":"phone"},{"api_name":"Home_Phone","data_type":"phone"},` +
		`{"api_name":"Other_Phone","data_type":"phone"},{"api_name":"Asst_Phone","data_type":"phone"},{"api_name":"Work_2","data_type":"phone"},` +
		`{"api_name":"Work_3","data_type":"phone"},{"api_name":"Bad-Name","data_type":"phone"},{"api_name":"Fax","data_type":"text"}`
	for i := 4; i <= 8; i++ {
		phones += fmt.Sprintf(`,{"api_name":"Work_%d","data_type":"phone"}`, i)
	}
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"fields":[`+phones+`]}`)
	})
	_, err := f.crm.Fields(t.Context(), crm.ModuleContacts)
	require.NoError(t, err)
	vs := []string{"+919876543210", "09876543210", "9876543210", "919876543210"}

	qs := f.crm.phoneQueries(crm.ModuleContacts, vs)
	require.Len(t, qs, 2, "12 phone fields × 4 variants = 48 criteria: two queries")
	total := 0
	for _, q := range qs {
		n := strings.Count(q.query, " = '")
		require.LessOrEqual(t, n, coqlMaxCriteria)
		total += n
		require.Equal(t, strings.Count(q.query, "("), strings.Count(q.query, ")"))
		require.NotContains(t, q.query, "Bad-Name")
		require.NotContains(t, q.query, "Fax")
	}
	require.Equal(t, 48, total)
	lq := f.crm.phoneQueries(crm.ModuleLeads, vs)
	require.Len(t, lq, 1)
	require.Equal(t, 2*4+1, strings.Count(lq[0].query, " = "), "Leads: Phone, Mobile and Converted__s")

	searches := f.crm.searchReads(crm.ModuleContacts, vs)
	require.Len(t, searches, 2, "12 phone fields: 10 conditions, then 2")
	fields := 0
	for _, s := range searches {
		crit := s.params.Get("criteria")
		n := strings.Count(crit, ":in:")
		require.LessOrEqual(t, n, searchMaxCriteria)
		fields += n
		require.Equal(t, strings.Count(crit, "("), strings.Count(crit, ")"))
		require.Equal(t, n, strings.Count(crit, ":in:"+strings.Join(vs, ",")+")"), "every condition holds every variant")
		require.NotContains(t, crit, "Bad-Name")
	}
	require.Equal(t, 12, fields)
}

func TestFindByPhoneManyReadsSpanComposites(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var fieldList []string
	for i := range 12 {
		fieldList = append(fieldList, fmt.Sprintf(`{"api_name":"Phone_%d","data_type":"phone"}`, i))
	}
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"fields":[`+strings.Join(fieldList, ",")+`]}`)
	})
	_, err := f.crm.Fields(t.Context(), crm.ModuleContacts)
	require.NoError(t, err)
	s := newLookupStub(t, f)
	s.search = func(module string, q url.Values) (int, string) {
		if module == "Contacts" && strings.Contains(q.Get("criteria"), "Phone_11") {
			return 200, coqlRows(`{"id":"11","Full_Name":"Last Field","Phone_11":"98765-43210"}`)
		}
		return 204, ""
	}
	vs := []string{"+919876543210", "09876543210", "9876543210", "919876543210"}
	got, err := f.crm.FindByPhone(t.Context(), vs)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleContacts, ID: "11", Name: "Last Field", Phones: []string{"98765-43210"}}}, got)
	require.Equal(t, []string{"composite: 5", "coql Leads", "search Leads criteria", "coql Contacts", "coql Contacts",
		"search Contacts criteria", "search Contacts criteria"}, s.take(),
		"1 + 1 reads for Leads, 2 + 2 for Contacts: five in a composite request, the sixth plain")
	require.EqualValues(t, 1+2, f.apiHits.Load())
}

func TestPhoneMatcher(t *testing.T) {
	t.Parallel()
	in := newPhoneMatcher([]string{"+919820011111", "09820011111", "9820011111", "919820011111"})
	for _, tc := range []struct {
		stored string
		want   bool
	}{
		{"+919820011111", true},
		{"98200 11111", true},
		{"+91 98200-11111", true},
		{"(098200) 11111", true},
		{"91.9820.011111", true},
		{"0091 98200 11111", true},    // international prefix: read as a number in India
		{"+91 (0) 98200 11111", true}, // a trunk prefix in brackets
		{"tel:+91-98200-11111", true},
		{"", false},
		{"+9198200111112", false}, // holds the digits, and more
		{"+1 9820011111", false},  // same digits after another country code
		{"98200 11112", false},
		{"9820011111 ext 5", true}, // an extension is not part of the number
		{"98200111115", false},
		{strings.Repeat("9", 100), false},
		{"call 98200 11111", true}, // only digits and '+' count
	} {
		require.Equal(t, tc.want, in.is(tc.stored), "%q", tc.stored)
	}
	// Without an E.164 variant only the stripped digits count.
	bare := newPhoneMatcher([]string{"9820011111"})
	require.True(t, bare.is("98200-11111"))
	require.False(t, bare.is("0091 98200 11111"))
	// A non-geographic number has no region to read national forms in.
	ng := newPhoneMatcher([]string{"+80012345678", "80012345678"})
	require.True(t, ng.is("+800 1234 5678"))
	require.False(t, ng.is("12345678"))
}

func TestFindByPhoneRecordsOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	s := newLookupStub(t, f)
	row := `{"id":"5","Full_Name":"Twice","Phone":"9876543210","Mobile":"+91 98765 43210"}`
	s.coql = func(module, _ string) (int, string) {
		if module == "Contacts" {
			return 200, coqlRows(row, row)
		}
		return 204, ""
	}
	s.search = func(module string, _ url.Values) (int, string) {
		if module == "Contacts" {
			return 200, coqlRows(row)
		}
		return 204, ""
	}
	got, err := f.crm.FindByPhone(t.Context(), twoVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleContacts, ID: "5", Name: "Twice", Phones: []string{"9876543210", "+91 98765 43210"}}}, got,
		"a record found by both halves and by several variants counts once")
}

// A cancelled lookup sends nothing and reports CodeUnavailable.
func TestFindByPhoneCancelled(t *testing.T) {
	t.Parallel()
	f := setup(t)
	newLookupStub(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.crm.FindByPhone(ctx, twoVariants)
	requireCode(t, err, leadcall.CodeUnavailable)
	require.EqualValues(t, 0, f.apiHits.Load())
}
