package memcrm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
)

// The variants phone.SearchVariants gives for +919876543210.
var variants = []string{"+919876543210", "09876543210", "9876543210", "919876543210"}

var start = time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("IST", 5*3600+1800))

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func requireCode(t *testing.T, err error, want leadcall.Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want.String(), leadcall.CodeOf(err).String(), "error: %v", err)
}

func requireInvalidField(t *testing.T, err error, field string) {
	t.Helper()
	requireCode(t, err, leadcall.CodeInvalid)
	var e *leadcall.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, field, e.Field, "error: %v", err)
}

func newCRM(t *testing.T) (*memcrm.CRM, string) {
	t.Helper()
	c := memcrm.New(nil)
	uid, err := c.AddUser(crm.User{Name: "Asha Rao", Email: "asha@example.com", Active: true})
	require.NoError(t, err)
	return c, uid
}

func ids(recs []crm.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Module) + "/" + r.ID
	}
	return out
}

func TestPhoneKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+919876543210", "+919876543210"},
		{"+91 98765 43210", "+919876543210"},
		{"(098) 765-43.210", "09876543210"},
		{"98765-43210", "9876543210"},
		{"  ", ""},
		{"+1 (201) 555-0123 ext. 7", "+12015550123ext7"},
		{"98765\t43210", "98765\t43210"}, // tabs are not formatting
		{"+91/98765", "+91/98765"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, memcrm.PhoneKey(tt.in), "PhoneKey(%q)", tt.in)
	}
}

func FuzzPhoneKey(f *testing.F) {
	for _, s := range []string{"+91 98765 43210", "(0)12-34.5", "", "\x00\xff", "ünï ()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := memcrm.PhoneKey(s)
		if strings.ContainsAny(k, " -.()") {
			t.Fatalf("PhoneKey(%q) = %q keeps formatting", s, k)
		}
		if memcrm.PhoneKey(k) != k {
			t.Fatalf("PhoneKey not idempotent on %q", s)
		}
		if len(k) > len(s) {
			t.Fatalf("PhoneKey(%q) grew", s)
		}
	})
}

func TestFindByPhoneAcrossModulesFieldsAndFormats(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	add := func(module crm.Module, phones map[string]string) string {
		t.Helper()
		p := memcrm.Person{LastName: "P " + fmt.Sprint(len(phones)), Phones: phones}
		var id string
		var err error
		if module == crm.ModuleLeads {
			id, err = c.AddLead(p)
		} else {
			id, err = c.AddContact(p)
		}
		require.NoError(t, err)
		return id
	}
	leadE164 := add(crm.ModuleLeads, map[string]string{"Phone": "+91 98765 43210"})
	leadMobile := add(crm.ModuleLeads, map[string]string{"Phone": "+14155550100", "Mobile": "(098765) 43210"})
	contactHome := add(crm.ModuleContacts, map[string]string{"Home_Phone": "98765.43210"})
	contactTwice := add(crm.ModuleContacts, map[string]string{"Phone": "919876543210", "Other_Phone": "+919876543210"})
	add(crm.ModuleContacts, map[string]string{"Phone": "+919876543211"})  // another number
	add(crm.ModuleContacts, map[string]string{"Phone": "+9198765432100"}) // a longer number holding ours
	converted := add(crm.ModuleLeads, map[string]string{"Mobile": "09876543210"})
	contactOfConverted, err := c.ConvertLead(converted)
	require.NoError(t, err)

	got, err := c.FindByPhone(ctx, variants)
	require.NoError(t, err)
	want := []string{"Leads/" + leadE164, "Leads/" + leadMobile, "Contacts/" + contactHome,
		"Contacts/" + contactTwice, "Contacts/" + contactOfConverted}
	require.Empty(t, cmp.Diff(want, ids(got)))
	require.Equal(t, []string{"+14155550100", "(098765) 43210"}, got[1].Phones, "phones as stored, Phone first")
	require.Equal(t, "P 2", got[3].Name)

	// Each variant alone finds only the records holding it.
	for _, tt := range []struct {
		variant string
		want    []string
	}{
		{variants[0], []string{"Leads/" + leadE164, "Contacts/" + contactTwice}},
		{variants[1], []string{"Leads/" + leadMobile, "Contacts/" + contactOfConverted}},
		{variants[2], []string{"Contacts/" + contactHome}},
		{variants[3], []string{"Contacts/" + contactTwice}},
	} {
		got, err := c.FindByPhone(ctx, []string{tt.variant})
		require.NoError(t, err)
		require.Empty(t, cmp.Diff(tt.want, ids(got)), "variant %s", tt.variant)
	}
}

func TestFindByPhoneNoMatchAndBadInput(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	got, err := c.FindByPhone(ctx, variants)
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Empty(t, got)
	got, err = c.FindByPhone(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got)

	for name, vs := range map[string][]string{
		"empty":      {""},
		"letters":    {"+91abc"},
		"one digit":  {"7"},
		"plus only":  {"+"},
		"two plus":   {"++919876543210"},
		"huge":       {strings.Repeat("9", 10000)},
		"NUL":        {"9876\x0043210"},
		"too many":   make([]string, memcrm.MaxVariants+1),
		"wildcard":   {"98765*"},
		"unicode ٩٨": {"٩٨٧٦٥٤٣٢١٠"},
	} {
		_, err := c.FindByPhone(ctx, vs)
		requireInvalidField(t, err, "variants")
		require.NotContains(t, err.Error(), "9876543210", "%s: the error must not echo the number", name)
	}
}

