package crmtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// noSuchID is an ID no record has; it looks like a Zoho ID so that adapters get as far as
// asking the CRM.
const noSuchID = "999999999999999999"

func testCreateLead(t *testing.T, h Harness) {
	t.Run("Stored", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(2001)
		owner := fx.addUser("Asha Rao", true)
		in := &crm.Lead{SyncKey: crm.LeadKey("org-1", n.e164), LastName: "Inbound Lead", Phone: n.e164,
			Description: "First call 2 Mar 2026, 10:30", OwnerID: owner}
		id := mustCreate(t, "CreateLead with a valid Lead must succeed")(fx.crm.CreateLead(fx.ctx, in))
		if got := fx.requireFound(crm.ModuleLeads, in.SyncKey, "CreateLead must store the sync key where FindBySyncKey finds it"); got != id {
			t.Errorf("FindBySyncKey(Leads) must return the created Lead %s; got %s", id, got)
		}
		if fx.read == nil {
			return
		}
		got, err := fx.read.ReadLead(fx.ctx, id)
		fx.fatalIf(err, "Reader.ReadLead")
		checkStored(t, "Lead", []storedField{
			{"LastName", got.LastName, in.LastName},
			{"Phone", got.Phone, in.Phone},
			{"Description", got.Description, in.Description},
			{"OwnerID", got.OwnerID, in.OwnerID},
			{"SyncKey", got.SyncKey, in.SyncKey},
		})
	})

	t.Run("ExtraFields", func(t *testing.T) {
		fx := setup(t, h)
		describer, ok := fx.crm.(leadcall.FieldDescriber)
		if !ok {
			t.Skip("the CRM is not a FieldDescriber, so the suite cannot know its writable fields")
		}
		fields, err := describer.Fields(fx.ctx, crm.ModuleLeads)
		fx.fatalIf(err, "Fields(Leads)")
		var api string
		for _, f := range fields {
			if f.DataType == "text" && !f.ReadOnly && !f.Unique && (f.MaxLength == 0 || f.MaxLength >= 20) &&
				!slices.Contains([]string{"Last_Name", "First_Name", "Phone", "LC_Sync_Key"}, f.APIName) {
				api = f.APIName
				break
			}
		}
		if api == "" {
			t.Skip("Fields(Leads) lists no writable text field besides the ones leadcall sets itself")
		}
		id := mustCreate(t, fmt.Sprintf("CreateLead with Fields[%q], a writable text field from Fields, must succeed", api))(
			fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: "crmtest-extra", LastName: "Inbound Lead", Fields: map[string]string{api: "Summer campaign"}}))
		if fx.read == nil {
			return
		}
		got, err := fx.read.ReadLead(fx.ctx, id)
		fx.fatalIf(err, "Reader.ReadLead")
		if v, ok := got.Fields[api]; ok && v != "Summer campaign" {
			t.Errorf("CreateLead must write Fields[%q]; Reader gives %q", api, v)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		fx := setup(t, h)
		for _, tt := range []struct {
			name string
			lead *crm.Lead
		}{
			{"no last name", &crm.Lead{SyncKey: "crmtest-lead-invalid-1", Phone: testNumber(2011).e164}},
			{"blank last name", &crm.Lead{SyncKey: "crmtest-lead-invalid-2", LastName: "   "}},
		} {
			_, err := fx.crm.CreateLead(fx.ctx, tt.lead)
			expectCode(t, err, leadcall.CodeInvalid, "CreateLead with "+tt.name+" must fail with CodeInvalid (Last_Name is mandatory)")
			fx.expectAbsent(crm.ModuleLeads, tt.lead.SyncKey, "CodeInvalid promises the write was not applied")
		}
		_, err := fx.crm.CreateLead(fx.ctx, nil)
		expectCode(t, err, leadcall.CodeInvalid, "CreateLead(nil) must fail with CodeInvalid, not panic")
	})
}

