package crmtest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

func testFieldDescriber(t *testing.T, h Harness) {
	fx := setup(t, h)
	describer, ok := fx.crm.(leadcall.FieldDescriber)
	if !ok {
		t.Skip("the CRM is no FieldDescriber")
	}
	fields, err := describer.Fields(fx.ctx, crm.ModuleLeads)
	fx.fatalIf(err, "Fields(Leads)")
	seen := make(map[string]bool)
	var leadSource *crm.Field
	for i, f := range fields {
		switch {
		case f.APIName == "":
			t.Errorf("Fields(Leads): field %d has no APIName", i)
		case seen[f.APIName]:
			t.Errorf("Fields(Leads): field %q is listed twice", f.APIName)
		}
		seen[f.APIName] = true
		if f.APIName == "Lead_Source" {
			leadSource = &fields[i]
		}
		for j, pv := range f.Picklist {
			if pv.DisplayValue == "" {
				t.Errorf("Fields(Leads): %s picklist value %d has no display value", f.APIName, j)
			}
		}
	}
	if !seen["Last_Name"] {
		t.Errorf("Fields(Leads) must list Last_Name (Zoho API names; other CRMs map theirs)")
	}
	if leadSource == nil {
		t.Fatalf("Fields(Leads) must list Lead_Source: the Engine checks assignments against its picklist")
	}
	if leadSource.DataType != "picklist" || leadSource.ReadOnly {
		t.Errorf("Lead_Source must be a writable picklist; got DataType %q, ReadOnly %v", leadSource.DataType, leadSource.ReadOnly)
	}
	if ps, ok := fx.seed.(PicklistSeeder); ok {
		want := []crm.PicklistValue{{DisplayValue: "Billboard North", ActualValue: "billboard_n"}}
		fx.fatalIf(ps.SetPicklist(fx.ctx, crm.ModuleLeads, "Lead_Source", want), "PicklistSeeder.SetPicklist")
		fields, err := describer.Fields(fx.ctx, crm.ModuleLeads)
		fx.fatalIf(err, "Fields(Leads)")
		for _, f := range fields {
			if f.APIName == "Lead_Source" && !slices.Equal(f.Picklist, want) {
				t.Errorf("Fields must report the current picklist values: got %+v, want %+v", f.Picklist, want)
			}
		}
	}
}