func TestCreateLeadValidation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, uid := newCRM(t)
	inactive, err := c.AddUser(crm.User{Name: "Gone", Active: false})
	require.NoError(t, err)
	require.NoError(t, c.AddField(crm.ModuleLeads, crm.Field{APIName: "Campaign_Code", Label: "Campaign Code", DataType: "text", MaxLength: 5}))
	tests := []struct {
		name  string
		lead  crm.Lead
		field string
	}{
		{"no last name", crm.Lead{LastName: "  "}, "Last_Name"},
		{"long last name", crm.Lead{LastName: strings.Repeat("é", 81)}, "Last_Name"},
		{"long phone", crm.Lead{LastName: "x", Phone: strings.Repeat("1", 31)}, "Phone"},
		{"unknown owner", crm.Lead{LastName: "x", OwnerID: "nobody"}, "Owner"},
		{"inactive owner", crm.Lead{LastName: "x", OwnerID: inactive}, "Owner"},
		{"lead source not in picklist", crm.Lead{LastName: "x", LeadSource: "Billboard"}, "Lead_Source"},
		{"lead source case differs", crm.Lead{LastName: "x", LeadSource: "cold call"}, "Lead_Source"},
		{"unknown field", crm.Lead{LastName: "x", Fields: map[string]string{"Nope": "1"}}, "Nope"},
		{"read-only field", crm.Lead{LastName: "x", Fields: map[string]string{"Created_Time": "2026-01-01"}}, "Created_Time"},
		{"dedicated field", crm.Lead{LastName: "x", Fields: map[string]string{"Phone": "+1"}}, "Phone"},
		{"sync key via fields", crm.Lead{LastName: "x", Fields: map[string]string{"LC_Sync_Key": "k"}}, "LC_Sync_Key"},
		{"integer field", crm.Lead{LastName: "x", Fields: map[string]string{"No_of_Employees": "ten"}}, "No_of_Employees"},
		{"email field", crm.Lead{LastName: "x", Fields: map[string]string{"Email": "not an email"}}, "Email"},
		{"picklist field", crm.Lead{LastName: "x", Fields: map[string]string{"Lead_Status": "Hot"}}, "Lead_Status"},
		{"custom too long", crm.Lead{LastName: "x", Fields: map[string]string{"Campaign_Code": "ABCDEF"}}, "Campaign_Code"},
		{"huge sync key", crm.Lead{LastName: "x", SyncKey: strings.Repeat("k", 256)}, "LC_Sync_Key"},
	}
	for _, tt := range tests {
		_, err := c.CreateLead(ctx, &tt.lead)
		requireInvalidField(t, err, tt.field)
	}
	_, err = c.CreateLead(ctx, nil)
	requireCode(t, err, leadcall.CodeInvalid)
	require.Zero(t, c.Counts().Leads, "refused leads must not be stored")
	require.Zero(t, c.Writes())

	created, err := c.CreateLead(ctx, &crm.Lead{
		SyncKey: crm.LeadKey("org", "+919876543210"), LastName: " Inbound Lead ", Phone: "+919876543210",
		LeadSource: "Cold Call", Description: "first call", OwnerID: uid,
		Fields: map[string]string{"First_Name": "Ravi", "Mobile": "09876543210", "City": "Pune",
			"Lead_Status": "Contacted", "Campaign_Code": "SUMMR"},
	})
	require.NoError(t, err)
	require.False(t, created.Adopted)
	l, ok := c.Lead(created.ID)
	require.True(t, ok)
	require.Equal(t, memcrm.Lead{
		ID: created.ID, SyncKey: crm.LeadKey("org", "+919876543210"), FirstName: "Ravi", LastName: "Inbound Lead",
		Phones:     []memcrm.PhoneField{{Field: "Phone", Value: "+919876543210"}, {Field: "Mobile", Value: "09876543210"}},
		LeadSource: "Cold Call", Fields: map[string]string{"City": "Pune", "Lead_Status": "Contacted", "Campaign_Code": "SUMMR"},
		Description: "first call", OwnerID: uid, CreatedAt: l.CreatedAt,
	}, l)
	recs, err := c.FindByPhone(ctx, []string{"09876543210"})
	require.NoError(t, err)
	require.Equal(t, []string{"Leads/" + created.ID}, ids(recs), "a phone set through Fields is searchable")
	require.Equal(t, "Ravi Inbound Lead", recs[0].Name)
}

