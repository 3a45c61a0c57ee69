package zohotest

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func composite(t *testing.T, h *harness, body map[string]any) (int, []map[string]any, map[string]any) {
	t.Helper()
	status, resp := h.call(t, http.MethodPost, "/crm/v8/__composite_requests", body)
	list, _ := resp["__composite_requests"].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.(map[string]any)
	}
	return status, out, resp
}

func sub(id, method, uri string, body map[string]any) map[string]any {
	s := map[string]any{"sub_request_id": id, "method": method, "uri": uri}
	if body != nil {
		s["body"] = body
	}
	return s
}

// newCallerWrites is leadcall's second request for a new caller's missed call: Lead, Call
// and Task in one composite, the last two linked to the first by reference.
func newCallerWrites(rollback bool, task map[string]any) map[string]any {
	ref := map[string]any{"id": "@{lead:$.data[0].details.id}"}
	return map[string]any{"rollback_on_fail": rollback, "__composite_requests": []any{
		sub("lead", "POST", "/crm/v8/Leads", map[string]any{"data": []any{map[string]any{"Last_Name": "Inbound Lead",
			"Phone": "+919876543210", SyncKeyField: "lc1:LEAD"}}, "trigger": []any{}}),
		sub("call", "POST", "/crm/v8/Calls", map[string]any{"data": []any{map[string]any{"Subject": "Missed inbound call",
			"Call_Type": "Missed", "Call_Start_Time": "2026-03-14T15:00:00+05:30", "What_Id": ref, "$se_module": "Leads"}}}),
		sub("task", "POST", "/crm/v8/Tasks", map[string]any{"data": []any{task}}),
	}}
}

func TestCompositeCreateLinkedRecords(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	task := map[string]any{"Subject": "Call back +919876543210", "Due_Date": "2026-03-14",
		"What_Id": map[string]any{"id": "@{lead:$.data[0].details.id}"}, "$se_module": "Leads"}
	status, results, _ := composite(t, h, newCallerWrites(false, task))
	require.Equal(t, http.StatusOK, status)
	require.Len(t, results, 3)
	leadID := h.srv.Records("Leads")[0].ID
	for _, r := range results {
		// OAS createCompositeRequest 200 sample.
		require.Equal(t, []string{"code", "details", "message", "status"}, keys(r))
		require.Equal(t, "SUCCESS", r["code"])
		require.Equal(t, "composite sub request executed successfully", r["message"])
		resp := r["details"].(map[string]any)["response"].(map[string]any)
		require.Equal(t, float64(201), resp["status_code"])
		require.Equal(t, map[string]any{"content-type": "application/json;charset=UTF-8"}, resp["headers"])
		require.Equal(t, "SUCCESS", item(t, resp["body"].(map[string]any), 0)["code"])
	}
	require.Equal(t, leadID, h.srv.Records("Calls")[0].LookupID("What_Id"))
	require.Equal(t, leadID, h.srv.Records("Tasks")[0].LookupID("What_Id"))
	require.Equal(t, 1, h.srv.CreditsUsed())
	require.Equal(t, 1, h.srv.RequestCount(EndpointComposite))
	require.Zero(t, h.srv.RequestCount(EndpointInsert), "sub-requests are not HTTP requests")
	reqs := h.srv.Requests()
	subs := reqs[len(reqs)-1].SubRequests
	require.Len(t, subs, 3)
	require.Equal(t, EndpointInsert, subs[2].Endpoint)
	require.Equal(t, "Tasks", subs[2].Module)
	require.Equal(t, http.StatusCreated, subs[2].Status)
	require.Contains(t, string(subs[1].Body), leadID, "the logged body has the reference resolved")
}

