package zoho_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/crmtest"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/phone"
)

// harness runs the conformance suite against the adapter talking to the fake Zoho server.
type harness struct {
	server func(*zohotest.Config) // adjusts the fake's config
	client func(*zoho.Config)     // adjusts the adapter's config
}

// start starts a fake Zoho and an adapter connected to it.
func (h harness) start(t *testing.T) (*zoho.CRM, *zohotest.Server) {
	t.Helper()
	var sc zohotest.Config
	if h.server != nil {
		h.server(&sc)
	}
	srv := zohotest.New(sc)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	creds := srv.Credentials()
	cfg := zoho.Config{
		AccountsURL:  creds.AccountsURL,
		ClientID:     creds.ClientID,
		ClientSecret: creds.ClientSecret,
		RefreshToken: creds.RefreshToken,
		// The suite fires dozens of requests per test; the default 5/s would make it slow.
		RequestsPerSecond: 1000,
		Burst:             100,
	}
	if h.client != nil {
		h.client(&cfg)
	}
	c, err := zoho.New(cfg)
	require.NoError(t, err)
	return c, srv
}

func (h harness) MakeCRM(t *testing.T) (leadcall.CRM, crmtest.Seeder) {
	c, srv := h.start(t)
	return c, &seeder{srv: srv}
}

func (h harness) Features() crmtest.Features {
	return crmtest.Features{
		FieldDescriber:     true,
		Bundler:            true,
		TaskCompleter:      true,
		SyncKeyChecker:     true,
		UniqueSyncKeys:     true,
		SyncKeyInLookups:   true,
		PicklistValidation: true,
		// The search half of a lookup finds "+91 98765-43210" (the fake ignores formatting, as
		// Zoho may); the COQL half reads without index lag, so IndexLag stays 0.
		FormattedPhones: true,
	}
}

// seeder writes straight into the fake's state and programs its faults.
type seeder struct{ srv *zohotest.Server }

var (
	_ crmtest.FaultInjector  = (*seeder)(nil)
	_ crmtest.PicklistSeeder = (*seeder)(nil)
	_ crmtest.Reader         = (*seeder)(nil)
)

func (s *seeder) AddUser(_ context.Context, name, email string, active bool) (string, error) {
	first, last, ok := strings.Cut(name, " ")
	if !ok {
		first, last = "", name
	}
	status := zohotest.UserActive
	if !active {
		status = zohotest.UserDisabled
	}
	return s.srv.AddUser(zohotest.User{FirstName: first, LastName: last, Email: email, Status: status, Confirmed: true})
}

func (s *seeder) add(module string, fieldNames []string, lastName string, phones []string) (string, error) {
	if len(phones) > len(fieldNames) {
		return "", fmt.Errorf("%s hold at most %d phones", module, len(fieldNames))
	}
	fields := map[string]any{"Last_Name": lastName}
	for i, p := range phones {
		fields[fieldNames[i]] = p
	}
	return s.srv.AddRecord(module, fields)
}

func (s *seeder) AddLead(_ context.Context, lastName string, phones ...string) (string, error) {
	return s.add("Leads", []string{"Phone", "Mobile"}, lastName, phones)
}

func (s *seeder) AddContact(_ context.Context, lastName string, phones ...string) (string, error) {
	return s.add("Contacts", []string{"Phone", "Mobile", "Home_Phone", "Other_Phone"}, lastName, phones)
}

func (s *seeder) ConvertLead(_ context.Context, leadID string) error {
	_, err := s.srv.ConvertLead(leadID)
	return err
}

// FailNext programs the fake to refuse the adapter's next request the way Zoho does.
func (s *seeder) FailNext(code leadcall.Code, _ time.Duration) error {
	rule := zohotest.FaultRule{Times: 1}
	switch code {
	case leadcall.CodeRateLimited:
		rule.Kind = zohotest.FaultTooManyRequests // Zoho sends no Retry-After
	case leadcall.CodeUnavailable:
		rule.Kind = zohotest.FaultServerError
	case leadcall.CodeUnauthorized:
		// The adapter refreshes once after a token rejection and resends: both must fail.
		rule.Kind, rule.Times = zohotest.FaultAuthenticationFailure, 2
	default:
		return fmt.Errorf("zohotest: %v: %w", code, errors.ErrUnsupported)
	}
	_, err := s.srv.AddFault(rule)
	return err
}

