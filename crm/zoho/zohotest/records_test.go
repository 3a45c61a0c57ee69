package zohotest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestInsertSuccessShape(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	status, body := h.insert(t, "Leads", lead("Kumar", "+919876543210"), lead("Rao", "9876543211"))
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, []string{"data"}, keys(body))
	for i := range 2 {
		it := item(t, body, i)
		// D-INSERT7 / OAS createRecords 201 sample.
		require.Equal(t, []string{"code", "details", "message", "status"}, keys(it))
		require.Equal(t, "SUCCESS", it["code"])
		require.Equal(t, "record added", it["message"])
		require.Equal(t, "success", it["status"])
		d := it["details"].(map[string]any)
		require.Equal(t, []string{"$approval_state", "Created_By", "Created_Time", "Modified_By", "Modified_Time", "id"}, keys(d))
		require.Equal(t, "2026-03-14T09:30:00+00:00", d["Created_Time"])
		require.Empty(t, cmp.Diff(map[string]any{"name": "Patricia Boyle", "id": h.srv.AdminUserID()}, d["Created_By"]))
		require.Regexp(t, `^[0-9]{19}$`, d["id"])
	}
	// Results come back in request order.
	recs := h.srv.Records("Leads")
	require.Len(t, recs, 2)
	require.Equal(t, recs[0].ID, item(t, body, 0)["details"].(map[string]any)["id"])
	require.Equal(t, "Kumar", recs[0].String("Last_Name"))
	require.Equal(t, "Rao", recs[1].String("Last_Name"))
	require.Equal(t, 1, h.srv.CreditsByEndpoint()[EndpointInsert])
}

func TestInsertMixedAndFailedStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		cfg   Config
		mixed int
	}{{"default 207", Config{}, http.StatusMultiStatus}, {"configured 202", Config{MixedStatus: http.StatusAccepted}, http.StatusAccepted}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, tc.cfg)
			status, body := h.insert(t, "Leads", lead("Ok", "123"), map[string]any{"Phone": "123"})
			require.Equal(t, tc.mixed, status)
			require.Equal(t, "SUCCESS", item(t, body, 0)["code"])
			require.Empty(t, cmp.Diff(errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
				map[string]any{"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"}), item(t, body, 1)))
			status, _ = h.insert(t, "Leads", map[string]any{"Phone": "123"})
			require.Equal(t, http.StatusBadRequest, status)
			require.Equal(t, 1, h.srv.Count("Leads"))
		})
	}
}

func TestInsertEnvelopeErrors(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	many := make([]any, 101)
	for i := range many {
		many[i] = lead(fmt.Sprint("L", i), "123")
	}
	tests := []struct {
		name   string
		body   any
		status int
		want   map[string]any
	}{
		{"malformed json", `{"data":[{"Last_Name":`, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "body", "expected_data_type": "jsonobject"})},
		{"trailing garbage", `{"data":[]} {}`, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "body", "expected_data_type": "jsonobject"})},
		{"array body", `[1,2]`, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "body", "expected_data_type": "jsonobject"})},
		{"no data", map[string]any{"trigger": []any{}}, 400, errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "data", "json_path": "$.data"})},
		{"empty data", map[string]any{"data": []any{}}, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "data", "json_path": "$.data", "expected_data_type": "jsonarray"})},
		{"data object", map[string]any{"data": map[string]any{}}, 400, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "data", "json_path": "$.data", "expected_data_type": "jsonarray"})},
		{"101 records", map[string]any{"data": many}, 400, errorEnvelope("LIMIT_EXCEEDED", "limit exceeded",
			map[string]any{"api_name": "data", "json_path": "$.data", "limit": float64(100)})},
		{"bad trigger", map[string]any{"data": []any{lead("A", "1")}, "trigger": []any{"email"}}, 400,
			errorEnvelope("INVALID_DATA", "invalid data", map[string]any{"api_name": "trigger", "json_path": "$.trigger"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.call(t, http.MethodPost, "/crm/v8/Leads", tt.body)
			require.Equal(t, tt.status, status)
			require.Empty(t, cmp.Diff(tt.want, body))
		})
	}
	require.Zero(t, h.srv.Count("Leads"))

	// trigger [] (automation off) and the full list are accepted; a non-object record fails alone.
	status, body := h.call(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("A", "1"), "x"},
		"trigger": []any{"workflow", "approval", "blueprint", "pathfinder", "orchestration"}})
	require.Equal(t, http.StatusMultiStatus, status)
	require.Equal(t, "INVALID_DATA", item(t, body, 1)["code"])
	status, _ = h.call(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("B", "1")}, "trigger": []any{}})
	require.Equal(t, http.StatusCreated, status)

	// Exactly 100 records pass and cost 10 credits (1 per 10 records).
	h.srv.ResetRequests()
	status, _ = h.call(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": many[:100]})
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, 10, h.srv.CreditsUsed())
}

