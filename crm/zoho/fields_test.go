package zoho

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

func TestFieldsFromDocumentedSample(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "module=Leads", r.URL.RawQuery)
		reply(w, 200, testdata(t, "fields_leads.json"))
	})
	got, err := f.crm.Fields(t.Context(), crm.ModuleLeads)
	require.NoError(t, err)
	want := []crm.Field{
		{APIName: "Owner", Label: "Lead Owner", DataType: "ownerlookup", MaxLength: 120},
		{APIName: "Company", Label: "Company", DataType: "text", MaxLength: 200},
		{APIName: "Phone", Label: "Phone", DataType: "phone", MaxLength: 30},
		{APIName: "Mobile", Label: "Mobile", DataType: "phone", MaxLength: 30},
		{APIName: "WhatsApp_Number", Label: "WhatsApp", DataType: "phone", Custom: true, MaxLength: 30},
		{APIName: "Lead_Source", Label: "Lead Source", DataType: "picklist", MaxLength: 120, Picklist: []crm.PicklistValue{
			{DisplayValue: "-None-", ActualValue: "-None-"},
			{DisplayValue: "Houston", ActualValue: "Houston Showroom"},
			{DisplayValue: "Advertisement", ActualValue: "Advertisement"},
		}},
		{APIName: "Lead_Score", Label: "Lead Score", DataType: "integer", ReadOnly: true, MaxLength: 9},
		{APIName: "Visits", Label: "Visits", DataType: "integer", ReadOnly: true, Custom: true, MaxLength: 9},
		{APIName: "Budget", Label: "Budget", DataType: "currency", Custom: true, MaxLength: 16},
		{APIName: "LC_Sync_Key", Label: "LC Sync Key", DataType: "text", Custom: true, Unique: true, MaxLength: 64},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("fields (-want +got):\n%s", d)
	}
	// Callers cannot change the adapter's copy, and every call asks Zoho: the Engine caches
	// fields itself and drops its copy when a picklist changes.
	got[5].Picklist[0].DisplayValue = "changed"
	require.Equal(t, "-None-", f.crm.cachedFields(crm.ModuleLeads)[5].Picklist[0].DisplayValue)
	_, err = f.crm.Fields(t.Context(), crm.ModuleLeads)
	require.NoError(t, err)
	require.EqualValues(t, 2, f.apiHits.Load())
	// Metadata names the phone fields: the custom one is searched too.
	require.Equal(t, []string{"Phone", "Mobile", "WhatsApp_Number"}, f.crm.phoneFields(crm.ModuleLeads))
}

func TestFieldsRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.crm.Fields(t.Context(), "Deals")
	requireCode(t, err, leadcall.CodeInvalid)
	require.EqualValues(t, 0, f.apiHits.Load())
	for name, body := range map[string]string{
		"not json":        "<html>",
		"fields a string": `{"fields":"x"}`,
		"read_only text":  `{"fields":[{"api_name":"A","read_only":"no"}]}`,
	} {
		f := setup(t)
		f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) { reply(w, 200, body) })
		_, err := f.crm.Fields(t.Context(), crm.ModuleCalls)
		requireCode(t, err, leadcall.CodeUnavailable)
		require.ErrorIs(t, err, ErrMalformedResponse, name)
	}
}

func TestSyncKeyStatus(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("module") {
		case "Leads":
			reply(w, 200, `{"fields":[{"api_name":"LC_Sync_Key","data_type":"text","unique":{"case_sensitive":false}}]}`)
		case "Calls":
			reply(w, 200, `{"fields":[{"api_name":"LC_Sync_Key","data_type":"text","unique":{}}]}`)
		default:
			reply(w, 200, `{"fields":[{"api_name":"Subject","data_type":"text","unique":{}}]}`)
		}
	})
	got, err := f.crm.SyncKeyStatus(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[crm.Module]crm.SyncKeyField{
		crm.ModuleLeads: {Exists: true, Unique: true},
		crm.ModuleCalls: {Exists: true},
		crm.ModuleTasks: {},
	}, got)
	require.EqualValues(t, 3, f.apiHits.Load())
	// Tasks have no field: a lookup by key asks nothing and finds nothing.
	id, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleTasks, "lc1T_x")
	require.NoError(t, err)
	require.Empty(t, id)
	require.EqualValues(t, 3, f.apiHits.Load())
}

