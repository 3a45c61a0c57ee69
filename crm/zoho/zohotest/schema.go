package zohotest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Field data types, as field metadata reports them (D-FIELDS7).
const (
	typeText        = "text"
	typeTextarea    = "textarea"
	typeEmail       = "email"
	typePhone       = "phone"
	typePicklist    = "picklist"
	typeDate        = "date"
	typeDateTime    = "datetime"
	typeInteger     = "integer"
	typeBoolean     = "boolean"
	typeOwnerLookup = "ownerlookup"
	typeLookup      = "lookup"
)

// PicklistValue is one option of a picklist field. DisplayValue is what API writes use
// (K205) and what records store; ActualValue may differ (D-FIELDS7 sample).
type PicklistValue struct {
	DisplayValue string
	ActualValue  string // empty means the same as DisplayValue
	Unused       bool   // listed with type "unused"; not accepted on write
}

type fieldDef struct {
	id, apiName, label string
	dataType           string
	length             int
	mandatory          bool // system_mandatory
	readOnly           bool
	custom             bool
	unique             bool
	// strict picklists reject unknown values (INVALID_DATA); the others add the value as a new
	// option, as Zoho does for Lead_Source and Call_Purpose (D-INSERT7 "Picklist"; K38).
	strict       bool
	picklist     []PicklistValue
	lookupModule string // lookup target; "" with multiModule for What_Id
	multiModule  bool
}

func (f *fieldDef) jsonType() string {
	switch f.dataType {
	case typeInteger:
		return "integer"
	case typeBoolean:
		return "boolean"
	case typeOwnerLookup, typeLookup:
		return "jsonobject"
	}
	return "string"
}

// searchable reports whether a field is a text-like field that word search scans.
func (f *fieldDef) textLike() bool {
	switch f.dataType {
	case typeText, typeTextarea, typeEmail, typePhone, typePicklist:
		return true
	}
	return false
}

type moduleDef struct {
	name, singular, id string
	fields             []*fieldDef
	byName             map[string]*fieldDef
	upsertable         bool   // D-UPSERT7: Calls and Tasks cannot be upserted
	dupCheck           string // system duplicate-check field for upsert (Email), "" if none
}

func (m *moduleDef) field(apiName string) (*fieldDef, bool) {
	f, ok := m.byName[apiName]
	return f, ok
}

func (m *moduleDef) fieldsOfType(t string) []*fieldDef {
	var out []*fieldDef
	for _, f := range m.fields {
		if f.dataType == t {
			out = append(out, f)
		}
	}
	return out
}

// moduleNames lists the emulated modules in a stable order.
var moduleNames = []string{"Leads", "Contacts", "Calls", "Tasks"}

func moduleByName(name string) (string, bool) {
	for _, m := range moduleNames {
		if strings.EqualFold(m, name) {
			return m, true
		}
	}
	return "", false
}

// canonicalModule resolves a module name case-insensitively, as Zoho's URLs accept
// ("leads" and "Leads"; D-SEARCH7 lists lower-case names).
func canonicalModule(name string, schema map[string]*moduleDef) (string, bool) {
	m, ok := moduleByName(name)
	if !ok {
		return name, false
	}
	_, ok = schema[m]
	return m, ok
}

func pick(values ...string) []PicklistValue {
	out := make([]PicklistValue, len(values))
	for i, v := range values {
		out[i] = PicklistValue{DisplayValue: v, ActualValue: v}
	}
	return out
}