func TestPicklistDisplayAndActual(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	require.NoError(t, c.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{
		{DisplayValue: "Google Ads", ActualValue: "google_ads_2026"}, {DisplayValue: "Walk-in"}}))
	require.NoError(t, c.SetPicklist(crm.ModuleCalls, "Call_Result", []crm.PicklistValue{
		{DisplayValue: "Answered", ActualValue: "answered"}, {DisplayValue: "Missed"}}))
	for _, given := range []string{"Google Ads", "google_ads_2026"} {
		created, err := c.CreateLead(ctx, &crm.Lead{LastName: "x", LeadSource: given})
		require.NoError(t, err)
		l, _ := c.Lead(created.ID)
		require.Equal(t, "Google Ads", l.LeadSource, "given %q, the display value is stored", given)
	}
	_, err := c.CreateLead(ctx, &crm.Lead{LastName: "x", LeadSource: "Advertisement"})
	requireInvalidField(t, err, "Lead_Source") // the old default values are gone

	fields, err := c.Fields(ctx, crm.ModuleLeads)
	require.NoError(t, err)
	var picklist []crm.PicklistValue
	for _, f := range fields {
		if f.APIName == "Lead_Source" {
			picklist = f.Picklist
		}
	}
	require.Equal(t, []crm.PicklistValue{{DisplayValue: "Google Ads", ActualValue: "google_ads_2026"},
		{DisplayValue: "Walk-in", ActualValue: "Walk-in"}}, picklist)

	lead, err := c.CreateLead(ctx, &crm.Lead{LastName: "x"})
	require.NoError(t, err)
	who := crm.Ref{Module: crm.ModuleLeads, ID: lead.ID}
	created, err := c.CreateCall(ctx, &crm.Call{Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: 95 * time.Second, Who: who, Result: "answered"})
	require.NoError(t, err)
	call, _ := c.Call(created.ID)
	require.Equal(t, "Answered", call.Result)
	_, err = c.CreateCall(ctx, &crm.Call{Subject: "Inbound call", Type: crm.CallInbound, Start: start, Who: who, Result: "Interested"})
	requireInvalidField(t, err, "Call_Result")

	require.Error(t, c.SetPicklist(crm.ModuleLeads, "Last_Name", nil), "not a picklist")
	require.Error(t, c.SetPicklist(crm.ModuleLeads, "Nope", nil))
	require.Error(t, c.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{{ActualValue: "x"}}))
}

func TestCreateCallAndTaskValidation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, uid := newCRM(t)
	contact, err := c.AddContact(memcrm.Person{LastName: "Kumar", Phones: map[string]string{"Mobile": "+919876543210"}})
	require.NoError(t, err)
	who := crm.Ref{Module: crm.ModuleContacts, ID: contact}
	okCall := crm.Call{Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: time.Minute, Who: who}
	callTests := []struct {
		name  string
		edit  func(*crm.Call)
		field string
	}{
		{"no subject", func(c *crm.Call) { c.Subject = " " }, "Subject"},
		{"no type", func(c *crm.Call) { c.Type = "" }, "Call_Type"},
		{"bad type", func(c *crm.Call) { c.Type = "inbound" }, "Call_Type"},
		{"no start", func(c *crm.Call) { c.Start = time.Time{} }, "Call_Start_Time"},
		{"negative duration", func(c *crm.Call) { c.Duration = -time.Second }, "Call_Duration"},
		{"missed with duration", func(c *crm.Call) { c.Type = crm.CallMissed }, "Call_Duration"},
		{"no who", func(c *crm.Call) { c.Who = crm.Ref{} }, "Who_Id"},
		{"who missing", func(c *crm.Call) { c.Who.ID = "404" }, "Who_Id"},
		{"who in wrong module", func(c *crm.Call) { c.Who.Module = crm.ModuleLeads }, "Who_Id"},
		{"who is a call", func(c *crm.Call) { c.Who.Module = crm.ModuleCalls }, "Who_Id"},
		{"unknown owner", func(c *crm.Call) { c.OwnerID = "x" }, "Owner"},
		{"long subject", func(c *crm.Call) { c.Subject = strings.Repeat("s", 256) }, "Subject"},
		{"long description", func(c *crm.Call) { c.Description = strings.Repeat("d", 32001) }, "Description"},
	}
	for _, tt := range callTests {
		call := okCall
		tt.edit(&call)
		_, err := c.CreateCall(ctx, &call)
		requireInvalidField(t, err, tt.field)
	}
	_, err = c.CreateCall(ctx, nil)
	requireCode(t, err, leadcall.CodeInvalid)

	okTask := crm.Task{Subject: "Call back +919876543210", Due: start, Who: who}
	taskTests := []struct {
		name  string
		edit  func(*crm.Task)
		field string
	}{
		{"no subject", func(t *crm.Task) { t.Subject = "" }, "Subject"},
		{"no due", func(t *crm.Task) { t.Due = time.Time{} }, "Due_Date"},
		{"bad status", func(t *crm.Task) { t.Status = "Open" }, "Status"},
		{"bad priority", func(t *crm.Task) { t.Priority = "Urgent" }, "Priority"},
		{"who missing", func(t *crm.Task) { t.Who.ID = "404" }, "Who_Id"},
		{"inactive owner", func(t *crm.Task) { t.OwnerID = "nobody" }, "Owner"},
	}
	for _, tt := range taskTests {
		task := okTask
		tt.edit(&task)
		_, err := c.CreateTask(ctx, &task)
		requireInvalidField(t, err, tt.field)
	}
	require.Zero(t, c.Counts().Calls+c.Counts().Tasks)

	created, err := c.CreateCall(ctx, &crm.Call{SyncKey: "k1", Subject: " Missed inbound call ", Type: crm.CallMissed, Start: start, Who: who})
	require.NoError(t, err)
	call, ok := c.Call(created.ID)
	require.True(t, ok)
	require.Equal(t, "Missed inbound call", call.Subject)
	require.Equal(t, uid, call.OwnerID, "the default owner is the first active user")
	require.True(t, call.Start.Equal(start))

	created, err = c.CreateTask(ctx, &okTask)
	require.NoError(t, err)
	task, _ := c.Task(created.ID)
	require.Equal(t, crm.DefaultTaskStatus, task.Status)
	require.Equal(t, crm.DefaultTaskPriority, task.Priority)
	require.Equal(t, who, task.Who)
}

func TestSyncKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	key := crm.LeadKey("org", "+919876543210")

	t.Run("unique", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		first, err := c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "x", Phone: "+919876543210"})
		require.NoError(t, err)
		_, err = c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "y"})
		requireCode(t, err, leadcall.CodeConflict)
		var e *leadcall.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, first.ID, e.ExistingID)
		require.Equal(t, 1, c.Counts().Leads)
		id, err := c.FindBySyncKey(ctx, crm.ModuleLeads, key)
		require.NoError(t, err)
		require.Equal(t, first.ID, id)
		id, err = c.FindBySyncKey(ctx, crm.ModuleCalls, key)
		require.NoError(t, err)
		require.Empty(t, id, "keys are per module")
		recs, err := c.FindByPhone(ctx, variants)
		require.NoError(t, err)
		require.Equal(t, key, recs[0].SyncKey)

		// A converted Lead keeps its key: reconciliation must still find it.
		_, err = c.ConvertLead(first.ID)
		require.NoError(t, err)
		id, err = c.FindBySyncKey(ctx, crm.ModuleLeads, key)
		require.NoError(t, err)
		require.Equal(t, first.ID, id)
	})
	t.Run("not unique", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		require.NoError(t, c.SetSyncKeyField(crm.ModuleLeads, crm.SyncKeyField{Exists: true}))
		first, err := c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "x"})
		require.NoError(t, err)
		second, err := c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "y"})
		require.NoError(t, err)
		require.NotEqual(t, first.ID, second.ID)
		id, err := c.FindBySyncKey(ctx, crm.ModuleLeads, key)
		require.NoError(t, err)
		require.Equal(t, first.ID, id, "the oldest holder")
		status, err := c.SyncKeyStatus(ctx)
		require.NoError(t, err)
		require.Equal(t, crm.SyncKeyField{Exists: true}, status[crm.ModuleLeads])
		require.Equal(t, crm.SyncKeyField{Exists: true, Unique: true}, status[crm.ModuleCalls])
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		require.NoError(t, c.SetSyncKeyField(crm.ModuleLeads, crm.SyncKeyField{Unique: true}))
		first, err := c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "x", Phone: variants[0]})
		require.NoError(t, err)
		_, err = c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "y"})
		require.NoError(t, err, "nothing enforces a missing field")
		recs, err := c.FindByPhone(ctx, variants)
		require.NoError(t, err)
		require.Empty(t, recs[0].SyncKey, "lookups cannot show a field that does not exist")
		id, err := c.FindBySyncKey(ctx, crm.ModuleLeads, key)
		require.NoError(t, err)
		require.Equal(t, first.ID, id)
		status, err := c.SyncKeyStatus(ctx)
		require.NoError(t, err)
		require.Equal(t, crm.SyncKeyField{}, status[crm.ModuleLeads])
		fields, err := c.Fields(ctx, crm.ModuleLeads)
		require.NoError(t, err)
		for _, f := range fields {
			require.NotEqual(t, "LC_Sync_Key", f.APIName)
		}
		fields, err = c.Fields(ctx, crm.ModuleCalls)
		require.NoError(t, err)
		require.Equal(t, crm.Field{APIName: "LC_Sync_Key", Label: "LC Sync Key", DataType: "text", Custom: true, Unique: true, MaxLength: 255}, fields[len(fields)-1])
	})
	t.Run("bad input", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		for _, m := range []crm.Module{crm.ModuleContacts, "", "Deals"} {
			_, err := c.FindBySyncKey(ctx, m, key)
			requireInvalidField(t, err, "module")
		}
		_, err := c.FindBySyncKey(ctx, crm.ModuleLeads, "")
		requireInvalidField(t, err, "key")
		_, err = c.FindBySyncKey(ctx, crm.ModuleLeads, strings.Repeat("k", 1<<20))
		requireInvalidField(t, err, "key")
		require.Error(t, c.SetSyncKeyField(crm.ModuleContacts, crm.SyncKeyField{}))
	})
}

func TestUniqueKeyUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	const n = 16
	var wg sync.WaitGroup
	results := make([]*crm.Created, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = c.CreateLead(ctx, &crm.Lead{SyncKey: "same", LastName: fmt.Sprint(i)})
		})
	}
	wg.Wait()
	var winner string
	for i := range n {
		if errs[i] == nil {
			require.Empty(t, winner, "two creates with one key succeeded")
			winner = results[i].ID
		}
	}
	require.NotEmpty(t, winner)
	for i := range n {
		if errs[i] != nil {
			var e *leadcall.Error
			require.ErrorAs(t, errs[i], &e)
			require.Equal(t, leadcall.CodeConflict, e.Code)
			require.Equal(t, winner, e.ExistingID)
		}
	}
	require.Equal(t, 1, c.Counts().Leads)
}

