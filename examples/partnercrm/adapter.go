package partnercrm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// Adapter makes Acme CRM a leadcall.CRM and leadcall.TaskCompleter. It is safe for concurrent
// use (the Store is) and never retries: the Engine does that.
//
// Mapping: Leads are prospects, Contacts are customers, Calls and Tasks are call and to-do
// activities; the sync key is Acme's external_ref, which Acme keeps unique, so a clash is
// leadcall.CodeConflict with the holder's ID. Acme has no custom fields: a Lead's Fields are
// written into its notes, one "name: value" line each.
type Adapter struct {
	store *Store
}

var (
	_ leadcall.CRM           = (*Adapter)(nil)
	_ leadcall.TaskCompleter = (*Adapter)(nil)
)

// New returns an Adapter for store.
func New(store *Store) *Adapter { return &Adapter{store: store} }

// classify turns Acme's errors into leadcall's codes, keeping the native error in the chain.
// The rule that matters: only errors that promise Acme applied nothing may be CodeInvalid,
// CodeUnauthorized or CodeRateLimited; anything unknown is CodeUnavailable, and the Engine then
// looks the record up by its key before it writes again.
func classify(op string, err error) error {
	var (
		invalid *ValidationError
		dup     *DuplicateRefError
		busy    *BusyError
	)
	switch {
	case errors.As(err, &invalid):
		return &leadcall.Error{Code: leadcall.CodeInvalid, Op: op, Field: invalid.Field, Err: err}
	case errors.As(err, &dup):
		return &leadcall.Error{Code: leadcall.CodeConflict, Op: op, ExistingID: dup.ExistingID, Err: err}
	case errors.As(err, &busy):
		return &leadcall.Error{Code: leadcall.CodeRateLimited, Op: op, RetryAfter: busy.RetryAfter, Err: err}
	case errors.Is(err, ErrBadToken):
		return leadcall.NewError(leadcall.CodeUnauthorized, op, err)
	case errors.Is(err, ErrNotFound):
		return leadcall.NewError(leadcall.CodeNotFound, op, err)
	default: // outages, timeouts, canceled contexts: the write may have happened
		return leadcall.NewError(leadcall.CodeUnavailable, op, err)
	}
}

// FindByPhone implements leadcall.CRM. Acme matches numbers by their digits, so every variant
// must be a plain number: anything else is refused rather than searched loosely.
func (a *Adapter) FindByPhone(ctx context.Context, variants []string) ([]crm.Record, error) {
	const op = "partnercrm: find by phone"
	for _, v := range variants {
		if d := strings.TrimPrefix(v, "+"); d == "" || strings.Trim(d, "0123456789") != "" {
			return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "a variant is not a phone number")
		}
	}
	if len(variants) == 0 {
		return []crm.Record{}, nil
	}
	people, err := a.store.SearchByNumber(ctx, variants)
	if err != nil {
		return nil, classify(op, err)
	}
	out := make([]crm.Record, 0, len(people))
	for _, p := range people {
		r := crm.Record{ID: p.ID, Name: p.FullName, OwnerID: p.AgentID}
		for _, n := range p.Numbers {
			r.Phones = append(r.Phones, n.Value)
		}
		if p.Kind == KindProspect {
			r.Module, r.SyncKey = crm.ModuleLeads, p.ExternalRef
		} else {
			r.Module = crm.ModuleContacts
		}
		out = append(out, r)
	}
	return out, nil
}

// refKind is the Acme kind whose external refs hold module's sync keys.
func refKind(module crm.Module) (string, bool) {
	switch module {
	case crm.ModuleLeads:
		return "person", true
	case crm.ModuleCalls:
		return ActivityCall, true
	case crm.ModuleTasks:
		return ActivityTodo, true
	}
	return "", false
}

// FindBySyncKey implements leadcall.CRM.
func (a *Adapter) FindBySyncKey(ctx context.Context, module crm.Module, key string) (string, error) {
	const op = "partnercrm: find by sync key"
	kind, ok := refKind(module)
	if !ok {
		return "", leadcall.Errorf(leadcall.CodeInvalid, op, "module %q has no sync key", module)
	}
	id, err := a.store.FindByRef(ctx, kind, key)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", classify(op, err)
	}
	return id, nil
}