// newSchema builds the four modules with Zoho's standard fields (PY record/field.py; D-INSERT7).
func newSchema(syncKey map[string]SyncKeyMode) map[string]*moduleDef {
	seq := 0
	nextID := func() string { seq++; return fmt.Sprintf("5725767000000%06d", 2000+seq) }
	text := func(name, label string, length int) *fieldDef {
		return &fieldDef{apiName: name, label: label, dataType: typeText, length: length}
	}
	typed := func(name, label, t string) *fieldDef {
		return &fieldDef{apiName: name, label: label, dataType: t, length: 255}
	}
	phone := func(name, label string) *fieldDef {
		return &fieldDef{apiName: name, label: label, dataType: typePhone, length: 30}
	}
	mandatory := func(f *fieldDef) *fieldDef { f.mandatory = true; return f }
	readOnly := func(f *fieldDef) *fieldDef { f.readOnly = true; return f }
	picklist := func(name, label string, strict bool, values []PicklistValue) *fieldDef {
		return &fieldDef{apiName: name, label: label, dataType: typePicklist, length: 120, strict: strict, picklist: values}
	}
	lookup := func(name, label, target string) *fieldDef {
		return &fieldDef{apiName: name, label: label, dataType: typeLookup, lookupModule: target, length: 120}
	}
	owner := func(label string) *fieldDef {
		return &fieldDef{apiName: "Owner", label: label, dataType: typeOwnerLookup, length: 120}
	}
	audit := func() []*fieldDef {
		return []*fieldDef{
			readOnly(typed("Created_Time", "Created Time", typeDateTime)),
			readOnly(typed("Modified_Time", "Modified Time", typeDateTime)),
			readOnly(&fieldDef{apiName: "Created_By", label: "Created By", dataType: typeOwnerLookup, length: 120}),
			readOnly(&fieldDef{apiName: "Modified_By", label: "Modified By", dataType: typeOwnerLookup, length: 120}),
		}
	}
	leadSource := func() *fieldDef {
		values := pick("-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral",
			"Online Store", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
			"Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat")
		// display differs from actual, and an unused option (D-FIELDS7 sample; D-PICK7).
		values = append(values, PicklistValue{DisplayValue: "Google Ads", ActualValue: "Google AdWords"},
			PicklistValue{DisplayValue: "Facebook", ActualValue: "Facebook", Unused: true})
		return picklist("Lead_Source", "Lead Source", false, values)
	}
	whatID := func() *fieldDef {
		return &fieldDef{apiName: "What_Id", label: "Related To", dataType: typeLookup, multiModule: true, length: 120}
	}

	defs := []*moduleDef{
		{name: "Leads", singular: "Lead", upsertable: true, dupCheck: "Email", fields: slices.Concat([]*fieldDef{
			owner("Lead Owner"),
			text("Company", "Company", 200),
			text("First_Name", "First Name", 40),
			mandatory(text("Last_Name", "Last Name", 80)),
			readOnly(text("Full_Name", "Full Name", 120)),
			typed("Email", "Email", typeEmail),
			phone("Phone", "Phone"),
			phone("Mobile", "Mobile"),
			phone("Fax", "Fax"), // phone-typed here; unconfirmed for real orgs (zoho-api.md §3)
			leadSource(),
			picklist("Lead_Status", "Lead Status", false, pick("-None-", "Attempted to Contact",
				"Contact in Future", "Contacted", "Junk Lead", "Lost Lead", "Not Contacted",
				"Pre-Qualified", "Not Qualified")),
			{apiName: "Description", label: "Description", dataType: typeTextarea, length: 32000},
			readOnly(typed("Converted__s", "Converted", typeBoolean)),
		}, audit())},
		{name: "Contacts", singular: "Contact", upsertable: true, dupCheck: "Email", fields: slices.Concat([]*fieldDef{
			owner("Contact Owner"),
			text("First_Name", "First Name", 40),
			mandatory(text("Last_Name", "Last Name", 80)),
			readOnly(text("Full_Name", "Full Name", 120)),
			typed("Email", "Email", typeEmail),
			phone("Phone", "Phone"),
			phone("Mobile", "Mobile"),
			phone("Home_Phone", "Home Phone"),
			phone("Other_Phone", "Other Phone"),
			phone("Asst_Phone", "Asst Phone"),
			lookup("Account_Name", "Account Name", "Accounts"),
			leadSource(),
			{apiName: "Description", label: "Description", dataType: typeTextarea, length: 32000},
		}, audit())},
		{name: "Calls", singular: "Call", fields: slices.Concat([]*fieldDef{
			owner("Call Owner"),
			mandatory(text("Subject", "Subject", 255)),
			mandatory(picklist("Call_Type", "Call Type", true, pick("Inbound", "Outbound", "Missed"))),
			mandatory(typed("Call_Start_Time", "Call Start Time", typeDateTime)),
			text("Call_Duration", "Call Duration", 10),
			readOnly(typed("Call_Duration_in_seconds", "Call Duration (in seconds)", typeInteger)),
			lookup("Who_Id", "Contact Name", "Contacts"),
			whatID(),
			picklist("Call_Purpose", "Call Purpose", false, pick("-None-", "Prospecting", "Administrative",
				"Negotiation", "Demo", "Project", "Desk")),
			picklist("Call_Result", "Call Result", false, pick("-None-", "Interested", "Not interested",
				"No response/Busy", "Requested more info", "Requested call back", "Invalid number")),
			picklist("Outgoing_Call_Status", "Outgoing Call Status", true, pick("Scheduled", "Completed")),
			{apiName: "Call_Agenda", label: "Call Agenda", dataType: typeTextarea, length: 2000},
			{apiName: "Description", label: "Description", dataType: typeTextarea, length: 32000},
			phone("Caller_ID", "Caller ID"),
			phone("Dialled_Number", "Dialled Number"),
		}, audit())},
		{name: "Tasks", singular: "Task", fields: slices.Concat([]*fieldDef{
			owner("Task Owner"),
			mandatory(text("Subject", "Subject", 255)),
			typed("Due_Date", "Due Date", typeDate),
			// Option lists are community-reported (zoho-api.md §6); strict here.
			picklist("Status", "Status", true, pick("Not Started", "Deferred", "In Progress", "Completed", "Waiting for input")),
			picklist("Priority", "Priority", true, pick("High", "Highest", "Low", "Lowest", "Normal")),
			lookup("Who_Id", "Contact Name", "Contacts"),
			whatID(),
			{apiName: "Description", label: "Description", dataType: typeTextarea, length: 32000},
			typed("Send_Notification_Email", "Send Notification Email", typeBoolean),
			readOnly(typed("Closed_Time", "Closed Time", typeDateTime)),
		}, audit())},
	}
	schema := map[string]*moduleDef{}
	for _, m := range defs {
		m.id = nextID()
		if mode := syncKey[m.name]; mode != SyncKeyAbsent {
			m.fields = append(m.fields, &fieldDef{apiName: SyncKeyField, label: "LC Sync Key", dataType: typeText,
				length: 255, custom: true, unique: mode == SyncKeyUnique})
		}
		m.byName = map[string]*fieldDef{}
		for _, f := range m.fields {
			f.id = nextID()
			m.byName[f.apiName] = f
		}
		schema[m.name] = m
	}
	return schema
}