func TestOwners(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := memcrm.New(nil)
	created, err := c.CreateLead(ctx, &crm.Lead{LastName: "x"})
	require.NoError(t, err)
	l, _ := c.Lead(created.ID)
	require.Empty(t, l.OwnerID, "no users: no default owner")

	inactive, err := c.AddUser(crm.User{ID: "u1", Name: "Old", Active: false})
	require.NoError(t, err)
	require.Equal(t, "u1", inactive)
	active, err := c.AddUser(crm.User{Name: "New", Email: "new@example.com", Active: true})
	require.NoError(t, err)
	_, err = c.AddUser(crm.User{ID: "u1", Name: "Dup"})
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = c.AddUser(crm.User{Name: " "})
	requireCode(t, err, leadcall.CodeInvalid)

	users, err := c.Users(ctx)
	require.NoError(t, err)
	require.Equal(t, []crm.User{{ID: active, Name: "New", Email: "new@example.com", Active: true}}, users)

	created, err = c.CreateLead(ctx, &crm.Lead{LastName: "x"})
	require.NoError(t, err)
	l, _ = c.Lead(created.ID)
	require.Equal(t, active, l.OwnerID)

	require.NoError(t, c.SetUserActive("u1", true))
	_, err = c.CreateLead(ctx, &crm.Lead{LastName: "x", OwnerID: "u1"})
	require.NoError(t, err)
	require.NoError(t, c.SetUserActive(active, false))
	_, err = c.CreateLead(ctx, &crm.Lead{LastName: "x", OwnerID: active})
	requireInvalidField(t, err, "Owner")
	requireCode(t, c.SetUserActive("none", true), leadcall.CodeNotFound)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lead := func(k string) *crm.Lead { return &crm.Lead{SyncKey: k, LastName: "x"} }

	t.Run("scripted codes are not applied", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		c.FailNext(memcrm.OpCreateLead, 1, memcrm.Fault{Code: leadcall.CodeRateLimited, RetryAfter: 7 * time.Second})
		c.FailNext(memcrm.OpCreateLead, 1, memcrm.Fault{Code: leadcall.CodeUnauthorized})
		c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: leadcall.CodeUnavailable, Message: "gateway"})
		require.Equal(t, 3, c.PendingFaults())

		_, err := c.CreateLead(ctx, lead("a"))
		requireCode(t, err, leadcall.CodeRateLimited)
		require.Equal(t, 7*time.Second, leadcall.RetryAfterOf(err))
		require.ErrorIs(t, err, memcrm.ErrInjected)
		_, err = c.CreateLead(ctx, lead("a"))
		requireCode(t, err, leadcall.CodeUnauthorized)
		_, err = c.Users(ctx) // OpAny
		requireCode(t, err, leadcall.CodeUnavailable)
		require.Contains(t, err.Error(), "gateway")
		require.Zero(t, c.PendingFaults())
		require.Zero(t, c.Writes())
		require.Zero(t, c.Counts().Leads)

		_, err = c.CreateLead(ctx, lead("a"))
		require.NoError(t, err)
		require.Equal(t, 3, c.Requests(memcrm.OpCreateLead))
		require.Equal(t, 4, c.Requests(memcrm.OpAny))
	})
	t.Run("unknown code is unclassified", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		c.FailNext(memcrm.OpFindByPhone, 1, memcrm.Fault{})
		_, err := c.FindByPhone(ctx, variants)
		require.Error(t, err)
		var e *leadcall.Error
		require.False(t, errors.As(err, &e), "CodeUnknown must not carry a *leadcall.Error")
		require.ErrorIs(t, err, memcrm.ErrInjected)
	})
	t.Run("commit then fail", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		c.CommitThenFail(memcrm.OpCreateLead, 1)
		_, err := c.CreateLead(ctx, lead("k"))
		requireCode(t, err, leadcall.CodeUnavailable)
		require.Equal(t, 1, c.Counts().Leads, "the write was applied")
		require.Equal(t, 1, c.Writes())
		id, err := c.FindBySyncKey(ctx, crm.ModuleLeads, "k")
		require.NoError(t, err)
		require.NotEmpty(t, id, "the lost write is found by its key")
		_, err = c.CreateLead(ctx, lead("k"))
		var e *leadcall.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, leadcall.CodeConflict, e.Code)
		require.Equal(t, id, e.ExistingID)

		// A lost response hides a refusal too.
		c.CommitThenFail(memcrm.OpCreateLead, 1)
		_, err = c.CreateLead(ctx, &crm.Lead{})
		requireCode(t, err, leadcall.CodeUnavailable)
		require.Equal(t, 1, c.Counts().Leads)
	})
	t.Run("random faults repeat with the seed", func(t *testing.T) {
		t.Parallel()
		run := func(seed uint64) []bool {
			c := memcrm.New(&memcrm.Config{Seed: seed})
			c.FailRandomly(memcrm.OpAny, 0.3, memcrm.Fault{Code: leadcall.CodeUnavailable})
			var failed []bool
			for range 200 {
				_, err := c.Users(ctx)
				failed = append(failed, err != nil)
			}
			return failed
		}
		a, b, other := run(42), run(42), run(43)
		require.Equal(t, a, b)
		require.NotEqual(t, a, other)
		n := 0
		for _, f := range a {
			if f {
				n++
			}
		}
		require.InDelta(t, 60, n, 30, "about 30%% of 200 requests fail")

		c := memcrm.New(nil)
		c.FailRandomly(memcrm.OpUsers, 1, memcrm.Fault{Code: leadcall.CodeUnavailable})
		_, err := c.Users(ctx)
		requireCode(t, err, leadcall.CodeUnavailable)
		c.FailRandomly(memcrm.OpUsers, 0, memcrm.Fault{})
		_, err = c.Users(ctx)
		require.NoError(t, err)
		c.FailRandomly(memcrm.OpUsers, 1, memcrm.Fault{})
		c.FailNext(memcrm.OpUsers, 1, memcrm.Fault{})
		c.ClearFaults()
		_, err = c.Users(ctx)
		require.NoError(t, err)
	})
	t.Run("delay ends with ctx and applies nothing", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		c.FailNext(memcrm.OpCreateLead, 1, memcrm.Fault{Code: leadcall.CodeUnavailable, Commit: true, Delay: time.Hour})
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, err := c.CreateLead(ctx, lead("k"))
		requireCode(t, err, leadcall.CodeUnavailable)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Zero(t, c.Counts().Leads)
	})
	t.Run("done ctx", func(t *testing.T) {
		t.Parallel()
		c, _ := newCRM(t)
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.CreateLead(ctx, lead("k"))
		require.ErrorIs(t, err, context.Canceled)
		_, err = c.FindByPhone(ctx, variants)
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, c.Requests(memcrm.OpAny))
		require.Zero(t, c.Counts().Leads)
	})
}

