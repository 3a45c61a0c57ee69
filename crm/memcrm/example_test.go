package memcrm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
)

// A Contact typed in by a person is found through every phone field and format, and the
// decision table links the call to it.
func Example() {
	ctx := context.Background()
	c := memcrm.New(nil)
	if _, err := c.AddUser(crm.User{ID: "u1", Name: "Asha Rao", Email: "asha@example.com", Active: true}); err != nil {
		log.Fatal(err)
	}
	contactID, err := c.AddContact(memcrm.Person{FirstName: "Ravi", LastName: "Iyer",
		Phones: map[string]string{"Phone": "+1 415 555 0100", "Home_Phone": "(098765) 43210"}})
	if err != nil {
		log.Fatal(err)
	}

	// The search variants of +919876543210 (phone.SearchVariants).
	recs, err := c.FindByPhone(ctx, []string{"+919876543210", "09876543210", "9876543210", "919876543210"})
	if err != nil {
		log.Fatal(err)
	}
	d := crm.Decide(crm.DecideInput{Matches: recs, LeadKey: crm.LeadKey("org-1", "+919876543210")})
	fmt.Println(d.Action, d.Who.Module, d.Who.ID == contactID, recs[0].Name, recs[0].Phones)

	_, err = c.CreateCall(ctx, &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c1"), Subject: "Inbound call",
		Type: crm.CallInbound, Start: time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC), Duration: 95 * time.Second,
		Who: d.Who, OwnerID: "u1"})
	if err != nil {
		log.Fatal(err)
	}
	call := c.Calls()[0]
	fmt.Println(call.Subject, call.Who.Module, call.OwnerID, c.Writes())
	// Output:
	// link_contact Contacts true Ravi Iyer [+1 415 555 0100 (098765) 43210]
	// Inbound call Contacts u1 1
}

// Scripted faults: the next request is rate limited, the one after succeeds.
func ExampleCRM_FailNext() {
	ctx := context.Background()
	c := memcrm.New(nil)
	c.FailNext(memcrm.OpCreateLead, 1, memcrm.Fault{Code: leadcall.CodeRateLimited, RetryAfter: 30 * time.Second})

	lead := &crm.Lead{SyncKey: crm.LeadKey("org-1", "+919876543210"), LastName: "Inbound Lead", Phone: "+919876543210"}
	_, err := c.CreateLead(ctx, lead)
	fmt.Println(leadcall.CodeOf(err), leadcall.RetryAfterOf(err), c.Counts().Leads)

	_, err = c.CreateLead(ctx, lead)
	fmt.Println(err, c.Counts().Leads, c.Requests(memcrm.OpCreateLead))
	// Output:
	// rate_limited 30s 0
	// <nil> 1 2
}

// A lost response: the write is applied but the caller sees CodeUnavailable. The record is
// found by its sync key, and a second create with the key clashes with it.
func ExampleCRM_CommitThenFail() {
	ctx := context.Background()
	c := memcrm.New(nil)
	c.CommitThenFail(memcrm.OpCreateLead, 1)

	key := crm.LeadKey("org-1", "+919876543210")
	_, err := c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead"})
	fmt.Println(leadcall.CodeOf(err), c.Counts().Leads)

	id, _ := c.FindBySyncKey(ctx, crm.ModuleLeads, key)
	_, err = c.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead"})
	var e *leadcall.Error
	if errors.As(err, &e) && e.Code == leadcall.CodeConflict {
		fmt.Println("conflict names the lost write:", e.ExistingID == id)
	}
	// Output:
	// unavailable 1
	// conflict names the lost write: true
}

// A lagging search index: a new Lead is invisible to lookups for IndexLag, measured with the
// Now hook.
func ExampleConfig_indexLag() {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := memcrm.New(&memcrm.Config{Now: clock, IndexLag: 5 * time.Second})

	if _, err := c.CreateLead(ctx, &crm.Lead{SyncKey: "k1", LastName: "Inbound Lead"}); err != nil {
		log.Fatal(err)
	}
	id, _ := c.FindBySyncKey(ctx, crm.ModuleLeads, "k1")
	fmt.Printf("at once: %q\n", id)

	mu.Lock()
	now = now.Add(5 * time.Second)
	mu.Unlock()
	id, _ = c.FindBySyncKey(ctx, crm.ModuleLeads, "k1")
	fmt.Println("after the lag:", id != "")
	// Output:
	// at once: ""
	// after the lag: true
}

// Lead_Source accepts display and actual values and stores the display value.
func ExampleCRM_SetPicklist() {
	ctx := context.Background()
	c := memcrm.New(nil)
	err := c.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{{DisplayValue: "Google Ads", ActualValue: "google_ads"}})
	if err != nil {
		log.Fatal(err)
	}
	created, err := c.CreateLead(ctx, &crm.Lead{LastName: "Inbound Lead", LeadSource: "google_ads"})
	if err != nil {
		log.Fatal(err)
	}
	l, _ := c.Lead(created.ID)
	fmt.Println(l.LeadSource)

	_, err = c.CreateLead(ctx, &crm.Lead{LastName: "Inbound Lead", LeadSource: "Billboard"})
	fmt.Println(err)
	// Output:
	// Google Ads
	// memcrm: CreateLead: Lead_Source: "Billboard" is not a value of the Lead_Source picklist
}

func ExamplePhoneKey() {
	for _, s := range []string{"+91 98765-43210", "(098765) 43.210", "919876543210"} {
		fmt.Println(memcrm.PhoneKey(s))
	}
	// Output:
	// +919876543210
	// 09876543210
	// 919876543210
}