func TestCompositeLookupInOneRequest(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	contactID, err := h.srv.AddContact(map[string]any{"Last_Name": "Shah", "Mobile": "09876543210"})
	require.NoError(t, err)
	status, results, _ := composite(t, h, map[string]any{"__composite_requests": []any{
		sub("leads", "POST", "/crm/v8/coql", map[string]any{"select_query": "select id, Phone, Mobile, " + SyncKeyField +
			" from Leads where ((Phone = '+919876543210' or Phone = '09876543210') or (Mobile = '+919876543210' or Mobile = '09876543210'))"}),
		sub("contacts", "POST", "/crm/v8/coql", map[string]any{"select_query": "select id, Phone, Mobile from Contacts" +
			" where ((Phone = '+919876543210' or Phone = '09876543210') or (Mobile = '+919876543210' or Mobile = '09876543210'))"}),
		map[string]any{"sub_request_id": "search", "method": "GET", "uri": "/crm/v8/Contacts/search",
			"params": map[string]any{"phone": "09876543210"}},
	}})
	require.Equal(t, http.StatusOK, status)
	leads := results[0]["details"].(map[string]any)["response"].(map[string]any)
	require.Equal(t, float64(204), leads["status_code"])
	require.Equal(t, map[string]any{}, leads["body"])
	contacts := results[1]["details"].(map[string]any)["response"].(map[string]any)
	require.Equal(t, []string{contactID}, ids(t, contacts["body"].(map[string]any)))
	found := results[2]["details"].(map[string]any)["response"].(map[string]any)
	require.Equal(t, []string{contactID}, ids(t, found["body"].(map[string]any)))
}

func TestCompositeRollback(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	badTask := map[string]any{"Subject": "Call back", "Due_Date": "tomorrow"}
	status, results, _ := composite(t, h, newCallerWrites(true, badTask))
	require.Equal(t, http.StatusBadRequest, status)
	rolled := errorEnvelope("ROLLBACK_PERFORMED", "rollback performed", map[string]any{"rollbacked_by_sub_request_index": float64(2)})
	require.Empty(t, cmp.Diff(rolled, results[0]))
	require.Empty(t, cmp.Diff(rolled, results[1]))
	require.Empty(t, cmp.Diff(errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "Due_Date",
		"json_path": "$.data[0].Due_Date", "expected_data_type": "date"}), results[2]))
	require.Zero(t, h.srv.Count("Leads"))
	require.Zero(t, h.srv.Count("Calls"))
	require.Equal(t, 1, h.srv.CreditsUsed(), "a rolled-back composite costs 1 credit")

	// With rollback and a failure first, the rest stop.
	h.srv.ResetRequests()
	body := newCallerWrites(true, map[string]any{"Subject": "ok"})
	body["__composite_requests"].([]any)[0].(map[string]any)["body"] = map[string]any{"data": []any{map[string]any{"Phone": "1"}}}
	status, results, _ = composite(t, h, body)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "MANDATORY_NOT_FOUND", results[0]["code"])
	require.Equal(t, "PROCESSING_STOPPED", results[1]["code"])
	require.Equal(t, "PROCESSING_STOPPED", results[2]["code"])
	require.Zero(t, h.srv.Count("Tasks"))

	// All good with rollback on: 2 credits.
	h.srv.ResetRequests()
	status, _, _ = composite(t, h, newCallerWrites(true, map[string]any{"Subject": "ok"}))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 2, h.srv.CreditsUsed())
	require.Equal(t, 1, h.srv.Count("Leads"))

	// Without rollback a failure leaves the others applied: 207. The duplicate sync key of the
	// Lead carries the existing id, so a client can adopt it.
	existing := h.srv.Records("Leads")[0].ID
	status, results, _ = composite(t, h, newCallerWrites(false, map[string]any{"Subject": "ok"}))
	require.Equal(t, http.StatusMultiStatus, status)
	require.Equal(t, "DUPLICATE_DATA", results[0]["code"])
	require.Equal(t, existing, results[0]["details"].(map[string]any)["id"])
	require.Equal(t, "PROCESSING_STOPPED", results[1]["code"], "the call references the failed lead")
	require.Equal(t, "SUCCESS", results[2]["code"])
}

func TestCompositeReferencesInURI(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	status, results, _ := composite(t, h, map[string]any{"parallel_execution": false, "__composite_requests": []any{
		sub("2", "PUT", "/crm/v3/Leads/@{1:$.data[0].details.id}", map[string]any{"data": []any{map[string]any{"Company": "Zylker"}}}),
		sub("1", "POST", "/crm/v3/Leads", map[string]any{"data": []any{map[string]any{"Last_Name": "Boyle"}}}),
		sub("3", "GET", "/crm/v8/Leads/@{1:$['data'][0]['details']['id']}?fields=Company", nil),
	}})
	require.Equal(t, http.StatusOK, status, "%v", results)
	rec := h.srv.Records("Leads")[0]
	require.Equal(t, "Zylker", rec.String("Company"), "a forward reference runs after its dependency")
	got := results[2]["details"].(map[string]any)["response"].(map[string]any)["body"].(map[string]any)
	require.Equal(t, "Zylker", item(t, got, 0)["Company"])
}

