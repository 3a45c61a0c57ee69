package zohotest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func addFault(t *testing.T, h *harness, r FaultRule) FaultID {
	t.Helper()
	id, err := h.srv.AddFault(r)
	require.NoError(t, err)
	return id
}

// rawDo sends a request and returns the transport error, if any, after reading the body.
func rawDo(h *harness, req *http.Request) (*http.Response, []byte, error) {
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func lastRequest(h *harness) Request {
	reqs := h.srv.Requests()
	return reqs[len(reqs)-1]
}

func TestCommitThenDrop(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	addFault(t, h, FaultRule{Endpoint: EndpointInsert, Kind: FaultCommitThenDrop, Times: 1})
	req := h.newRequest(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{
		map[string]any{"Last_Name": "Lost response", SyncKeyField: "lc1:DROP"}}})
	_, _, err := rawDo(h, req)
	require.Error(t, err, "the client sees a transport error")
	recs := h.srv.FindBySyncKey("Leads", "lc1:DROP")
	require.Len(t, recs, 1, "yet the write was applied")
	last := lastRequest(h)
	require.Equal(t, FaultCommitThenDrop, last.Fault)
	require.Equal(t, http.StatusCreated, last.Status)
	require.False(t, last.Delivered)

	// The retry clashes on the unique key and learns the existing id (reconcile by key).
	status, body := h.insert(t, "Leads", map[string]any{"Last_Name": "Lost response", SyncKeyField: "lc1:DROP"})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, recs[0].ID, item(t, body, 0)["details"].(map[string]any)["id"])
	// And COQL (no index lag) finds it by key.
	_, body = coql(t, h, "select id from Leads where "+SyncKeyField+" = 'lc1:DROP'")
	require.Equal(t, []string{recs[0].ID}, ids(t, body))
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind      FaultKind
		status    int // 0: transport error
		code      string
		applied   bool
		delivered bool
	}{
		{FaultTooManyRequests, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", false, true},
		{FaultServerError, http.StatusInternalServerError, "INTERNAL_ERROR", false, true},
		{FaultDropBeforeCommit, 0, "", false, false},
		{FaultCommitThenDrop, 0, "", true, false},
		{FaultCommitThenServerError, http.StatusInternalServerError, "INTERNAL_ERROR", true, false},
		{FaultCommitThenTruncate, 0, "", true, false},
		{FaultExpireTokens, http.StatusUnauthorized, "INVALID_TOKEN", false, true},
		{FaultAuthenticationFailure, http.StatusUnauthorized, "AUTHENTICATION_FAILURE", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			h := setup(t, Config{})
			addFault(t, h, FaultRule{Endpoint: EndpointInsert, Module: "Leads", Kind: tt.kind, Times: 1})
			resp, raw, err := rawDo(h, h.newRequest(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("A", "1")}}))
			if tt.status == 0 {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				require.Equal(t, tt.status, resp.StatusCode)
				require.Contains(t, string(raw), `"code":"`+tt.code+`"`)
			}
			require.Equal(t, tt.applied, h.srv.Count("Leads") == 1)
			last := lastRequest(h)
			require.Equal(t, tt.kind, last.Fault)
			require.Equal(t, tt.delivered, last.Delivered)
			require.Equal(t, []FaultEvent{{Rule: 1, Kind: tt.kind, Endpoint: EndpointInsert, Module: "Leads", Time: h.clock.Now()}},
				h.srv.FaultEvents())

			// The rule fired once; the next request is clean (with a fresh token if expired).
			h.token = h.mint(t, h.srv.Credentials().RefreshToken)
			status, _ := h.insert(t, "Leads", lead("B", "2"))
			require.Equal(t, http.StatusCreated, status)
		})
	}
}

func TestGatewayErrorsAreHTML(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	addFault(t, h, FaultRule{Kind: FaultServerError, Status: http.StatusServiceUnavailable, Times: 1})
	resp, raw, err := rawDo(h, h.newRequest(t, http.MethodGet, "/crm/v8/users", nil))
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "text/html", resp.Header.Get("Content-Type"))
	require.Contains(t, string(raw), "503 Service Unavailable")
}

