package leadcall_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
)

// writeRecorder passes every request to a CRM and records each record it writes, described
// as a dry-run backfill describes them.
type writeRecorder struct {
	leadcall.CRM
	mu     sync.Mutex
	writes []leadcall.BackfillWrite
}

func (w *writeRecorder) record(vs ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range vs {
		w.writes = append(w.writes, leadcall.DescribeWrite(v))
	}
}

func (w *writeRecorder) recorded() []leadcall.BackfillWrite {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]leadcall.BackfillWrite(nil), w.writes...)
}

func (w *writeRecorder) CreateLead(ctx context.Context, l *crm.Lead) (*crm.Created, error) {
	w.record(l)
	return w.CRM.CreateLead(ctx, l)
}

func (w *writeRecorder) CreateCall(ctx context.Context, c *crm.Call) (*crm.Created, error) {
	w.record(c)
	return w.CRM.CreateCall(ctx, c)
}

func (w *writeRecorder) CreateTask(ctx context.Context, t *crm.Task) (*crm.Created, error) {
	w.record(t)
	return w.CRM.CreateTask(ctx, t)
}

func (w *writeRecorder) CreateBundle(ctx context.Context, b *crm.Bundle) (*crm.BundleResult, error) {
	parts := []any{b.Lead, b.Call}
	if b.Task != nil {
		parts = append(parts, b.Task)
	}
	w.record(parts...)
	return w.CRM.(leadcall.Bundler).CreateBundle(ctx, b)
}

func (w *writeRecorder) Fields(ctx context.Context, m crm.Module) ([]crm.Field, error) {
	return w.CRM.(leadcall.FieldDescriber).Fields(ctx, m)
}

// brokenLookup fails every lookup for good, so syncs fail without writing anything.
type brokenLookup struct{ leadcall.CRM }

func (brokenLookup) FindByPhone(context.Context, []string) ([]crm.Record, error) {
	return nil, leadcall.Errorf(leadcall.CodeInvalid, "test", "lookups are broken")
}