func (s *seeder) LoseNextResponse() error {
	_, err := s.srv.AddFault(zohotest.FaultRule{Kind: zohotest.FaultCommitThenDrop, Times: 1})
	return err
}

func (s *seeder) SetPicklist(_ context.Context, module crm.Module, field string, values []crm.PicklistValue) error {
	vs := make([]zohotest.PicklistValue, len(values))
	for i, v := range values {
		vs[i] = zohotest.PicklistValue{DisplayValue: v.DisplayValue, ActualValue: v.ActualValue}
	}
	return s.srv.SetPicklist(string(module), field, vs)
}

func (s *seeder) record(module, id string) (zohotest.Record, error) {
	r, ok := s.srv.Record(module, id)
	if !ok {
		return r, fmt.Errorf("no %s record %s", module, id)
	}
	return r, nil
}

// who reads a Call's or Task's link: What_Id with $se_module for a Lead, Who_Id for a Contact.
func who(r zohotest.Record) crm.Ref {
	if id := r.LookupID("What_Id"); id != "" {
		return crm.Ref{Module: crm.Module(cmpOr(r.String("$se_module"), "Leads")), ID: id}
	}
	if id := r.LookupID("Who_Id"); id != "" {
		return crm.Ref{Module: crm.ModuleContacts, ID: id}
	}
	return crm.Ref{}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *seeder) ReadLead(_ context.Context, id string) (*crm.Lead, error) {
	r, err := s.record("Leads", id)
	if err != nil {
		return nil, err
	}
	return &crm.Lead{LastName: r.String("Last_Name"), Phone: r.String("Phone"), LeadSource: r.String("Lead_Source"),
		Description: r.String("Description"), OwnerID: r.LookupID("Owner"), SyncKey: r.String("LC_Sync_Key")}, nil
}

func (s *seeder) ReadCall(_ context.Context, id string) (*crm.Call, error) {
	r, err := s.record("Calls", id)
	if err != nil {
		return nil, err
	}
	c := &crm.Call{Subject: r.String("Subject"), Type: crm.CallType(r.String("Call_Type")), Who: who(r),
		Result: r.String("Call_Result"), Description: r.String("Description"), OwnerID: r.LookupID("Owner"),
		SyncKey: r.String("LC_Sync_Key")}
	c.Start = readTime(r.Fields["Call_Start_Time"])
	if m, sec, ok := strings.Cut(r.String("Call_Duration"), ":"); ok {
		mm, err1 := strconv.Atoi(m)
		ss, err2 := strconv.Atoi(sec)
		if err1 == nil && err2 == nil {
			c.Duration = time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second
		}
	}
	return c, nil
}

func (s *seeder) ReadTask(_ context.Context, id string) (*crm.Task, error) {
	r, err := s.record("Tasks", id)
	if err != nil {
		return nil, err
	}
	t := &crm.Task{Subject: r.String("Subject"), Status: r.String("Status"), Priority: r.String("Priority"), Who: who(r),
		Description: r.String("Description"), OwnerID: r.LookupID("Owner"), SyncKey: r.String("LC_Sync_Key")}
	if d, err := time.Parse(time.DateOnly, r.String("Due_Date")); err == nil {
		t.Due = d
	}
	return t, nil
}

func readTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return t
		}
	}
	return time.Time{}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	crmtest.Run(t, harness{
		server: func(c *zohotest.Config) { c.COQLIncludesConvertedLeads = true },
		// Every FindBySyncKey and FindByPhone must reach the fake for the suite's fault checks
		// (a create followed by a refused lookup of its number); the caches are covered by the
		// unit tests and TestRequestBudget.
		client: func(c *zoho.Config) { c.SyncKeyCacheTTL = -1; c.PhoneCacheTTL = -1 },
	})
}

func TestConformanceDefaultFakePlainRequests(t *testing.T) {
	t.Parallel()
	// The fake's default COQL refuses the Converted__s column, and composite requests are off:
	// the adapter's fallbacks carry the suite.
	crmtest.Run(t, harness{client: func(c *zoho.Config) { c.SyncKeyCacheTTL, c.PhoneCacheTTL, c.DisableComposite = -1, -1, true }})
}

