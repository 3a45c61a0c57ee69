package zohotest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func coql(t *testing.T, h *harness, query string) (int, map[string]any) {
	t.Helper()
	return h.call(t, http.MethodPost, "/crm/v8/coql", map[string]any{"select_query": query})
}

func TestCOQLSelect(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	a, err := h.srv.AddLead(map[string]any{"Last_Name": "Kumar", "Phone": "+919876543210", SyncKeyField: "lc1:AAA"})
	require.NoError(t, err)
	b, err := h.srv.AddLead(map[string]any{"Last_Name": "Rao", "Mobile": "+919876543210"})
	require.NoError(t, err)
	c, err := h.srv.AddLead(map[string]any{"Last_Name": "Shah", "Phone": "+91 98765 43210"})
	require.NoError(t, err)
	conv, err := h.srv.AddLead(map[string]any{"Last_Name": "Gone", "Phone": "+919876543210"})
	require.NoError(t, err)
	_, err = h.srv.ConvertLead(conv)
	require.NoError(t, err)

	status, body := coql(t, h, "select id, Last_Name, Phone, Mobile, Owner from Leads "+
		"where (Phone = '+919876543210' or Mobile = '+919876543210') limit 200")
	require.Equal(t, http.StatusOK, status)
	// OAS executeCOQLQuery 200 sample: data + info{count, more_records}; only selected columns.
	require.Empty(t, cmp.Diff(map[string]any{
		"data": []any{
			map[string]any{"id": a, "Last_Name": "Kumar", "Phone": "+919876543210", "Mobile": nil,
				"Owner": map[string]any{"name": "Boyle", "id": h.srv.AdminUserID()}},
			map[string]any{"id": b, "Last_Name": "Rao", "Phone": nil, "Mobile": "+919876543210",
				"Owner": map[string]any{"name": "Boyle", "id": h.srv.AdminUserID()}},
		},
		"info": map[string]any{"count": float64(2), "more_records": false},
	}, body), "exact '=' finds neither the spaced number (%s) nor the converted lead", c)

	tests := []struct {
		query string
		want  []string
	}{
		{"select id from Leads where " + SyncKeyField + " = 'LC1:aaa'", []string{a}},
		{"SELECT Last_Name FROM Leads WHERE Last_Name like 'R%'", []string{b}},
		{"select Last_Name from Leads where Last_Name not like '%a%'", nil},
		{"select Last_Name from Leads where Phone like '%98765%'", []string{a, c}},
		{"select Last_Name from Leads where Last_Name in ('Kumar', 'Shah')", []string{a, c}},
		{"select Last_Name from Leads where Last_Name not in ('Kumar', 'Shah')", []string{b}},
		{"select Last_Name from Leads where Mobile is null", []string{a, c}},
		{"select Last_Name from Leads where Mobile is not null", []string{b}},
		{"select Last_Name from Leads where ((Last_Name = 'Kumar' or Last_Name = 'Rao') and Phone is not null)", []string{a}},
		{"select Last_Name from Leads where (Last_Name = 'Kumar' or Last_Name = 'Rao') and (Phone is not null)", []string{a}},
		{"select Last_Name from Leads where Last_Name != 'Kumar' order by Last_Name desc", []string{c, b}},
		{"select Last_Name from Leads where id is not null limit 1 offset 1", []string{b}},
		{"select Last_Name from Leads where id is not null limit 2, 1", []string{c}},
		{"select Last_Name from Leads where id = " + b, []string{b}},
		{"select Last_Name from Leads where Created_Time between '2026-03-14T00:00:00+00:00' and '2026-03-15T00:00:00+00:00' limit 1", []string{a}},
		{"select Last_Name from Leads where Last_Name = 'O\\'Brien'", nil},
		{"select Last_Name from Leads where Last_Name = 'x'' or ''1''=''1'", nil},
		{"select Last_Name from Leads where Last_Name = Kumar", []string{a}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, body := coql(t, h, tt.query)
			if tt.want == nil {
				require.Equal(t, http.StatusNoContent, status, "%v", body)
				require.Nil(t, body)
				return
			}
			require.Equal(t, http.StatusOK, status, "%v", body)
			require.Equal(t, tt.want, ids(t, body))
		})
	}
}