func testCreateCall(t *testing.T, h Harness) {
	t.Run("LinkedToLeadAndContact", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(2101)
		lead := mustCreate(t, "CreateLead")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: crm.LeadKey("org-1", n.e164), LastName: "Inbound Lead", Phone: n.e164}))
		contact := fx.addContact("Iyer", testNumber(2102).e164)
		for i, tt := range []struct {
			name string
			call crm.Call
		}{
			{"an answered call linked to a Lead", crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c1"), Subject: "Inbound call",
				Type: crm.CallInbound, Start: start, Duration: 95 * time.Second, Who: crm.Ref{Module: crm.ModuleLeads, ID: lead},
				Description: "Campaign: Billboard"}},
			{"a missed call linked to a Contact", crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c2"), Subject: "Missed inbound call",
				Type: crm.CallMissed, Start: start.Add(time.Hour), Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}}},
			{"an outbound call", crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c3"), Subject: "Outbound call",
				Type: crm.CallOutbound, Start: start.Add(2 * time.Hour), Duration: 10 * time.Second, Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}}},
		} {
			id := mustCreate(t, "CreateCall with "+tt.name+" must succeed")(fx.crm.CreateCall(fx.ctx, &tt.call))
			if got := fx.requireFound(crm.ModuleCalls, tt.call.SyncKey, "CreateCall must store the sync key where FindBySyncKey finds it"); got != id {
				t.Errorf("FindBySyncKey(Calls) must return the created Call %s; got %s", id, got)
			}
			if fx.read == nil {
				continue
			}
			got, err := fx.read.ReadCall(fx.ctx, id)
			fx.fatalIf(err, "Reader.ReadCall")
			checkStored(t, fmt.Sprintf("Call %d", i), []storedField{
				{"Subject", got.Subject, tt.call.Subject},
				{"Type", string(got.Type), string(tt.call.Type)},
				{"Who", refString(got.Who), refString(tt.call.Who)},
				{"Description", got.Description, tt.call.Description},
				{"SyncKey", got.SyncKey, tt.call.SyncKey},
			})
			if !got.Start.IsZero() && !got.Start.Equal(tt.call.Start) {
				t.Errorf("Call %d: Start must be stored as the same instant: got %v, want %v", i, got.Start, tt.call.Start)
			}
			if tt.call.Type != crm.CallMissed && got.Duration != 0 && got.Duration != tt.call.Duration {
				t.Errorf("Call %d: Duration must be stored: got %v, want %v", i, got.Duration, tt.call.Duration)
			}
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		fx := setup(t, h)
		contact := fx.addContact("Iyer", testNumber(2111).e164)
		valid := crm.Call{Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: time.Minute,
			Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}}
		for i, tt := range []struct {
			name string
			edit func(*crm.Call)
		}{
			{"no Subject", func(c *crm.Call) { c.Subject = "" }},
			{"no Type", func(c *crm.Call) { c.Type = "" }},
			{"an unknown Type", func(c *crm.Call) { c.Type = "Voicemail" }},
			{"no Start", func(c *crm.Call) { c.Start = time.Time{} }},
			{"no Who", func(c *crm.Call) { c.Who = crm.Ref{} }},
			{"a Who that does not exist", func(c *crm.Call) { c.Who.ID = noSuchID }},
		} {
			call := valid
			call.SyncKey = fmt.Sprintf("crmtest-call-invalid-%d", i)
			tt.edit(&call)
			_, err := fx.crm.CreateCall(fx.ctx, &call)
			expectCode(t, err, leadcall.CodeInvalid, "CreateCall with "+tt.name+" must fail with CodeInvalid")
			fx.expectAbsent(crm.ModuleCalls, call.SyncKey, "CodeInvalid promises the write was not applied")
		}
		_, err := fx.crm.CreateCall(fx.ctx, nil)
		expectCode(t, err, leadcall.CodeInvalid, "CreateCall(nil) must fail with CodeInvalid, not panic")
	})
}