// TestRequestBudget measures the HTTP requests and credits of the flows in DESIGN.md §8 at
// the fake: a new caller's missed call (lookup of every variant in Leads and Contacts, then
// Lead, Call and Task in a bundle) and that caller's next, answered call (lookup, then Call);
// and a caller Zoho already knows as a Contact typed with spaces ("+91 98123 00009"), found
// by the search half of the lookup, on a first and a repeat call (lookup, then Call).
func TestRequestBudget(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("IST", 5*3600+1800))
	type counts struct{ newCaller, repeatCaller, knownCaller, knownRepeat, credits int }
	run := func(t *testing.T, h harness) counts {
		c, srv := h.start(t)
		ctx := t.Context()
		contact, err := srv.AddContact(map[string]any{"Last_Name": "Rao", "Mobile": "+91 98123 00009"})
		require.NoError(t, err)
		// Warm-up: the first request of a connection also fetches the access token, which is
		// not a CRM request; count CRM requests only.
		_, err = c.Users(ctx)
		require.NoError(t, err)
		srv.ResetRequests()
		before := c.Stats()
		requests := 0
		counted := func() int { n := len(srv.Requests()) - requests; requests += n; return n }

		e164 := "+919812300001"
		variants, err := phone.SearchVariants(e164)
		require.NoError(t, err)
		recs, err := c.FindByPhone(ctx, variants)
		require.NoError(t, err)
		require.Empty(t, recs)
		leadKey := crm.LeadKey("org-1", e164)
		res, err := c.CreateBundle(ctx, &crm.Bundle{
			Lead: &crm.Lead{SyncKey: leadKey, LastName: "Inbound Lead", Phone: e164},
			Call: &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c1"), Subject: "Missed inbound call", Type: crm.CallMissed, Start: start},
			Task: &crm.Task{SyncKey: crm.TaskKey("org-1", "dev-1", "c1"), Subject: "Call back " + e164, Due: start},
		})
		require.NoError(t, err)
		require.NoError(t, errors.Join(res.Lead.Err, res.Call.Err, res.Task.Err))
		var got counts
		got.newCaller = counted()
		require.EqualValues(t, got.newCaller, c.Stats().Requests-before.Requests, "the adapter counts what the fake saw")

		call := func(number string, n int, want crm.Action) {
			t.Helper()
			vs, err := phone.SearchVariants(number)
			require.NoError(t, err)
			recs, err := c.FindByPhone(ctx, vs)
			require.NoError(t, err)
			d := crm.Decide(crm.DecideInput{Matches: recs, LeadKey: crm.LeadKey("org-1", number)})
			require.Equal(t, want, d.Action)
			_, err = c.CreateCall(ctx, &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", fmt.Sprint("c", n)), Subject: "Inbound call",
				Type: crm.CallInbound, Start: start.Add(time.Duration(n) * time.Minute), Duration: 95 * time.Second, Who: d.Who})
			require.NoError(t, err)
		}
		call(e164, 2, crm.ActionLinkLead)
		got.repeatCaller = counted()
		call("+919812300009", 3, crm.ActionLinkContact)
		got.knownCaller = counted()
		call("+919812300009", 4, crm.ActionLinkContact)
		got.knownRepeat = counted()
		require.EqualValues(t, srv.CreditsUsed(), c.Credits()-before.Credits, "the adapter's credit meter agrees with the fake")
		require.Len(t, srv.FindBySyncKey("Leads", leadKey), 1)
		for _, r := range srv.Records("Calls") {
			if r.String("Subject") == "Inbound call" && r.LookupID("Who_Id") != "" {
				require.Equal(t, contact, r.LookupID("Who_Id"), "the Contact typed with spaces was found")
			}
		}
		got.credits = srv.CreditsUsed()
		return got
	}
	withCOQLColumn := func(c *zohotest.Config) { c.COQLIncludesConvertedLeads = true }
	for _, tc := range []struct {
		name string
		h    harness
		want counts
	}{
		{"composite, COQL and search, phone cache (defaults)", harness{server: withCOQLColumn},
			counts{newCaller: 2, repeatCaller: 1, knownCaller: 2, knownRepeat: 1, credits: 6}},
		{"composite, no phone cache", harness{server: withCOQLColumn, client: func(c *zoho.Config) { c.PhoneCacheTTL = -1 }},
			counts{newCaller: 2, repeatCaller: 2, knownCaller: 2, knownRepeat: 2, credits: 8}},
		{"fake's default COQL (no Converted__s column): one extra request once", harness{},
			counts{newCaller: 3, repeatCaller: 1, knownCaller: 2, knownRepeat: 1, credits: 7}},
		{"no composite", harness{server: withCOQLColumn, client: func(c *zoho.Config) { c.DisableComposite = true }},
			counts{newCaller: 7, repeatCaller: 1, knownCaller: 5, knownRepeat: 1, credits: 14}},
		{"no composite, no phone cache", harness{server: withCOQLColumn,
			client: func(c *zoho.Config) { c.DisableComposite, c.PhoneCacheTTL = true, -1 }},
			counts{newCaller: 7, repeatCaller: 5, knownCaller: 5, knownRepeat: 5, credits: 22}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, tc.h)
			t.Logf("new caller's missed call: %d requests; its repeat call: %d; known caller (formatted Contact): %d, repeat: %d; %d credits in all",
				got.newCaller, got.repeatCaller, got.knownCaller, got.knownRepeat, got.credits)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRequestBudgetWithoutCOQLScope(t *testing.T) {
	t.Parallel()
	// Without the COQL scope the search half answers alone, in the same single request.
	h := harness{server: func(c *zohotest.Config) {}}
	c, srv := h.start(t)
	creds := srv.Credentials()
	scopes := []string{}
	for _, s := range zohotest.DefaultScopes() {
		if !strings.EqualFold(s, "ZohoCRM.coql.READ") {
			scopes = append(scopes, s)
		}
	}
	refresh, err := srv.AddRefreshToken(creds.ClientID, scopes...)
	require.NoError(t, err)
	c, err = zoho.New(zoho.Config{AccountsURL: creds.AccountsURL, ClientID: creds.ClientID, ClientSecret: creds.ClientSecret,
		RefreshToken: refresh, RequestsPerSecond: 1000, Burst: 100})
	require.NoError(t, err)
	_, err = c.Users(t.Context())
	require.NoError(t, err)
	srv.ResetRequests()
	e164 := "+919812300002"
	_, err = srv.AddContact(map[string]any{"Last_Name": "Rao", "Mobile": "098123-00002"})
	require.NoError(t, err)
	variants, err := phone.SearchVariants(e164)
	require.NoError(t, err)
	recs, err := c.FindByPhone(t.Context(), variants)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, crm.ModuleContacts, recs[0].Module)
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "COQL refused inside the composite request; the searches answered")
	require.Len(t, reqs[0].SubRequests, 4)
	t.Logf("lookup without the COQL scope: %d request", len(reqs))
	srv.ResetRequests()
	_, err = c.FindByPhone(t.Context(), []string{"+919812300003", "9812300003"})
	require.NoError(t, err)
	reqs = srv.Requests()
	require.Len(t, reqs, 1)
	require.Len(t, reqs[0].SubRequests, 2, "COQL is not tried again during the cooldown")
}

