package leadcall_test

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/device"
)

var ist = time.FixedZone("IST", 5*3600+1800)

// at is a time on the test day, in India.
func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-20 "+hhmm, ist)
	if err != nil {
		panic(err)
	}
	return t
}

// dayCRM is a CRM the realistic day runs against, with the seeding and inspection the test
// needs: memcrm directly, or the Zoho adapter talking to the fake Zoho server.
type dayCRM interface {
	CRM() leadcall.CRM
	AddUser(first, last, email string) string // returns the user ID
	DefaultOwner() string                     // the owner the CRM gives records sent without one
	SetPicklist(module crm.Module, field string, values []crm.PicklistValue)
	AddLead(first, last, phoneField, phone string)
	AddContact(first, last, phoneField, phone string)
	Leads() []dayLead
	Contacts() []dayRecord
	Calls() []dayActivity
	Tasks() []dayActivity
}

type dayRecord struct{ ID, Name string }

type dayLead struct {
	ID, Name, Phone, Source, Owner string
	Company                        string
}

type dayActivity struct {
	Subject, Type, Start, Due, Status, Priority string
	DurationS                                   int
	Who, Owner, Result                          string
}

// dayFixture sets up the org of the realistic day: three campaign phones, two rep phones,
// two reps mapped to CRM users, and a CRM that already knows some callers.
type dayFixture struct {
	*harness
	org        string
	crm        dayCRM
	asha, ravi string // CRM user IDs
}

func newDay(t *testing.T, backend func(h *harness) dayCRM, config func(*leadcall.Config)) *dayFixture {
	h := newHarness(t, harnessOpts{start: at("07:00"), config: config})
	d := &dayFixture{harness: h, org: "acme"}
	d.crm = backend(h)
	h.setCRM(d.crm.CRM())
	ctx := h.ctx
	s := leadcall.DefaultSettings()
	s.TimeZone = "Asia/Kolkata"
	s.Rules.BlockedNumbers = []string{"+91 99999 99999"}
	s.TaskDueOffsetMinutes = 24 * 60
	require.NoError(t, h.eng.CreateOrg(ctx, &leadcall.Org{ID: d.org, Name: "Acme Realty", Settings: s}))

	c := d.crm
	d.asha = c.AddUser("Asha", "Rao", "asha@example.com")
	d.ravi = c.AddUser("Ravi", "Kumar", "ravi@example.com")
	c.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{
		{DisplayValue: "Google Ads", ActualValue: "google_ads"},
		{DisplayValue: "Facebook", ActualValue: "Facebook"},
		{DisplayValue: "Instagram", ActualValue: "Instagram"},
		{DisplayValue: "Hoarding", ActualValue: "Hoarding"},
	})
	c.SetPicklist(crm.ModuleCalls, "Call_Result", []crm.PicklistValue{
		{DisplayValue: "Answered", ActualValue: "Answered"}, {DisplayValue: "Missed", ActualValue: "Missed"},
	})
	// Callers the CRM already knows.
	c.AddContact("Meera", "Shah", "Mobile", "98200 11111")
	c.AddLead("Old", "Lead", "Phone", "+919811122222")
	c.AddLead("", "Twice A", "Phone", "9833333333")
	c.AddContact("", "Twice B", "Phone", "+91 98333 33333")

	for _, r := range []leadcall.Rep{{ID: "asha", Name: "Asha Rao"}, {ID: "ravi", Name: "Ravi Kumar"}} {
		r.OrgID = d.org
		require.NoError(t, h.eng.CreateRep(ctx, &r))
	}
	_, err := h.eng.MapRep(ctx, d.org, "asha", d.asha)
	require.NoError(t, err)
	_, err = h.eng.MapRep(ctx, d.org, "ravi", d.ravi)
	require.NoError(t, err)

	devices := []leadcall.Device{
		{ID: "google", Nickname: "Google Ads line", Kind: device.KindCampaign, RepID: "asha"},
		{ID: "fb", Nickname: "Facebook line", Kind: device.KindCampaign, RepID: "ravi"},
		{ID: "hoarding", Nickname: "MG Road hoarding", Kind: device.KindCampaign},
		{ID: "asha-phone", Nickname: "Asha", Kind: device.KindSalesRep, RepID: "asha"},
		{ID: "ravi-phone", Nickname: "Ravi", Kind: device.KindSalesRep, RepID: "ravi"},
	}
	for _, dv := range devices {
		dv.OrgID, dv.Active = d.org, true
		require.NoError(t, h.eng.CreateDevice(ctx, &dv))
	}
	require.NoError(t, h.eng.Heartbeat(ctx, &leadcall.Heartbeat{OrgID: d.org, DeviceID: "asha-phone", Battery: 80,
		SIMs: []leadcall.SIM{{Slot: 0, Number: "90000 00001", Carrier: "Jio"}}}))
	return d
}

