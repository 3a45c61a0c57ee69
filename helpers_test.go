package leadcall_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/store/sqlite"
)

// clock is a test clock: it runs at real speed from a base that the test can move forward.
type clock struct {
	mu     sync.Mutex
	base   time.Time
	origin time.Time
}

func newClock(t time.Time) *clock { return &clock{base: t, origin: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.origin))
}

// Set moves the clock to t (never backwards).
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.base.Add(time.Since(c.origin)); t.Before(now) {
		t = now
	}
	c.base, c.origin = t, time.Now()
}

// recorder is a Notifier that keeps every event.
type recorder struct {
	mu  sync.Mutex
	evs []leadcall.Event
}

func (r *recorder) Notify(_ context.Context, ev leadcall.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

func (r *recorder) types() map[leadcall.EventType]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[leadcall.EventType]int{}
	for _, ev := range r.evs {
		out[ev.Type]++
	}
	return out
}

// crmSwitch is a CRMProvider whose CRM a test may replace before calls flow.
type crmSwitch struct {
	mu sync.Mutex
	c  leadcall.CRM
}

func (s *crmSwitch) CRM(context.Context, string) (leadcall.CRM, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil, leadcall.NewError(leadcall.CodeNotFound, "test: no CRM connected", nil)
	}
	return s.c, nil
}

type harness struct {
	t      *testing.T
	crms   *crmSwitch
	ctx    context.Context
	clock  *clock
	store  *sqlite.Store
	crm    *memcrm.CRM
	eng    *leadcall.Engine
	events *recorder
}

type harnessOpts struct {
	start  time.Time
	config func(*leadcall.Config)
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	if o.start.IsZero() {
		o.start = time.Now().UTC()
	}
	h := &harness{t: t, ctx: t.Context(), clock: newClock(o.start), events: &recorder{}}
	st, err := sqlite.Open(h.ctx, filepath.Join(t.TempDir(), "leadcall.db"), &sqlite.Config{Now: h.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	h.store = st
	h.crm = memcrm.New(&memcrm.Config{Now: h.clock.Now})
	h.crms = &crmSwitch{c: h.crm}
	cfg := leadcall.Config{
		Store:          st,
		CRMs:           h.crms,
		Notifier:       h.events,
		NowFunc:        h.clock.Now,
		PollInterval:   20 * time.Millisecond,
		RetryBase:      10 * time.Millisecond,
		RetryMax:       50 * time.Millisecond,
		ReconcileGrace: 100 * time.Millisecond,
		RateLimitPause: 50 * time.Millisecond,
		AuthPause:      50 * time.Millisecond,
	}
	if o.config != nil {
		o.config(&cfg)
	}
	eng, err := leadcall.New(cfg)
	require.NoError(t, err)
	require.NoError(t, eng.Start())
	t.Cleanup(func() { _ = eng.Close() })
	h.eng = eng
	return h
}

// setCRM replaces the CRM the Engine talks to.
func (h *harness) setCRM(c leadcall.CRM) {
	h.crms.mu.Lock()
	defer h.crms.mu.Unlock()
	h.crms.c = c
}

// waitIdle waits until no job is ready or running.
func (h *harness) waitIdle() {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		counts, err := h.store.JobCounts(h.ctx)
		require.NoError(h.t, err)
		return counts[leadcall.JobReady] == 0 && counts[leadcall.JobRunning] == 0
	}, 30*time.Second, 10*time.Millisecond, "sync jobs did not finish")
}

func (h *harness) ingest(org, dev string, calls ...leadcall.IncomingCall) []leadcall.IngestResult {
	h.t.Helper()
	res, err := h.eng.Ingest(h.ctx, org, dev, calls)
	require.NoError(h.t, err)
	require.Len(h.t, res, len(calls))
	return res
}

func (h *harness) allCalls(org string) []leadcall.Call {
	h.t.Helper()
	var out []leadcall.Call
	f := &leadcall.CallFilter{OrgID: org, Limit: 1000}
	for {
		page, err := h.store.ListCalls(h.ctx, f)
		require.NoError(h.t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		f.Cursor = page.NextCursor
	}
}