func TestTimeoutFaults(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})

	// Hang until the client gives up: nothing applied, nothing answered.
	addFault(t, h, FaultRule{Endpoint: EndpointInsert, Kind: FaultTimeout, Times: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, _, err := rawDo(h, h.newRequest(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("A", "1")}}).WithContext(ctx))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Eventually(t, func() bool { return len(h.srv.Requests()) == 2 }, 5*time.Second, 5*time.Millisecond)
	require.Zero(t, h.srv.Count("Leads"))
	require.Equal(t, 0, lastRequest(h).Status)

	// A delayed request is then processed normally.
	addFault(t, h, FaultRule{Endpoint: EndpointInsert, Kind: FaultTimeout, Delay: 20 * time.Millisecond, Times: 1})
	status, _ := h.insert(t, "Leads", lead("B", "2"))
	require.Equal(t, http.StatusCreated, status)

	// Slow after commit: the client gives up, the write stays.
	addFault(t, h, FaultRule{Endpoint: EndpointInsert, Kind: FaultSlowAfterCommit, Times: 1})
	ctx2, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel2()
	_, _, err = rawDo(h, h.newRequest(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("C", "3")}}).WithContext(ctx2))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, 2, h.srv.Count("Leads"))

	addFault(t, h, FaultRule{Endpoint: EndpointInsert, Kind: FaultSlowAfterCommit, Delay: 10 * time.Millisecond, Times: 1})
	status, _ = h.insert(t, "Leads", lead("D", "4"))
	require.Equal(t, http.StatusCreated, status)
}

func TestCloseReleasesHungRequests(t *testing.T) {
	t.Parallel()
	srv := New(Config{})
	require.NoError(t, srv.Start())
	_, err := srv.AddFault(FaultRule{Kind: FaultTimeout})
	require.NoError(t, err)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL()+"/crm/v8/users", nil)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.PeakInFlight() == 1 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, srv.Close())
	require.Error(t, <-done)
	require.ErrorIs(t, srv.Start(), ErrClosed)
	require.NoError(t, srv.Close(), "Close is idempotent")
}

func TestTokenEndpointFaults(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	form := refreshForm(h.srv.Credentials())
	addFault(t, h, FaultRule{Endpoint: EndpointToken, Kind: FaultTooManyRequests, Times: 1})
	addFault(t, h, FaultRule{Endpoint: EndpointToken, Kind: FaultOmitExpiresIn, After: 1, Times: 1})
	addFault(t, h, FaultRule{Kind: FaultServerError}) // any CRM endpoint: never the token endpoint

	status, body := h.tokenCall(t, form)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "Access Denied", body["error"])
	status, body = h.tokenCall(t, form)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "expires_in")
	require.NotEmpty(t, body["access_token"])

	minted := h.srv.TokensMinted()
	addFault(t, h, FaultRule{Endpoint: EndpointToken, Kind: FaultCommitThenDrop, Times: 1})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.srv.URL()+"/oauth/v2/token?"+form.Encode(), nil)
	require.NoError(t, err)
	_, _, err = rawDo(h, req)
	require.Error(t, err)
	require.Equal(t, minted+1, h.srv.TokensMinted(), "a dropped token response still counts against the limit")
}

func TestFaultRuleSelection(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	id := addFault(t, h, FaultRule{Endpoint: EndpointSearch, Module: "Contacts", Kind: FaultTooManyRequests, After: 2, Times: 2})
	var got []int
	for range 3 {
		status, _ := h.call(t, http.MethodGet, "/crm/v8/Leads/search?phone=5551234567", nil)
		got = append(got, status)
	}
	for range 6 {
		status, _ := h.call(t, http.MethodGet, "/crm/v8/Contacts/search?phone=5551234567", nil)
		got = append(got, status)
	}
	require.Equal(t, []int{204, 204, 204, 204, 204, 429, 429, 204, 204}, got)
	require.True(t, h.srv.RemoveFault(id))
	require.False(t, h.srv.RemoveFault(id))

	addFault(t, h, FaultRule{Kind: FaultTooManyRequests})
	status, _ := h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusTooManyRequests, status)
	h.srv.ClearFaults()
	status, _ = h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusOK, status)

	for _, bad := range []FaultRule{
		{}, {Kind: faultKindEnd}, {Kind: FaultTimeout, Probability: 1.5}, {Kind: FaultTimeout, Times: -1},
		{Kind: FaultServerError, Status: 404}, {Kind: FaultOmitExpiresIn},
	} {
		_, err := h.srv.AddFault(bad)
		require.Error(t, err, "%+v", bad)
	}
}