func (d *dayFixture) assign(dev, source string, md map[string]string) {
	d.t.Helper()
	// A manager whose save fails for a passing CRM error (it checks the picklist) saves again.
	for try := 0; ; try++ {
		_, _, err := d.eng.SetAssignment(d.ctx, leadcall.SetAssignmentParams{OrgID: d.org, DeviceID: dev, LeadSource: source, Metadata: md})
		if try < 10 && (errors.Is(err, leadcall.ErrUnavailable) || errors.Is(err, leadcall.ErrRateLimited) || leadcall.CodeOf(err) == leadcall.CodeUnknown && err != nil) {
			continue
		}
		require.NoError(d.t, err)
		return
	}
}

func call(id, number, typ, hhmm string, dur int) leadcall.IncomingCall {
	return leadcall.IncomingCall{ID: id, Number: number, Type: typ, StartedAt: at(hhmm), DurationS: dur}
}

// TestRealisticDay runs a day of calls through the Engine and checks exactly what the CRM
// holds, what went to review, and how each call was disposed.
func TestRealisticDay(t *testing.T) {
	t.Parallel()
	d := newDay(t, memcrmDay, nil)
	d.run()
	d.check()
}

// TestRealisticDayZoho runs the same day through the Zoho adapter against the fake Zoho
// server: Zoho ends up holding exactly the same Leads, Calls and Tasks.
func TestRealisticDayZoho(t *testing.T) {
	t.Parallel()
	d := newDay(t, newZohoDay(zohotest.Config{}), nil)
	d.run()
	d.check()
}

// TestRealisticDayZohoFaults runs the day against a Zoho that fails: 10 % server errors, 5 %
// writes committed whose response is lost, 5 % rate limits, a search index 5 s behind, and one
// expiry of every access token. Zoho still ends up with exactly the same records: no
// duplicate, every call synced or in review.
func TestRealisticDayZohoFaults(t *testing.T) {
	t.Parallel()
	d := newDay(t, newZohoDay(zohotest.Config{IndexLag: 5 * time.Second, Seed: 42}), func(c *leadcall.Config) {
		c.MaxAttempts = 1000
	})
	srv := d.crm.(*zohoDay).srv
	for _, rule := range []zohotest.FaultRule{
		{Kind: zohotest.FaultExpireTokens, After: 20, Times: 1},
		// One of each for certain, then the random schedule.
		{Kind: zohotest.FaultServerError, After: 5, Times: 1},
		{Kind: zohotest.FaultCommitThenDrop, After: 10, Times: 1},
		{Kind: zohotest.FaultTooManyRequests, After: 15, Times: 1},
		{Kind: zohotest.FaultServerError, Probability: 0.10},
		{Kind: zohotest.FaultCommitThenDrop, Probability: 0.05},
		{Kind: zohotest.FaultTooManyRequests, Probability: 0.05},
	} {
		_, err := srv.AddFault(rule)
		require.NoError(t, err)
	}
	d.run()
	d.check()
	fired := map[zohotest.FaultKind]int{}
	for _, ev := range srv.FaultEvents() {
		fired[ev.Kind]++
	}
	t.Logf("faults fired: %v", fired)
	for _, k := range []zohotest.FaultKind{zohotest.FaultExpireTokens, zohotest.FaultServerError, zohotest.FaultCommitThenDrop, zohotest.FaultTooManyRequests} {
		require.Positive(t, fired[k], "fault %v never fired", k)
	}
}

