package zoho

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// countingLimiter grants permits until its budget runs out, then refuses.
type countingLimiter struct {
	waits  atomic.Int64
	budget int64
}

var errNoPermit = errors.New("no permit")

func (l *countingLimiter) Wait(ctx context.Context) error {
	if l.waits.Add(1) > l.budget {
		return errNoPermit
	}
	return ctx.Err()
}

// TestConfigLimiterPacesEveryRequest: with Config.Limiter set, every API request waits for
// it (RequestsPerSecond and Burst no longer apply), and a refused permit means the request
// is not sent and is reported as unavailable (the Engine retries it).
func TestConfigLimiterPacesEveryRequest(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{budget: 1}
	f := setup(t, func(c *Config) {
		c.Limiter = lim
		c.RequestsPerSecond, c.Burst = 0.001, 1 // would hold the second request for ~17 min
	})
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"users":[{"id":"1","full_name":"A","status":"active"}],"info":{"more_records":false}}`)
	})
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, lim.waits.Load())
	require.EqualValues(t, 1, f.apiHits.Load())

	_, err = f.crm.Users(t.Context())
	require.ErrorIs(t, err, errNoPermit)
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err))
	require.EqualValues(t, 2, lim.waits.Load())
	require.EqualValues(t, 1, f.apiHits.Load(), "a request without a permit is not sent")
}

// TestConfigDefaultLimiter: without Config.Limiter the in-process bucket of
// RequestsPerSecond and Burst applies: with a burst of 1 and a tiny rate, the second
// request waits past its context's deadline and is not sent.
func TestConfigDefaultLimiter(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.RequestsPerSecond, c.Burst = 0.001, 1 })
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"users":[],"info":{"more_records":false}}`)
	})
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = f.crm.Users(ctx)
	require.Error(t, err)
	require.EqualValues(t, 1, f.apiHits.Load())
}
