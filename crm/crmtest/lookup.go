package crmtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/leadcall/leadcall/crm"
)

func testFindByPhone(t *testing.T, h Harness) {
	t.Run("NoMatch", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(1001)
		recs, err := fx.crm.FindByPhone(fx.ctx, n.variants())
		if err != nil || len(recs) != 0 {
			t.Fatalf("FindByPhone on an empty CRM must return an empty slice and a nil error; got %d records, %v", len(recs), err)
		}
		fx.addLead("Other", testNumber(1002).e164)
		fx.addContact("Other", testNumber(1003).nsn)
		fx.addContact("Longer", n.e164+"9")        // holds the number's digits, and more
		fx.addContact("Other country", "+1"+n.nsn) // same digits after another country code
		if recs := fx.find(n, n.variants()); len(recs) != 0 {
			t.Errorf("FindByPhone must not return records of other numbers; got %+v", recs)
		}
	})

	t.Run("EachVariantFormat", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(1011)
		byVariant := make(map[string]string)
		var want []ref
		for _, v := range n.variants() {
			id := fx.addContact("Variant "+v, v)
			byVariant[v] = id
			want = append(want, ref{crm.ModuleContacts, id})
		}
		got := refs(fx.find(n, n.variants()))
		if diff := cmp.Diff(sortedRefs(want...), got, cmp.AllowUnexported(ref{})); diff != "" {
			t.Errorf("FindByPhone with all variants must find a record stored in each variant's format (-want +got):\n%s", diff)
		}
		for _, v := range n.variants() {
			if recs := fx.find(n, []string{v}); !hasRef(recs, crm.ModuleContacts, byVariant[v]) {
				t.Errorf("FindByPhone([%q]) must find the Contact whose phone is stored exactly as %[1]q", v)
			}
		}
	})

	t.Run("FormattedValues", func(t *testing.T) {
		fx := setup(t, h)
		if !fx.feat.FormattedPhones {
			t.Skip("Features.FormattedPhones is false")
		}
		n := testNumber(1021)
		lead := fx.addLead("Formatted", n.formatted())
		contact := fx.addContact("Formatted", n.formattedNational())
		want := sortedRefs(ref{crm.ModuleLeads, lead}, ref{crm.ModuleContacts, contact})
		if diff := cmp.Diff(want, refs(fx.find(n, n.variants())), cmp.AllowUnexported(ref{})); diff != "" {
			t.Errorf("with Features.FormattedPhones, values such as %q and %q must be found (-want +got):\n%s",
				n.formatted(), n.formattedNational(), diff)
		}
	})

	t.Run("EveryPhoneField", func(t *testing.T) {
		fx := setup(t, h)
		n, other := testNumber(1031), testNumber(1032)
		lead := fx.addLead("Second Field", other.e164, n.e164)
		contacts := []string{
			fx.addContact("Field 2", other.e164, n.national),
			fx.addContact("Field 3", other.e164, other.nsn, n.nsn),
			fx.addContact("Field 4", other.e164, other.nsn, other.national, n.intl),
		}
		recs := fx.find(n, n.variants())
		if !hasRef(recs, crm.ModuleLeads, lead) {
			t.Errorf("FindByPhone must search every phone field of Leads: the number in a Lead's second phone field was not found")
		}
		for i, id := range contacts {
			if !hasRef(recs, crm.ModuleContacts, id) {
				t.Errorf("FindByPhone must search every phone field of Contacts: the number in field %d was not found", i+2)
			}
		}
		if r, ok := record(recs, crm.ModuleContacts, contacts[2]); ok {
			if !slices.Contains(r.Phones, n.intl) || !slices.Contains(r.Phones, other.e164) {
				t.Errorf("Record.Phones must hold the values of the record's phone fields as stored; got %q", r.Phones)
			}
		}
	})

	t.Run("LeadsAndContacts", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(1041)
		lead := fx.addLead("Sharma", n.e164)
		contact := fx.addContact("Verma", n.nsn)
		twice := fx.addContact("Twice", n.e164, n.national)
		recs := fx.find(n, n.variants())
		want := sortedRefs(ref{crm.ModuleLeads, lead}, ref{crm.ModuleContacts, contact}, ref{crm.ModuleContacts, twice})
		if diff := cmp.Diff(want, refs(recs), cmp.AllowUnexported(ref{})); diff != "" {
			t.Errorf("FindByPhone must return the union of matching Leads and Contacts (-want +got):\n%s", diff)
		}
		if r, ok := record(recs, crm.ModuleLeads, lead); ok && !strings.Contains(r.Name, "Sharma") {
			t.Errorf("Record.Name must be the name as the CRM shows it; got %q for last name Sharma", r.Name)
		}
		if r, ok := record(recs, crm.ModuleContacts, contact); ok && !strings.Contains(r.Name, "Verma") {
			t.Errorf("Record.Name must be the name as the CRM shows it; got %q for last name Verma", r.Name)
		}
		d := crm.Decide(crm.DecideInput{Matches: recs, LeadKey: crm.LeadKey("org", n.e164)})
		if d.Action != crm.ActionReviewAmbiguous || len(d.Candidates) != 3 {
			t.Errorf("three distinct records must make the decision table ask for review with 3 candidates; got %v with %d",
				d.Action, len(d.Candidates))
		}
	})

	t.Run("ConvertedLeadExcluded", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(1051)
		lead := fx.addLead("Converted", n.e164)
		kept := fx.addLead("Kept", n.national)
		fx.fatalIf(fx.seed.ConvertLead(fx.ctx, lead), "Seeder.ConvertLead")
		recs := fx.find(n, n.variants())
		if hasRef(recs, crm.ModuleLeads, lead) {
			t.Errorf("FindByPhone must leave out converted Leads")
		}
		if !hasRef(recs, crm.ModuleLeads, kept) {
			t.Errorf("FindByPhone must still find the Leads that were not converted")
		}
	})

	t.Run("FindsCreatedLead", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(1061)
		key := crm.LeadKey("org-1", n.e164)
		id := mustCreate(t, "CreateLead")(fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead", Phone: n.e164}))
		recs := fx.waitFind(n, func(recs []crm.Record) bool { return hasRef(recs, crm.ModuleLeads, id) })
		r, ok := record(recs, crm.ModuleLeads, id)
		if !ok {
			t.Fatalf("FindByPhone must find a Lead made by CreateLead within Features.IndexLag (%v)", fx.feat.IndexLag)
		}
		switch {
		case r.SyncKey != "" && r.SyncKey != key:
			t.Errorf("Record.SyncKey must be the key the Lead was created with or empty; got %q, want %q", r.SyncKey, key)
		case fx.feat.SyncKeyInLookups && r.SyncKey != key:
			t.Errorf("with Features.SyncKeyInLookups, Record.SyncKey must be the Lead's key %q; got %q", key, r.SyncKey)
		}
		if fx.feat.SyncKeyInLookups {
			d := crm.Decide(crm.DecideInput{Matches: recs, LeadKey: key})
			if d.Action != crm.ActionLinkLead || d.Who.ID != id {
				t.Errorf("the decision table must recognise leadcall's own Lead by its key; got %v", d.Action)
			}
		}
	})

	t.Run("UnicodeName", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(1071)
		name := "Nguyễn-李 O'Brien Ñúñez"
		lead := fx.addLead(name, n.e164)
		r, ok := record(fx.find(n, n.variants()), crm.ModuleLeads, lead)
		if !ok {
			t.Fatalf("FindByPhone did not find the Lead")
		}
		if !strings.Contains(r.Name, name) {
			t.Errorf("names must round-trip unchanged: got %q, want it to contain %q", r.Name, name)
		}
	})
}