// lookupPicklist finds the option a written value selects. Writes use display_value (K205);
// an actual_value that differs from its display_value is not recognised.
func lookupPicklist(f *fieldDef, value string) (PicklistValue, bool) {
	for _, v := range f.picklist {
		if v.DisplayValue == value && !v.Unused {
			return v, true
		}
	}
	return PicklistValue{}, false
}

// SetPicklist replaces the options of a picklist field (e.g. the org's Call_Result values).
func (s *Server) SetPicklist(module, field string, values []PicklistValue) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.fieldLocked(module, field)
	if err != nil {
		return err
	}
	if f.dataType != typePicklist {
		return fmt.Errorf("zohotest: %s.%s is not a picklist", module, field)
	}
	f.picklist = slices.Clone(values)
	return nil
}

// PicklistValues returns the current options of a picklist field, including options that
// writes of unknown values added.
func (s *Server) PicklistValues(module, field string) ([]PicklistValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.fieldLocked(module, field)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(f.picklist)
	for i := range out {
		if out[i].ActualValue == "" {
			out[i].ActualValue = out[i].DisplayValue
		}
	}
	return out, nil
}

func (s *Server) fieldLocked(module, field string) (*fieldDef, error) {
	name, ok := canonicalModule(module, s.schema)
	if !ok {
		return nil, fmt.Errorf("zohotest: unknown module %q", module)
	}
	f, ok := s.schema[name].field(field)
	if !ok {
		return nil, fmt.Errorf("zohotest: unknown field %s.%s", name, field)
	}
	return f, nil
}

// handleFields implements GET /crm/v8/settings/fields?module=X (D-FIELDS7).
func (s *Server) handleFields(req *apiRequest) apiResponse {
	name := req.query.Get("module")
	if name == "" {
		return errResp(http.StatusBadRequest, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
			map[string]any{"param": "module"})
	}
	mod, ok := canonicalModule(name, s.schema)
	if !ok {
		return errResp(http.StatusBadRequest, "INVALID_MODULE", "the module name given seems to be invalid",
			map[string]any{"param": "module"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.schema[mod]
	fields := make([]map[string]any, 0, len(m.fields))
	if req.query.Get("type") != "unused" { // every emulated field is "used"
		for _, f := range m.fields {
			fields = append(fields, fieldMeta(f, s.schema))
		}
	}
	return apiResponse{status: http.StatusOK, body: map[string]any{"fields": fields}, credits: 1}
}

func fieldMeta(f *fieldDef, schema map[string]*moduleDef) map[string]any {
	unique := map[string]any{}
	if f.unique {
		unique["casesensitive"] = false // shape unconfirmed; non-unique fields show {} (OAS sample)
	}
	values := make([]map[string]any, 0, len(f.picklist))
	for i, v := range f.picklist {
		actual := v.ActualValue
		if actual == "" {
			actual = v.DisplayValue
		}
		typ := "used"
		if v.Unused {
			typ = "unused"
		}
		values = append(values, map[string]any{"display_value": v.DisplayValue, "actual_value": actual,
			"reference_value": actual, "sequence_number": i + 1, "id": fmt.Sprintf("%s%03d", f.id, i+1),
			"colour_code": nil, "type": typ})
	}
	lookup := map[string]any{}
	if f.lookupModule != "" {
		mod := map[string]any{"api_name": f.lookupModule}
		if m, ok := schema[f.lookupModule]; ok {
			mod["id"] = m.id
		}
		lookup["module"] = mod
	}
	editable := !f.readOnly
	source := "default"
	if f.custom {
		source = "crm"
	}
	return map[string]any{
		"id": f.id, "api_name": f.apiName, "field_label": f.label, "display_label": f.label,
		"data_type": f.dataType, "json_type": f.jsonType(), "length": f.length,
		"read_only": f.readOnly, "field_read_only": f.readOnly, "system_mandatory": f.mandatory,
		"custom_field": f.custom, "visible": true, "type": "used", "searchable": true,
		"filterable": f.dataType != typeTextarea, "sortable": true, "unique": unique,
		"pick_list_values": values, "lookup": lookup, "created_source": source,
		"operation_type": map[string]any{"web_update": editable, "api_create": editable,
			"web_create": editable, "api_update": editable},
	}
}
