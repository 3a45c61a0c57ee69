package httpapi_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCallsCSV(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, token := e.pairedDevice("campaign")
	base := time.Now().Add(time.Second)
	r := e.do("POST", "/v1/device/calls", token, map[string]any{"calls": []any{
		call("a", "9876512345", "missed", base),
		call("b", "9876512346", "inbound", base.Add(time.Second)),
		call("c", "9876512347", "outbound", base.Add(2*time.Second)),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	r = e.do("GET", "/v1/calls.csv", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.status, "the export needs the admin token")

	r = e.do("GET", "/v1/calls.csv?type=missed,inbound", adminToken, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
	require.Contains(t, r.header.Get("Content-Disposition"), "calls.csv")
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3, "header and the two matching calls")
	require.Equal(t, "call_id", rows[0][0])
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	types := []string{rows[1][col["type"]], rows[2][col["type"]]}
	require.ElementsMatch(t, []string{"missed", "inbound"}, types)
	for _, row := range rows[1:] {
		require.True(t, strings.HasPrefix(row[col["caller_number"]], "'+91"), "numbers cannot run as spreadsheet formulas: %q", row[col["caller_number"]])
	}

	for _, bad := range []string{"/v1/calls.csv?cursor=abc", "/v1/calls.csv?limit=5", "/v1/calls.csv?from=yesterday", "/v1/calls.csv?type=ringing"} {
		r = e.do("GET", bad, adminToken, nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", bad, r.body)
		require.NotEmpty(t, r.err(t).Message)
	}
}
