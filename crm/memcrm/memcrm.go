package memcrm

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// Limits of memcrm's API, like a real CRM's request limits. Inputs beyond them get CodeInvalid.
const (
	// MaxVariants is the most phone variants one FindByPhone accepts.
	MaxVariants = 16
	// MinVariantDigits and MaxVariantDigits bound the digits of a search variant.
	MinVariantDigits = 2
	MaxVariantDigits = 20
	// MaxSyncKeyLength is the length limit of a sync key (the LC_Sync_Key field's).
	MaxSyncKeyLength = 255
	// MaxFields is the most extra fields one CreateLead accepts.
	MaxFields = 100
)

// Config configures a CRM. The zero value (or a nil *Config) gives the defaults.
type Config struct {
	// Now returns the current time. It stamps CreatedAt and decides what index lag hides.
	// Default time.Now.
	Now func() time.Time
	// IndexLag hides records created less than IndexLag ago from FindByPhone and FindBySyncKey,
	// like a search index that lags behind writes. Uniqueness of sync keys is enforced without
	// lag. Default 0 (no lag). SetIndexLag changes it later.
	IndexLag time.Duration
	// Seed seeds the random source of FailRandomly, so a run can be repeated. Default 0, which
	// is a seed like any other.
	Seed uint64
}

// CRM is an in-memory CRM with Leads, Contacts, Calls and Tasks, users, picklists and field
// metadata. It implements leadcall.CRM and the optional FieldDescriber, Bundler, TaskCompleter
// and SyncKeyChecker. All methods are safe for concurrent use.
type CRM struct {
	now func() time.Time

	mu          sync.Mutex
	indexLag    time.Duration
	rng         *rand.Rand
	seq         int64
	users       []crm.User
	leads       map[string]*Lead
	contacts    map[string]*Contact
	calls       map[string]*Call
	tasks       map[string]*Task
	visibleFrom map[string]time.Time           // record ID → when the search index shows it; absent = always
	phones      map[string]map[string]struct{} // PhoneKey → IDs of Leads and Contacts
	keys        map[crm.Module]map[string][]string
	keyFields   map[crm.Module]crm.SyncKeyField
	fields      map[crm.Module][]crm.Field
	faults      faults
	requests    map[Op]int
	writes      int
}

var (
	_ leadcall.CRM            = (*CRM)(nil)
	_ leadcall.FieldDescriber = (*CRM)(nil)
	_ leadcall.Bundler        = (*CRM)(nil)
	_ leadcall.TaskCompleter  = (*CRM)(nil)
	_ leadcall.SyncKeyChecker = (*CRM)(nil)
)

// New returns an empty CRM: no records, no users, the standard Zoho fields with Zoho's default
// picklists, and a unique LC_Sync_Key field on Leads, Calls and Tasks. cfg may be nil.
func New(cfg *Config) *CRM {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	unique := crm.SyncKeyField{Exists: true, Unique: true}
	return &CRM{
		now:         c.Now,
		indexLag:    max(c.IndexLag, 0),
		rng:         rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15)),
		leads:       make(map[string]*Lead),
		contacts:    make(map[string]*Contact),
		calls:       make(map[string]*Call),
		tasks:       make(map[string]*Task),
		visibleFrom: make(map[string]time.Time),
		phones:      make(map[string]map[string]struct{}),
		keys:        map[crm.Module]map[string][]string{crm.ModuleLeads: {}, crm.ModuleCalls: {}, crm.ModuleTasks: {}},
		keyFields:   map[crm.Module]crm.SyncKeyField{crm.ModuleLeads: unique, crm.ModuleCalls: unique, crm.ModuleTasks: unique},
		fields:      defaultFields(),
		requests:    make(map[Op]int),
	}
}

// idBase makes IDs look like Zoho's (19 digits) and sort in creation order as strings.
const idBase = 4_150_868_000_000_000_000

// newID returns the next record ID. Caller holds c.mu.
func (c *CRM) newID() string {
	c.seq++
	return strconv.FormatInt(idBase+c.seq, 10)
}

