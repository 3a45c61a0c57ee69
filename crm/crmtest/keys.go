package crmtest

import (
	"testing"
	"time"

	"github.com/leadcall/leadcall/crm"
)

func testSyncKeys(t *testing.T, h Harness) {
	t.Run("UnknownKey", func(t *testing.T) {
		fx := setup(t, h)
		for _, m := range []crm.Module{crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks} {
			id, err := fx.crm.FindBySyncKey(fx.ctx, m, crm.LeadKey("org-1", "+919800000000"))
			if err != nil || id != "" {
				t.Errorf("FindBySyncKey(%s) of a key nobody holds must return \"\" and a nil error; got %q, %v", m, id, err)
			}
		}
	})

	t.Run("PerModule", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(3001)
		leadKey, callKey, taskKey := crm.LeadKey("org-1", n.e164), crm.CallKey("org-1", "dev-1", "c1"), crm.TaskKey("org-1", "dev-1", "c1")
		lead := mustCreate(t, "CreateLead")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: leadKey, LastName: "Inbound Lead", Phone: n.e164}))
		who := crm.Ref{Module: crm.ModuleLeads, ID: lead}
		call := mustCreate(t, "CreateCall")(fx.crm.CreateCall(fx.ctx, &crm.Call{SyncKey: callKey, Subject: "Missed inbound call", Type: crm.CallMissed, Start: start, Who: who}))
		task := mustCreate(t, "CreateTask")(fx.crm.CreateTask(fx.ctx, &crm.Task{SyncKey: taskKey, Subject: "Call back", Due: start, Who: who}))
		for _, c := range []struct {
			module  crm.Module
			key, id string
		}{{crm.ModuleLeads, leadKey, lead}, {crm.ModuleCalls, callKey, call}, {crm.ModuleTasks, taskKey, task}} {
			if got := fx.requireFound(c.module, c.key, "FindBySyncKey must find a record after its create"); got != c.id {
				t.Errorf("FindBySyncKey(%s) must return %s; got %s", c.module, c.id, got)
			}
		}
		for _, c := range []struct {
			module crm.Module
			key    string
		}{{crm.ModuleCalls, leadKey}, {crm.ModuleTasks, callKey}, {crm.ModuleLeads, taskKey}} {
			id, err := fx.crm.FindBySyncKey(fx.ctx, c.module, c.key)
			fx.fatalIf(err, "FindBySyncKey")
			if id != "" {
				t.Errorf("FindBySyncKey(%s) must search that module only: it found %s by a key of another module", c.module, id)
			}
		}
	})

	t.Run("UniqueClash", func(t *testing.T) {
		fx := setup(t, h)
		if !fx.feat.UniqueSyncKeys {
			t.Skip("Features.UniqueSyncKeys is false")
		}
		n := testNumber(3011)
		leadKey := crm.LeadKey("org-1", n.e164)
		lead := mustCreate(t, "CreateLead")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: leadKey, LastName: "Inbound Lead", Phone: n.e164}))
		clash(t, lead, "CreateLead with a Lead's key")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: leadKey, LastName: "Second", Phone: n.e164}))

		who := crm.Ref{Module: crm.ModuleLeads, ID: lead}
		call := &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c1"), Subject: "Missed inbound call", Type: crm.CallMissed, Start: start, Who: who}
		callID := mustCreate(t, "CreateCall")(fx.crm.CreateCall(fx.ctx, call))
		clash(t, callID, "CreateCall with a Call's key")(fx.crm.CreateCall(fx.ctx, call))

		task := &crm.Task{SyncKey: crm.TaskKey("org-1", "dev-1", "c1"), Subject: "Call back", Due: start, Who: who}
		taskID := mustCreate(t, "CreateTask")(fx.crm.CreateTask(fx.ctx, task))
		clash(t, taskID, "CreateTask with a Task's key")(fx.crm.CreateTask(fx.ctx, task))

		fx.settle()
		var leads int
		for _, r := range crm.Distinct(fx.find(n, n.variants())) {
			if r.Module == crm.ModuleLeads {
				leads++
			}
		}
		if leads != 1 {
			t.Errorf("a refused duplicate must not be created: FindByPhone finds %d Leads for the number, want 1", leads)
		}
	})

	t.Run("ClashWithinIndexLag", func(t *testing.T) {
		fx := setup(t, h)
		if !fx.feat.UniqueSyncKeys {
			t.Skip("Features.UniqueSyncKeys is false")
		}
		// Uniqueness must hold even before the search index shows the first record: the
		// Engine re-creates after a lost response when FindBySyncKey has not caught up.
		key := crm.LeadKey("org-1", testNumber(3021).e164)
		first := mustCreate(t, "CreateLead")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead"}))
		clash(t, first, "an immediate second CreateLead with the same key")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead"}))
	})
}

// timeout bounds how long a method may take after its ctx is done.
const timeout = 5 * time.Second