// faultPattern runs n sequential searches against a fresh server and records which faulted.
func faultPattern(t *testing.T, seed uint64, n int) []bool {
	t.Helper()
	h := setup(t, Config{Seed: seed})
	addFault(t, h, FaultRule{Endpoint: EndpointSearch, Kind: FaultServerError, Probability: 0.5})
	addFault(t, h, FaultRule{Endpoint: EndpointSearch, Kind: FaultTooManyRequests, Probability: 0.3})
	out := make([]bool, 0, 2*n)
	for range n {
		status, _ := h.call(t, http.MethodGet, "/crm/v8/Leads/search?"+url.Values{"phone": {"5551234567"}}.Encode(), nil)
		out = append(out, status == http.StatusInternalServerError, status == http.StatusTooManyRequests)
	}
	return out
}

func TestFaultScheduleIsDeterministic(t *testing.T) {
	t.Parallel()
	a := faultPattern(t, 42, 64)
	b := faultPattern(t, 42, 64)
	c := faultPattern(t, 43, 64)
	require.Empty(t, cmp.Diff(a, b), "same seed, same faults")
	require.NotEqual(t, a, c, "another seed, other faults")
	fired := 0
	for _, f := range a {
		if f {
			fired++
		}
	}
	require.Greater(t, fired, 20)
	require.Less(t, fired, 64)
}

func TestConcurrencyCap(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{MaxConcurrency: 2, MaxSubConcurrency: 1})
	addFault(t, h, FaultRule{Endpoint: EndpointUsers, Kind: FaultTimeout, Times: 1})
	addFault(t, h, FaultRule{Endpoint: EndpointCOQL, Kind: FaultTimeout, Times: 1})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	hang := func(req *http.Request) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = rawDo(h, req.WithContext(ctx))
		}()
	}
	hang(h.newRequest(t, http.MethodGet, "/crm/v8/users", nil))
	hang(h.newRequest(t, http.MethodPost, "/crm/v8/coql", map[string]any{"select_query": "select id from Leads where id is not null"}))
	require.Eventually(t, func() bool { return h.srv.PeakInFlight() == 2 }, 5*time.Second, 5*time.Millisecond)

	status, body := h.call(t, http.MethodGet, "/crm/v8/Leads/1", nil)
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Empty(t, cmp.Diff(errorEnvelope("TOO_MANY_REQUESTS", "too many requests", nil), body))
	cancel()
	wg.Wait()
	require.Eventually(t, func() bool {
		status, _ := h.call(t, http.MethodGet, "/crm/v8/Leads/1", nil)
		return status == http.StatusNoContent
	}, 5*time.Second, 5*time.Millisecond)

	// A composite call needs five units: with a cap of 2 it can never run.
	status, _ = h.call(t, http.MethodPost, "/crm/v8/__composite_requests", map[string]any{})
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, 2, h.srv.PeakInFlight())
}

func TestDropWithoutHijackerAborts(t *testing.T) {
	t.Parallel()
	// Through Handler() with a ResponseWriter that cannot hijack, a drop aborts the handler.
	srv := New(Config{})
	defer srv.Close()
	_, err := srv.AddFault(FaultRule{Kind: FaultDropBeforeCommit})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://fake/crm/v8/users", nil)
	require.NoError(t, err)
	defer func() {
		r := recover()
		require.True(t, errors.Is(r.(error), http.ErrAbortHandler))
	}()
	srv.Handler().ServeHTTP(&nopWriter{header: http.Header{}}, req)
}

type nopWriter struct{ header http.Header }

func (w *nopWriter) Header() http.Header         { return w.header }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}