func TestEnsureSyncKeyCreatesMissingFields(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var mu sync.Mutex
	createdIn := map[string]bool{}
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		m := r.URL.Query().Get("module")
		mu.Lock()
		has := m == "Leads" || createdIn[m]
		mu.Unlock()
		if has {
			reply(w, 200, `{"fields":[{"api_name":"LC_Sync_Key","data_type":"text","custom_field":true,"unique":{"casesensitive":"false"}}]}`)
			return
		}
		reply(w, 200, `{"fields":[]}`)
	})
	f.handle("POST /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"fields":[{"field_label":"LC Sync Key","data_type":"text","length":64,"unique":{"case_sensitive":false}}]}`)
		mu.Lock()
		createdIn[r.URL.Query().Get("module")] = true
		mu.Unlock()
		reply(w, 201, `{"fields":[{"code":"SUCCESS","details":{"id":"111112000000067259"},"message":"field created","status":"success"}]}`)
	})
	got, err := f.crm.EnsureSyncKey(t.Context())
	require.NoError(t, err)
	unique := crm.SyncKeyField{Exists: true, Unique: true}
	require.Equal(t, map[crm.Module]crm.SyncKeyField{crm.ModuleLeads: unique, crm.ModuleCalls: unique, crm.ModuleTasks: unique}, got)
	require.Equal(t, map[string]bool{"Calls": true, "Tasks": true}, createdIn)
}

func TestEnsureSyncKeyExplainsManualSteps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("module") == "Leads" {
			reply(w, 200, `{"fields":[{"api_name":"LC_Sync_Key","data_type":"text","unique":{}}]}`)
			return
		}
		reply(w, 200, `{"fields":[]}`)
	})
	f.handle("POST /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	got, err := f.crm.EnsureSyncKey(t.Context())
	require.Error(t, err)
	require.Equal(t, map[crm.Module]crm.SyncKeyField{crm.ModuleLeads: {Exists: true}, crm.ModuleCalls: {}, crm.ModuleTasks: {}}, got)
	msg := err.Error()
	require.Contains(t, msg, "Leads.LC_Sync_Key exists but allows duplicate values")
	require.Contains(t, msg, `create it by hand: Zoho CRM → Setup → Customization → Modules and Fields → Calls`)
	require.Contains(t, msg, `Modules and Fields → Tasks`)
	require.Contains(t, msg, `"Do not allow duplicate values"`)
	requireAPIError(t, err, "OAUTH_SCOPE_MISMATCH", 401)
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "the first joined error's code")
}

func TestUsersPaging(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		require.Equal(t, "ActiveUsers", q.Get("type"))
		require.Equal(t, "200", q.Get("per_page"))
		page, _ := strconv.Atoi(q.Get("page"))
		switch page {
		case 1:
			var users []string
			for i := range 200 {
				users = append(users, fmt.Sprintf(`{"id":"%d","full_name":"U %d","email":"u%d@x","status":"active"}`, 1000+i, i, i))
			}
			reply(w, 200, `{"users":[`+strings.Join(users, ",")+`],"info":{"per_page":200,"count":200,"page":1,"more_records":true}}`)
		case 2:
			reply(w, 200, testdata(t, "users.json"))
		default:
			t.Errorf("page %d requested", page)
		}
	})
	users, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.Len(t, users, 202)
	require.Equal(t, crm.User{ID: "1000", Name: "U 0", Email: "u0@x", Active: true}, users[0])
	require.Equal(t, crm.User{ID: "5725767000000411001", Name: "Patricia Boyle", Email: "p.boyle@zylker.com", Active: true}, users[200])
	require.Equal(t, crm.User{ID: "5725767000000411002", Name: "Ted Watson", Email: "ted@zylker.com", Active: true}, users[201])
}

func TestUsersHostile(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"users":[{"id":"1","full_name":"A","status":"active"}],"info":{"more_records":true}}`)
	})
	users, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.Len(t, users, maxUserPages, "paging stops even if the server always says more_records")

	f2 := setup(t)
	f2.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	users, err = f2.crm.Users(t.Context())
	require.NoError(t, err)
	require.NotNil(t, users)
	require.Empty(t, users)

	f3 := setup(t)
	f3.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"users":{"id":"1"}}`) })
	_, err = f3.crm.Users(t.Context())
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestConcurrencyCap(t *testing.T) {
	t.Parallel()
	const limit = 3
	f := setup(t, func(c *Config) { c.Concurrency = limit })
	var mu sync.Mutex
	inFlight, peak := 0, 0
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		reply(w, 200, testdata(t, "users.json"))
	})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := f.crm.Users(t.Context())
			require.NoError(t, err)
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.LessOrEqual(t, peak, limit)
	require.Greater(t, peak, 1, "requests do run in parallel up to the cap")
}