func testCreateTask(t *testing.T, h Harness) {
	t.Run("Linked", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(2201)
		lead := fx.addLead("Walk-in", n.e164)
		due := time.Date(2026, 3, 2, 23, 30, 0, 0, start.Location()) // 18:00 UTC: the date is the org's
		in := &crm.Task{SyncKey: crm.TaskKey("org-1", "dev-1", "c1"), Subject: "Call back " + n.e164, Due: due,
			Who: crm.Ref{Module: crm.ModuleLeads, ID: lead}, Description: "Missed call at 10:30"}
		id := mustCreate(t, "CreateTask linked to a Lead must succeed")(fx.crm.CreateTask(fx.ctx, in))
		if got := fx.requireFound(crm.ModuleTasks, in.SyncKey, "CreateTask must store the sync key where FindBySyncKey finds it"); got != id {
			t.Errorf("FindBySyncKey(Tasks) must return the created Task %s; got %s", id, got)
		}
		if fx.read == nil {
			return
		}
		got, err := fx.read.ReadTask(fx.ctx, id)
		fx.fatalIf(err, "Reader.ReadTask")
		checkStored(t, "Task", []storedField{
			{"Subject", got.Subject, in.Subject},
			{"Who", refString(got.Who), refString(in.Who)},
			{"Status", got.Status, crm.DefaultTaskStatus},
			{"Priority", got.Priority, crm.DefaultTaskPriority},
			{"Description", got.Description, in.Description},
			{"SyncKey", got.SyncKey, in.SyncKey},
		})
		if !got.Due.IsZero() && !sameDate(got.Due, due) {
			t.Errorf("Task Due must keep the date in Due's location (%s); got %s", due.Format(time.DateOnly), got.Due.Format(time.DateOnly))
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		fx := setup(t, h)
		contact := fx.addContact("Iyer", testNumber(2211).e164)
		valid := crm.Task{Subject: "Call back", Due: start, Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}}
		for i, tt := range []struct {
			name string
			edit func(*crm.Task)
		}{
			{"no Subject", func(t *crm.Task) { t.Subject = "" }},
			{"no Due", func(t *crm.Task) { t.Due = time.Time{} }},
			{"no Who", func(t *crm.Task) { t.Who = crm.Ref{} }},
			{"a Who that does not exist", func(t *crm.Task) { t.Who = crm.Ref{Module: crm.ModuleLeads, ID: noSuchID} }},
		} {
			task := valid
			task.SyncKey = fmt.Sprintf("crmtest-task-invalid-%d", i)
			tt.edit(&task)
			_, err := fx.crm.CreateTask(fx.ctx, &task)
			expectCode(t, err, leadcall.CodeInvalid, "CreateTask with "+tt.name+" must fail with CodeInvalid")
			fx.expectAbsent(crm.ModuleTasks, task.SyncKey, "CodeInvalid promises the write was not applied")
		}
		_, err := fx.crm.CreateTask(fx.ctx, nil)
		expectCode(t, err, leadcall.CodeInvalid, "CreateTask(nil) must fail with CodeInvalid, not panic")
	})
}

