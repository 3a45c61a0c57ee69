package zohotest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestParallelInsertsKeepSyncKeysUnique(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{MaxConcurrency: -1, MaxSubConcurrency: -1})
	const workers, perWorker, keyCount = 8, 20, 15
	type outcome struct{ key, id, code string }
	results := make(chan outcome, workers*perWorker)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				key := fmt.Sprintf("lc1:%02d", (w*perWorker+i)%keyCount)
				status, body := h.insert(t, "Leads", map[string]any{"Last_Name": "P", SyncKeyField: key})
				it := item(t, body, 0)
				details := it["details"].(map[string]any)
				require.Contains(t, []int{http.StatusCreated, http.StatusBadRequest}, status)
				results <- outcome{key: key, id: details["id"].(string), code: it["code"].(string)}
			}
		})
	}
	wg.Wait()
	close(results)
	require.Equal(t, keyCount, h.srv.Count("Leads"), "one Lead per sync key")
	created := 0
	for r := range results {
		recs := h.srv.FindBySyncKey("Leads", r.key)
		require.Len(t, recs, 1)
		require.Equal(t, recs[0].ID, r.id, "success and DUPLICATE_DATA both name the one record")
		if r.code == "SUCCESS" {
			created++
		} else {
			require.Equal(t, "DUPLICATE_DATA", r.code)
		}
	}
	require.Equal(t, keyCount, created)
	require.Equal(t, workers*perWorker, h.srv.RequestCount(EndpointInsert))
}

func TestCreditsPerEndpoint(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	leadID := h.insertOK(t, "Leads", lead("A", "5551234567"))
	h.call(t, http.MethodGet, "/crm/v8/Leads/"+leadID, nil)
	h.call(t, http.MethodGet, "/crm/v8/Leads/search?phone=5551234567", nil)
	coql(t, h, "select id from Leads where id is not null limit 500")
	h.call(t, http.MethodGet, "/crm/v8/users?type=ActiveUsers", nil)
	h.call(t, http.MethodGet, "/crm/v8/settings/fields?module=Leads", nil)
	h.call(t, http.MethodPut, "/crm/v8/Leads/"+leadID, map[string]any{"data": []any{map[string]any{"Company": "Z"}}})
	h.call(t, http.MethodGet, "/crm/v8/Nope/search?phone=12", nil) // an error costs nothing
	require.Empty(t, cmp.Diff(map[Endpoint]int{EndpointInsert: 1, EndpointGetRecord: 1, EndpointSearch: 1,
		EndpointCOQL: 2, EndpointUsers: 1, EndpointFields: 1, EndpointUpdateRecord: 1}, h.srv.CreditsByEndpoint()))
	require.Equal(t, 8, h.srv.CreditsUsed())
}

func TestDailyCredits(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{DailyCredits: 3})
	for range 3 {
		status, _ := h.call(t, http.MethodGet, "/crm/v8/users", nil)
		require.Equal(t, http.StatusOK, status)
	}
	status, body := h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("LIMIT_REACHED", "API credits exhausted", map[string]any{"limit": float64(3)}), body))
	h.mint(t, h.srv.Credentials().RefreshToken) // the accounts server is not metered
	h.clock.Add(24 * time.Hour)
	h.token = h.mint(t, h.srv.Credentials().RefreshToken)
	status, _ = h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusOK, status, "the window is rolling")
}

func TestResetAndInspection(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	h.insertOK(t, "Leads", lead("A", "1"))
	addFault(t, h, FaultRule{Endpoint: EndpointUsers, Kind: FaultTooManyRequests})
	h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.NotEmpty(t, h.srv.FaultEvents())
	require.Nil(t, h.srv.Records("Deals"))
	require.Zero(t, h.srv.Count("Deals"))
	_, ok := h.srv.Record("Deals", "1")
	require.False(t, ok)
	require.Nil(t, h.srv.FindBySyncKey("Deals", "k"))

	h.srv.Reset()
	require.Zero(t, h.srv.Count("Leads"))
	require.Empty(t, h.srv.Requests())
	require.Empty(t, h.srv.FaultEvents())
	require.Zero(t, h.srv.CreditsUsed())
	status, _ := h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusOK, status, "fault rules are gone and the token still works")
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	big := bytes.Repeat([]byte("x"), 10<<20)
	status, body := h.call(t, http.MethodPost, "/crm/v8/Leads", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Empty(t, cmp.Diff(errorEnvelope("LIMIT_EXCEEDED", "request body too large",
		map[string]any{"max_size": float64(DefaultMaxBodyBytes)}), body))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.srv.URL()+"/oauth/v2/token", bytes.NewReader(big))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _ = h.send(t, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)

	for _, b := range []string{
		strings.Repeat("[", 100_000),
		`{"data":[{"Last_Name":"\xff\xfe"}]}`,
		`{"data":[{"Last_Name":"A","Phone":{"$gt":""}}]}`,
		`{"data":[null]}`,
		`{"data":[{"Last_Name":"A","Owner":{"id":"1 OR 1=1"}}]}`,
		`{"data":[{"Last_Name":1e309}]}`,
	} {
		status, body := h.call(t, http.MethodPost, "/crm/v8/Leads", []byte(b))
		require.Equal(t, http.StatusBadRequest, status, b[:min(len(b), 40)])
		require.Equal(t, "error", statusOf(body), b[:min(len(b), 40)])
	}
	status, _ = h.call(t, http.MethodGet, "/crm/v8/Leads/search?criteria="+strings.Repeat("(", 5000), nil)
	require.Equal(t, http.StatusBadRequest, status)
	long := "(" + strings.Repeat("Last_Name:equals:x)or(", 2000) + "Last_Name:equals:x)"
	status, _ = h.call(t, http.MethodGet, "/crm/v8/Leads/search?criteria="+long, nil)
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = coql(t, h, "select id from Leads where "+strings.Repeat("(", 5000)+"id is null"+strings.Repeat(")", 5000))
	require.Equal(t, http.StatusBadRequest, status)
	for _, path := range []string{"/crm/v8/Nope", "/crm/v8/Nope/1", "/crm/v8/Nope/search?phone=12", "/crm/v8/Nope/upsert",
		"/crm/v8/settings/fields?module=Nope"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "upsert") {
			method = http.MethodPost
		}
		status, body := h.call(t, method, path, map[string]any{"data": []any{}})
		require.Equal(t, http.StatusBadRequest, status, path)
		require.Equal(t, "INVALID_MODULE", body["code"], path)
	}
	require.Zero(t, h.srv.Count("Leads"))
}

// statusOf returns the status of an error envelope or of its first data item.
func statusOf(body map[string]any) any {
	if s, ok := body["status"]; ok {
		return s
	}
	data, _ := body["data"].([]any)
	if len(data) == 0 {
		return nil
	}
	return data[0].(map[string]any)["status"]
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{MixedStatus: 200}, {DailyCredits: -1}, {IndexLag: -time.Second}, {PhoneMatch: 9},
		{SyncKey: map[string]SyncKeyMode{"Deals": SyncKeyUnique}}, {SyncKey: map[string]SyncKeyMode{"Leads": 7}},
		{AccessTokenTTL: -1}, {MaxBodyBytes: -1}, {RefreshWindow: -1}, {Addr: "256.0.0.1:x"},
	} {
		srv := New(cfg)
		require.Error(t, srv.Start(), "%+v", cfg)
		require.NoError(t, srv.Close())
	}
}