// opName is the Op field of memcrm's errors.
func opName(op Op) string { return "memcrm: " + string(op) }

func invalid(op, field, format string, args ...any) *leadcall.Error {
	e := leadcall.Errorf(leadcall.CodeInvalid, op, format, args...)
	e.Field = field
	return e
}

// FindByPhone returns the Leads (converted ones excluded) and Contacts with a phone field whose
// PhoneKey equals the PhoneKey of one of variants, each record once, Leads first, then in
// creation order. Records younger than the index lag are left out. A variant that is not an
// optional '+' and MinVariantDigits to MaxVariantDigits digits (after PhoneKey), or more than
// MaxVariants variants, gives CodeInvalid. No variants, or no match, give an empty slice.
func (c *CRM) FindByPhone(ctx context.Context, variants []string) ([]crm.Record, error) {
	f, err := c.enter(ctx, OpFindByPhone)
	if err != nil {
		return nil, err
	}
	recs, err := c.findByPhone(variants)
	return finish(f, OpFindByPhone, recs, err)
}

func (c *CRM) findByPhone(variants []string) ([]crm.Record, error) {
	op := opName(OpFindByPhone)
	if len(variants) > MaxVariants {
		return nil, invalid(op, "variants", "%d variants, at most %d are allowed", len(variants), MaxVariants)
	}
	keys := make([]string, 0, len(variants))
	for i, v := range variants {
		k := PhoneKey(v)
		if !validVariantKey(k) {
			return nil, invalid(op, "variants", "variant %d is not a phone number (want an optional + and %d to %d digits)",
				i, MinVariantDigits, MaxVariantDigits)
		}
		keys = append(keys, k)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	ids := make(map[string]struct{})
	for _, k := range keys {
		for id := range c.phones[k] {
			if c.visible(id, now) {
				ids[id] = struct{}{}
			}
		}
	}
	out := make([]crm.Record, 0, len(ids))
	for id := range ids {
		if l, ok := c.leads[id]; ok {
			if l.Converted {
				continue
			}
			out = append(out, c.leadRecord(l))
		} else if ct, ok := c.contacts[id]; ok {
			out = append(out, contactRecord(ct))
		}
	}
	slices.SortFunc(out, func(a, b crm.Record) int {
		return cmp.Or(cmp.Compare(moduleRank(a.Module), moduleRank(b.Module)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func moduleRank(m crm.Module) int {
	if m == crm.ModuleLeads {
		return 0
	}
	return 1
}

// visible reports whether the search index shows record id at now. Caller holds c.mu.
func (c *CRM) visible(id string, now time.Time) bool {
	from, ok := c.visibleFrom[id]
	return !ok || !now.Before(from)
}

func fullName(first, last string) string { return strings.TrimSpace(first + " " + last) }

func phoneValues(ps []PhoneField) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Value
	}
	return out
}

// leadRecord is l as a lookup returns it. Caller holds c.mu.
func (c *CRM) leadRecord(l *Lead) crm.Record {
	r := crm.Record{Module: crm.ModuleLeads, ID: l.ID, Name: fullName(l.FirstName, l.LastName),
		Phones: phoneValues(l.Phones), OwnerID: l.OwnerID}
	if c.keyFields[crm.ModuleLeads].Exists {
		r.SyncKey = l.SyncKey
	}
	return r
}

func contactRecord(ct *Contact) crm.Record {
	return crm.Record{Module: crm.ModuleContacts, ID: ct.ID, Name: fullName(ct.FirstName, ct.LastName),
		Phones: phoneValues(ct.Phones), OwnerID: ct.OwnerID}
}

// FindBySyncKey returns the ID of the oldest record of module (Leads, Calls or Tasks) holding
// key, converted Leads included, or "" when the index shows none. Without a sync-key field the
// key is still found, as a CRM finds it by searching the text it was written into. Another
// module, an empty key or one longer than MaxSyncKeyLength gives CodeInvalid.
func (c *CRM) FindBySyncKey(ctx context.Context, module crm.Module, key string) (string, error) {
	f, err := c.enter(ctx, OpFindBySyncKey)
	if err != nil {
		return "", err
	}
	id, err := c.findBySyncKey(module, key)
	return finish(f, OpFindBySyncKey, id, err)
}

func (c *CRM) findBySyncKey(module crm.Module, key string) (string, error) {
	op := opName(OpFindBySyncKey)
	if !keyedModule(module) {
		return "", invalid(op, "module", "module %q has no sync key (want Leads, Calls or Tasks)", module)
	}
	if key == "" || len(key) > MaxSyncKeyLength {
		return "", invalid(op, "key", "sync key must be 1 to %d bytes", MaxSyncKeyLength)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, id := range c.keys[module][key] {
		if c.visible(id, now) {
			return id, nil
		}
	}
	return "", nil
}

// CreateLead creates a Lead. It refuses with CodeInvalid (Field set to the API name) a missing
// Last_Name, an Owner that is not an active user, a Lead_Source that is neither display nor
// actual value of the Lead_Source picklist, a value too long for its field, and Fields entries
// that name an unknown, read-only or dedicated field (Last_Name, Phone, Lead_Source,
// Description, Owner, LC_Sync_Key) or do not fit the field's type. A phone-type entry in
// Fields (Mobile) is searchable like Phone. The display value of a picklist is stored. With a
// unique sync-key field, a key that another Lead holds gives CodeConflict with ExistingID.
func (c *CRM) CreateLead(ctx context.Context, lead *crm.Lead) (*crm.Created, error) {
	f, err := c.enter(ctx, OpCreateLead)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	created, err := c.createLead(opName(OpCreateLead), lead)
	c.mu.Unlock()
	return finish(f, OpCreateLead, created, err)
}

// createLead validates and stores lead. Caller holds c.mu.
func (c *CRM) createLead(op string, in *crm.Lead) (*crm.Created, error) {
	if in == nil {
		return nil, invalid(op, "", "no lead")
	}
	l := &Lead{SyncKey: in.SyncKey, LastName: strings.TrimSpace(in.LastName), Description: in.Description}
	if l.LastName == "" {
		return nil, invalid(op, fieldLastName, "required")
	}
	if err := c.checkLengths(op, crm.ModuleLeads, fieldLastName, l.LastName, fieldPhone, in.Phone,
		fieldDescription, in.Description); err != nil {
		return nil, err
	}
	if err := c.checkSyncKey(op, in.SyncKey); err != nil {
		return nil, err
	}
	if in.Phone != "" {
		l.Phones = []PhoneField{{Field: fieldPhone, Value: in.Phone}}
	}
	if in.LeadSource != "" {
		display, ok := c.picklistDisplay(crm.ModuleLeads, fieldLeadSource, in.LeadSource)
		if !ok {
			return nil, invalid(op, fieldLeadSource, "%q is not a value of the Lead_Source picklist", in.LeadSource)
		}
		l.LeadSource = display
	}
	owner, err := c.owner(op, in.OwnerID)
	if err != nil {
		return nil, err
	}
	l.OwnerID = owner
	if len(in.Fields) > MaxFields {
		return nil, invalid(op, "Fields", "%d fields, at most %d are allowed", len(in.Fields), MaxFields)
	}
	for _, api := range slices.Sorted(maps.Keys(in.Fields)) {
		if err := c.setLeadField(op, l, api, in.Fields[api]); err != nil {
			return nil, err
		}
	}
	if err := c.checkUnique(op, crm.ModuleLeads, in.SyncKey); err != nil {
		return nil, err
	}
	c.insertLead(l, true)
	c.writes++
	return &crm.Created{ID: l.ID}, nil
}

// setLeadField checks one Fields entry of a created Lead and stores it in l.
func (c *CRM) setLeadField(op string, l *Lead, api, v string) error {
	switch api {
	case fieldLastName, fieldPhone, fieldLeadSource, fieldDescription, fieldOwner, SyncKeyFieldName:
		return invalid(op, api, "set through the Lead's own field, not Fields")
	}
	f, ok := c.field(crm.ModuleLeads, api)
	if !ok {
		return invalid(op, api, "no such field in Leads")
	}
	if f.ReadOnly {
		return invalid(op, api, "field is read-only")
	}
	stored, err := checkValue(op, f, v)
	if err != nil {
		return err
	}
	switch {
	case f.DataType == typePhone:
		l.Phones = append(l.Phones, PhoneField{Field: api, Value: stored})
		sortPhones(l.Phones)
	case api == fieldFirstName:
		l.FirstName = stored
	default:
		if l.Fields == nil {
			l.Fields = make(map[string]string)
		}
		l.Fields[api] = stored
	}
	return nil
}

// checkSyncKey checks the shape of a key given to a create.
func (c *CRM) checkSyncKey(op, key string) error {
	if len(key) > MaxSyncKeyLength {
		return invalid(op, SyncKeyFieldName, "%d bytes, the field holds at most %d", len(key), MaxSyncKeyLength)
	}
	return nil
}

// checkUnique refuses key when module's sync-key field is unique and another record holds it.
// The index lag does not apply: uniqueness is the database's, not the search index's. Caller
// holds c.mu.
func (c *CRM) checkUnique(op string, module crm.Module, key string) error {
	if key == "" || !c.keyFields[module].Exists || !c.keyFields[module].Unique {
		return nil
	}
	if ids := c.keys[module][key]; len(ids) > 0 {
		e := leadcall.Errorf(leadcall.CodeConflict, op, "a record with this sync key exists")
		e.Field = SyncKeyFieldName
		e.ExistingID = ids[0]
		return e
	}
	return nil
}

// owner resolves the owner of a new record: id when it names an active user, else CodeInvalid;
// with id empty, the first active user (the CRM's default), or none. Caller holds c.mu.
func (c *CRM) owner(op, id string) (string, error) {
	if id == "" {
		for _, u := range c.users {
			if u.Active {
				return u.ID, nil
			}
		}
		return "", nil
	}
	for _, u := range c.users {
		if u.ID == id {
			if !u.Active {
				return "", invalid(op, fieldOwner, "user is not active")
			}
			return id, nil
		}
	}
	return "", invalid(op, fieldOwner, "no such user")
}

// insertLead stores a validated Lead. indexLag says whether the search index lags for it
// (created through the API) or not (seeded). Caller holds c.mu.
func (c *CRM) insertLead(l *Lead, indexLag bool) {
	l.ID = c.newID()
	l.CreatedAt = c.now()
	c.leads[l.ID] = l
	c.indexRecord(l.ID, l.Phones, l.CreatedAt, indexLag)
	c.addKey(crm.ModuleLeads, l.SyncKey, l.ID)
}

func (c *CRM) indexRecord(id string, phones []PhoneField, created time.Time, indexLag bool) {
	if indexLag && c.indexLag > 0 {
		c.visibleFrom[id] = created.Add(c.indexLag)
	}
	for _, p := range phones {
		k := PhoneKey(p.Value)
		if k == "" {
			continue
		}
		if c.phones[k] == nil {
			c.phones[k] = make(map[string]struct{})
		}
		c.phones[k][id] = struct{}{}
	}
}

func (c *CRM) unindexRecord(id string, phones []PhoneField) {
	delete(c.visibleFrom, id)
	for _, p := range phones {
		k := PhoneKey(p.Value)
		delete(c.phones[k], id)
		if len(c.phones[k]) == 0 {
			delete(c.phones, k)
		}
	}
}

func (c *CRM) addKey(module crm.Module, key, id string) {
	if key != "" {
		c.keys[module][key] = append(c.keys[module][key], id)
	}
}

func (c *CRM) removeKey(module crm.Module, key, id string) {
	ids := slices.DeleteFunc(c.keys[module][key], func(s string) bool { return s == id })
	if len(ids) == 0 {
		delete(c.keys[module], key)
	} else {
		c.keys[module][key] = ids
	}
}

// CreateCall creates a call activity. It refuses with CodeInvalid a missing Subject, a Type
// other than Inbound, Outbound or Missed, a zero Start, a negative Duration or a non-zero one
// for a Missed call, a Who that is not an existing Lead or Contact, a Result that is not in
// the Call_Result picklist, an Owner that is not an active user, and values too long for their
// field. With a unique sync-key field, a key that another Call holds gives CodeConflict with
// ExistingID.
func (c *CRM) CreateCall(ctx context.Context, call *crm.Call) (*crm.Created, error) {
	f, err := c.enter(ctx, OpCreateCall)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	created, err := c.createCall(opName(OpCreateCall), call)
	c.mu.Unlock()
	return finish(f, OpCreateCall, created, err)
}

func (c *CRM) createCall(op string, in *crm.Call) (*crm.Created, error) {
	if in == nil {
		return nil, invalid(op, "", "no call")
	}
	call := &Call{Call: *in}
	call.Subject = strings.TrimSpace(in.Subject)
	switch {
	case call.Subject == "":
		return nil, invalid(op, fieldSubject, "required")
	case in.Type != crm.CallInbound && in.Type != crm.CallOutbound && in.Type != crm.CallMissed:
		return nil, invalid(op, fieldCallType, "%q is not Inbound, Outbound or Missed", in.Type)
	case in.Start.IsZero():
		return nil, invalid(op, fieldCallStart, "required")
	case in.Duration < 0:
		return nil, invalid(op, fieldCallDur, "negative")
	case in.Type == crm.CallMissed && in.Duration != 0:
		return nil, invalid(op, fieldCallDur, "a missed call has no duration")
	}
	if err := c.checkLengths(op, crm.ModuleCalls, fieldSubject, call.Subject, fieldDescription, in.Description); err != nil {
		return nil, err
	}
	if err := c.checkSyncKey(op, in.SyncKey); err != nil {
		return nil, err
	}
	if err := c.checkWho(op, in.Who); err != nil {
		return nil, err
	}
	if in.Result != "" {
		display, ok := c.picklistDisplay(crm.ModuleCalls, fieldCallResult, in.Result)
		if !ok {
			return nil, invalid(op, fieldCallResult, "%q is not a value of the Call_Result picklist", in.Result)
		}
		call.Result = display
	}
	owner, err := c.owner(op, in.OwnerID)
	if err != nil {
		return nil, err
	}
	call.OwnerID = owner
	if err := c.checkUnique(op, crm.ModuleCalls, in.SyncKey); err != nil {
		return nil, err
	}
	call.ID = c.newID()
	call.CreatedAt = c.now()
	c.calls[call.ID] = call
	c.indexRecord(call.ID, nil, call.CreatedAt, true)
	c.addKey(crm.ModuleCalls, call.SyncKey, call.ID)
	c.writes++
	return &crm.Created{ID: call.ID}, nil
}

// checkWho refuses a link to anything but an existing Lead or Contact. Caller holds c.mu.
func (c *CRM) checkWho(op string, who crm.Ref) error {
	switch {
	case who.IsZero():
		return invalid(op, fieldWho, "required")
	case who.Module == crm.ModuleLeads:
		if _, ok := c.leads[who.ID]; ok {
			return nil
		}
	case who.Module == crm.ModuleContacts:
		if _, ok := c.contacts[who.ID]; ok {
			return nil
		}
	default:
		return invalid(op, fieldWho, "module %q cannot be linked (want Leads or Contacts)", who.Module)
	}
	return invalid(op, fieldWho, "no such record in %s", who.Module)
}

// CreateTask creates a follow-up task. Status defaults to "Not Started" and Priority to
// "High"; both must be values of their picklists. It refuses with CodeInvalid a missing
// Subject, a zero Due, a Who that is not an existing Lead or Contact, an Owner that is not an
// active user, and values too long for their field. With a unique sync-key field, a key that
// another Task holds gives CodeConflict with ExistingID.
func (c *CRM) CreateTask(ctx context.Context, task *crm.Task) (*crm.Created, error) {
	f, err := c.enter(ctx, OpCreateTask)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	created, err := c.createTask(opName(OpCreateTask), task)
	c.mu.Unlock()
	return finish(f, OpCreateTask, created, err)
}

func (c *CRM) createTask(op string, in *crm.Task) (*crm.Created, error) {
	if in == nil {
		return nil, invalid(op, "", "no task")
	}
	task := &Task{Task: *in}
	task.Subject = strings.TrimSpace(in.Subject)
	task.Status = cmp.Or(in.Status, crm.DefaultTaskStatus)
	task.Priority = cmp.Or(in.Priority, crm.DefaultTaskPriority)
	switch {
	case task.Subject == "":
		return nil, invalid(op, fieldSubject, "required")
	case in.Due.IsZero():
		return nil, invalid(op, fieldDueDate, "required")
	}
	if err := c.checkLengths(op, crm.ModuleTasks, fieldSubject, task.Subject, fieldDescription, in.Description); err != nil {
		return nil, err
	}
	var ok bool
	if task.Status, ok = c.picklistDisplay(crm.ModuleTasks, fieldStatus, task.Status); !ok {
		return nil, invalid(op, fieldStatus, "%q is not a value of the Status picklist", in.Status)
	}
	if task.Priority, ok = c.picklistDisplay(crm.ModuleTasks, fieldPriority, task.Priority); !ok {
		return nil, invalid(op, fieldPriority, "%q is not a value of the Priority picklist", in.Priority)
	}
	if err := c.checkSyncKey(op, in.SyncKey); err != nil {
		return nil, err
	}
	if err := c.checkWho(op, in.Who); err != nil {
		return nil, err
	}
	owner, err := c.owner(op, in.OwnerID)
	if err != nil {
		return nil, err
	}
	task.OwnerID = owner
	if err := c.checkUnique(op, crm.ModuleTasks, in.SyncKey); err != nil {
		return nil, err
	}
	task.ID = c.newID()
	task.CreatedAt = c.now()
	c.tasks[task.ID] = task
	c.indexRecord(task.ID, nil, task.CreatedAt, true)
	c.addKey(crm.ModuleTasks, task.SyncKey, task.ID)
	c.writes++
	return &crm.Created{ID: task.ID}, nil
}

// Users returns the active users in the order they were added.
func (c *CRM) Users(ctx context.Context) ([]crm.User, error) {
	f, err := c.enter(ctx, OpUsers)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	out := make([]crm.User, 0, len(c.users))
	for _, u := range c.users {
		if u.Active {
			out = append(out, u)
		}
	}
	c.mu.Unlock()
	return finish(f, OpUsers, out, nil)
}

// Fields returns the field metadata of module (Leads, Contacts, Calls or Tasks), including
// the LC_Sync_Key field where it exists. Another module gives CodeInvalid.
func (c *CRM) Fields(ctx context.Context, module crm.Module) ([]crm.Field, error) {
	f, err := c.enter(ctx, OpFields)
	if err != nil {
		return nil, err
	}
	if !knownModule(module) {
		return finish[[]crm.Field](f, OpFields, nil,
			invalid(opName(OpFields), "module", "no module %q", module))
	}
	c.mu.Lock()
	out := cloneFields(c.fields[module])
	if kf, ok := c.keyFields[module]; ok && kf.Exists {
		out = append(out, syncKeyField(kf.Unique))
	}
	c.mu.Unlock()
	return finish(f, OpFields, out, nil)
}

// CreateBundle creates b.Lead, b.Call and b.Task in one request, as leadcall.Bundler
// describes; each part is validated like its single create, and the parts after a failed one
// are not attempted (their Err wraps crm.ErrNotAttempted). The parts are applied atomically
// with respect to other requests. A nil bundle, or one without a Call, gives CodeInvalid.
func (c *CRM) CreateBundle(ctx context.Context, b *crm.Bundle) (*crm.BundleResult, error) {
	f, err := c.enter(ctx, OpCreateBundle)
	if err != nil {
		return nil, err
	}
	res, err := c.createBundle(b)
	return finish(f, OpCreateBundle, res, err)
}

func (c *CRM) createBundle(b *crm.Bundle) (*crm.BundleResult, error) {
	op := opName(OpCreateBundle)
	if b == nil || b.Call == nil {
		return nil, invalid(op, "", "a bundle needs a call")
	}
	notAttempted := func() error { return fmt.Errorf("%s: %w", op, crm.ErrNotAttempted) }
	c.mu.Lock()
	defer c.mu.Unlock()
	var res crm.BundleResult
	call, task := *b.Call, b.Task
	if b.Lead != nil {
		created, err := c.createLead(op+" lead", b.Lead)
		res.Lead = crm.PartResult{Created: created, Err: err}
		if err != nil {
			res.Call.Err = notAttempted()
			if task != nil {
				res.Task.Err = notAttempted()
			}
			return &res, nil
		}
		who := crm.Ref{Module: crm.ModuleLeads, ID: created.ID}
		call.Who = who
		if task != nil {
			t := *task
			t.Who = who
			task = &t
		}
	}
	created, err := c.createCall(op+" call", &call)
	res.Call = crm.PartResult{Created: created, Err: err}
	if task != nil {
		if err != nil {
			res.Task.Err = notAttempted()
			return &res, nil
		}
		created, err := c.createTask(op+" task", task)
		res.Task = crm.PartResult{Created: created, Err: err}
	}
	return &res, nil
}

// CompleteTask sets the task's Status to Completed and appends note to its description on a
// new line. Completing a completed task changes nothing and returns nil, so a retry does not
// append the note twice. CodeNotFound when there is no such task; CodeInvalid when the
// description would exceed its field's length.
func (c *CRM) CompleteTask(ctx context.Context, taskID, note string) error {
	f, err := c.enter(ctx, OpCompleteTask)
	if err != nil {
		return err
	}
	_, err = finish(f, OpCompleteTask, struct{}{}, c.completeTask(taskID, note))
	return err
}

func (c *CRM) completeTask(taskID, note string) error {
	op := opName(OpCompleteTask)
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tasks[taskID]
	if !ok {
		return leadcall.Errorf(leadcall.CodeNotFound, op, "no such task")
	}
	if t.Status == crm.TaskStatusCompleted {
		return nil
	}
	desc := t.Description
	if note != "" {
		if desc != "" {
			desc += "\n"
		}
		desc += note
	}
	if err := c.checkLength(op, crm.ModuleTasks, fieldDescription, desc); err != nil {
		return err
	}
	t.Status, t.Description = crm.TaskStatusCompleted, desc
	c.writes++
	return nil
}

// SyncKeyStatus reports the sync-key field of Leads, Calls and Tasks, as SetSyncKeyField set it
// (by default it exists and is unique everywhere).
func (c *CRM) SyncKeyStatus(ctx context.Context) (map[crm.Module]crm.SyncKeyField, error) {
	f, err := c.enter(ctx, OpSyncKeyStatus)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	out := make(map[crm.Module]crm.SyncKeyField, len(c.keyFields))
	for m, kf := range c.keyFields {
		out[m] = kf
	}
	c.mu.Unlock()
	return finish(f, OpSyncKeyStatus, out, nil)
}

// String describes the CRM for logs: record counts only, never record contents.
func (c *CRM) String() string {
	n := c.Counts()
	return fmt.Sprintf("memcrm(leads=%d contacts=%d calls=%d tasks=%d users=%d)",
		n.Leads, n.Contacts, n.Calls, n.Tasks, n.Users)
}