func TestCOQLErrors(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{SyncKey: map[string]SyncKeyMode{"Calls": SyncKeyAbsent}})
	in101 := "select id from Leads where Last_Name in (" + strings.TrimSuffix(strings.Repeat("'x',", 101), ",") + ")"
	crit26 := "Last_Name = 'x'"
	for range 25 {
		crit26 = "(" + crit26 + " or Last_Name = 'y')"
	}
	tests := []struct {
		query string
		want  map[string]any
	}{
		{"select id from Leads", errorEnvelope("SYNTAX_ERROR", "missing clause", map[string]any{"clause": "where"})},
		{"select id from Leads limit 5", errorEnvelope("SYNTAX_ERROR", "missing clause", map[string]any{"clause": "where"})},
		{"select id", errorEnvelope("SYNTAX_ERROR", "missing clause", map[string]any{"clause": "from"})},
		{"update Leads set Last_Name = 'x' where id = 1", errorEnvelope("SYNTAX_ERROR", "given coql query not supported", map[string]any{})},
		{"select id from Leads where a = 1 and b = 2 and c = 3", errorEnvelope("SYNTAX_ERROR", "error occured while parsing the query", map[string]any{"near": "and"})},
		{"select id from Leads where (Last_Name = 'x'", errorEnvelope("SYNTAX_ERROR", "error occured while parsing the query", map[string]any{"near": "end of query"})},
		{"select * from Leads where id is not null", errorEnvelope("SYNTAX_ERROR", "error occured while parsing the query", map[string]any{"near": "* from Leads where i"})},
		{"select id from Leads where Last_Name = 'open", errorEnvelope("SYNTAX_ERROR", "error occured while parsing the query", map[string]any{"near": "'open"})},
		{"select id from Leads where Last_Name = 'x'; drop table Leads", errorEnvelope("SYNTAX_ERROR", "error occured while parsing the query", map[string]any{"near": "; drop table Leads"})},
		{"select Nope from Leads where id is not null", errorEnvelope("INVALID_QUERY", "unsupported column", map[string]any{"column_name": "Nope"})},
		{"select id from Leads where Converted__s = false", errorEnvelope("INVALID_QUERY", "unsupported column", map[string]any{"column_name": "Converted__s"})},
		{"select id from Calls where " + SyncKeyField + " = 'k'", errorEnvelope("INVALID_QUERY", "unsupported column", map[string]any{"column_name": SyncKeyField})},
		{"select COUNT(id) from Leads where id is not null", errorEnvelope("INVALID_QUERY", "unsupported column", map[string]any{"column_name": "COUNT"})},
		{"select id from Leads where Last_Name > 'x'", errorEnvelope("INVALID_QUERY", "Invalid query formed",
			map[string]any{"reason": "invalid operator found", "column_name": "Last_Name", "operator": ">"})},
		{"select id from Leads where Description = 'x'", errorEnvelope("INVALID_QUERY", "Invalid query formed",
			map[string]any{"reason": "invalid operator found", "column_name": "Description", "operator": "="})},
		{"select id from Leads where Last_Name not like 'x%'", errorEnvelope("INVALID_QUERY", "Invalid query formed",
			map[string]any{"reason": "not like supports only '%value%'", "column_name": "Last_Name", "operator": "not like"})},
		{"select id from Leads where Created_Time = 'today'", errorEnvelope("INVALID_QUERY", "Invalid query formed",
			map[string]any{"reason": "invalid value", "column_name": "Created_Time", "value": "today"})},
		{"select id from Leads where Owner = 'me'", errorEnvelope("INVALID_QUERY", "Invalid query formed",
			map[string]any{"reason": "invalid value", "column_name": "Owner", "value": "me"})},
		{"select id from Leads where id is not null limit s", errorEnvelope("INVALID_QUERY", "limit given seems to be invalid", map[string]any{"limit": "s"})},
		{"select id from Leads where id is not null limit 0", errorEnvelope("INVALID_QUERY", "limit given seems to be invalid", map[string]any{"limit": "0"})},
		{"select id from Leads where id is not null limit 10 offset x", errorEnvelope("INVALID_QUERY", "offset given seems to be invalid", map[string]any{"offset": "x"})},
		{"select id from Leads where id is not null limit 2001", errorEnvelope("LIMIT_EXCEEDED", "limit exceeded", map[string]any{"limit": float64(2000)})},
		{"select id from Leads where id is not null limit 99999, 2000", errorEnvelope("LIMIT_EXCEEDED", "Max records limit exceeded", map[string]any{"limit": float64(100000)})},
		{"select id, id from Leads where id is not null", errorEnvelope("DUPLICATE_DATA", "duplicate column found", map[string]any{"column_name": "id"})},
		{in101, errorEnvelope("LIMIT_EXCEEDED", "the in clause has more values than allowed", map[string]any{"column_name": "Last_Name", "limit": float64(100)})},
		{"select id from Leads where " + crit26, errorEnvelope("LIMIT_EXCEEDED", "criteria limit exceeded", map[string]any{"limit": float64(25)})},
		{"select id from Deals where id is not null", errorEnvelope("INVALID_MODULE", "the given module is not supported in api", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(60, len(tt.query))], func(t *testing.T) {
			status, body := coql(t, h, tt.query)
			require.Equal(t, http.StatusBadRequest, status, "%v", body)
			require.Empty(t, cmp.Diff(tt.want, body))
		})
	}

	status, body := h.call(t, http.MethodPost, "/crm/v8/coql", map[string]any{"query": "select id from Leads"})
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("MANDATORY_NOT_FOUND", "mandatory key not found", map[string]any{"api_name": "select_query"}), body))
	status, body = h.call(t, http.MethodPost, "/crm/v8/coql", "select id from Leads where id is not null")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_DATA", body["code"])
	status, _ = h.call(t, http.MethodGet, "/crm/v8/coql", nil)
	require.Equal(t, http.StatusBadRequest, status)
}