func testBundler(t *testing.T, h Harness) {
	bundlerOf := func(fx *fixture) leadcall.Bundler {
		b, ok := fx.crm.(leadcall.Bundler)
		if !ok {
			fx.t.Skip("the CRM is no Bundler")
		}
		return b
	}
	t.Run("LeadCallTask", func(t *testing.T) {
		fx := setup(t, h)
		b := bundlerOf(fx)
		n := testNumber(5001)
		elsewhere := crm.Ref{Module: crm.ModuleContacts, ID: fx.addContact("Elsewhere", testNumber(5002).e164)}
		bundle := &crm.Bundle{
			Lead: &crm.Lead{SyncKey: crm.LeadKey("org-1", n.e164), LastName: "Inbound Lead", Phone: n.e164},
			Call: &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "b1"), Subject: "Missed inbound call", Type: crm.CallMissed, Start: start, Who: elsewhere},
			Task: &crm.Task{SyncKey: crm.TaskKey("org-1", "dev-1", "b1"), Subject: "Call back " + n.e164, Due: start, Who: elsewhere},
		}
		res, err := b.CreateBundle(fx.ctx, bundle)
		fx.fatalIf(err, "CreateBundle")
		lead := expectCreated(t, res.Lead.Created, res.Lead.Err, "CreateBundle: the Lead part")
		call := expectCreated(t, res.Call.Created, res.Call.Err, "CreateBundle: the Call part")
		task := expectCreated(t, res.Task.Created, res.Task.Err, "CreateBundle: the Task part")
		for _, c := range []struct {
			module  crm.Module
			key, id string
		}{{crm.ModuleLeads, bundle.Lead.SyncKey, lead}, {crm.ModuleCalls, bundle.Call.SyncKey, call}, {crm.ModuleTasks, bundle.Task.SyncKey, task}} {
			if got := fx.requireFound(c.module, c.key, "each part of a bundle must be found by its sync key"); got != c.id {
				t.Errorf("FindBySyncKey(%s) must return the bundle's part %s; got %s", c.module, c.id, got)
			}
		}
		if fx.read == nil {
			return
		}
		gotCall, err := fx.read.ReadCall(fx.ctx, call)
		fx.fatalIf(err, "Reader.ReadCall")
		gotTask, err := fx.read.ReadTask(fx.ctx, task)
		fx.fatalIf(err, "Reader.ReadTask")
		want := refString(crm.Ref{Module: crm.ModuleLeads, ID: lead})
		checkStored(t, "bundle (Call and Task link to the new Lead; their own Who is ignored)",
			[]storedField{{"Call.Who", refString(gotCall.Who), want}, {"Task.Who", refString(gotTask.Who), want}})
	})

	t.Run("FailedLeadStopsTheRest", func(t *testing.T) {
		fx := setup(t, h)
		b := bundlerOf(fx)
		bundle := &crm.Bundle{
			Lead: &crm.Lead{SyncKey: "crmtest-bundle-lead", Phone: testNumber(5011).e164}, // no LastName
			Call: &crm.Call{SyncKey: "crmtest-bundle-call", Subject: "Missed inbound call", Type: crm.CallMissed, Start: start},
			Task: &crm.Task{SyncKey: "crmtest-bundle-task", Subject: "Call back", Due: start},
		}
		res, err := b.CreateBundle(fx.ctx, bundle)
		fx.fatalIf(err, "CreateBundle with an invalid Lead must report it per part, not for the whole request")
		expectCode(t, res.Lead.Err, leadcall.CodeInvalid, "CreateBundle: a Lead without Last_Name")
		for _, p := range []struct {
			name string
			err  error
		}{{"Call", res.Call.Err}, {"Task", res.Task.Err}} {
			if !errors.Is(p.err, crm.ErrNotAttempted) {
				t.Errorf("CreateBundle: parts after a failed part are not attempted: the %s part's Err must wrap crm.ErrNotAttempted; got %v", p.name, p.err)
			}
		}
		fx.expectAbsent(crm.ModuleCalls, bundle.Call.SyncKey, "a part that was not attempted must not exist")
		fx.expectAbsent(crm.ModuleTasks, bundle.Task.SyncKey, "a part that was not attempted must not exist")
	})

	t.Run("FailedCallStopsTheTask", func(t *testing.T) {
		fx := setup(t, h)
		b := bundlerOf(fx)
		who := crm.Ref{Module: crm.ModuleContacts, ID: fx.addContact("Iyer", testNumber(5015).e164)}
		bundle := &crm.Bundle{
			Call: &crm.Call{SyncKey: "crmtest-bundle-call", Type: crm.CallMissed, Start: start, Who: who}, // no Subject
			Task: &crm.Task{SyncKey: "crmtest-bundle-task", Subject: "Call back", Due: start, Who: who},
		}
		res, err := b.CreateBundle(fx.ctx, bundle)
		fx.fatalIf(err, "CreateBundle with an invalid Call must report it per part, not for the whole request")
		expectCode(t, res.Call.Err, leadcall.CodeInvalid, "CreateBundle: a Call without Subject")
		if !errors.Is(res.Task.Err, crm.ErrNotAttempted) {
			t.Errorf("CreateBundle: parts after a failed part are not attempted: the Task part's Err must wrap crm.ErrNotAttempted; got %v", res.Task.Err)
		}
		fx.expectAbsent(crm.ModuleTasks, bundle.Task.SyncKey, "a part that was not attempted must not exist")
	})

	t.Run("OwnWho", func(t *testing.T) {
		fx := setup(t, h)
		b := bundlerOf(fx)
		who := crm.Ref{Module: crm.ModuleContacts, ID: fx.addContact("Iyer", testNumber(5021).e164)}
		res, err := b.CreateBundle(fx.ctx, &crm.Bundle{
			Call: &crm.Call{SyncKey: "crmtest-bundle-own-call", Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: time.Minute, Who: who},
		})
		fx.fatalIf(err, "CreateBundle")
		if res.Lead.Created != nil || res.Lead.Err != nil || res.Task.Created != nil || res.Task.Err != nil {
			t.Errorf("CreateBundle: parts not in the bundle must have neither Created nor Err; got %+v", res)
		}
		call := expectCreated(t, res.Call.Created, res.Call.Err, "CreateBundle: a Call without a Lead")
		if fx.read != nil {
			got, err := fx.read.ReadCall(fx.ctx, call)
			fx.fatalIf(err, "Reader.ReadCall")
			checkStored(t, "bundle without Lead", []storedField{{"Call.Who", refString(got.Who), refString(who)}})
		}
	})

	t.Run("LeadKeyClash", func(t *testing.T) {
		fx := setup(t, h)
		b := bundlerOf(fx)
		if !fx.feat.UniqueSyncKeys {
			t.Skip("Features.UniqueSyncKeys is false")
		}
		key := crm.LeadKey("org-1", testNumber(5031).e164)
		lead := mustCreate(t, "CreateLead")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead"}))
		res, err := b.CreateBundle(fx.ctx, &crm.Bundle{
			Lead: &crm.Lead{SyncKey: key, LastName: "Inbound Lead"},
			Call: &crm.Call{SyncKey: "crmtest-bundle-clash-call", Subject: "Missed inbound call", Type: crm.CallMissed, Start: start},
		})
		fx.fatalIf(err, "CreateBundle")
		expectClash(t, res.Lead.Created, res.Lead.Err, lead, "CreateBundle: a Lead part whose key a Lead holds")
	})
}