func testOwners(t *testing.T, h Harness) {
	t.Run("Users", func(t *testing.T) {
		fx := setup(t, h)
		a := fx.addUser("Asha Rao", true)
		b := fx.addUser("Bilal Khan", true)
		gone := fx.addUser("Chitra Das", false)
		users, err := fx.crm.Users(fx.ctx)
		fx.fatalIf(err, "Users")
		byID := make(map[string]crm.User)
		for _, u := range users {
			byID[u.ID] = u
			if !u.Active {
				t.Errorf("Users returns active users only; got inactive %s", u.ID)
			}
		}
		for id, name := range map[string]string{a: "Asha Rao", b: "Bilal Khan"} {
			u, ok := byID[id]
			switch {
			case !ok:
				t.Errorf("Users must list active user %s (%s)", id, name)
			case !strings.Contains(u.Name, strings.Fields(name)[0]):
				t.Errorf("User %s: Name must be the user's name; got %q, want %q", id, u.Name, name)
			case u.Email == "":
				t.Errorf("User %s: Email must be filled", id)
			}
		}
		if _, ok := byID[gone]; ok {
			t.Errorf("Users must leave out inactive users")
		}
	})

	t.Run("OwnerID", func(t *testing.T) {
		fx := setup(t, h)
		owner := fx.addUser("Asha Rao", true)
		contact := fx.addContact("Iyer", testNumber(2301).e164)
		who := crm.Ref{Module: crm.ModuleContacts, ID: contact}
		lead := mustCreate(t, "CreateLead with an active user as Owner must succeed")(fx.crm.CreateLead(fx.ctx,
			&crm.Lead{SyncKey: "crmtest-owner-1", LastName: "Inbound Lead", OwnerID: owner}))
		call := mustCreate(t, "CreateCall with an active user as Owner must succeed")(fx.crm.CreateCall(fx.ctx,
			&crm.Call{SyncKey: "crmtest-owner-2", Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: time.Second, Who: who, OwnerID: owner}))
		task := mustCreate(t, "CreateTask with an active user as Owner must succeed")(fx.crm.CreateTask(fx.ctx,
			&crm.Task{SyncKey: "crmtest-owner-3", Subject: "Call back", Due: start, Who: who, OwnerID: owner}))
		if fx.read != nil {
			l, err := fx.read.ReadLead(fx.ctx, lead)
			fx.fatalIf(err, "Reader.ReadLead")
			c, err := fx.read.ReadCall(fx.ctx, call)
			fx.fatalIf(err, "Reader.ReadCall")
			tk, err := fx.read.ReadTask(fx.ctx, task)
			fx.fatalIf(err, "Reader.ReadTask")
			checkStored(t, "Owner", []storedField{{"Lead.OwnerID", l.OwnerID, owner}, {"Call.OwnerID", c.OwnerID, owner}, {"Task.OwnerID", tk.OwnerID, owner}})
		}

		_, err := fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: "crmtest-owner-4", LastName: "Inbound Lead", OwnerID: noSuchID})
		expectCode(t, err, leadcall.CodeInvalid, "CreateLead with an Owner that is no user must fail with CodeInvalid")
		fx.expectAbsent(crm.ModuleLeads, "crmtest-owner-4", "CodeInvalid promises the write was not applied")
		_, err = fx.crm.CreateCall(fx.ctx, &crm.Call{SyncKey: "crmtest-owner-5", Subject: "Inbound call", Type: crm.CallInbound,
			Start: start, Duration: time.Second, Who: who, OwnerID: noSuchID})
		expectCode(t, err, leadcall.CodeInvalid, "CreateCall with an Owner that is no user must fail with CodeInvalid")
		_, err = fx.crm.CreateTask(fx.ctx, &crm.Task{SyncKey: "crmtest-owner-6", Subject: "Call back", Due: start, Who: who, OwnerID: noSuchID})
		expectCode(t, err, leadcall.CodeInvalid, "CreateTask with an Owner that is no user must fail with CodeInvalid")
	})
}

// picklists returns the Lead_Source and Call_Result values to test with, setting them
// through a PicklistSeeder or reading them through FieldDescriber.
func (fx *fixture) picklists() (leadSource, callResult []crm.PicklistValue) {
	fx.t.Helper()
	if ps, ok := fx.seed.(PicklistSeeder); ok {
		leadSource = []crm.PicklistValue{{DisplayValue: "Google Ads", ActualValue: "google_ads_2026"}, {DisplayValue: "Walk-in", ActualValue: "Walk-in"}}
		callResult = []crm.PicklistValue{{DisplayValue: "Answered", ActualValue: "answered"}, {DisplayValue: "Missed", ActualValue: "Missed"}}
		fx.fatalIf(ps.SetPicklist(fx.ctx, crm.ModuleLeads, "Lead_Source", leadSource), "PicklistSeeder.SetPicklist(Leads, Lead_Source)")
		fx.fatalIf(ps.SetPicklist(fx.ctx, crm.ModuleCalls, "Call_Result", callResult), "PicklistSeeder.SetPicklist(Calls, Call_Result)")
		return leadSource, callResult
	}
	describer, ok := fx.crm.(leadcall.FieldDescriber)
	if !ok {
		fx.t.Skip("the Seeder is no PicklistSeeder and the CRM no FieldDescriber: no picklist values to test with")
	}
	read := func(m crm.Module, api string) []crm.PicklistValue {
		fields, err := describer.Fields(fx.ctx, m)
		fx.fatalIf(err, "Fields(%s)", m)
		for _, f := range fields {
			if f.APIName == api {
				return f.Picklist
			}
		}
		return nil
	}
	return read(crm.ModuleLeads, "Lead_Source"), read(crm.ModuleCalls, "Call_Result")
}

