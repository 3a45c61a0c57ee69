package memcrm

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// PhoneField is one phone field of a Lead or Contact: its API name and the value as stored.
type PhoneField struct {
	Field string // API name: Phone, Mobile, Home_Phone, Other_Phone, Asst_Phone, ...
	Value string
}

// Lead is a Lead as memcrm stores it.
type Lead struct {
	ID string
	// SyncKey is the key the Lead was created with. Lookups report it in Record.SyncKey only
	// while the Leads sync-key field exists; FindBySyncKey finds it either way.
	SyncKey     string
	FirstName   string
	LastName    string
	Phones      []PhoneField      // in field order: Phone, Mobile, Home_Phone, Other_Phone, Asst_Phone, others by name
	LeadSource  string            // display value
	Fields      map[string]string // other fields by API name
	Description string
	OwnerID     string
	Converted   bool
	ContactID   string // the Contact ConvertLead made
	CreatedAt   time.Time
}

// Contact is a Contact as memcrm stores it.
type Contact struct {
	ID            string
	FirstName     string
	LastName      string
	Phones        []PhoneField
	OwnerID       string
	ConvertedFrom string // the Lead it was converted from, if any
	CreatedAt     time.Time
}

// Call is a call activity as memcrm stores it: the crm.Call it was created from, with Subject
// trimmed, OwnerID resolved and Result as display value.
type Call struct {
	ID        string
	CreatedAt time.Time
	crm.Call
}

// Task is a task as memcrm stores it: the crm.Task it was created from, with defaults applied,
// OwnerID resolved, and the changes of CompleteTask.
type Task struct {
	ID        string
	CreatedAt time.Time
	crm.Task
}

// Person is a Lead or Contact to seed: a record that exists before leadcall comes along.
type Person struct {
	FirstName string
	LastName  string // required
	// Phones maps phone field API names to values in any format a person may have typed,
	// e.g. {"Phone": "+91 98765 43210", "Mobile": "09876543210"}. Field names are not checked
	// against field metadata; empty values are dropped.
	Phones     map[string]string
	OwnerID    string // any user ID, active or not; "" = none
	SyncKey    string // Leads only: as if leadcall had created it
	LeadSource string // Leads only: stored as given
}

// Counts are the numbers of records and users in a CRM.
type Counts struct {
	Leads, Contacts, Calls, Tasks, Users int
}

// seedOp is the Op of errors from the seed API.
const seedOp = "memcrm: seed"

func (p Person) phoneFields() ([]PhoneField, error) {
	var out []PhoneField
	for field, v := range p.Phones {
		if strings.TrimSpace(field) == "" {
			return nil, invalid(seedOp, "Phones", "empty phone field name")
		}
		if v != "" {
			out = append(out, PhoneField{Field: field, Value: v})
		}
	}
	sortPhones(out)
	return out, nil
}

func sortPhones(ps []PhoneField) {
	slices.SortStableFunc(ps, func(a, b PhoneField) int {
		switch {
		case a.Field == b.Field:
			return 0
		case lessPhoneField(a.Field, b.Field):
			return -1
		default:
			return 1
		}
	})
}