// run plays the day's calls and waits for the sync.
func (d *dayFixture) run() {

	d.clock.Set(at("08:00"))
	d.assign("google", "google_ads", map[string]string{"Company": "Pune Expo", "Campaign": "Diwali"}) // actual value → display stored; no Campaign field
	d.assign("fb", "Facebook", nil)
	d.assign("hoarding", "Hoarding", map[string]string{"Budget": "5L"}) // no such field: stored, never sent

	// Morning uploads.
	d.clock.Set(at("11:30"))
	d.ingest(d.org, "google",
		call("g1", "098765 12345", "inbound", "09:00", 125), // new caller A
		call("g2", "+91-98765 12345", "missed", "09:30", 0), // A again: linked, task
		call("g3", "9833333333", "missed", "11:10", 0),      // Lead + Contact: ambiguous
	)
	d.ingest(d.org, "fb",
		call("f1", "0091 98200 11111", "missed", "10:00", 0), // existing Contact
		call("f2", "-1", "inbound", "10:15", 5),              // private
		call("f3", "9811122222", "inbound", "11:00", 60),     // a Lead leadcall did not create: review
	)
	d.ingest(d.org, "hoarding",
		call("h1", "+91 99999 99999", "missed", "10:30", 0), // blocked spam
		call("h2", "9000000001", "inbound", "10:45", 12),    // own number (Asha's SIM)
	)
	d.ingest(d.org, "asha-phone", call("a1", "9876512345", "outbound", "11:20", 90)) // callback to A, connected

	// The Facebook line moves to Instagram at noon; Google changes campaign at 13:00.
	d.clock.Set(at("12:00"))
	d.assign("fb", "Instagram", nil)
	d.clock.Set(at("13:00"))
	d.assign("google", "Google Ads", map[string]string{"Company": "Diwali-2"})

	// Evening uploads, including one the Facebook phone recorded before noon and sent late.
	d.clock.Set(at("20:00"))
	d.ingest(d.org, "fb",
		call("f4", "9700000003", "missed", "12:30", 0),  // new caller B (Instagram)
		call("f5", "97000 00003", "missed", "12:40", 0), // B again, before any callback: no 2nd task
		call("f6", "9700000004", "missed", "11:50", 0),  // late upload, new caller C: Facebook
	)
	d.ingest(d.org, "ravi-phone", call("r1", "9700000003", "outbound", "13:05", 0))     // not connected
	d.ingest(d.org, "hoarding", call("h3", "+44 20 7946 0958", "inbound", "15:00", 30)) // UK caller D, no owner
	d.ingest(d.org, "google",
		call("g4", "12345", "missed", "14:00", 0),      // unreadable number
		call("g5", "9876512345", "missed", "16:00", 0), // A again after a connected callback: new task
	)
	d.waitIdle()

}