// TestBackfillDryRunThenReal: calls whose sync failed are backfilled. The dry run sends no
// write to the CRM (counted at the CRM), and the real backfill then writes exactly the
// records the dry run listed, with memcrm and with the Zoho adapter against the fake Zoho.
func TestBackfillDryRunThenReal(t *testing.T) {
	t.Parallel()
	backends := map[string]struct {
		crm    func(h *harness) dayCRM
		writes func(d dayCRM) int // CRM writes so far, counted by the CRM
	}{
		"memcrm": {memcrmDay, func(d dayCRM) int { return d.(*memDay).c.Writes() }},
		"zoho": {newZohoDay(zohotest.Config{}), func(d dayCRM) int {
			n := 0
			for _, r := range d.(*zohoDay).srv.Requests() {
				switch r.Endpoint {
				case zohotest.EndpointCOQL, zohotest.EndpointToken, zohotest.EndpointRevoke:
					// Reads (COQL is a query sent by POST) and OAuth.
				case zohotest.EndpointComposite:
					// Batched lookups are GET searches and COQL queries; anything else writes.
					var body struct {
						Requests []struct {
							Method string `json:"method"`
							URI    string `json:"uri"`
						} `json:"__composite_requests"`
					}
					if err := json.Unmarshal(r.Body, &body); err != nil {
						panic(err)
					}
					for _, sub := range body.Requests {
						if sub.Method != http.MethodGet && !strings.HasSuffix(sub.URI, "/coql") {
							n++
						}
					}
				default:
					if r.Method != http.MethodGet {
						n++
					}
				}
			}
			return n
		}},
	}
	for name, b := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := recoveryOrg(t, nil)
			d := b.crm(h)
			rec := &writeRecorder{CRM: d.CRM()}
			h.setCRM(rec)
			d.AddUser("Ravi", "Admin", "ravi@example.com")
			d.AddContact("Kiran", "Rao", "Mobile", "+91 98765 00002")
			now := h.clock.Now().UTC().Truncate(time.Second)
			at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }

			// An earlier call that synced fine.
			synced := h.ingest("o1", "line", leadcall.IncomingCall{ID: "ok", Number: "9876500009", Type: "inbound", StartedAt: at(-90), DurationS: 12})
			h.waitIdle()
			// Then lookups break: these fail for good.
			h.setCRM(brokenLookup{rec})
			failed := h.ingest("o1", "line",
				leadcall.IncomingCall{ID: "a1", Number: "9876500001", Type: "missed", StartedAt: at(-50)},
				leadcall.IncomingCall{ID: "b1", Number: "9876500002", Type: "missed", StartedAt: at(-45)},
				leadcall.IncomingCall{ID: "a2", Number: "+91 98765 00001", Type: "missed", StartedAt: at(-40)},
				leadcall.IncomingCall{ID: "c1", Number: "9876500003", Type: "inbound", StartedAt: at(-30), DurationS: 75},
			)
			local := h.ingest("o1", "asha", leadcall.IncomingCall{ID: "cb", Number: "9876500001", Type: "outbound", StartedAt: at(-20), DurationS: 30})
			h.waitIdle()
			for _, c := range h.allCalls("o1") {
				if c.DeviceCallID != "ok" && c.DeviceCallID != "cb" {
					require.Equal(t, leadcall.SyncFailed, c.SyncStatus, c.DeviceCallID)
				}
			}
			h.setCRM(rec)
			writesBefore, recordedBefore := b.writes(d), len(rec.recorded())

			params := leadcall.BackfillParams{OrgID: "o1", From: at(-120), To: at(1), DryRun: true}
			dry, err := h.eng.Backfill(h.ctx, params)
			require.NoError(t, err)
			require.Equal(t, writesBefore, b.writes(d), "a dry run writes nothing to the CRM")
			require.Len(t, rec.recorded(), recordedBefore, "a dry run sends no create")
			require.Equal(t, 4, dry.Calls)
			require.Empty(t, dry.ID)
			require.Equal(t, []leadcall.BackfillSkip{
				{CallID: synced[0].CallID, Reason: "already synced"},
				{CallID: local[0].CallID, Reason: "not synced by the rules: local (sales_rep)"},
			}, dry.Skipped)

			type opOf struct {
				Call   int64
				Op     leadcall.BackfillOp
				Module crm.Module
			}
			var ops []opOf
			for _, w := range dry.Writes {
				require.NotEmpty(t, w.Summary)
				ops = append(ops, opOf{w.CallID, w.Op, w.Module})
			}
			a1, b1, a2, c1 := failed[0].CallID, failed[1].CallID, failed[2].CallID, failed[3].CallID
			require.Equal(t, []opOf{
				// A new caller: Lead, Call and Task.
				{a1, leadcall.BackfillCreateLead, crm.ModuleLeads}, {a1, leadcall.BackfillCreateCall, crm.ModuleCalls}, {a1, leadcall.BackfillCreateTask, crm.ModuleTasks},
				// A known Contact: linked, Call and Task.
				{b1, leadcall.BackfillLink, crm.ModuleContacts}, {b1, leadcall.BackfillCreateCall, crm.ModuleCalls}, {b1, leadcall.BackfillCreateTask, crm.ModuleTasks},
				// The first caller again: the Lead planned above, a Call, no second Task.
				{a2, leadcall.BackfillLink, crm.ModuleLeads}, {a2, leadcall.BackfillCreateCall, crm.ModuleCalls},
				// A new caller answered: Lead and Call.
				{c1, leadcall.BackfillCreateLead, crm.ModuleLeads}, {c1, leadcall.BackfillCreateCall, crm.ModuleCalls},
			}, ops)

			params.DryRun = false
			real, err := h.eng.Backfill(h.ctx, params)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(real.ID, "bf_"))
			require.Equal(t, 4, real.Calls)
			require.Empty(t, real.Writes)
			h.waitIdle()
			for _, c := range h.allCalls("o1") {
				if c.DeviceCallID != "cb" {
					require.Equal(t, leadcall.SyncSynced, c.SyncStatus, c.DeviceCallID)
				}
			}

			// The real run wrote exactly what the dry run listed (links are no writes).
			var want []leadcall.BackfillWrite
			for _, w := range dry.Writes {
				if w.Op != leadcall.BackfillLink {
					w.CallID = 0
					want = append(want, w)
				}
			}
			got := rec.recorded()[recordedBefore:]
			bySyncKey := cmpopts.SortSlices(func(a, b leadcall.BackfillWrite) bool { return a.SyncKey < b.SyncKey })
			if diff := cmp.Diff(want, got, bySyncKey); diff != "" {
				t.Fatalf("real backfill writes differ from the dry run (-dry +real):\n%s", diff)
			}
			require.Equal(t, len(want), b.writes(d)-writesBefore, "writes counted at the CRM")

			// Progress went through the event log.
			evs, err := h.store.Events(h.ctx, "o1", 0, 1000)
			require.NoError(t, err)
			var progress, done []map[string]any
			for _, ev := range evs {
				var m map[string]any
				switch ev.Type {
				case leadcall.EventBackfillProgress:
					require.NoError(t, json.Unmarshal(ev.Data, &m))
					progress = append(progress, m)
				case leadcall.EventBackfillDone:
					require.NoError(t, json.Unmarshal(ev.Data, &m))
					done = append(done, m)
				}
			}
			require.Equal(t, []map[string]any{{"backfill_id": real.ID, "done": 4.0, "total": 4.0}}, progress)
			require.Len(t, done, 1)
			require.Equal(t, real.ID, done[0]["backfill_id"])

			// Nothing is left to backfill.
			again, err := h.eng.Backfill(h.ctx, leadcall.BackfillParams{OrgID: "o1", From: at(-120), To: at(1), DryRun: true})
			require.NoError(t, err)
			require.Zero(t, again.Calls)
			require.Empty(t, again.Writes)
		})
	}
}

