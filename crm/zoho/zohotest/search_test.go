package zohotest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func search(t *testing.T, h *harness, module string, params url.Values) (int, map[string]any) {
	t.Helper()
	return h.call(t, http.MethodGet, "/crm/v8/"+module+"/search?"+params.Encode(), nil)
}

func TestPhoneSearchAcrossFieldsAndFormats(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	e164, err := h.srv.AddContact(map[string]any{"Last_Name": "E164", "Phone": "+919876543210"})
	require.NoError(t, err)
	spaced, err := h.srv.AddContact(map[string]any{"Last_Name": "Spaced", "Home_Phone": "+91 98765-43210"})
	require.NoError(t, err)
	national, err := h.srv.AddContact(map[string]any{"Last_Name": "National", "Asst_Phone": "09876543210"})
	require.NoError(t, err)
	nsn, err := h.srv.AddContact(map[string]any{"Last_Name": "NSN", "Other_Phone": "(98765) 43210"})
	require.NoError(t, err)
	noPlus, err := h.srv.AddContact(map[string]any{"Last_Name": "NoPlus", "Mobile": "919876543210"})
	require.NoError(t, err)
	_, err = h.srv.AddContact(map[string]any{"Last_Name": "Other", "Phone": "+919876543211", "Description": "+919876543210"})
	require.NoError(t, err)

	tests := []struct {
		query string
		want  []string // newest first (sort_order desc)
	}{
		{"+919876543210", []string{spaced, e164}},
		{"+91 (98765) 43210", []string{spaced, e164}},
		{"09876543210", []string{national}},
		{"9876543210", []string{nsn}},
		{"919876543210", []string{noPlus}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, body := search(t, h, "Contacts", url.Values{"phone": {tt.query}})
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, tt.want, ids(t, body))
			require.Empty(t, cmp.Diff(map[string]any{"per_page": float64(200), "count": float64(len(tt.want)),
				"page": float64(1), "more_records": false}, body["info"]))
		})
	}

	// A raw '+' in a query string decodes to a space (K82): "+9198..." then finds the
	// records stored without '+'.
	status, body := h.call(t, http.MethodGet, "/crm/v8/Contacts/search?phone=+919876543210", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{noPlus}, ids(t, body))

	// Exact matching ignores nothing.
	hx := setup(t, Config{PhoneMatch: PhoneMatchExact})
	_, err = hx.srv.AddLead(map[string]any{"Last_Name": "A", "Phone": "+91 98765 43210"})
	require.NoError(t, err)
	status, _ = search(t, hx, "Leads", url.Values{"phone": {"+919876543210"}})
	require.Equal(t, http.StatusNoContent, status)
	status, _ = search(t, hx, "Leads", url.Values{"phone": {"+91 98765 43210"}})
	require.Equal(t, http.StatusOK, status)
}

func TestSearchNoMatchIs204WithEmptyBody(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	for _, q := range []url.Values{{"phone": {"5551234567"}}, {"word": {"nobody"}}, {"email": {"x@example.com"}},
		{"criteria": {"(Last_Name:equals:Nobody)"}}} {
		status, raw := h.rawCall(t, http.MethodGet, "/crm/v8/Leads/search?"+q.Encode(), nil)
		require.Equal(t, http.StatusNoContent, status, q.Encode())
		require.Empty(t, raw)
	}
}