func TestCredits(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.DisableComposite = true })
	f.handle("GET /crm/v8/users", usersOK(t))
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	f.handle("GET /crm/v8/{module}/search", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	f.handle("POST /crm/v8/Leads", created(t))
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	_, err = f.crm.FindByPhone(t.Context(), twoVariants) // two COQL queries with LIMIT 200, two searches
	require.NoError(t, err)
	_, err = f.crm.CreateLead(t.Context(), testLead())
	require.NoError(t, err)
	require.EqualValues(t, 6, f.crm.Credits())
	f.advance(23 * time.Hour)
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 7, f.crm.Credits())
	f.advance(time.Hour + time.Minute)
	require.EqualValues(t, 1, f.crm.Credits(), "the window rolls")
	st := f.crm.Stats()
	require.Equal(t, Stats{Requests: 7, TokenRequests: 2, Credits: 1}, st)
}

func TestPicklistValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var mu sync.Mutex
	extra := ""
	fieldRequests := 0
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fieldRequests++
		if r.URL.Query().Get("module") == "Calls" {
			reply(w, 200, `{"fields":[{"api_name":"Call_Result","data_type":"picklist","pick_list_values":[
				{"display_value":"Answered","actual_value":"answered","type":"used"}]}]}`)
			return
		}
		body := testdata(t, "fields_leads.json")
		if extra != "" {
			body = strings.Replace(body, `{"display_value": "-None-"`, `{"display_value":"`+extra+`","actual_value":"`+extra+`","type":"used"},{"display_value": "-None-"`, 1)
		}
		reply(w, 200, body)
	})
	var sent []string
	f.handle("POST /crm/v8/{module}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data []map[string]any `json:"data"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		mu.Lock()
		sent = append(sent, fmt.Sprintln(body.Data[0]["Lead_Source"], body.Data[0]["Call_Result"]))
		mu.Unlock()
		reply(w, 201, testdata(t, "insert_success.json"))
	})
	lead := func(source string) error {
		_, err := f.crm.CreateLead(t.Context(), &crm.Lead{LastName: "L", LeadSource: source})
		return err
	}
	require.NoError(t, lead("Houston Showroom"), "an actual value")
	require.NoError(t, lead("advertisement"), "another letter case")
	require.NoError(t, lead("Houston"), "a display value")
	le := requireCode(t, lead("Old Fair"), leadcall.CodeInvalid)
	require.Equal(t, "Lead_Source", le.Field)
	require.Contains(t, le.Error(), "not a value of the Lead_Source picklist")
	mu.Lock()
	require.Equal(t, 2, fieldRequests, "one fetch, then one fresh look before refusing")
	extra = "Podcast"
	mu.Unlock()
	require.NoError(t, lead("Podcast"), "an option added in Zoho a moment ago is found by the fresh look")
	_, err := f.crm.CreateCall(t.Context(), &crm.Call{Subject: "s", Type: crm.CallMissed, Start: f.now(),
		Who: crm.Ref{Module: crm.ModuleContacts, ID: "1"}, Result: "answered"})
	require.NoError(t, err)
	_, err = f.crm.CreateCall(t.Context(), &crm.Call{Subject: "s", Type: crm.CallMissed, Start: f.now(),
		Who: crm.Ref{Module: crm.ModuleContacts, ID: "1"}, Result: "Voicemail"})
	le = requireCode(t, err, leadcall.CodeInvalid)
	require.Equal(t, "Call_Result", le.Field)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"Houston <nil>\n", "Advertisement <nil>\n", "Houston <nil>\n", "Podcast <nil>\n", "<nil> Answered\n"}, sent,
		"display values are written; refused values never are")
}

func TestPicklistValidationWithoutMetadataScope(t *testing.T) {
	t.Parallel()
	f := setup(t)
	fieldRequests := 0
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		fieldRequests++
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	f.handle("POST /crm/v8/Leads", created(t))
	for range 3 {
		_, err := f.crm.CreateLead(t.Context(), &crm.Lead{LastName: "L", LeadSource: "Anything"})
		require.NoError(t, err, "without metadata the value is written as given")
	}
	require.Equal(t, 1, fieldRequests, "not asked again during the cooldown")
}
