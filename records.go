package leadcall

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leadcall/leadcall/crm"
)

// Subjects of the Call activities leadcall writes (research/leadcall-docs.md rows 23–24).
const (
	SubjectInbound = "Inbound call"
	SubjectMissed  = "Missed inbound call"
)

// buildLead builds the Lead for a new caller: placeholder name, number, Lead Source and the
// writable metadata of the call's assignment, a description, and the resolved owner.
func (r *jobRun) buildLead(ctx context.Context) (*crm.Lead, error) {
	c, s := r.call, &r.org.Settings
	lead := &crm.Lead{
		SyncKey:     crm.LeadKey(c.OrgID, c.NumberE164),
		LastName:    s.LeadPlaceholder,
		Phone:       c.NumberE164,
		LeadSource:  c.LeadSource,
		Description: r.describe("First call"),
		OwnerID:     r.state.OwnerID,
	}
	if c.AssignmentID != 0 {
		a, err := r.e.store.Assignment(ctx, c.OrgID, c.AssignmentID)
		if err != nil {
			return nil, err
		}
		fields, err := r.e.crmFields(ctx, c.OrgID, r.crm, crm.ModuleLeads)
		if err != nil {
			return nil, err
		}
		lead.Fields, _ = MetadataFields(fields, a.Metadata)
		if len(lead.Fields) == 0 {
			lead.Fields = nil
		}
	}
	return lead, nil
}

// buildCall builds the Call activity for the job's call, linked to the resolved record.
func (r *jobRun) buildCall(ctx context.Context) (*crm.Call, error) {
	c, s := r.call, &r.org.Settings
	call := &crm.Call{
		SyncKey:     crm.CallKey(c.OrgID, c.DeviceID, c.DeviceCallID),
		Subject:     SubjectInbound,
		Type:        crm.CallInbound,
		Start:       c.StartedAt.In(r.loc),
		Duration:    c.Duration(),
		Who:         r.state.CRM.Who(),
		Description: r.describe("Call"),
		OwnerID:     r.state.OwnerID,
	}
	result := s.CallResultMap.Inbound
	if c.Type == CallMissed {
		call.Subject, call.Type, call.Duration = SubjectMissed, crm.CallMissed, 0
		result = s.CallResultMap.Missed
	}
	if result != "" {
		fields, err := r.e.crmFields(ctx, c.OrgID, r.crm, crm.ModuleCalls)
		if err != nil {
			return nil, err
		}
		// Written only when the org's Call_Result picklist has the value (DESIGN.md §10).
		if v, ok := PicklistMatch(FieldByName(fields, "Call_Result"), result); ok {
			call.Result = v.DisplayValue
		}
	}
	return call, nil
}

// buildTask builds the follow-up Task for a missed call.
func (r *jobRun) buildTask() *crm.Task {
	c, s := r.call, &r.org.Settings
	due := c.StartedAt.Add(time.Duration(s.TaskDueOffsetMinutes) * time.Minute).In(r.loc)
	return &crm.Task{
		SyncKey:     crm.TaskKey(c.OrgID, c.DeviceID, c.DeviceCallID),
		Subject:     strings.TrimSpace(s.TaskPrefix) + " " + c.NumberE164,
		Due:         due,
		Status:      crm.DefaultTaskStatus,
		Priority:    crm.DefaultTaskPriority,
		Who:         r.state.CRM.Who(),
		Description: r.describe("Missed call"),
		OwnerID:     r.state.OwnerID,
	}
}

// describe renders the call context for Descriptions: device nickname, time in the org's zone,
// type and duration, and the campaign's Lead Source.
func (r *jobRun) describe(what string) string {
	c := r.call
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %q at %s", what, r.dev.Nickname, c.StartedAt.In(r.loc).Format("2006-01-02 15:04 MST"))
	switch c.Type {
	case CallMissed:
		b.WriteString(": missed inbound call")
	default:
		fmt.Fprintf(&b, ": answered inbound call, %s", formatDuration(c.DurationS))
	}
	if c.LeadSource != "" {
		fmt.Fprintf(&b, ". Lead Source: %s", c.LeadSource)
	}
	b.WriteString(". Logged by leadcall.")
	return b.String()
}

func formatDuration(s int) string {
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}
