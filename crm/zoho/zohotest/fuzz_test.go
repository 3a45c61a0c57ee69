package zohotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// fuzzServer returns an unstarted server with a few records and a token for direct handler
// calls: the parsers are exercised without the network.
func fuzzServer(f *testing.F) (*Server, *accessToken) {
	f.Helper()
	s := New(Config{})
	f.Cleanup(func() { _ = s.Close() })
	for _, rec := range []map[string]any{
		{"Last_Name": "Kumar", "Phone": "+919876543210", SyncKeyField: "lc1:A"},
		{"Last_Name": "O'Brien", "Mobile": "(555) 123-4567", "Company": "ABC, Inc (x)"},
		{"Last_Name": "Empty"},
	} {
		if _, err := s.AddLead(rec); err != nil {
			f.Fatal(err)
		}
	}
	return s, &accessToken{scopes: DefaultScopes(), userID: s.AdminUserID()}
}

func FuzzSearchCriteria(f *testing.F) {
	for _, seed := range []string{
		"(Phone:equals:+919876543210)", "((Phone:equals:1)or(Mobile:starts_with:555))", `(Company:equals:ABC\, Inc \(x\))`,
		"(Last_Name:in:a,b,c)", "(Created_Time:between:2026-01-01T00:00:00+00:00,2027-01-01T00:00:00+00:00)",
		"((((((", "(a:b:c)and", "Phone:equals:", `(x:equals:\`, "(Owner:equals:1)or(Last_Name:not_equal:x)and(Phone:equals:2)",
	} {
		f.Add(seed)
	}
	s, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, criteria string) {
		if n, err := parseCriteria(criteria); err == nil && n.count() > maxCriteria {
			t.Fatalf("parsed %d criteria, more than %d", n.count(), maxCriteria)
		}
		for _, module := range moduleNames {
			resp := s.handleSearch(&apiRequest{query: url.Values{"criteria": {criteria}}, route: route{module: module}, token: tok})
			if !slices.Contains([]int{http.StatusOK, http.StatusNoContent, http.StatusBadRequest}, resp.status) {
				t.Fatalf("%s: status %d for %q", module, resp.status, criteria)
			}
			if resp.status == http.StatusBadRequest && resp.body.(errorBody).Code != "INVALID_QUERY" {
				t.Fatalf("unexpected error %v", resp.body)
			}
		}
	})
}

func FuzzCOQL(f *testing.F) {
	for _, seed := range []string{
		"select id, Phone from Leads where (Phone = '+919876543210' or Mobile = '+919876543210') limit 200",
		"select Last_Name from Leads where ((a = 1 and b = 2) and c = 3)", "select id from Leads where Last_Name like '%a%' order by Last_Name desc limit 2, 1",
		"select id from Leads where Created_Time between '2026-01-01T00:00:00+00:00' and '2027-01-01T00:00:00+00:00'",
		"select id from Leads where Last_Name = 'x'' or ''1''=''1'", "select", "select id from", "select id from Leads where (((",
		"select id from Leads where Last_Name in ('a',", "select id from Calls where What_Id = 1 limit 0 offset 5",
	} {
		f.Add(seed)
	}
	s, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, query string) {
		if q, err := parseCOQL(query); err == nil && q.where == nil {
			t.Fatal("a parsed query without WHERE")
		}
		body, err := json.Marshal(map[string]any{"select_query": query})
		if err != nil {
			return
		}
		for _, composite := range []bool{false, true} {
			resp := s.handleCOQL(&apiRequest{body: body, route: route{endpoint: EndpointCOQL}, token: tok, composite: composite})
			if !slices.Contains([]int{http.StatusOK, http.StatusNoContent, http.StatusBadRequest}, resp.status) {
				t.Fatalf("status %d for %q", resp.status, query)
			}
			if resp.status == http.StatusOK {
				rows := resp.body.(map[string]any)["data"].([]any)
				if composite && len(rows) > compositeReadCap {
					t.Fatalf("%d rows inside a composite", len(rows))
				}
			}
		}
	})
}

func FuzzInsertBody(f *testing.F) {
	for _, seed := range []string{
		`{"data":[{"Last_Name":"A","Phone":"+91 98765 43210"}]}`, `{"data":[{"Subject":"x","Call_Type":"Inbound","Call_Start_Time":"2026-03-14T15:00:00+05:30","Call_Duration":"1:00"}]}`,
		`{"data":[]}`, `{"data":[1,"x",null,{}]}`, `{"data":[{"Last_Name":"A","Owner":{"id":"1"}}],"trigger":[]}`, `[`, `{"data":{"a":1}}`,
	} {
		f.Add("Leads", []byte(seed))
		f.Add("Calls", []byte(seed))
	}
	s, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, module string, body []byte) {
		name, ok := moduleByName(module)
		if !ok {
			return
		}
		for _, h := range []func(*Server, *apiRequest) apiResponse{(*Server).handleInsert, (*Server).handleUpdate, (*Server).handleUpsert} {
			resp := h(s, &apiRequest{body: body, route: route{module: name}, token: tok})
			if !slices.Contains([]int{http.StatusOK, http.StatusCreated, http.StatusMultiStatus, http.StatusBadRequest}, resp.status) {
				t.Fatalf("status %d for %q", resp.status, body)
			}
		}
	})
}

func FuzzComposite(f *testing.F) {
	for _, seed := range []string{
		`{"__composite_requests":[{"sub_request_id":"1","method":"POST","uri":"/crm/v8/Leads","body":{"data":[{"Last_Name":"A"}]}},` +
			`{"sub_request_id":"2","method":"GET","uri":"/crm/v8/Leads/@{1:$.data[0].details.id}"}]}`,
		`{"rollback_on_fail":true,"__composite_requests":[{"method":"GET","uri":"/crm/v8/users","params":{"type":"ActiveUsers"}}]}`,
		`{"__composite_requests":[{"sub_request_id":"a","method":"GET","uri":"/crm/v8/@{a:$}"}]}`,
	} {
		f.Add([]byte(seed))
	}
	s, tok := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var subs []Request
		resp := s.handleComposite(&apiRequest{body: body, route: route{endpoint: EndpointComposite}, token: tok, sub: &subs})
		if !slices.Contains([]int{http.StatusOK, http.StatusMultiStatus, http.StatusBadRequest}, resp.status) {
			t.Fatalf("status %d for %q", resp.status, body)
		}
	})
}