// check compares everything the day left behind with what a person computed by hand.
func (d *dayFixture) check() {
	t := d.t
	// The CRM, exactly.
	leads := d.crm.Leads()
	leadIDs := map[string]string{} // phone → Lead ID
	for i := range leads {
		leadIDs[leads[i].Phone] = leads[i].ID
		leads[i].ID = ""
	}
	sort.Slice(leads, func(i, j int) bool { return leads[i].Phone < leads[j].Phone })
	def := d.crm.DefaultOwner()
	require.Empty(t, cmp.Diff([]dayLead{
		// No rep on the hoarding line: Owner is not sent, and the CRM picks its default user.
		{Name: "Inbound Lead", Phone: "+442079460958", Source: "Hoarding", Owner: def},
		{Name: "Inbound Lead", Phone: "+919700000003", Source: "Instagram", Owner: d.ravi},
		{Name: "Inbound Lead", Phone: "+919700000004", Source: "Facebook", Owner: d.ravi},
		{Name: "Old Lead", Phone: "+919811122222", Owner: def},
		{Name: "Inbound Lead", Phone: "+919876512345", Source: "Google Ads", Owner: d.asha, Company: "Pune Expo"},
		{Name: "Twice A", Phone: "9833333333", Owner: def},
	}, leads), "Leads")

	contactID := ""
	for _, ct := range d.crm.Contacts() {
		if ct.Name == "Meera Shah" {
			contactID = ct.ID
		}
	}
	require.NotEmpty(t, contactID)
	calls := d.crm.Calls()
	sort.Slice(calls, func(i, j int) bool { return calls[i].Start < calls[j].Start })
	A, B, C, D := "Leads:"+leadIDs["+919876512345"], "Leads:"+leadIDs["+919700000003"], "Leads:"+leadIDs["+919700000004"], "Leads:"+leadIDs["+442079460958"]
	meera := "Contacts:" + contactID
	act := func(subject, typ, start string, dur int, who, owner, result string) dayActivity {
		return dayActivity{Subject: subject, Type: typ, Start: start, DurationS: dur, Who: who, Owner: owner, Result: result}
	}
	require.Empty(t, cmp.Diff([]dayActivity{
		act("Inbound call", "Inbound", "2026-11-20T09:00:00+05:30", 125, A, d.asha, "Answered"),
		act("Missed inbound call", "Missed", "2026-11-20T09:30:00+05:30", 0, A, d.asha, "Missed"),
		act("Missed inbound call", "Missed", "2026-11-20T10:00:00+05:30", 0, meera, d.ravi, "Missed"),
		act("Missed inbound call", "Missed", "2026-11-20T11:50:00+05:30", 0, C, d.ravi, "Missed"),
		act("Missed inbound call", "Missed", "2026-11-20T12:30:00+05:30", 0, B, d.ravi, "Missed"),
		act("Missed inbound call", "Missed", "2026-11-20T12:40:00+05:30", 0, B, d.ravi, "Missed"),
		act("Inbound call", "Inbound", "2026-11-20T15:00:00+05:30", 30, D, def, "Answered"),
		act("Missed inbound call", "Missed", "2026-11-20T16:00:00+05:30", 0, A, d.asha, "Missed"),
	}, calls), "Calls")

	tasks := d.crm.Tasks()
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Subject+tasks[i].Who < tasks[j].Subject+tasks[j].Who })
	task := func(subject, who, owner string) dayActivity {
		return dayActivity{Subject: subject, Due: "2026-11-21", Status: "Not Started", Priority: "High", Who: who, Owner: owner}
	}
	require.Empty(t, cmp.Diff([]dayActivity{
		task("Call back +919700000003", B, d.ravi),
		task("Call back +919700000004", C, d.ravi),
		task("Call back +919820011111", meera, d.ravi),
		task("Call back +919876512345", A, d.asha),
		task("Call back +919876512345", A, d.asha),
	}, tasks), "Tasks")
	require.Len(t, d.crm.Contacts(), 2, "no Contact is ever created")

	// Every call, disposed and synced as expected.
	type callRow struct {
		ID          string
		Disposition leadcall.Disposition
		Reason      leadcall.Reason
		Sync        leadcall.SyncStatus
		Outcome     leadcall.SyncOutcome
		Source      string
	}
	var got []callRow
	for _, c := range d.allCalls(d.org) {
		got = append(got, callRow{c.DeviceCallID, c.Disposition, c.Reason, c.SyncStatus, c.Outcome, c.LeadSource})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	require.Empty(t, cmp.Diff([]callRow{
		{"a1", leadcall.DispositionLocal, leadcall.ReasonSalesRep, leadcall.SyncNone, "", ""},
		{"f1", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeLinkedContact, "Facebook"},
		{"f2", leadcall.DispositionIgnored, leadcall.ReasonPrivateNumber, leadcall.SyncNone, "", "Facebook"},
		{"f3", leadcall.DispositionSync, "", leadcall.SyncReview, leadcall.OutcomeReviewDuplicateLead, "Facebook"},
		{"f4", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeCreatedLead, "Instagram"},
		{"f5", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeLinkedLead, "Instagram"},
		{"f6", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeCreatedLead, "Facebook"},
		{"g1", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeCreatedLead, "Google Ads"},
		{"g2", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeLinkedLead, "Google Ads"},
		{"g3", leadcall.DispositionSync, "", leadcall.SyncReview, leadcall.OutcomeReviewAmbiguous, "Google Ads"},
		{"g4", leadcall.DispositionIgnored, leadcall.ReasonInvalidNumber, leadcall.SyncNone, "", "Google Ads"},
		{"g5", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeLinkedLead, "Google Ads"},
		{"h1", leadcall.DispositionIgnored, leadcall.ReasonBlocked, leadcall.SyncNone, "", "Hoarding"},
		{"h2", leadcall.DispositionIgnored, leadcall.ReasonOwnNumber, leadcall.SyncNone, "", "Hoarding"},
		{"h3", leadcall.DispositionSync, "", leadcall.SyncSynced, leadcall.OutcomeCreatedLead, "Hoarding"},
		{"r1", leadcall.DispositionLocal, leadcall.ReasonSalesRep, leadcall.SyncNone, "", ""},
	}, got), "calls")

	// Review items: one per call that needs a person.
	page, err := d.store.ListReview(d.ctx, &leadcall.ReviewFilter{OrgID: d.org})
	require.NoError(t, err)
	type reviewRow struct {
		Kind       leadcall.ReviewKind
		Number     string
		Candidates []string
	}
	var reviews []reviewRow
	for _, it := range page.Items {
		row := reviewRow{Kind: it.Kind, Number: it.NumberE164}
		for _, c := range it.Candidates {
			row.Candidates = append(row.Candidates, string(c.Module)+":"+c.Name)
		}
		sort.Strings(row.Candidates)
		reviews = append(reviews, row)
	}
	sort.Slice(reviews, func(i, j int) bool { return reviews[i].Kind < reviews[j].Kind })
	require.Empty(t, cmp.Diff([]reviewRow{
		{Kind: leadcall.ReviewAmbiguous, Number: "+919833333333", Candidates: []string{"Contacts:Twice B", "Leads:Twice A"}},
		{Kind: leadcall.ReviewDuplicateLead, Number: "+919811122222", Candidates: []string{"Leads:Old Lead"}},
		{Kind: leadcall.ReviewInvalidNumber, Number: ""},
	}, reviews), "review items")

	// Live events reached the Notifier. They are handed over just after their commit, so the
	// last ones may still be on their way when the jobs look done.
	want := map[leadcall.EventType]int{leadcall.EventCallIngested: 16, leadcall.EventCallSynced: 8,
		leadcall.EventCallReview: 2, leadcall.EventReviewCreated: 3}
	require.Eventually(t, func() bool {
		types := d.events.types()
		for typ, n := range want {
			if types[typ] != n {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "events: %v", want)
	time.Sleep(50 * time.Millisecond) // and no more than those arrive
	types := d.events.types()
	for typ, n := range want {
		require.Equal(t, n, types[typ], "%s events", typ)
	}
}