func TestIndexLag(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := &clock{t: start}
	c := memcrm.New(&memcrm.Config{Now: clk.Now, IndexLag: 10 * time.Second})
	seeded, err := c.AddContact(memcrm.Person{LastName: "Old", Phones: map[string]string{"Phone": variants[2]}})
	require.NoError(t, err)
	created, err := c.CreateLead(ctx, &crm.Lead{SyncKey: "k", LastName: "x", Phone: variants[0]})
	require.NoError(t, err)
	l, _ := c.Lead(created.ID)
	require.Equal(t, start, l.CreatedAt)

	find := func() ([]string, string) {
		recs, err := c.FindByPhone(ctx, variants)
		require.NoError(t, err)
		id, err := c.FindBySyncKey(ctx, crm.ModuleLeads, "k")
		require.NoError(t, err)
		return ids(recs), id
	}
	recs, id := find()
	require.Equal(t, []string{"Contacts/" + seeded}, recs, "seeded records are indexed at once")
	require.Empty(t, id)
	_, err = c.CreateLead(ctx, &crm.Lead{SyncKey: "k", LastName: "x"})
	requireCode(t, err, leadcall.CodeConflict) // uniqueness does not lag

	clk.Advance(10*time.Second - time.Nanosecond)
	_, id = find()
	require.Empty(t, id)
	clk.Advance(time.Nanosecond)
	recs, id = find()
	require.Equal(t, created.ID, id)
	require.Equal(t, []string{"Leads/" + created.ID, "Contacts/" + seeded}, recs)

	c.SetIndexLag(0)
	created, err = c.CreateLead(ctx, &crm.Lead{SyncKey: "k2", LastName: "x"})
	require.NoError(t, err)
	id, err = c.FindBySyncKey(ctx, crm.ModuleLeads, "k2")
	require.NoError(t, err)
	require.Equal(t, created.ID, id)
}