func testTaskCompleter(t *testing.T, h Harness) {
	fx := setup(t, h)
	tc, ok := fx.crm.(leadcall.TaskCompleter)
	if !ok {
		t.Skip("the CRM is no TaskCompleter")
	}
	who := crm.Ref{Module: crm.ModuleContacts, ID: fx.addContact("Iyer", testNumber(5101).e164)}
	task := mustCreate(t, "CreateTask")(fx.crm.CreateTask(fx.ctx, &crm.Task{SyncKey: "crmtest-complete", Subject: "Call back", Due: start, Who: who}))
	const note = "Recovered: called back by Asha at 11:02"
	if err := tc.CompleteTask(fx.ctx, task, note); err != nil {
		t.Fatalf("CompleteTask of an open task must succeed: %v", err)
	}
	if err := tc.CompleteTask(fx.ctx, task, note); err != nil {
		t.Errorf("completing an already completed task is not an error; got %v", err)
	}
	if fx.read != nil {
		got, err := fx.read.ReadTask(fx.ctx, task)
		fx.fatalIf(err, "Reader.ReadTask")
		if got.Status != "" && got.Status != crm.TaskStatusCompleted {
			t.Errorf("CompleteTask must set Status %q; got %q", crm.TaskStatusCompleted, got.Status)
		}
		if got.Description != "" && !strings.Contains(got.Description, note) {
			t.Errorf("CompleteTask must append the note to the description; got %q", got.Description)
		}
	}
	expectCode(t, tc.CompleteTask(fx.ctx, noSuchID, note), leadcall.CodeNotFound, "CompleteTask of a task that does not exist")
}

func testSyncKeyChecker(t *testing.T, h Harness) {
	fx := setup(t, h)
	checker, ok := fx.crm.(leadcall.SyncKeyChecker)
	if !ok {
		t.Skip("the CRM is no SyncKeyChecker")
	}
	status, err := checker.SyncKeyStatus(fx.ctx)
	fx.fatalIf(err, "SyncKeyStatus")
	allUnique := true
	for _, m := range []crm.Module{crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks} {
		s, ok := status[m]
		if !ok {
			t.Errorf("SyncKeyStatus must report every module leadcall writes; %s is missing", m)
		}
		if s.Unique && !s.Exists {
			t.Errorf("SyncKeyStatus[%s]: a field that does not exist cannot be unique", m)
		}
		allUnique = allUnique && s.Exists && s.Unique
	}
	if fx.feat.UniqueSyncKeys != allUnique {
		t.Errorf("Features.UniqueSyncKeys is %v but SyncKeyStatus reports unique keys in every module: %v (%+v)",
			fx.feat.UniqueSyncKeys, allUnique, status)
	}
	if s := status[crm.ModuleLeads]; fx.feat.SyncKeyInLookups && !s.Exists {
		t.Errorf("Features.SyncKeyInLookups is true but SyncKeyStatus says the Leads sync-key field does not exist")
	}
}