func TestInsertFieldValidation(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	leadID := h.insertOK(t, "Leads", lead("Kumar", "+919876543210"))
	contactID, err := h.srv.AddContact(map[string]any{"Last_Name": "Shah"})
	require.NoError(t, err)
	inactive, err := h.srv.AddUser(User{LastName: "Gone", Email: "gone@example.com", Status: UserDisabled})
	require.NoError(t, err)

	call := func(mod func(map[string]any)) map[string]any {
		c := inboundCall(leadID)
		mod(c)
		return c
	}
	tests := []struct {
		name   string
		module string
		rec    map[string]any
		want   map[string]any
	}{
		{"bad phone", "Leads", lead("A", "+91*987"), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Phone", "json_path": "$.data[0].Phone", "expected_data_type": "phone"})},
		{"phone as number", "Leads", map[string]any{"Last_Name": "A", "Mobile": 98765}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Mobile", "json_path": "$.data[0].Mobile", "expected_data_type": "phone"})},
		{"phone too long", "Leads", lead("A", strings.Repeat("9", 31)), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Phone", "json_path": "$.data[0].Phone", "maximum_length": float64(30)})},
		{"bad email", "Leads", map[string]any{"Last_Name": "A", "Email": "not-an-email"}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Email", "json_path": "$.data[0].Email", "expected_data_type": "email"})},
		{"last name too long", "Leads", map[string]any{"Last_Name": strings.Repeat("x", 81)}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Last_Name", "json_path": "$.data[0].Last_Name", "maximum_length": float64(80)})},
		{"lead source not a string", "Leads", map[string]any{"Last_Name": "A", "Lead_Source": 7}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Lead_Source", "json_path": "$.data[0].Lead_Source", "expected_data_type": "picklist"})},
		{"inactive owner", "Leads", map[string]any{"Last_Name": "A", "Owner": map[string]any{"id": inactive}}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Owner", "json_path": "$.data[0].Owner"})},
		{"unknown owner", "Leads", map[string]any{"Last_Name": "A", "Owner": map[string]any{"id": "123"}}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Owner", "json_path": "$.data[0].Owner"})},
		{"owner not an object", "Leads", map[string]any{"Last_Name": "A", "Owner": true}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Owner", "json_path": "$.data[0].Owner", "expected_data_type": "jsonobject"})},
		{"call without subject", "Calls", call(func(c map[string]any) { delete(c, "Subject") }), errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "Subject", "json_path": "$.data[0].Subject"})},
		{"call without type", "Calls", call(func(c map[string]any) { delete(c, "Call_Type") }), errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "Call_Type", "json_path": "$.data[0].Call_Type"})},
		{"call without start", "Calls", call(func(c map[string]any) { delete(c, "Call_Start_Time") }), errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "Call_Start_Time", "json_path": "$.data[0].Call_Start_Time"})},
		{"inbound without duration", "Calls", call(func(c map[string]any) { delete(c, "Call_Duration") }), errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "Call_Duration", "json_path": "$.data[0].Call_Duration"})},
		{"start time without offset", "Calls", call(func(c map[string]any) { c["Call_Start_Time"] = "2026-03-14T15:00:00Z" }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Call_Start_Time", "json_path": "$.data[0].Call_Start_Time", "expected_data_type": "datetime"})},
		{"start time as date", "Calls", call(func(c map[string]any) { c["Call_Start_Time"] = "2026-03-14" }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Call_Start_Time", "json_path": "$.data[0].Call_Start_Time", "expected_data_type": "datetime"})},
		{"unknown call type", "Calls", call(func(c map[string]any) { c["Call_Type"] = "Voicemail" }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Call_Type", "json_path": "$.data[0].Call_Type", "expected_data_type": "picklist"})},
		{"zero duration inbound", "Calls", call(func(c map[string]any) { c["Call_Duration"] = "00:00" }), errorEnvelope("DEPENDENT_MISMATCH", "Call Duration can not be zero.",
			map[string]any{"api_name": "Call_Duration", "json_path": "$.data[0].Call_Duration"})},
		{"duration hh:mm:ss", "Calls", call(func(c map[string]any) { c["Call_Duration"] = "00:02:05" }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Call_Duration", "json_path": "$.data[0].Call_Duration", "expected_data_type": "text"})},
		{"what_id without se_module", "Calls", call(func(c map[string]any) { delete(c, "$se_module") }), errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "$se_module", "json_path": "$.data[0].$se_module"})},
		{"what_id to contact", "Calls", call(func(c map[string]any) { c["$se_module"] = "Contacts" }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "$se_module", "json_path": "$.data[0].$se_module"})},
		{"what_id unknown lead", "Calls", call(func(c map[string]any) { c["What_Id"] = map[string]any{"id": "5725767000009999999"} }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "What_Id", "json_path": "$.data[0].What_Id"})},
		{"who_id is a lead", "Calls", call(func(c map[string]any) { delete(c, "What_Id"); c["Who_Id"] = map[string]any{"id": leadID} }), errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Who_Id", "json_path": "$.data[0].Who_Id"})},
		{"task without subject", "Tasks", map[string]any{"Due_Date": "2026-03-15"}, errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "Subject", "json_path": "$.data[0].Subject"})},
		{"task bad due date", "Tasks", map[string]any{"Subject": "Call back", "Due_Date": "15/03/2026"}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Due_Date", "json_path": "$.data[0].Due_Date", "expected_data_type": "date"})},
		{"task bad status", "Tasks", map[string]any{"Subject": "Call back", "Status": "Done"}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Status", "json_path": "$.data[0].Status", "expected_data_type": "picklist"})},
		{"task bad priority", "Tasks", map[string]any{"Subject": "Call back", "Priority": "Urgent"}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Priority", "json_path": "$.data[0].Priority", "expected_data_type": "picklist"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.insert(t, tt.module, tt.rec)
			require.Equal(t, http.StatusBadRequest, status, "%v", body)
			require.Empty(t, cmp.Diff(tt.want, item(t, body, 0)))
		})
	}
	require.Equal(t, 1, h.srv.Count("Leads"))
	require.Zero(t, h.srv.Count("Calls"))
	require.Zero(t, h.srv.Count("Tasks"))

	// The valid shapes: a missed call needs no duration; a contact call uses Who_Id; a
	// bare-string lookup id is accepted (Kaizen #38).
	h.insertOK(t, "Calls", map[string]any{"Subject": "Missed inbound call", "Call_Type": "Missed",
		"Call_Start_Time": "2026-03-14T15:00:00+05:30", "What_Id": map[string]any{"id": leadID}, "$se_module": "Leads"})
	h.insertOK(t, "Calls", map[string]any{"Subject": "Inbound call", "Call_Type": "Inbound",
		"Call_Start_Time": "2026-03-14T15:00:00-04:00", "Call_Duration": "75:30", "Who_Id": contactID})
	calls := h.srv.Records("Calls")
	require.Nil(t, calls[0].Fields["Call_Duration_in_seconds"])
	require.Equal(t, int64(75*60+30), calls[1].Fields["Call_Duration_in_seconds"])
	require.Equal(t, "2026-03-14T19:00:00+00:00", calls[1].String("Call_Start_Time"), "rendered in the org time zone")
	require.Equal(t, leadID, calls[0].LookupID("What_Id"))
	require.Equal(t, "Leads", calls[0].Fields["$se_module"])
	require.Equal(t, contactID, calls[1].LookupID("Who_Id"))
}

func TestPicklistDisplayValuesAndPollution(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	// Display value "Google Ads" is the one to send; its actual value "Google AdWords" is not.
	h.insertOK(t, "Leads", map[string]any{"Last_Name": "A", "Lead_Source": "Google Ads"})
	h.insertOK(t, "Leads", map[string]any{"Last_Name": "B", "Lead_Source": "Google AdWords"})
	h.insertOK(t, "Leads", map[string]any{"Last_Name": "C", "Lead_Source": "Billboard 42"})
	values, err := h.srv.PicklistValues("Leads", "Lead_Source")
	require.NoError(t, err)
	var display []string
	for _, v := range values {
		display = append(display, v.DisplayValue)
	}
	require.Contains(t, display, "Google AdWords", "an actual value written as display value pollutes the picklist")
	require.Contains(t, display, "Billboard 42")
	require.Equal(t, "Google Ads", h.srv.Records("Leads")[0].String("Lead_Source"))

	// An unused option is not selectable: it is added again as a used one.
	h.insertOK(t, "Leads", map[string]any{"Last_Name": "D", "Lead_Source": "Facebook"})
	values, err = h.srv.PicklistValues("Leads", "Lead_Source")
	require.NoError(t, err)
	require.Contains(t, values, PicklistValue{DisplayValue: "Facebook", ActualValue: "Facebook"})

	require.NoError(t, h.srv.SetPicklist("Calls", "Call_Result", []PicklistValue{{DisplayValue: "Answered"}, {DisplayValue: "Missed"}}))
	values, err = h.srv.PicklistValues("Calls", "Call_Result")
	require.NoError(t, err)
	require.Equal(t, []PicklistValue{{DisplayValue: "Answered", ActualValue: "Answered"}, {DisplayValue: "Missed", ActualValue: "Missed"}}, values)
	require.Error(t, h.srv.SetPicklist("Calls", "Subject", nil))
	require.Error(t, h.srv.SetPicklist("Deals", "Stage", nil))
	_, err = h.srv.PicklistValues("Leads", "Nope")
	require.Error(t, err)
}

func TestSyncKeyUniqueness(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{SyncKey: map[string]SyncKeyMode{"Calls": SyncKeyPlain, "Tasks": SyncKeyAbsent}})
	first := h.insertOK(t, "Leads", map[string]any{"Last_Name": "A", SyncKeyField: "lc1:ABC"})
	status, body := h.insert(t, "Leads", map[string]any{"Last_Name": "B", SyncKeyField: "LC1:abc"}, map[string]any{"Last_Name": "C", SyncKeyField: "lc1:other"})
	require.Equal(t, http.StatusMultiStatus, status)
	owner := map[string]any{"name": "Patricia Boyle", "id": h.srv.AdminUserID(), "zuid": "8" + h.srv.AdminUserID()[11:]}
	// OAS v8 createRecords duplicatedataerror sample, plus the "module" object of the v7 text.
	require.Empty(t, cmp.Diff(errorEnvelope("DUPLICATE_DATA", "duplicate data", map[string]any{
		"api_name": SyncKeyField, "json_path": "$.data[0]." + SyncKeyField, "id": first, "more_records": false,
		"duplicate_record": map[string]any{"id": first, "Owner": owner,
			"module": map[string]any{"api_name": "Leads", "id": h.srv.schema["Leads"].id}},
	}), item(t, body, 0)))
	require.Len(t, h.srv.FindBySyncKey("Leads", "lc1:abc"), 1)

	// Two records with one key in one batch: the second clashes with the first.
	status, body = h.insert(t, "Contacts", map[string]any{"Last_Name": "A", SyncKeyField: "k"}, map[string]any{"Last_Name": "B", SyncKeyField: "k"})
	require.Equal(t, http.StatusMultiStatus, status)
	require.Equal(t, item(t, body, 0)["details"].(map[string]any)["id"], item(t, body, 1)["details"].(map[string]any)["id"])

	// Plain: duplicates allowed. Absent: the value is dropped silently.
	leadID := first
	c := inboundCall(leadID)
	c[SyncKeyField] = "call-key"
	h.insertOK(t, "Calls", c)
	h.insertOK(t, "Calls", c)
	require.Len(t, h.srv.FindBySyncKey("Calls", "call-key"), 2)
	h.insertOK(t, "Tasks", map[string]any{"Subject": "Call back", SyncKeyField: "task-key"})
	require.Empty(t, h.srv.FindBySyncKey("Tasks", "task-key"))

	// Updating a record to its own key is not a clash; to another record's key is.
	second := h.insertOK(t, "Leads", map[string]any{"Last_Name": "Z", SyncKeyField: "lc1:zzz"})
	status, _ = h.call(t, http.MethodPut, "/crm/v8/Leads/"+first, map[string]any{"data": []any{map[string]any{SyncKeyField: "lc1:ABC"}}})
	require.Equal(t, http.StatusOK, status)
	status, body = h.call(t, http.MethodPut, "/crm/v8/Leads/"+second, map[string]any{"data": []any{map[string]any{SyncKeyField: "lc1:abc"}}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "DUPLICATE_DATA", item(t, body, 0)["code"])

	// Seeding enforces uniqueness too.
	_, err := h.srv.AddLead(map[string]any{"Last_Name": "S", SyncKeyField: "LC1:ZZZ"})
	require.ErrorIs(t, err, ErrDuplicateValue)
}

func TestUpdateRecords(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	leadID := h.insertOK(t, "Leads", lead("Kumar", "123"))
	taskID := h.insertOK(t, "Tasks", map[string]any{"Subject": "Call back +919876543210", "Due_Date": "2026-03-14",
		"Status": "Not Started", "What_Id": map[string]any{"id": leadID}, "$se_module": "Leads"})
	callID := h.insertOK(t, "Calls", inboundCall(leadID))
	other, err := h.srv.AddUser(User{LastName: "Rep", Email: "rep@example.com"})
	require.NoError(t, err)

	h.clock.Add(90)
	status, body := h.call(t, http.MethodPut, "/crm/v8/Tasks", map[string]any{"data": []any{
		map[string]any{"id": taskID, "Status": "Completed"},
		map[string]any{"id": "5725767000009999999", "Status": "Completed"},
		map[string]any{"Status": "Completed"},
	}})
	require.Equal(t, http.StatusMultiStatus, status)
	require.Equal(t, "record updated", item(t, body, 0)["message"])
	require.Empty(t, cmp.Diff(errorEnvelope("INVALID_DATA", "the id given seems to be invalid",
		map[string]any{"api_name": "id", "json_path": "$.data[1].id"}), item(t, body, 1)))
	require.Empty(t, cmp.Diff(errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
		map[string]any{"api_name": "id", "json_path": "$.data[2].id"}), item(t, body, 2)))
	task, ok := h.srv.Record("Tasks", taskID)
	require.True(t, ok)
	require.Equal(t, "Completed", task.String("Status"))
	require.NotNil(t, task.Fields["Closed_Time"])
	require.Equal(t, "Call back +919876543210", task.String("Subject"), "fields not sent stay")

	tests := []struct {
		name string
		body map[string]any
		want map[string]any
	}{
		{"call type is immutable", map[string]any{"Call_Type": "Missed"}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Call_Type", "json_path": "$.data[0].Call_Type"})},
		{"owner of a completed call", map[string]any{"Owner": map[string]any{"id": other}}, errorEnvelope("INVALID_DATA", "invalid data",
			map[string]any{"api_name": "Owner", "json_path": "$.data[0].Owner"})},
		{"clearing a mandatory field", map[string]any{"Subject": nil}, errorEnvelope("MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "Subject", "json_path": "$.data[0].Subject"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.call(t, http.MethodPut, "/crm/v8/Calls/"+callID, map[string]any{"data": []any{tt.body}})
			require.Equal(t, http.StatusBadRequest, status)
			require.Empty(t, cmp.Diff(tt.want, item(t, body, 0)))
		})
	}
	status, _ = h.call(t, http.MethodPut, "/crm/v8/Calls/"+callID, map[string]any{"data": []any{map[string]any{"Call_Result": "Interested"}}})
	require.Equal(t, http.StatusOK, status)
	status, body = h.call(t, http.MethodPut, "/crm/v8/Calls/"+callID, map[string]any{"data": []any{
		map[string]any{"Call_Result": "Interested"}, map[string]any{"Call_Result": "Interested"}}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "LIMIT_EXCEEDED", body["code"])
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	status, body := h.call(t, http.MethodPost, "/crm/v8/Leads/upsert", map[string]any{"data": []any{
		map[string]any{"Last_Name": "A", SyncKeyField: "lc1:k1"}}, "duplicate_check_fields": []any{SyncKeyField}})
	require.Equal(t, http.StatusOK, status)
	it := item(t, body, 0)
	require.Equal(t, "insert", it["action"])
	require.Nil(t, it["duplicate_field"])
	require.Contains(t, it, "duplicate_field")
	require.Equal(t, "record added", it["message"])

	status, body = h.call(t, http.MethodPost, "/crm/v8/Leads/upsert", map[string]any{"data": []any{
		map[string]any{"Last_Name": "B", SyncKeyField: "lc1:k1"}}, "duplicate_check_fields": []any{SyncKeyField}})
	require.Equal(t, http.StatusOK, status)
	it = item(t, body, 0)
	require.Equal(t, "update", it["action"])
	require.Equal(t, SyncKeyField, it["duplicate_field"])
	require.Equal(t, "record updated", it["message"])
	require.Equal(t, 1, h.srv.Count("Leads"))
	require.Equal(t, "B", h.srv.Records("Leads")[0].String("Last_Name"))

	// Without a list, Email (the system field) is checked first.
	h.insertOK(t, "Leads", map[string]any{"Last_Name": "E", "Email": "e@example.com"})
	_, body = h.call(t, http.MethodPost, "/crm/v8/Leads/upsert", map[string]any{"data": []any{
		map[string]any{"Last_Name": "E2", "Email": "E@example.com"}}})
	require.Equal(t, "Email", item(t, body, 0)["duplicate_field"])

	status, body = h.call(t, http.MethodPost, "/crm/v8/Leads/upsert", map[string]any{"data": []any{lead("A", "1")},
		"duplicate_check_fields": []any{"Phone"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_DATA", body["code"], "Phone is not unique, so it cannot be a duplicate check field")

	status, body = h.call(t, http.MethodPost, "/crm/v8/Calls/upsert", map[string]any{"data": []any{inboundCall("1")}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("INVALID_MODULE", "the given module is not supported in api",
		map[string]any{"resource_path_index": float64(0)}), body))
}

func TestGetAndListRecords(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	leadID := h.insertOK(t, "Leads", map[string]any{"Last_Name": "Kumar", "First_Name": "Asha", "Phone": "+919876543210"})
	status, body := h.call(t, http.MethodGet, "/crm/v8/Leads/"+leadID, nil)
	require.Equal(t, http.StatusOK, status)
	rec := item(t, body, 0)
	require.Equal(t, leadID, rec["id"])
	require.Equal(t, "Asha Kumar", rec["Full_Name"])
	require.Nil(t, rec["Mobile"], "unset fields are null")
	require.Contains(t, rec, "Mobile")
	require.Equal(t, false, rec["Converted__s"])
	require.Empty(t, cmp.Diff(map[string]any{"name": "Patricia Boyle", "id": h.srv.AdminUserID(),
		"email": "patricia.boyle@example.com"}, rec["Owner"]))

	status, body = h.call(t, http.MethodGet, "/crm/v8/leads/"+leadID+"?fields=Phone,"+SyncKeyField, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{SyncKeyField, "Phone", "id"}, keys(item(t, body, 0)))

	status, raw := h.rawCall(t, http.MethodGet, "/crm/v8/Leads/5725767000009999999", nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, raw)
	status, body = h.call(t, http.MethodGet, "/crm/v8/Leads/abc", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_DATA", body["code"])

	status, body = h.call(t, http.MethodGet, "/crm/v8/Leads", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
		map[string]any{"param": "fields"}), body))
	status, body = h.call(t, http.MethodGet, "/crm/v8/Leads?fields=Last_Name", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{leadID}, ids(t, body))

	status, body = h.call(t, http.MethodGet, "/crm/v8/Deals/1", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("INVALID_MODULE", "the module name given seems to be invalid",
		map[string]any{"resource_path_index": float64(0)}), body))
}

func TestSeedingAPI(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	_, err := h.srv.AddRecord("Deals", map[string]any{})
	require.Error(t, err)
	_, err = h.srv.AddLead(map[string]any{"Last_Name": "A", "Nope": 1})
	require.Error(t, err)
	_, err = h.srv.AddLead(map[string]any{"Last_Name": 5})
	require.Error(t, err)
	_, err = h.srv.AddLead(map[string]any{"Created_Time": "yesterday"})
	require.Error(t, err)
	// Any phone format a person might type is stored as given.
	id, err := h.srv.AddLead(map[string]any{"Last_Name": "Odd", "Phone": "call me: (0)98-765 ext. 4", "Created_Time": "2025-01-02T03:04:05+05:30"})
	require.NoError(t, err)
	rec, ok := h.srv.Record("Leads", id)
	require.True(t, ok)
	require.Equal(t, "call me: (0)98-765 ext. 4", rec.String("Phone"))
	require.Equal(t, "2025-01-01T21:34:05+00:00", rec.String("Created_Time"))
	require.True(t, rec.Seeded)

	contactID, err := h.srv.ConvertLead(id)
	require.NoError(t, err)
	_, err = h.srv.ConvertLead(id)
	require.Error(t, err)
	_, err = h.srv.ConvertLead("1")
	require.Error(t, err)
	rec, _ = h.srv.Record("Leads", id)
	require.True(t, rec.Converted)
	contact, ok := h.srv.Record("Contacts", contactID)
	require.True(t, ok)
	require.Equal(t, "call me: (0)98-765 ext. 4", contact.String("Phone"))

	_, err = h.srv.AddUser(User{LastName: "NoEmail"})
	require.Error(t, err)
	_, err = h.srv.AddUser(User{LastName: "X", Email: "x@example.com", Status: "sleepy"})
	require.Error(t, err)
	require.Error(t, h.srv.SetUserStatus("1", UserDeleted))
}