// AddUser adds a user and returns its ID (u.ID, or a new one when empty). A duplicate ID or
// an empty name gives CodeInvalid.
func (c *CRM) AddUser(u crm.User) (string, error) {
	if strings.TrimSpace(u.Name) == "" {
		return "", invalid(seedOp, "name", "required")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if u.ID == "" {
		u.ID = c.newID()
	}
	for _, have := range c.users {
		if have.ID == u.ID {
			return "", invalid(seedOp, "id", "user %s exists", u.ID)
		}
	}
	c.users = append(c.users, u)
	return u.ID, nil
}

// SetUserActive activates or deactivates a user. CodeNotFound when there is no such user.
func (c *CRM) SetUserActive(id string, active bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.users {
		if c.users[i].ID == id {
			c.users[i].Active = active
			return nil
		}
	}
	return leadcall.Errorf(leadcall.CodeNotFound, seedOp, "no such user")
}

// AddLead adds an existing Lead and returns its ID. Seeded records are visible to lookups at
// once (the index lag applies to records created through the CRM interface only). A missing
// LastName gives CodeInvalid; a SyncKey another Lead holds gives CodeConflict when the Leads
// sync-key field is unique.
func (c *CRM) AddLead(p Person) (string, error) {
	if strings.TrimSpace(p.LastName) == "" {
		return "", invalid(seedOp, fieldLastName, "required")
	}
	phones, err := p.phoneFields()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkUnique(seedOp, crm.ModuleLeads, p.SyncKey); err != nil {
		return "", err
	}
	l := &Lead{SyncKey: p.SyncKey, FirstName: p.FirstName, LastName: p.LastName, Phones: phones,
		LeadSource: p.LeadSource, OwnerID: p.OwnerID}
	c.insertLead(l, false)
	return l.ID, nil
}

// AddContact adds an existing Contact and returns its ID; see AddLead. SyncKey and LeadSource
// must be empty (CodeInvalid otherwise): leadcall never creates Contacts.
func (c *CRM) AddContact(p Person) (string, error) {
	if strings.TrimSpace(p.LastName) == "" {
		return "", invalid(seedOp, fieldLastName, "required")
	}
	if p.SyncKey != "" || p.LeadSource != "" {
		return "", invalid(seedOp, "", "a Contact has no sync key or lead source here")
	}
	phones, err := p.phoneFields()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.insertContact(&Contact{FirstName: p.FirstName, LastName: p.LastName, Phones: phones, OwnerID: p.OwnerID}), nil
}

func (c *CRM) insertContact(ct *Contact) string {
	ct.ID = c.newID()
	ct.CreatedAt = c.now()
	c.contacts[ct.ID] = ct
	c.indexRecord(ct.ID, ct.Phones, ct.CreatedAt, false)
	return ct.ID
}

// ConvertLead converts a Lead as a person would in the CRM: the Lead is marked converted (and
// so disappears from FindByPhone) and a Contact with its name, phones and owner is created.
// It returns the Contact's ID. CodeNotFound when there is no such Lead, CodeConflict when it
// is converted already.
func (c *CRM) ConvertLead(leadID string) (contactID string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.leads[leadID]
	if !ok {
		return "", leadcall.Errorf(leadcall.CodeNotFound, seedOp, "no such lead")
	}
	if l.Converted {
		return "", leadcall.Errorf(leadcall.CodeConflict, seedOp, "lead is converted already")
	}
	id := c.insertContact(&Contact{FirstName: l.FirstName, LastName: l.LastName,
		Phones: slices.Clone(l.Phones), OwnerID: l.OwnerID, ConvertedFrom: l.ID})
	l.Converted, l.ContactID = true, id
	return id, nil
}

// Delete removes a record of any module, as a person deleting it in the CRM would; a Call or
// Task linked to a deleted Lead or Contact stays. CodeNotFound when there is no such record.
func (c *CRM) Delete(module crm.Module, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch module {
	case crm.ModuleLeads:
		if l, ok := c.leads[id]; ok {
			c.unindexRecord(id, l.Phones)
			c.removeKey(module, l.SyncKey, id)
			delete(c.leads, id)
			return nil
		}
	case crm.ModuleContacts:
		if ct, ok := c.contacts[id]; ok {
			c.unindexRecord(id, ct.Phones)
			delete(c.contacts, id)
			return nil
		}
	case crm.ModuleCalls:
		if call, ok := c.calls[id]; ok {
			c.unindexRecord(id, nil)
			c.removeKey(module, call.SyncKey, id)
			delete(c.calls, id)
			return nil
		}
	case crm.ModuleTasks:
		if t, ok := c.tasks[id]; ok {
			c.unindexRecord(id, nil)
			c.removeKey(module, t.SyncKey, id)
			delete(c.tasks, id)
			return nil
		}
	default:
		return invalid(seedOp, "module", "no module %q", module)
	}
	return leadcall.Errorf(leadcall.CodeNotFound, seedOp, "no such record in %s", module)
}

// SetPicklist replaces the values of a picklist field, e.g. (Leads, "Lead_Source") or
// (Calls, "Call_Result"). Empty display values, or a field that is not a picklist, give
// CodeInvalid. An empty actual value is set to the display value.
func (c *CRM) SetPicklist(module crm.Module, field string, vs []crm.PicklistValue) error {
	vs = slices.Clone(vs)
	for i := range vs {
		if vs[i].DisplayValue == "" {
			return invalid(seedOp, field, "picklist value %d has no display value", i)
		}
		vs[i].ActualValue = cmp.Or(vs[i].ActualValue, vs[i].DisplayValue)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, f := range c.fields[module] {
		if f.APIName == field {
			if f.DataType != typePicklist {
				return invalid(seedOp, field, "not a picklist")
			}
			c.fields[module][i].Picklist = vs
			return nil
		}
	}
	return invalid(seedOp, field, "no such field in %s", module)
}

// AddField adds a field to a module's metadata, or replaces the field with the same API name;
// use it for custom fields that campaign metadata writes to. LC_Sync_Key is managed by
// SetSyncKeyField instead (CodeInvalid here).
func (c *CRM) AddField(module crm.Module, f crm.Field) error {
	switch {
	case !knownModule(module):
		return invalid(seedOp, "module", "no module %q", module)
	case f.APIName == "" || f.APIName == SyncKeyFieldName:
		return invalid(seedOp, "api_name", "empty or reserved")
	}
	f.Picklist = slices.Clone(f.Picklist)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, have := range c.fields[module] {
		if have.APIName == f.APIName {
			c.fields[module][i] = f
			return nil
		}
	}
	c.fields[module] = append(c.fields[module], f)
	return nil
}

// SetSyncKeyField sets whether module (Leads, Calls or Tasks) has the LC_Sync_Key field and
// whether it is unique. Without the field, FindByPhone reports no Record.SyncKey, keys still
// reach FindBySyncKey, and nothing is unique; with a non-unique field, clashing creates
// succeed. Existing records keep their keys.
func (c *CRM) SetSyncKeyField(module crm.Module, f crm.SyncKeyField) error {
	if !keyedModule(module) {
		return invalid(seedOp, "module", "module %q has no sync key", module)
	}
	if !f.Exists {
		f.Unique = false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keyFields[module] = f
	return nil
}

// SetIndexLag changes Config.IndexLag for records created from now on.
func (c *CRM) SetIndexLag(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.indexLag = max(d, 0)
}

// Leads returns a copy of every Lead, converted ones included, in creation order.
func (c *CRM) Leads() []Lead {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot(c.leads, cloneLead)
}

// Contacts returns a copy of every Contact in creation order.
func (c *CRM) Contacts() []Contact {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot(c.contacts, cloneContact)
}

// Calls returns a copy of every Call in creation order.
func (c *CRM) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot(c.calls, func(call *Call) Call { return *call })
}

// Tasks returns a copy of every Task in creation order.
func (c *CRM) Tasks() []Task {
	c.mu.Lock()
	defer c.mu.Unlock()
	return snapshot(c.tasks, func(t *Task) Task { return *t })
}

// Lead returns a copy of one Lead.
func (c *CRM) Lead(id string) (Lead, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.leads[id]
	if !ok {
		return Lead{}, false
	}
	return cloneLead(l), true
}

// Call returns a copy of one Call.
func (c *CRM) Call(id string) (Call, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call, ok := c.calls[id]
	if !ok {
		return Call{}, false
	}
	return *call, true
}

// Task returns a copy of one Task.
func (c *CRM) Task(id string) (Task, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks[id]
	if !ok {
		return Task{}, false
	}
	return *t, true
}

// Counts returns the number of records in each module and of users (active or not).
func (c *CRM) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Counts{Leads: len(c.leads), Contacts: len(c.contacts), Calls: len(c.calls),
		Tasks: len(c.tasks), Users: len(c.users)}
}

// Writes returns how many writes the CRM interface applied: records created (a bundle counts
// each part) and tasks completed, including writes whose response a fault then lost. Seeding
// is not counted.
func (c *CRM) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// Requests returns how many requests of op reached the CRM, failed ones included; OpAny gives
// the total. A request whose ctx was done on arrival is not counted.
func (c *CRM) Requests(op Op) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op != OpAny {
		return c.requests[op]
	}
	n := 0
	for _, v := range c.requests {
		n += v
	}
	return n
}

// snapshot copies the records of m in ID order, which is creation order because IDs have a
// fixed width.
func snapshot[T any](m map[string]*T, clone func(*T) T) []T {
	out := make([]T, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, clone(m[id]))
	}
	return out
}

func cloneLead(l *Lead) Lead {
	out := *l
	out.Phones = slices.Clone(l.Phones)
	if l.Fields != nil {
		out.Fields = maps.Clone(l.Fields)
	}
	return out
}

func cloneContact(ct *Contact) Contact {
	out := *ct
	out.Phones = slices.Clone(ct.Phones)
	return out
}