func TestCOQLCreditsPagingAndMeta(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{COQLIncludesConvertedLeads: true})
	for i := range 5 {
		_, err := h.srv.AddLead(lead(fmt.Sprint("L", i), "5551112222"))
		require.NoError(t, err)
	}
	conv, err := h.srv.AddLead(lead("Converted", "5551112222"))
	require.NoError(t, err)
	_, err = h.srv.ConvertLead(conv)
	require.NoError(t, err)
	for _, tc := range []struct {
		limit, credits int
	}{{1, 1}, {200, 1}, {201, 2}, {1000, 2}, {1001, 3}, {2000, 3}} {
		h.srv.ResetRequests()
		status, _ := coql(t, h, fmt.Sprintf("select id from Leads where Phone = '5551112222' limit %d", tc.limit))
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, tc.credits, h.srv.CreditsUsed(), "limit %d", tc.limit)
	}
	status, body := coql(t, h, "select id from Leads where Phone = '5551112222' limit 4")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"count": float64(4), "more_records": true}, body["info"])
	status, _ = coql(t, h, "select id from Leads where Phone = '5551112222' limit 4 offset 10")
	require.Equal(t, http.StatusNoContent, status)

	// Converted Leads are visible and filterable when configured.
	_, body = coql(t, h, "select Converted__s from Leads where Converted__s = 'true'")
	require.Equal(t, []string{conv}, ids(t, body))

	status, body = h.call(t, http.MethodPost, "/crm/v8/coql", map[string]any{
		"select_query": "select Last_Name from Leads where Last_Name = 'L1'", "include_meta": []any{"fields"}})
	require.Equal(t, http.StatusOK, status)
	meta := body["fields"].(map[string]any)["Last_Name"].(map[string]any)
	require.Equal(t, "text", meta["data_type"])
	require.Equal(t, true, meta["system_mandatory"])
	status, _ = h.call(t, http.MethodPost, "/crm/v8/coql", map[string]any{
		"select_query": "select Last_Name from Leads where Last_Name = 'L1'", "include_meta": []any{"layouts"}})
	require.Equal(t, http.StatusBadRequest, status)
}
