package crm_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm"
)

const (
	caller   = "+919876543210"
	otherKey = "lc1L_aaaaaaaaaaaaaaaaaaaaaaaaaa" // a Lead key of another caller or org
)

var ourKey = crm.LeadKey("org-1", caller)

func lead(id, syncKey string) crm.Record {
	return crm.Record{Module: crm.ModuleLeads, ID: id, Name: "Lead " + id, Phones: []string{caller}, SyncKey: syncKey}
}

func contact(id string) crm.Record {
	return crm.Record{Module: crm.ModuleContacts, ID: id, Name: "Contact " + id, Phones: []string{"09876543210"}}
}

// TestDecide covers every row of the decision table (DESIGN.md §4) and its edge cases.
func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    crm.DecideInput
		want  crm.Decision
		descr string
	}{
		// Row 1: none.
		{"no match", crm.DecideInput{LeadKey: ourKey},
			crm.Decision{Action: crm.ActionCreateLead}, "nobody has the number: create a Lead"},
		{"no match, empty slice", crm.DecideInput{Matches: []crm.Record{}, LeadKey: ourKey, KnownLeadIDs: []string{"L1"}},
			crm.Decision{Action: crm.ActionCreateLead}, "known IDs do not matter when nothing matched"},

		// Row 2: exactly one Contact, no Lead.
		{"one contact", crm.DecideInput{Matches: []crm.Record{contact("C1")}, LeadKey: ourKey},
			crm.Decision{Action: crm.ActionLinkContact, Who: crm.Ref{Module: crm.ModuleContacts, ID: "C1"}, Candidates: []crm.Record{contact("C1")}}, ""},
		{"one contact found through every variant", crm.DecideInput{Matches: []crm.Record{contact("C1"), contact("C1"), contact("C1"), contact("C1")}},
			crm.Decision{Action: crm.ActionLinkContact, Who: crm.Ref{Module: crm.ModuleContacts, ID: "C1"}, Candidates: []crm.Record{contact("C1")}},
			"duplicates via several variants count once"},
		{"one contact whose ID is a known lead ID", crm.DecideInput{Matches: []crm.Record{contact("L1")}, KnownLeadIDs: []string{"L1"}},
			crm.Decision{Action: crm.ActionLinkContact, Who: crm.Ref{Module: crm.ModuleContacts, ID: "L1"}, Candidates: []crm.Record{contact("L1")}},
			"known IDs identify Leads only"},

		// Row 3: exactly one Lead that leadcall created.
		{"our lead by sync key", crm.DecideInput{Matches: []crm.Record{lead("L1", ourKey)}, LeadKey: ourKey},
			crm.Decision{Action: crm.ActionLinkLead, Who: crm.Ref{Module: crm.ModuleLeads, ID: "L1"}, Candidates: []crm.Record{lead("L1", ourKey)}}, ""},
		{"our lead by known ID", crm.DecideInput{Matches: []crm.Record{lead("L1", "")}, LeadKey: ourKey, KnownLeadIDs: []string{"L0", "L1"}},
			crm.Decision{Action: crm.ActionLinkLead, Who: crm.Ref{Module: crm.ModuleLeads, ID: "L1"}, Candidates: []crm.Record{lead("L1", "")}},
			"CRMs without a sync-key field: the stored ID identifies our Lead"},
		{"our lead by known ID despite another key", crm.DecideInput{Matches: []crm.Record{lead("L1", otherKey)}, LeadKey: ourKey, KnownLeadIDs: []string{"L1"}},
			crm.Decision{Action: crm.ActionLinkLead, Who: crm.Ref{Module: crm.ModuleLeads, ID: "L1"}, Candidates: []crm.Record{lead("L1", otherKey)}}, ""},
		{"our lead found twice", crm.DecideInput{Matches: []crm.Record{lead("L1", ourKey), lead("L1", ourKey)}, LeadKey: ourKey},
			crm.Decision{Action: crm.ActionLinkLead, Who: crm.Ref{Module: crm.ModuleLeads, ID: "L1"}, Candidates: []crm.Record{lead("L1", ourKey)}}, ""},

		// Row 4: exactly one other Lead.
		{"a lead a person made", crm.DecideInput{Matches: []crm.Record{lead("L9", "")}, LeadKey: ourKey, KnownLeadIDs: []string{"L1"}},
			crm.Decision{Action: crm.ActionReviewDuplicateLead, Candidates: []crm.Record{lead("L9", "")}}, ""},
		{"a lead with another key", crm.DecideInput{Matches: []crm.Record{lead("L9", otherKey)}, LeadKey: ourKey},
			crm.Decision{Action: crm.ActionReviewDuplicateLead, Candidates: []crm.Record{lead("L9", otherKey)}}, ""},
		{"empty lead key does not match a lead without key", crm.DecideInput{Matches: []crm.Record{lead("L9", "")}},
			crm.Decision{Action: crm.ActionReviewDuplicateLead, Candidates: []crm.Record{lead("L9", "")}}, "an empty key is no key"},
		{"empty known IDs are ignored", crm.DecideInput{Matches: []crm.Record{lead("", "")}, KnownLeadIDs: []string{""}},
			crm.Decision{Action: crm.ActionReviewDuplicateLead, Candidates: []crm.Record{lead("", "")}}, "an empty ID identifies nothing"},
		{"a lead found twice, not ours", crm.DecideInput{Matches: []crm.Record{lead("L9", ""), lead("L9", "")}, LeadKey: ourKey},
			crm.Decision{Action: crm.ActionReviewDuplicateLead, Candidates: []crm.Record{lead("L9", "")}}, ""},

		// Row 5: more than one record.
		{"our lead and a contact", crm.DecideInput{Matches: []crm.Record{lead("L1", ourKey), contact("C1")}, LeadKey: ourKey, KnownLeadIDs: []string{"L1"}},
			crm.Decision{Action: crm.ActionReviewAmbiguous, Candidates: []crm.Record{lead("L1", ourKey), contact("C1")}},
			"one own Lead and one Contact are ambiguous"},
		{"two contacts", crm.DecideInput{Matches: []crm.Record{contact("C1"), contact("C2")}},
			crm.Decision{Action: crm.ActionReviewAmbiguous, Candidates: []crm.Record{contact("C1"), contact("C2")}}, ""},
		{"our lead and another lead", crm.DecideInput{Matches: []crm.Record{lead("L9", ""), lead("L1", ourKey)}, LeadKey: ourKey},
			crm.Decision{Action: crm.ActionReviewAmbiguous, Candidates: []crm.Record{lead("L9", ""), lead("L1", ourKey)}}, ""},
		{"two of our leads", crm.DecideInput{Matches: []crm.Record{lead("L1", ourKey), lead("L2", "")}, LeadKey: ourKey, KnownLeadIDs: []string{"L2"}},
			crm.Decision{Action: crm.ActionReviewAmbiguous, Candidates: []crm.Record{lead("L1", ourKey), lead("L2", "")}}, ""},
		{"same ID in two modules", crm.DecideInput{Matches: []crm.Record{lead("7", ""), contact("7")}},
			crm.Decision{Action: crm.ActionReviewAmbiguous, Candidates: []crm.Record{lead("7", ""), contact("7")}},
			"a Lead and a Contact with equal IDs are two records"},
		{"duplicates among several, first-seen order", crm.DecideInput{Matches: []crm.Record{contact("C2"), lead("L1", ""), contact("C2"), lead("L1", ""), contact("C1")}},
			crm.Decision{Action: crm.ActionReviewAmbiguous, Candidates: []crm.Record{contact("C2"), lead("L1", ""), contact("C1")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			before := slices.Clone(in.Matches)
			got := crm.Decide(in)
			require.Empty(t, cmp.Diff(tt.want, got), tt.descr)
			require.Empty(t, cmp.Diff(before, in.Matches), "Decide must not change its input")
		})
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	want := map[crm.Action]string{
		crm.ActionCreateLead:          "create_lead",
		crm.ActionLinkContact:         "link_contact",
		crm.ActionLinkLead:            "link_lead",
		crm.ActionReviewDuplicateLead: "review_duplicate_lead",
		crm.ActionReviewAmbiguous:     "review_ambiguous",
		0:                             "unknown",
		-1:                            "unknown",
		99:                            "unknown",
	}
	for a, s := range want {
		require.Equal(t, s, a.String(), "Action(%d)", int(a))
	}
}

func TestDistinct(t *testing.T) {
	t.Parallel()
	require.Nil(t, crm.Distinct(nil))
	require.Nil(t, crm.Distinct([]crm.Record{}))
	in := []crm.Record{contact("1"), lead("1", ""), contact("1"), {Module: crm.ModuleContacts, ID: "1", Name: "other copy"}, contact("2")}
	require.Empty(t, cmp.Diff([]crm.Record{contact("1"), lead("1", ""), contact("2")}, crm.Distinct(in)),
		"the first copy of each (module, ID) is kept, in order")
}

// FuzzDecide checks that Decide is total and consistent: it never panics, gives a valid
// action, its candidates are distinct, and the action agrees with their number.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{0, 0, 0}, ourKey, "L0")
	f.Add([]byte{1, 1, 1, 1, 1, 1}, "", "")
	f.Add([]byte{0, 1, 1, 1, 2, 0, 0, 1, 1}, ourKey, "L1")
	f.Add([]byte{2, 0, 0}, "", "X0")
	f.Fuzz(func(t *testing.T, data []byte, leadKey, known string) {
		modules := []crm.Module{crm.ModuleLeads, crm.ModuleContacts, crm.ModuleCalls, ""}
		keys := []string{"", leadKey, otherKey}
		var matches []crm.Record
		for i := 0; i+2 < len(data) && len(matches) < 64; i += 3 {
			m := modules[int(data[i])%len(modules)]
			id := ""
			if data[i+1]%5 != 0 {
				id = fmt.Sprintf("%c%d", "LCX"[int(data[i])%3], data[i+1]%5)
			}
			matches = append(matches, crm.Record{Module: m, ID: id, SyncKey: keys[int(data[i+2])%len(keys)]})
		}
		in := crm.DecideInput{Matches: matches, LeadKey: leadKey, KnownLeadIDs: []string{known, ""}}
		d := crm.Decide(in)
		if d2 := crm.Decide(in); !cmp.Equal(d, d2) {
			t.Fatalf("Decide is not deterministic: %v then %v", d, d2)
		}
		type key struct {
			m  crm.Module
			id string
		}
		seen := make(map[key]bool)
		for _, c := range d.Candidates {
			k := key{c.Module, c.ID}
			if seen[k] {
				t.Fatalf("candidate %v appears twice", k)
			}
			seen[k] = true
		}
		distinct := len(crm.Distinct(matches))
		switch d.Action {
		case crm.ActionCreateLead:
			if distinct != 0 || len(d.Candidates) != 0 {
				t.Fatalf("create_lead with %d matches", distinct)
			}
		case crm.ActionReviewAmbiguous:
			if distinct < 2 || len(d.Candidates) != distinct {
				t.Fatalf("ambiguous with %d matches and %d candidates", distinct, len(d.Candidates))
			}
		case crm.ActionLinkContact, crm.ActionLinkLead, crm.ActionReviewDuplicateLead:
			if distinct != 1 || len(d.Candidates) != 1 {
				t.Fatalf("%v with %d matches", d.Action, distinct)
			}
		default:
			t.Fatalf("invalid action %d", d.Action)
		}
		switch d.Action {
		case crm.ActionLinkContact, crm.ActionLinkLead:
			c := d.Candidates[0]
			if d.Who != (crm.Ref{Module: c.Module, ID: c.ID}) {
				t.Fatalf("Who %v is not the candidate %v", d.Who, c)
			}
			if d.Action == crm.ActionLinkLead && (c.Module != crm.ModuleLeads ||
				!(leadKey != "" && c.SyncKey == leadKey || c.ID != "" && c.ID == known)) {
				t.Fatalf("link_lead to a Lead that is not ours: %+v", c)
			}
			if d.Action == crm.ActionLinkContact && c.Module != crm.ModuleContacts {
				t.Fatalf("link_contact to %s", c.Module)
			}
		default:
			if !d.Who.IsZero() {
				t.Fatalf("%v names a Who", d.Action)
			}
		}
	})
}