func TestSearchValueValidation(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	for _, q := range []url.Values{
		{"phone": {"5"}}, {"phone": {""}}, {"phone": {" 1 "}}, {"phone": {"555*123"}}, {"phone": {"555;drop"}},
		{"word": {"a"}}, {"word": {"abc%"}}, {"email": {"a"}}, {"email": {"a b@example.com"}},
	} {
		status, body := search(t, h, "Leads", q)
		require.Equal(t, http.StatusBadRequest, status, q.Encode())
		require.Equal(t, "INVALID_DATA", body["code"], q.Encode())
	}
	status, body := search(t, h, "Leads", url.Values{"fields": {"Phone"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("EXPECTED_PARAM_MISSING", "mandatory param missing", nil), body))
}

func TestSearchConvertedLeadsAndPaging(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	open, err := h.srv.AddLead(lead("Open", "5551230000"))
	require.NoError(t, err)
	conv, err := h.srv.AddLead(lead("Converted", "5551230000"))
	require.NoError(t, err)
	contactID, err := h.srv.ConvertLead(conv)
	require.NoError(t, err)

	for _, tc := range []struct {
		converted string
		want      []string
	}{{"", []string{open}}, {"false", []string{open}}, {"true", []string{conv}}, {"both", []string{conv, open}}} {
		q := url.Values{"phone": {"5551230000"}}
		if tc.converted != "" {
			q.Set("converted", tc.converted)
		}
		status, body := search(t, h, "Leads", q)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, tc.want, ids(t, body), tc.converted)
	}
	// The converted caller is found among Contacts.
	status, body := search(t, h, "Contacts", url.Values{"phone": {"5551230000"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{contactID}, ids(t, body))

	status, _ = search(t, h, "Leads", url.Values{"phone": {"5551230000"}, "converted": {"maybe"}})
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = search(t, h, "Leads", url.Values{"phone": {"5551230000"}, "approved": {"false"}})
	require.Equal(t, http.StatusNoContent, status)

	for i := range 5 {
		_, err := h.srv.AddLead(lead(fmt.Sprint("P", i), "5550000000"))
		require.NoError(t, err)
	}
	status, body = search(t, h, "Leads", url.Values{"phone": {"5550000000"}, "per_page": {"2"}, "page": {"3"}})
	require.Equal(t, http.StatusOK, status)
	require.Len(t, body["data"], 1)
	require.Equal(t, false, body["info"].(map[string]any)["more_records"])
	_, body = search(t, h, "Leads", url.Values{"phone": {"5550000000"}, "per_page": {"2"}, "page": {"2"}})
	require.Equal(t, true, body["info"].(map[string]any)["more_records"])

	for _, q := range []url.Values{{"per_page": {"201"}}, {"per_page": {"0"}}, {"page": {"x"}}} {
		q.Set("phone", "5550000000")
		status, body := search(t, h, "Leads", q)
		require.Equal(t, http.StatusBadRequest, status, q.Encode())
		require.Equal(t, "INVALID_DATA", body["code"])
	}
	status, body = search(t, h, "Leads", url.Values{"phone": {"5550000000"}, "page": {"11"}, "per_page": {"200"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("LIMIT_REACHED", "Maximum response iteration limit reached", nil), body))
}

func TestCriteriaSearch(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	abc, err := h.srv.AddLead(map[string]any{"Last_Name": "Smith", "Company": "ABC Inc", "Phone": "+15551234567"})
	require.NoError(t, err)
	burns, err := h.srv.AddLead(map[string]any{"Last_Name": "Burns,B (Jr)", "Mobile": "+15557654321", "Lead_Source": "Trade Show"})
	require.NoError(t, err)
	keyed, err := h.srv.AddLead(map[string]any{"Last_Name": "Keyed", SyncKeyField: "lc1:K\\"})
	require.NoError(t, err)

	tests := []struct {
		criteria string
		want     []string
	}{
		{"(Company:equals:ABC)", []string{abc}}, // equals behaves like contains (D-SEARCH7)
		{"Company:equals:ABC", []string{abc}},   // a single criterion needs no brackets
		{"((Phone:equals:+15551234567)or(Mobile:equals:+15557654321))", []string{burns, abc}},
		{"((Phone:starts_with:+1555)and(Last_Name:equals:Smith))", []string{abc}},
		{`(Last_Name:equals:Burns\,B \(Jr\))`, []string{burns}},
		{`(` + SyncKeyField + `:equals:lc1:K\\)`, []string{keyed}},
		{"(Lead_Source:in:Advertisement,Trade Show)", []string{burns}},
		{"(Last_Name:not_equal:Smith)", []string{keyed, burns}},
		{"((Last_Name:equals:Smith)or(Last_Name:equals:Keyed)and(Company:equals:ABC))", []string{abc}},
		{"(Created_Time:between:2026-03-14T00:00:00+00:00,2026-03-15T00:00:00+00:00)", []string{keyed, burns, abc}},
		{"(Created_Time:greater_than:2026-03-15T00:00:00+00:00)", nil},
		{"(Owner:equals:" + h.srv.AdminUserID() + ")", []string{keyed, burns, abc}},
	}
	for _, tt := range tests {
		t.Run(tt.criteria, func(t *testing.T) {
			status, body := search(t, h, "Leads", url.Values{"criteria": {tt.criteria}})
			if tt.want == nil {
				require.Equal(t, http.StatusNoContent, status)
				return
			}
			require.Equal(t, http.StatusOK, status, "%v", body)
			require.Equal(t, tt.want, ids(t, body))
			info := body["info"].(map[string]any)
			require.Equal(t, "id", info["sort_by"])
			require.Equal(t, "desc", info["sort_order"])
		})
	}

	bad := []struct {
		criteria string
		details  map[string]any
	}{
		{"(Nope:equals:1)", map[string]any{"reason": "invalid field", "api_name": "Nope"}},
		{"(Phone:greater_than:1)", map[string]any{"reason": "invalid operator", "api_name": "Phone", "operator": "greater_than"}},
		{"(Description:in:a,b)", map[string]any{"reason": "invalid operator", "api_name": "Description", "operator": "in"}},
		{"(Created_Time:equals:yesterday)", map[string]any{"reason": "invalid value", "api_name": "Created_Time"}},
		{"(Phone:equals:1", nil},
		{"Phone:equals:1)", nil},
		{"(Phone)", nil},
		{"(Phone:equals:a(b)", nil},
		{"(Phone:equals:1\\", nil},
		{"((a:equals:1) xor (b:equals:2))", nil},
		{"'; DROP TABLE Leads; --", nil},
	}
	for _, tt := range bad {
		t.Run("bad "+tt.criteria, func(t *testing.T) {
			status, body := search(t, h, "Leads", url.Values{"criteria": {tt.criteria}})
			require.Equal(t, http.StatusBadRequest, status)
			require.Equal(t, "INVALID_QUERY", body["code"])
			require.Equal(t, "invalid query formed", body["message"])
			if tt.details != nil {
				require.Empty(t, cmp.Diff(tt.details, body["details"]))
			}
		})
	}

	eleven := "(Phone:equals:1)"
	for range 10 {
		eleven = "(" + eleven + "or(Phone:equals:1))"
	}
	status, body := search(t, h, "Leads", url.Values{"criteria": {eleven}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, body["details"].(map[string]any)["reason"], "at most 10")
}

func TestSearchPrecedenceWordEmailAndFields(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	a, err := h.srv.AddLead(map[string]any{"Last_Name": "Alpha", "Email": "alpha@example.com", "Phone": "5551112222"})
	require.NoError(t, err)
	b, err := h.srv.AddLead(map[string]any{"Last_Name": "Beta", "Company": "Alphabet", "Phone": "5553334444"})
	require.NoError(t, err)

	status, body := search(t, h, "Leads", url.Values{"word": {"alpha"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{b, a}, ids(t, body))
	status, body = search(t, h, "Leads", url.Values{"email": {"ALPHA@example.com"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{a}, ids(t, body))
	// criteria > email > phone > word
	_, body = search(t, h, "Leads", url.Values{"phone": {"5553334444"}, "email": {"alpha@example.com"}, "word": {"zzz"}})
	require.Equal(t, []string{a}, ids(t, body))
	_, body = search(t, h, "Leads", url.Values{"phone": {"5553334444"}, "word": {"zzz"}})
	require.Equal(t, []string{b}, ids(t, body))

	_, body = search(t, h, "Leads", url.Values{"phone": {"5553334444"}, "fields": {"Phone,Nope"}})
	require.Equal(t, []string{"Phone", "id"}, keys(item(t, body, 0)))
}

func TestSearchIndexLag(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{IndexLag: 30 * time.Second})
	seeded, err := h.srv.AddLead(lead("Seeded", "5559990000"))
	require.NoError(t, err)
	fresh := h.insertOK(t, "Leads", lead("Fresh", "5559990000"))

	status, body := search(t, h, "Leads", url.Values{"phone": {"5559990000"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{seeded}, ids(t, body), "a just-created record is not indexed yet")
	status, _ = h.call(t, http.MethodGet, "/crm/v8/Leads/"+fresh, nil)
	require.Equal(t, http.StatusOK, status, "get by id never lags")
	coql := func() []string {
		_, body := h.call(t, http.MethodPost, "/crm/v8/coql", map[string]any{
			"select_query": "select id from Leads where Phone = '5559990000'"})
		return ids(t, body)
	}
	require.Equal(t, []string{seeded, fresh}, coql(), "COQL reads fresh data by default")

	h.srv.SetIndexLag(30*time.Second, true)
	require.Equal(t, []string{seeded}, coql())

	h.clock.Add(30 * time.Second)
	_, body = search(t, h, "Leads", url.Values{"phone": {"5559990000"}})
	require.Equal(t, []string{fresh, seeded}, ids(t, body))
	require.Equal(t, []string{seeded, fresh}, coql())
}

// TestCriteriaOnPhoneFieldsIgnoresFormatting: criteria on phone-type fields compare numbers
// the way ?phone= does (Config.PhoneMatch), for equals and in, plain and inside a composite
// request, where parameter values are JSON and a '+' stays a '+'. COQL stays exact.
func TestCriteriaOnPhoneFieldsIgnoresFormatting(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	spaced, err := h.srv.AddContact(map[string]any{"Last_Name": "Spaced", "Mobile": "+91 98765-43210"})
	require.NoError(t, err)
	national, err := h.srv.AddContact(map[string]any{"Last_Name": "National", "Home_Phone": "(098765) 43210"})
	require.NoError(t, err)
	nsn, err := h.srv.AddContact(map[string]any{"Last_Name": "NSN", "Asst_Phone": "98765.43210"})
	require.NoError(t, err)
	_, err = h.srv.AddContact(map[string]any{"Last_Name": "Longer", "Phone": "+91 98765 432109"})
	require.NoError(t, err)
	_, err = h.srv.AddContact(map[string]any{"Last_Name": "Text", "Description": "+919876543210"})
	require.NoError(t, err)

	all := "+919876543210,09876543210,9876543210,919876543210"
	crit := "((((Phone:in:" + all + ")or(Mobile:in:" + all + "))or(Home_Phone:in:" + all + "))or(Asst_Phone:in:" + all + "))"
	for _, tt := range []struct {
		criteria string
		want     []string
	}{
		{crit, []string{nsn, national, spaced}},
		{"(Mobile:in:+919876543210)", []string{spaced}},
		{"(Mobile:in:919876543210)", nil}, // '+' is not formatting
		{"(Home_Phone:equals:09876543210)", []string{national}},
		{"(Phone:in:" + all + ")", nil}, // "in" compares whole numbers, unlike equals
	} {
		status, body := search(t, h, "Contacts", url.Values{"criteria": {tt.criteria}})
		if tt.want == nil {
			require.Equal(t, http.StatusNoContent, status, tt.criteria)
			continue
		}
		require.Equal(t, http.StatusOK, status, "%s: %v", tt.criteria, body)
		require.Equal(t, tt.want, ids(t, body), tt.criteria)
	}

	// The same search as a composite sub-request, next to the exact COQL query.
	status, results, _ := composite(t, h, map[string]any{"__composite_requests": []any{
		map[string]any{"sub_request_id": "s", "method": "GET", "uri": "/crm/v8/Contacts/search",
			"params": map[string]any{"criteria": "(Mobile:in:+919876543210,9876543210)", "per_page": "25"}},
		sub("q", "POST", "/crm/v8/coql", map[string]any{"select_query": "select id from Contacts where Mobile = '+919876543210' limit 25"}),
	}})
	require.Equal(t, http.StatusOK, status)
	resp := results[0]["details"].(map[string]any)["response"].(map[string]any)
	require.Equal(t, float64(200), resp["status_code"])
	require.Equal(t, []string{spaced}, ids(t, resp["body"].(map[string]any)))
	resp = results[1]["details"].(map[string]any)["response"].(map[string]any)
	require.Equal(t, float64(204), resp["status_code"], "COQL '=' compares the stored string exactly")

	// Exact matching applies to criteria too.
	hx := setup(t, Config{PhoneMatch: PhoneMatchExact})
	_, err = hx.srv.AddContact(map[string]any{"Last_Name": "Spaced", "Mobile": "+91 98765-43210"})
	require.NoError(t, err)
	status, _ = search(t, hx, "Contacts", url.Values{"criteria": {"(Mobile:in:+919876543210)"}})
	require.Equal(t, http.StatusNoContent, status)

	// At most 100 values in one "in".
	hundred := strings.Repeat("9876543210,", 99) + "+919876543210"
	status, body := search(t, h, "Contacts", url.Values{"criteria": {"(Mobile:in:" + hundred + ")"}})
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, body = search(t, h, "Contacts", url.Values{"criteria": {"(Mobile:in:9876543210," + hundred + ")"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_QUERY", body["code"])
}