func TestCompositeErrors(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	ok := sub("a", "GET", "/crm/v8/users", nil)
	six := []any{ok, ok, ok, ok, ok, ok}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		want   map[string]any
	}{
		{"six sub-requests", map[string]any{"__composite_requests": six}, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "__composite_requests", "json_path": "$.__composite_requests", "maximum_length": float64(5)})},
		{"none", map[string]any{"__composite_requests": []any{}}, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "__composite_requests", "json_path": "$.__composite_requests", "maximum_length": float64(5)})},
		{"missing list", map[string]any{}, 400, errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "__composite_requests", "json_path": "$.__composite_requests"})},
		{"rollback and parallel", map[string]any{"rollback_on_fail": true, "parallel_execution": true, "__composite_requests": []any{ok}}, 400,
			errorEnvelope("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", map[string]any{"ambiguity_due_to": []any{
				map[string]any{"api_name": "rollback_on_fail", "json_path": "$.rollback_on_fail"},
				map[string]any{"api_name": "parallel_execution", "json_path": "$.parallel_execution"}}})},
		{"rollback and concurrent (v3 name)", map[string]any{"rollback_on_fail": true, "concurrent_execution": true, "__composite_requests": []any{ok}}, 400,
			errorEnvelope("AMBIGUITY_DURING_PROCESSING", "ambiguity during processing", map[string]any{"ambiguity_due_to": []any{
				map[string]any{"api_name": "rollback_on_fail", "json_path": "$.rollback_on_fail"},
				map[string]any{"api_name": "parallel_execution", "json_path": "$.parallel_execution"}}})},
		{"flag not boolean", map[string]any{"rollback_on_fail": "yes", "__composite_requests": []any{ok}}, 400,
			errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "rollback_on_fail",
				"json_path": "$.rollback_on_fail", "expected_data_type": "boolean"})},
		{"loop", map[string]any{"__composite_requests": []any{
			sub("a", "GET", "/crm/v8/Leads/@{b:$.data[0].id}", nil), sub("b", "GET", "/crm/v8/Leads/@{a:$.data[0].id}", nil)}}, 400,
			errorEnvelope("LOOPING_FOUND", "looping found among sub requests", map[string]any{"api_name": "__composite_requests",
				"json_path": "$.__composite_requests", "sub_request_indexes": []any{float64(0), float64(1)}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.call(t, http.MethodPost, "/crm/v8/__composite_requests", tt.body)
			require.Equal(t, tt.status, status)
			require.Empty(t, cmp.Diff(tt.want, body))
		})
	}

	// Per-sub-request validation: only the bad ones are listed, nothing runs.
	status, body := h.call(t, http.MethodPost, "/crm/v8/__composite_requests", map[string]any{"__composite_requests": []any{
		sub("ok", "POST", "/crm/v8/Leads", map[string]any{"data": []any{lead("X", "1")}}),
		sub("bad uri", "GET", "/v8/Leads", nil),
		map[string]any{"sub_request_id": "h", "method": "GET", "uri": "/crm/v8/users", "headers": map[string]any{"Authorization": "x", "X-CRM-ORG": "1"}},
		sub("ok", "FETCH", "/crm/v8/users", nil),
	}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(map[string]any{"__composite_requests": []any{
		errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "uri", "json_path": "$.__composite_requests[1].uri",
			"expected_data_type": "text", "regex": "/crm(/.*)?/v[0-9]+([.][0-9]+)?/.*"}),
		errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "sub_request_id", "json_path": "$.__composite_requests[1].sub_request_id",
			"expected_data_type": "text", "regex": "[a-zA-Z0-9][a-zA-Z0-9_]*"}),
		errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "headers", "json_path": "$.__composite_requests[2].headers",
			"restricted_headers": []any{"Authorization", "X-CRM-ORG"}}),
		errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "method", "json_path": "$.__composite_requests[3].method",
			"expected_data_type": "text"}),
		errorEnvelope("DUPLICATE_DATA", "invalid data", map[string]any{"api_name": "sub_request_id", "json_path": "$.__composite_requests[3].sub_request_id"}),
	}}, body))
	require.Zero(t, h.srv.Count("Leads"))

	// Sub-request level failures.
	twoLeads := map[string]any{"data": []any{lead("A", "1"), lead("B", "2")}}
	status, results, _ := composite(t, h, map[string]any{"__composite_requests": []any{
		sub("w", "POST", "/crm/v8/Leads", twoLeads),
		sub("q", "POST", "/crm/v8/coql", map[string]any{"select_query": "select id from Leads where id is not null limit 26"}),
		sub("s", "GET", "/crm/v8/Leads/search?phone=12&per_page=26", nil),
		sub("r", "GET", "/crm/v8/Leads/@{nope:$.data[0].id}", nil),
		sub("n", "POST", "/crm/v8/__composite_requests", map[string]any{}),
	}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("LIMIT_EXCEEDED", "limit exceeded",
		map[string]any{"api_name": "data", "json_path": "$.data", "limit": float64(1)}), results[0]))
	require.Empty(t, cmp.Diff(errorEnvelope("LIMIT_EXCEEDED", "limit exceeded", map[string]any{"limit": float64(25)}), results[1]))
	require.Equal(t, "INVALID_DATA", results[2]["code"])
	require.Empty(t, cmp.Diff(errorEnvelope("INVALID_REFERENCE", "invalid reference", map[string]any{"api_name": "reference",
		"json_path": "$.__composite_requests[3].uri", "reference": "@{nope:$.data[0].id}"}), results[3]), "unknown ids are plain text, then a bad id")
	require.Equal(t, "NOT_SUPPORTED", results[4]["code"])

	status, results, _ = composite(t, h, map[string]any{"__composite_requests": []any{
		sub("a", "GET", "/crm/v8/users", nil),
		sub("b", "GET", "/crm/v8/Leads/@{a:$.users[99].id}", nil),
		sub("c", "GET", "/crm/v2/Leads/1", nil),
		sub("d", "GET", "/crm/bulk/v8/read", nil),
	}})
	require.Equal(t, http.StatusMultiStatus, status)
	require.Equal(t, "INVALID_REFERENCE", results[1]["code"])
	require.Equal(t, "API_NOT_SUPPORTED", results[2]["code"])
	require.Equal(t, "NOT_SUPPORTED", results[3]["code"])

	// Each sub-request needs its own scope.
	rt, err := h.srv.AddRefreshToken(DefaultClientID, "ZohoCRM.composite_requests.CUSTOM", "ZohoCRM.users.READ")
	require.NoError(t, err)
	req := h.newRequest(t, http.MethodPost, "/crm/v8/__composite_requests", map[string]any{"__composite_requests": []any{
		sub("u", "GET", "/crm/v8/users", nil), sub("l", "POST", "/crm/v8/Leads", map[string]any{"data": []any{lead("A", "1")}})}})
	req.Header.Set("Authorization", "Zoho-oauthtoken "+h.mint(t, rt))
	status, resp := h.send(t, req)
	require.Equal(t, http.StatusMultiStatus, status)
	require.Equal(t, "OAUTH_SCOPE_MISMATCH", resp["__composite_requests"].([]any)[1].(map[string]any)["code"])
}

func TestEvalJSONPath(t *testing.T) {
	t.Parallel()
	doc := map[string]any{"data": []any{map[string]any{"details": map[string]any{"id": "42"}, "a.b": 1.0}}}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"$.data[0].details.id", "42", true},
		{"$['data'][0]['a.b']", 1.0, true},
		{"$", doc, true},
		{"$.data[1]", nil, false},
		{"$.data[-1]", nil, false},
		{"$.data[x]", nil, false},
		{"$.data[0", nil, false},
		{"$..id", nil, false},
		{"data", nil, false},
		{"$.data.id", nil, false},
	}
	for _, tt := range tests {
		got, ok := evalJSONPath(doc, tt.path)
		require.Equal(t, tt.ok, ok, tt.path)
		if ok {
			require.Empty(t, cmp.Diff(tt.want, got), tt.path)
		}
	}
}