func TestBackfillBadParams(t *testing.T) {
	t.Parallel()
	h := recoveryOrg(t, nil)
	now := h.clock.Now()
	ok := leadcall.BackfillParams{OrgID: "o1", From: now.Add(-time.Hour), To: now, DryRun: true}
	with := func(f func(p *leadcall.BackfillParams)) leadcall.BackfillParams {
		p := ok
		f(&p)
		return p
	}
	many := make([]string, leadcall.MaxBackfillDevices+1)
	for i := range many {
		many[i] = "line"
	}
	for name, tc := range map[string]struct {
		p    leadcall.BackfillParams
		code leadcall.Code
	}{
		"no from":          {with(func(p *leadcall.BackfillParams) { p.From = time.Time{} }), leadcall.CodeInvalid},
		"no to":            {with(func(p *leadcall.BackfillParams) { p.To = time.Time{} }), leadcall.CodeInvalid},
		"reversed":         {with(func(p *leadcall.BackfillParams) { p.From, p.To = p.To, p.From }), leadcall.CodeInvalid},
		"too long":         {with(func(p *leadcall.BackfillParams) { p.From = p.To.Add(-400 * 24 * time.Hour) }), leadcall.CodeInvalid},
		"too many devices": {with(func(p *leadcall.BackfillParams) { p.DeviceIDs = many }), leadcall.CodeInvalid},
		"bad device id":    {with(func(p *leadcall.BackfillParams) { p.DeviceIDs = []string{"x'; DROP"} }), leadcall.CodeInvalid},
		"huge device id":   {with(func(p *leadcall.BackfillParams) { p.DeviceIDs = []string{strings.Repeat("d", 100000)} }), leadcall.CodeInvalid},
		"unknown device":   {with(func(p *leadcall.BackfillParams) { p.DeviceIDs = []string{"nope"} }), leadcall.CodeNotFound},
		"unknown org":      {with(func(p *leadcall.BackfillParams) { p.OrgID = "nope" }), leadcall.CodeNotFound},
	} {
		_, err := h.eng.Backfill(h.ctx, tc.p)
		require.Equal(t, tc.code, leadcall.CodeOf(err), "%s: %v", name, err)
	}
}

// TestBackfillDeviceFilter: only the named devices' calls are looked at.
func TestBackfillDeviceFilter(t *testing.T) {
	t.Parallel()
	h := recoveryOrg(t, nil)
	h.setCRM(brokenLookup{h.crm})
	now := h.clock.Now()
	h.ingest("o1", "line", leadcall.IncomingCall{ID: "l1", Number: "9876500001", Type: "missed", StartedAt: now.Add(-time.Hour)})
	h.ingest("o1", "asha", leadcall.IncomingCall{ID: "a1", Number: "9876500002", Type: "inbound", StartedAt: now.Add(-time.Hour), DurationS: 9})
	h.waitIdle()
	h.setCRM(h.crm)
	res, err := h.eng.Backfill(h.ctx, leadcall.BackfillParams{OrgID: "o1", From: now.Add(-2 * time.Hour), To: now, DeviceIDs: []string{"asha"}, DryRun: true})
	require.NoError(t, err)
	require.Zero(t, res.Calls, "the rep phone's call is local")
	require.Len(t, res.Skipped, 1)
	res, err = h.eng.Backfill(h.ctx, leadcall.BackfillParams{OrgID: "o1", From: now.Add(-2 * time.Hour), To: now, DeviceIDs: []string{"line", "line"}, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, 1, res.Calls)
	require.Equal(t, 0, h.crm.Writes())
}
