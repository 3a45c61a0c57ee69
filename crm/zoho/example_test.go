package zoho_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/phone"
)

// Example connects to a Zoho org (here the fake Zoho server), looks a caller up in Leads and
// Contacts, and logs a missed call with a Lead and a follow-up Task in one request.
func Example() {
	srv := zohotest.New(zohotest.Config{COQLIncludesConvertedLeads: true})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.AddContact(map[string]any{"First_Name": "Asha", "Last_Name": "Rao", "Mobile": "098123 45678"}); err != nil {
		log.Fatal(err)
	}

	creds := srv.Credentials() // in production: zoho.ExchangeCode at first connect
	c, err := zoho.New(zoho.Config{
		AccountsURL:  creds.AccountsURL, // or DataCenter: zoho.DataCenterIndia
		ClientID:     creds.ClientID,
		ClientSecret: creds.ClientSecret,
		RefreshToken: creds.RefreshToken,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// A known caller: found through the national format a person typed, with a space, in
	// Mobile (COQL and a search on phone fields, in one request).
	variants, err := phone.SearchVariants("+919812345678")
	if err != nil {
		log.Fatal(err)
	}
	recs, err := c.FindByPhone(ctx, variants)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Println(r.Module, r.Name, r.Phones)
	}

	// A new caller's missed call: Lead, Call and Task.
	const caller = "+919800000001"
	start := time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("IST", 5*3600+1800))
	res, err := c.CreateBundle(ctx, &crm.Bundle{
		Lead: &crm.Lead{SyncKey: crm.LeadKey("org-1", caller), LastName: "Inbound Lead", Phone: caller},
		Call: &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "c1"), Subject: "Missed inbound call", Type: crm.CallMissed, Start: start},
		Task: &crm.Task{SyncKey: crm.TaskKey("org-1", "dev-1", "c1"), Subject: "Call back " + caller, Due: start},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lead, call and task created:", res.Lead.Err == nil && res.Call.Err == nil && res.Task.Err == nil)
	fmt.Println("CRM requests:", c.Stats().Requests, "credits:", c.Credits())
	// Output:
	// Contacts Asha Rao [098123 45678]
	// lead, call and task created: true
	// CRM requests: 2 credits: 2
}

// ExampleAuthCodeURL builds the link that starts the first connection.
func ExampleAuthCodeURL() {
	u, err := zoho.AuthCodeURL(zoho.AuthCodeParams{
		ClientID:    "1000.EXAMPLE",
		RedirectURI: "https://leadcall.example/zoho/callback",
		State:       "b2f5e1",
		Scopes:      []string{"ZohoCRM.modules.leads.READ", "ZohoCRM.coql.READ"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u)
	// Output:
	// https://accounts.zoho.com/oauth/v2/auth?access_type=offline&client_id=1000.EXAMPLE&prompt=consent&redirect_uri=https%3A%2F%2Fleadcall.example%2Fzoho%2Fcallback&response_type=code&scope=ZohoCRM.modules.leads.READ%2CZohoCRM.coql.READ&state=b2f5e1
}

// ExampleParseDataCenter shows Canada's split domains.
func ExampleParseDataCenter() {
	dc, err := zoho.ParseDataCenter("ca")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dc.AccountsURL())
	fmt.Println(dc.APIDomain())
	// Output:
	// https://accounts.zohocloud.ca
	// https://www.zohoapis.ca
}
