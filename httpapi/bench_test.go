package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/httpapi"
)

// BenchmarkPostCalls measures POST /v1/device/calls through the handler (token check, decode,
// durable Engine.Ingest into SQLite, encode) in batches of 100 new calls, and reports calls/s.
func BenchmarkPostCalls(b *testing.B) {
	e := newEnv(b, func(c *httpapi.Config) { c.DeviceRate, c.DeviceBurst = 1e9, 1e9 })
	_, token := e.pairedDevice("campaign")
	start := time.Now().Add(time.Second)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		calls := make([]any, 100)
		for j := range calls {
			n := i*100 + j
			calls[j] = call("b"+strconv.Itoa(n), "98765"+strconv.Itoa(10000+n%90000), "missed", start)
		}
		data, err := json.Marshal(map[string]any{"calls": calls})
		require.NoError(b, err)
		bodies[i] = data
	}
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("POST", "/v1/device/calls", bytes.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "calls/s")
}
