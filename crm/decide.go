package crm

// Action is what the decision table says to do for a synced campaign call.
type Action int

// The decision table's actions (DESIGN.md §4).
const (
	// ActionCreateLead: nobody has this number; create a Lead, then link the Call (and Task) to it.
	ActionCreateLead Action = iota + 1
	// ActionLinkContact: exactly one Contact and no Lead; link the Call (and Task) to it.
	ActionLinkContact
	// ActionLinkLead: exactly one Lead and leadcall created it; link the Call (and Task) to it.
	ActionLinkLead
	// ActionReviewDuplicateLead: exactly one Lead that leadcall did not create; write nothing and
	// ask a person.
	ActionReviewDuplicateLead
	// ActionReviewAmbiguous: more than one record; write nothing and ask a person.
	ActionReviewAmbiguous
)

var actionNames = [...]string{
	ActionCreateLead:          "create_lead",
	ActionLinkContact:         "link_contact",
	ActionLinkLead:            "link_lead",
	ActionReviewDuplicateLead: "review_duplicate_lead",
	ActionReviewAmbiguous:     "review_ambiguous",
}

func (a Action) String() string {
	if a > 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// DecideInput is what the decision table looks at.
type DecideInput struct {
	// Matches is the union of every Lead and Contact found for any variant of the caller's
	// number. Duplicates (same module and ID) are counted once.
	Matches []Record
	// LeadKey is the sync key leadcall gives the Lead for this caller (LeadKey).
	LeadKey string
	// KnownLeadIDs are IDs of Leads leadcall created earlier for this caller, as recorded
	// locally; they identify our Lead in CRMs without a sync-key field.
	KnownLeadIDs []string
}

// Decision is the decision table's answer.
type Decision struct {
	Action Action
	// Who is the record to link to for ActionLinkContact and ActionLinkLead.
	Who Ref
	// Candidates are the distinct matches, for review actions.
	Candidates []Record
}

// Decide applies the decision table of DESIGN.md §4. It is pure and total: every input gives
// exactly one action.
func Decide(in DecideInput) Decision {
	matches := Distinct(in.Matches)
	switch len(matches) {
	case 0:
		return Decision{Action: ActionCreateLead}
	case 1:
	default:
		return Decision{Action: ActionReviewAmbiguous, Candidates: matches}
	}
	m := matches[0]
	switch {
	case m.Module == ModuleContacts:
		return Decision{Action: ActionLinkContact, Who: Ref{Module: ModuleContacts, ID: m.ID}, Candidates: matches}
	case m.Module == ModuleLeads && isOurs(m, in):
		return Decision{Action: ActionLinkLead, Who: Ref{Module: ModuleLeads, ID: m.ID}, Candidates: matches}
	default:
		return Decision{Action: ActionReviewDuplicateLead, Candidates: matches}
	}
}

func isOurs(m Record, in DecideInput) bool {
	if in.LeadKey != "" && m.SyncKey == in.LeadKey {
		return true
	}
	for _, id := range in.KnownLeadIDs {
		if id != "" && id == m.ID {
			return true
		}
	}
	return false
}

// Distinct returns records with duplicates (same module and ID) removed, in first-seen order.
func Distinct(records []Record) []Record {
	if len(records) == 0 {
		return nil
	}
	type id struct {
		m  Module
		id string
	}
	seen := make(map[id]bool, len(records))
	out := make([]Record, 0, len(records))
	for _, r := range records {
		k := id{r.Module, r.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}