// CreateLead implements leadcall.CRM.
func (a *Adapter) CreateLead(ctx context.Context, lead *crm.Lead) (*crm.Created, error) {
	const op = "partnercrm: create lead"
	if lead == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no lead")
	}
	notes := lead.Description
	for _, k := range slices.Sorted(maps.Keys(lead.Fields)) {
		notes = strings.TrimSpace(notes + "\n" + k + ": " + lead.Fields[k])
	}
	p := Person{Kind: KindProspect, FullName: lead.LastName, Channel: lead.LeadSource, Notes: notes,
		AgentID: lead.OwnerID, ExternalRef: lead.SyncKey}
	if lead.Phone != "" {
		p.Numbers = []Number{{Label: "main", Value: lead.Phone}}
	}
	id, err := a.store.InsertPerson(ctx, p)
	if err != nil {
		return nil, classify(op, err)
	}
	return &crm.Created{ID: id}, nil
}

// who checks that a Call or Task links to a Lead or Contact.
func who(op string, ref crm.Ref) error {
	if ref.IsZero() || (ref.Module != crm.ModuleLeads && ref.Module != crm.ModuleContacts) {
		return leadcall.Errorf(leadcall.CodeInvalid, op, "a Lead or Contact to link to is required")
	}
	return nil
}

// CreateCall implements leadcall.CRM.
func (a *Adapter) CreateCall(ctx context.Context, call *crm.Call) (*crm.Created, error) {
	const op = "partnercrm: create call"
	if call == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no call")
	}
	if err := who(op, call.Who); err != nil {
		return nil, err
	}
	dir, ok := map[crm.CallType]string{crm.CallInbound: DirectionIn, crm.CallOutbound: DirectionOut, crm.CallMissed: DirectionMissed}[call.Type]
	if !ok {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "call type %q", call.Type)
	}
	id, err := a.store.InsertActivity(ctx, Activity{Kind: ActivityCall, PersonID: call.Who.ID, Title: call.Subject,
		Direction: dir, At: call.Start, Seconds: int(call.Duration.Round(time.Second) / time.Second), Outcome: call.Result,
		Notes: call.Description, AgentID: call.OwnerID, ExternalRef: call.SyncKey})
	if err != nil {
		return nil, classify(op, err)
	}
	return &crm.Created{ID: id}, nil
}

// CreateTask implements leadcall.CRM. Acme to-dos have no priority; Status "Completed" makes a
// done to-do, any other status an open one.
func (a *Adapter) CreateTask(ctx context.Context, task *crm.Task) (*crm.Created, error) {
	const op = "partnercrm: create task"
	if task == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no task")
	}
	if err := who(op, task.Who); err != nil {
		return nil, err
	}
	if task.Due.IsZero() {
		return nil, &leadcall.Error{Code: leadcall.CodeInvalid, Op: op, Field: "due_day", Message: "required"}
	}
	id, err := a.store.InsertActivity(ctx, Activity{Kind: ActivityTodo, PersonID: task.Who.ID, Title: task.Subject,
		DueDay: task.Due.Format(time.DateOnly), Done: task.Status == crm.TaskStatusCompleted, Notes: task.Description,
		AgentID: task.OwnerID, ExternalRef: task.SyncKey})
	if err != nil {
		return nil, classify(op, err)
	}
	return &crm.Created{ID: id}, nil
}

// Users implements leadcall.CRM: Acme's enabled agents.
func (a *Adapter) Users(ctx context.Context) ([]crm.User, error) {
	agents, err := a.store.Agents(ctx)
	if err != nil {
		return nil, classify("partnercrm: users", err)
	}
	out := make([]crm.User, 0, len(agents))
	for _, ag := range agents {
		if ag.Enabled {
			out = append(out, crm.User{ID: ag.ID, Name: ag.Name, Email: ag.Email, Active: true})
		}
	}
	return out, nil
}

// CompleteTask implements leadcall.TaskCompleter.
func (a *Adapter) CompleteTask(ctx context.Context, taskID, note string) error {
	if err := a.store.MarkDone(ctx, taskID, note); err != nil {
		return classify(fmt.Sprintf("partnercrm: complete task %s", taskID), err)
	}
	return nil
}