func TestBundle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	contact, err := c.AddContact(memcrm.Person{LastName: "K"})
	require.NoError(t, err)
	other := crm.Ref{Module: crm.ModuleContacts, ID: contact}
	call := &crm.Call{SyncKey: "c1", Subject: "Missed inbound call", Type: crm.CallMissed, Start: start, Who: other}
	task := &crm.Task{SyncKey: "t1", Subject: "Call back", Due: start, Who: other}

	res, err := c.CreateBundle(ctx, &crm.Bundle{Lead: &crm.Lead{SyncKey: "l1", LastName: "x"}, Call: call, Task: task})
	require.NoError(t, err)
	require.NoError(t, res.Lead.Err)
	require.NoError(t, res.Call.Err)
	require.NoError(t, res.Task.Err)
	leadRef := crm.Ref{Module: crm.ModuleLeads, ID: res.Lead.Created.ID}
	gotCall, _ := c.Call(res.Call.Created.ID)
	gotTask, _ := c.Task(res.Task.Created.ID)
	require.Equal(t, leadRef, gotCall.Who, "linked to the new lead, not to call.Who")
	require.Equal(t, leadRef, gotTask.Who)
	require.Equal(t, other, call.Who, "the caller's bundle is not modified")
	require.Equal(t, 3, c.Writes())
	require.Equal(t, 1, c.Requests(memcrm.OpCreateBundle))

	// A failed Lead stops the rest.
	res, err = c.CreateBundle(ctx, &crm.Bundle{Lead: &crm.Lead{SyncKey: "l1", LastName: "x"},
		Call: &crm.Call{SyncKey: "c2", Subject: "s", Type: crm.CallMissed, Start: start}, Task: &crm.Task{SyncKey: "t2", Subject: "s", Due: start}})
	require.NoError(t, err)
	requireCode(t, res.Lead.Err, leadcall.CodeConflict)
	require.ErrorIs(t, res.Call.Err, crm.ErrNotAttempted)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)
	require.Equal(t, 3, c.Writes())

	// Without a Lead, parts link to their own Who.
	res, err = c.CreateBundle(ctx, &crm.Bundle{Call: &crm.Call{SyncKey: "c3", Subject: "s", Type: crm.CallMissed, Start: start, Who: other},
		Task: &crm.Task{SyncKey: "t3", Subject: "s", Due: start, Who: other}})
	require.NoError(t, err)
	require.Nil(t, res.Lead.Created)
	require.NoError(t, res.Lead.Err)
	require.NoError(t, res.Call.Err)
	require.NoError(t, res.Task.Err)
	gotTask, _ = c.Task(res.Task.Created.ID)
	require.Equal(t, other, gotTask.Who)

	// A failed Call stops the Task.
	res, err = c.CreateBundle(ctx, &crm.Bundle{Call: &crm.Call{SyncKey: "c1", Subject: "s", Type: crm.CallMissed, Start: start, Who: other},
		Task: &crm.Task{SyncKey: "t4", Subject: "s", Due: start, Who: other}})
	require.NoError(t, err)
	requireCode(t, res.Call.Err, leadcall.CodeConflict)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)
	require.Nil(t, res.Task.Created)
	id, err := c.FindBySyncKey(ctx, crm.ModuleTasks, "t4")
	require.NoError(t, err)
	require.Empty(t, id, "a part not attempted is not written")

	res, err = c.CreateBundle(ctx, &crm.Bundle{Call: &crm.Call{SyncKey: "c4", Subject: "s", Type: crm.CallMissed, Start: start, Who: other}})
	require.NoError(t, err)
	require.Equal(t, crm.PartResult{}, res.Task)

	_, err = c.CreateBundle(ctx, nil)
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = c.CreateBundle(ctx, &crm.Bundle{Lead: &crm.Lead{LastName: "x"}})
	requireCode(t, err, leadcall.CodeInvalid)

	c.CommitThenFail(memcrm.OpCreateBundle, 1)
	before := c.Counts()
	_, err = c.CreateBundle(ctx, &crm.Bundle{Lead: &crm.Lead{SyncKey: "l5", LastName: "x"}, Call: &crm.Call{SyncKey: "c5", Subject: "s", Type: crm.CallMissed, Start: start}})
	requireCode(t, err, leadcall.CodeUnavailable)
	require.Equal(t, before.Leads+1, c.Counts().Leads)
	require.Equal(t, before.Calls+1, c.Counts().Calls)
}

func TestCompleteTask(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	contact, err := c.AddContact(memcrm.Person{LastName: "K"})
	require.NoError(t, err)
	created, err := c.CreateTask(ctx, &crm.Task{Subject: "Call back", Due: start, Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}, Description: "missed at 10:30"})
	require.NoError(t, err)
	require.NoError(t, c.CompleteTask(ctx, created.ID, "recovered by Asha"))
	require.NoError(t, c.CompleteTask(ctx, created.ID, "recovered by Asha"))
	task, _ := c.Task(created.ID)
	require.Equal(t, crm.TaskStatusCompleted, task.Status)
	require.Equal(t, "missed at 10:30\nrecovered by Asha", task.Description, "the note is appended once")
	require.Equal(t, 2, c.Writes())

	requireCode(t, c.CompleteTask(ctx, "404", ""), leadcall.CodeNotFound)
	created, err = c.CreateTask(ctx, &crm.Task{Subject: "s", Due: start, Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}})
	require.NoError(t, err)
	requireInvalidField(t, c.CompleteTask(ctx, created.ID, strings.Repeat("n", 32001)), "Description")
	require.NoError(t, c.Delete(crm.ModuleTasks, created.ID))
	requireCode(t, c.CompleteTask(ctx, created.ID, ""), leadcall.CodeNotFound)
}