func testPicklists(t *testing.T, h Harness) {
	t.Run("LeadSource", func(t *testing.T) {
		fx := setup(t, h)
		values, _ := fx.picklists()
		if len(values) == 0 {
			t.Skip("the CRM has no Lead_Source values")
		}
		for i, pv := range values {
			id := mustCreate(t, fmt.Sprintf("CreateLead with Lead_Source %q, a display value of the picklist, must succeed", pv.DisplayValue))(
				fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: fmt.Sprintf("crmtest-source-%d", i), LastName: "Inbound Lead", LeadSource: pv.DisplayValue}))
			fx.expectLeadSource(id, pv.DisplayValue, pv.DisplayValue)
		}
		if !fx.feat.PicklistValidation {
			return
		}
		for i, pv := range values {
			if pv.ActualValue == "" || pv.ActualValue == pv.DisplayValue {
				continue
			}
			id := mustCreate(t, fmt.Sprintf("with Features.PicklistValidation, CreateLead with Lead_Source %q, an actual value, must succeed", pv.ActualValue))(
				fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: fmt.Sprintf("crmtest-source-actual-%d", i), LastName: "Inbound Lead", LeadSource: pv.ActualValue}))
			fx.expectLeadSource(id, pv.ActualValue, pv.DisplayValue)
		}
		_, err := fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: "crmtest-source-bad", LastName: "Inbound Lead", LeadSource: "crmtest: no such source"})
		expectCode(t, err, leadcall.CodeInvalid, "with Features.PicklistValidation, a Lead_Source outside the picklist must fail with CodeInvalid")
		fx.expectAbsent(crm.ModuleLeads, "crmtest-source-bad", "CodeInvalid promises the write was not applied")
	})

	t.Run("CallResult", func(t *testing.T) {
		fx := setup(t, h)
		_, values := fx.picklists()
		if len(values) == 0 {
			t.Skip("the CRM has no Call_Result values")
		}
		who := crm.Ref{Module: crm.ModuleContacts, ID: fx.addContact("Iyer", testNumber(2401).e164)}
		call := func(key, result string) *crm.Call {
			return &crm.Call{SyncKey: key, Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: time.Minute, Who: who, Result: result}
		}
		pv := values[0]
		id := mustCreate(t, fmt.Sprintf("CreateCall with Result %q, a display value of Call_Result, must succeed", pv.DisplayValue))(
			fx.crm.CreateCall(fx.ctx, call("crmtest-result-1", pv.DisplayValue)))
		if fx.read != nil {
			got, err := fx.read.ReadCall(fx.ctx, id)
			fx.fatalIf(err, "Reader.ReadCall")
			checkStored(t, "Call", []storedField{{"Result", got.Result, pv.DisplayValue}})
		}
		if !fx.feat.PicklistValidation {
			return
		}
		_, err := fx.crm.CreateCall(fx.ctx, call("crmtest-result-2", "crmtest: no such result"))
		expectCode(t, err, leadcall.CodeInvalid, "with Features.PicklistValidation, a Call_Result outside the picklist must fail with CodeInvalid")
		fx.expectAbsent(crm.ModuleCalls, "crmtest-result-2", "CodeInvalid promises the write was not applied")
	})
}

func (fx *fixture) expectLeadSource(id, given, display string) {
	fx.t.Helper()
	if fx.read == nil {
		return
	}
	got, err := fx.read.ReadLead(fx.ctx, id)
	fx.fatalIf(err, "Reader.ReadLead")
	if got.LeadSource != "" && got.LeadSource != display {
		fx.t.Errorf("Lead_Source given as %q must be stored as its display value %q; got %q", given, display, got.LeadSource)
	}
}

type storedField struct {
	name      string
	got, want string
}

// checkStored compares what a Reader returned with what was written; empty values (fields
// the Reader cannot read) are not compared.
func checkStored(t *testing.T, what string, fields []storedField) {
	t.Helper()
	for _, f := range fields {
		if f.got != "" && f.got != f.want {
			t.Errorf("%s.%s must be stored as written: got %q, want %q", what, f.name, f.got, f.want)
		}
	}
}

func refString(r crm.Ref) string {
	if r.IsZero() {
		return ""
	}
	return string(r.Module) + "/" + r.ID
}