// TestFaultSoak drives the adapter the way the Engine does (research/reliability.md §8.4)
// against a fake Zoho that drops responses after committing, fails with 5xx, throttles,
// truncates and expires tokens at random, with a sync-key field that is NOT unique, so that
// Zoho's unique check cannot hide a misclassified error: an error that says "not applied"
// for a write that was applied makes a duplicate, which the test counts.
func TestFaultSoak(t *testing.T) {
	t.Parallel()
	h := harness{
		server: func(c *zohotest.Config) {
			c.Seed = 7
			c.COQLIncludesConvertedLeads = true
			c.SyncKey = map[string]zohotest.SyncKeyMode{"Leads": zohotest.SyncKeyPlain, "Calls": zohotest.SyncKeyPlain, "Tasks": zohotest.SyncKeyPlain}
		},
		client: func(c *zoho.Config) { c.HTTPClient = &http.Client{Timeout: 2 * time.Second} },
	}
	c, srv := h.start(t)
	for _, r := range []zohotest.FaultRule{
		{Kind: zohotest.FaultCommitThenDrop, Probability: 0.15},
		{Kind: zohotest.FaultCommitThenServerError, Probability: 0.05},
		{Kind: zohotest.FaultCommitThenTruncate, Probability: 0.05},
		{Kind: zohotest.FaultServerError, Probability: 0.05, Status: 503},
		{Kind: zohotest.FaultTooManyRequests, Probability: 0.05},
		{Kind: zohotest.FaultDropBeforeCommit, Probability: 0.05},
		{Kind: zohotest.FaultExpireTokens, Probability: 0.05, Times: 3},
	} {
		_, err := srv.AddFault(r)
		require.NoError(t, err)
	}
	ctx := t.Context()
	start := time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("IST", 5*3600+1800))
	const callers = 25
	attempts := 0
	// create runs one create until it has an ID: after an error that may have been applied it
	// reconciles by sync key before sending again, as the Engine does.
	create := func(module crm.Module, key string, do func() (*crm.Created, error)) string {
		inDoubt := false
		for range 40 {
			attempts++
			if inDoubt {
				id, err := c.FindBySyncKey(ctx, module, key)
				if err != nil {
					continue
				}
				if id != "" {
					return id
				}
			}
			cr, err := do()
			if err == nil {
				return cr.ID
			}
			switch leadcall.CodeOf(err) {
			case leadcall.CodeRateLimited, leadcall.CodeUnauthorized:
				// Promised not applied: send again as it is.
			case leadcall.CodeInvalid, leadcall.CodeReconnectRequired, leadcall.CodeConflict:
				t.Fatalf("%s %s: unexpected permanent error %v", module, key, err)
			default:
				inDoubt = true
			}
		}
		t.Fatalf("%s %s: no ID after 40 attempts", module, key)
		return ""
	}
	for i := range callers {
		e164 := fmt.Sprintf("+9198123%05d", i)
		variants, err := phone.SearchVariants(e164)
		require.NoError(t, err)
		for range 40 {
			if _, err = c.FindByPhone(ctx, variants); err == nil {
				break
			}
		}
		require.NoError(t, err, "lookups are retried until they answer")
		leadKey := crm.LeadKey("org-1", e164)
		lead := create(crm.ModuleLeads, leadKey, func() (*crm.Created, error) {
			return c.CreateLead(ctx, &crm.Lead{SyncKey: leadKey, LastName: "Inbound Lead", Phone: e164})
		})
		who := crm.Ref{Module: crm.ModuleLeads, ID: lead}
		callKey := crm.CallKey("org-1", "dev-1", e164)
		call := create(crm.ModuleCalls, callKey, func() (*crm.Created, error) {
			return c.CreateCall(ctx, &crm.Call{SyncKey: callKey, Subject: "Missed inbound call", Type: crm.CallMissed, Start: start, Who: who})
		})
		taskKey := crm.TaskKey("org-1", "dev-1", e164)
		create(crm.ModuleTasks, taskKey, func() (*crm.Created, error) {
			return c.CreateTask(ctx, &crm.Task{SyncKey: taskKey, Subject: "Call back " + e164, Due: start, Who: who})
		})
		for module, key := range map[string]string{"Leads": leadKey, "Calls": callKey, "Tasks": taskKey} {
			require.Len(t, srv.FindBySyncKey(module, key), 1, "exactly one %s for caller %d", module, i)
		}
		rec, ok := srv.Record("Calls", call)
		require.True(t, ok)
		require.Equal(t, lead, rec.LookupID("What_Id"))
	}
	require.Equal(t, callers, srv.Count("Leads"))
	require.Equal(t, callers, srv.Count("Calls"))
	require.Equal(t, callers, srv.Count("Tasks"))
	events := srv.FaultEvents()
	kinds := map[zohotest.FaultKind]int{}
	for _, e := range events {
		kinds[e.Kind]++
	}
	t.Logf("%d creates attempted, %d faults fired: %v", attempts, len(events), kinds)
	require.Greater(t, kinds[zohotest.FaultCommitThenDrop], 0, "the soak must exercise lost responses")
}