func TestSeedAndInspect(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	_, err := c.AddLead(memcrm.Person{Phones: map[string]string{"Phone": "1"}})
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = c.AddLead(memcrm.Person{LastName: "x", Phones: map[string]string{"": "1"}})
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = c.AddContact(memcrm.Person{LastName: "x", SyncKey: "k"})
	requireCode(t, err, leadcall.CodeInvalid)

	id, err := c.AddLead(memcrm.Person{FirstName: "A", LastName: "B", SyncKey: "k",
		Phones: map[string]string{"Zed": "11", "Other_Phone": "22", "Mobile": "33", "Phone": "44", "Asst": "", "Home_Phone": "55"}})
	require.NoError(t, err)
	_, err = c.AddLead(memcrm.Person{LastName: "x", SyncKey: "k"})
	requireCode(t, err, leadcall.CodeConflict)
	leads := c.Leads()
	require.Len(t, leads, 1)
	require.Equal(t, []memcrm.PhoneField{{"Phone", "44"}, {"Mobile", "33"}, {"Home_Phone", "55"}, {"Other_Phone", "22"}, {"Zed", "11"}}, leads[0].Phones)
	leads[0].Phones[0].Value = "changed"
	l, _ := c.Lead(id)
	require.Equal(t, "44", l.Phones[0].Value, "snapshots are copies")
	require.Zero(t, c.Writes(), "seeding is not a write")

	contactID, err := c.ConvertLead(id)
	require.NoError(t, err)
	_, err = c.ConvertLead(id)
	requireCode(t, err, leadcall.CodeConflict)
	_, err = c.ConvertLead("404")
	requireCode(t, err, leadcall.CodeNotFound)
	l, _ = c.Lead(id)
	require.True(t, l.Converted)
	require.Equal(t, contactID, l.ContactID)
	contacts := c.Contacts()
	require.Len(t, contacts, 1)
	require.Equal(t, id, contacts[0].ConvertedFrom)
	require.Equal(t, l.Phones, contacts[0].Phones)

	recs, err := c.FindByPhone(ctx, []string{"11"})
	require.NoError(t, err)
	require.Equal(t, []string{"Contacts/" + contactID}, ids(recs), "the Contact, not the converted Lead")
	require.NoError(t, c.Delete(crm.ModuleContacts, contactID))
	recs, err = c.FindByPhone(ctx, []string{"11"})
	require.NoError(t, err)
	require.Empty(t, recs)
	requireCode(t, c.Delete(crm.ModuleContacts, contactID), leadcall.CodeNotFound)
	requireCode(t, c.Delete("Deals", "1"), leadcall.CodeInvalid)
	require.NoError(t, c.Delete(crm.ModuleLeads, id))
	id2, err := c.AddLead(memcrm.Person{LastName: "x", SyncKey: "k"})
	require.NoError(t, err, "a deleted Lead frees its key")
	require.NotEqual(t, id, id2)

	require.Error(t, c.AddField("Deals", crm.Field{APIName: "X"}))
	require.Error(t, c.AddField(crm.ModuleLeads, crm.Field{APIName: "LC_Sync_Key"}))
	require.NoError(t, c.AddField(crm.ModuleLeads, crm.Field{APIName: "City", Label: "Town", DataType: "text", ReadOnly: true}))
	_, err = c.CreateLead(ctx, &crm.Lead{LastName: "x", Fields: map[string]string{"City": "Pune"}})
	requireInvalidField(t, err, "City")

	require.Equal(t, memcrm.Counts{Leads: 1, Users: 1}, c.Counts())
	require.Equal(t, "memcrm(leads=1 contacts=0 calls=0 tasks=0 users=1)", c.String())
	_, err = c.Fields(ctx, "Deals")
	requireInvalidField(t, err, "module")
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _ := newCRM(t)
	c.FailRandomly(memcrm.OpAny, 0.1, memcrm.Fault{Code: leadcall.CodeUnavailable, Commit: true})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 25 {
				phone := fmt.Sprintf("+9198765%05d", i*100+j)
				created, err := c.CreateLead(ctx, &crm.Lead{SyncKey: phone, LastName: "x", Phone: phone})
				if err != nil {
					continue
				}
				_, _ = c.FindByPhone(ctx, []string{phone})
				_, _ = c.CreateCall(ctx, &crm.Call{Subject: "s", Type: crm.CallMissed, Start: start, Who: crm.Ref{Module: crm.ModuleLeads, ID: created.ID}})
				_ = c.Leads()
			}
		})
	}
	wg.Wait()
	require.Equal(t, c.Counts().Leads+c.Counts().Calls, c.Writes())
}

// FuzzFindByPhone checks the lookup rule against its definition: a record is found exactly
// when one of its stored values has the PhoneKey of a (valid) variant, converted Leads never.
func FuzzFindByPhone(f *testing.F) {
	f.Add("+91 98765-43210", "09876543210", "+919876543210", false)
	f.Add("(098765) 43.210", "09876543210", "9876543210", true)
	f.Add("98765 43210 ext", "9876543210", "", false)
	f.Fuzz(func(t *testing.T, stored, other, variant string, convert bool) {
		ctx := context.Background()
		c := memcrm.New(nil)
		leadID, err := c.AddLead(memcrm.Person{LastName: "L", Phones: map[string]string{"Phone": stored, "Mobile": other}})
		if err != nil {
			t.Fatal(err)
		}
		contactID, err := c.AddContact(memcrm.Person{LastName: "C", Phones: map[string]string{"Other_Phone": stored}})
		if err != nil {
			t.Fatal(err)
		}
		if convert {
			if _, err := c.ConvertLead(leadID); err != nil {
				t.Fatal(err)
			}
		}
		recs, err := c.FindByPhone(ctx, []string{variant})
		if err != nil {
			if leadcall.CodeOf(err) != leadcall.CodeInvalid {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		k := memcrm.PhoneKey(variant)
		matches := func(vs ...string) bool {
			for _, v := range vs {
				if v != "" && memcrm.PhoneKey(v) == k {
					return true
				}
			}
			return false
		}
		found := map[string]bool{}
		for _, r := range recs {
			found[r.ID] = true
		}
		if want := !convert && matches(stored, other); found[leadID] != want {
			t.Fatalf("lead found=%v, want %v (stored %q/%q, variant %q, converted %v)", found[leadID], want, stored, other, variant, convert)
		}
		for _, ct := range c.Contacts() {
			if ct.ConvertedFrom == leadID && found[ct.ID] != matches(stored, other) {
				t.Fatalf("the converted Lead's Contact found=%v, want %v", found[ct.ID], !found[ct.ID])
			}
		}
		if want := matches(stored); found[contactID] != want {
			t.Fatalf("contact found=%v, want %v (stored %q, variant %q)", found[contactID], want, stored, variant)
		}
	})
}
