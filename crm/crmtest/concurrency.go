package crmtest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

func testConcurrency(t *testing.T, h Harness) {
	t.Run("DistinctKeys", func(t *testing.T) {
		fx := setup(t, h)
		const workers, perWorker = 8, 4
		type result struct {
			n             number
			lead, call    string
			leadKey, cKey string
			leadErr, cErr error
		}
		results := make([]result, workers*perWorker)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					r := &results[w*perWorker+i]
					r.n = testNumber(6000 + w*perWorker + i)
					r.leadKey = crm.LeadKey("org-1", r.n.e164)
					r.cKey = crm.CallKey("org-1", "dev-1", r.n.e164)
					c, err := fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: r.leadKey, LastName: "Inbound Lead", Phone: r.n.e164})
					if r.leadErr = err; err != nil {
						continue
					}
					r.lead = c.ID
					c, err = fx.crm.CreateCall(fx.ctx, &crm.Call{SyncKey: r.cKey, Subject: "Missed inbound call", Type: crm.CallMissed,
						Start: start, Who: crm.Ref{Module: crm.ModuleLeads, ID: r.lead}})
					if r.cErr = err; err == nil {
						r.call = c.ID
					}
				}
			})
		}
		wg.Wait()
		seen := make(map[string]bool)
		for _, r := range results {
			if r.leadErr != nil || r.cErr != nil {
				t.Fatalf("parallel creates with distinct keys must all succeed; got %v / %v", r.leadErr, r.cErr)
			}
			for _, id := range []string{r.lead, r.call} {
				if seen[id] {
					t.Fatalf("parallel creates returned the ID %s twice", id)
				}
				seen[id] = true
			}
		}
		for _, r := range results {
			if got := fx.requireFound(crm.ModuleLeads, r.leadKey, "a Lead created in parallel must be found by its key"); got != r.lead {
				t.Errorf("FindBySyncKey(Leads) returned %s, want %s", got, r.lead)
			}
			if got := fx.requireFound(crm.ModuleCalls, r.cKey, "a Call created in parallel must be found by its key"); got != r.call {
				t.Errorf("FindBySyncKey(Calls) returned %s, want %s", got, r.call)
			}
		}
	})

	t.Run("SameKey", func(t *testing.T) {
		fx := setup(t, h)
		if !fx.feat.UniqueSyncKeys {
			t.Skip("Features.UniqueSyncKeys is false")
		}
		const workers = 8
		n := testNumber(6101)
		key := crm.LeadKey("org-1", n.e164)
		created := make([]*crm.Created, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				created[i], errs[i] = fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: fmt.Sprintf("Racer %d", i), Phone: n.e164})
			})
		}
		wg.Wait()
		ids := make(map[string]bool)
		for i := range workers {
			switch {
			case errs[i] == nil:
				ids[created[i].ID] = true
			case leadcall.CodeOf(errs[i]) == leadcall.CodeConflict:
				var e *leadcall.Error
				asError(errs[i], &e)
				ids[e.ExistingID] = true
			default:
				t.Fatalf("parallel creates with one key must succeed or fail with CodeConflict; got %v", errs[i])
			}
		}
		if len(ids) != 1 {
			t.Errorf("parallel creates with one unique key must all name one record; they named %d: %v", len(ids), ids)
		}
	})
}
