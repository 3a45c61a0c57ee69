package memcrm

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall/crm"
)

// SyncKeyFieldName is the API name of the sync-key field, as in Zoho (DESIGN.md §10).
const SyncKeyFieldName = "LC_Sync_Key"

// Field API names memcrm validates writes against. They are Zoho's.
const (
	fieldOwner       = "Owner"
	fieldFirstName   = "First_Name"
	fieldLastName    = "Last_Name"
	fieldPhone       = "Phone"
	fieldLeadSource  = "Lead_Source"
	fieldDescription = "Description"
	fieldSubject     = "Subject"
	fieldCallType    = "Call_Type"
	fieldCallStart   = "Call_Start_Time"
	fieldCallDur     = "Call_Duration"
	fieldCallResult  = "Call_Result"
	fieldWho         = "Who_Id"
	fieldDueDate     = "Due_Date"
	fieldStatus      = "Status"
	fieldPriority    = "Priority"
)

// Field data types, as Zoho names them.
const (
	typeText     = "text"
	typeTextArea = "textarea"
	typePhone    = "phone"
	typeEmail    = "email"
	typePicklist = "picklist"
	typeOwner    = "ownerlookup"
	typeLookup   = "lookup"
	typeDateTime = "datetime"
	typeDate     = "date"
	typeInteger  = "integer"
	typeDouble   = "double"
	typeBoolean  = "boolean"
	typeWebsite  = "website"
)

func values(vs ...string) []crm.PicklistValue {
	out := make([]crm.PicklistValue, len(vs))
	for i, v := range vs {
		out[i] = crm.PicklistValue{DisplayValue: v, ActualValue: v}
	}
	return out
}

// defaultFields returns the field metadata a new CRM starts with: the standard Zoho fields of
// each module that leadcall touches, with Zoho's default picklists.
func defaultFields() map[crm.Module][]crm.Field {
	text := func(api, label string, n int) crm.Field {
		return crm.Field{APIName: api, Label: label, DataType: typeText, MaxLength: n}
	}
	phone := func(api, label string) crm.Field {
		return crm.Field{APIName: api, Label: label, DataType: typePhone, MaxLength: 30}
	}
	readOnly := func(api, label, dataType string) crm.Field {
		return crm.Field{APIName: api, Label: label, DataType: dataType, ReadOnly: true}
	}
	picklist := func(api, label string, vs []crm.PicklistValue) crm.Field {
		return crm.Field{APIName: api, Label: label, DataType: typePicklist, MaxLength: 120, Picklist: vs}
	}
	owner := crm.Field{APIName: fieldOwner, Label: "Owner", DataType: typeOwner}
	desc := crm.Field{APIName: fieldDescription, Label: "Description", DataType: typeTextArea, MaxLength: 32000}
	who := crm.Field{APIName: fieldWho, Label: "Contact Name", DataType: typeLookup}
	leadSources := values("Advertisement", "Cold Call", "Employee Referral", "External Referral",
		"Online Store", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
		"Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat")
	created := readOnly("Created_Time", "Created Time", typeDateTime)
	modified := readOnly("Modified_Time", "Modified Time", typeDateTime)
	return map[crm.Module][]crm.Field{
		crm.ModuleLeads: {
			owner,
			text(fieldFirstName, "First Name", 40),
			text(fieldLastName, "Last Name", 80),
			text("Company", "Company", 200),
			{APIName: "Email", Label: "Email", DataType: typeEmail, MaxLength: 100},
			phone(fieldPhone, "Phone"),
			phone("Mobile", "Mobile"),
			picklist(fieldLeadSource, "Lead Source", leadSources),
			picklist("Lead_Status", "Lead Status", values("Not Contacted", "Attempted to Contact",
				"Contact in Future", "Contacted", "Junk Lead", "Lost Lead", "Not Qualified", "Pre-Qualified")),
			text("City", "City", 100),
			{APIName: "Website", Label: "Website", DataType: typeWebsite, MaxLength: 255},
			{APIName: "No_of_Employees", Label: "No. of Employees", DataType: typeInteger, MaxLength: 16},
			desc,
			created,
			modified,
			readOnly("Converted__s", "Converted", typeBoolean),
		},
		crm.ModuleContacts: {
			owner,
			text(fieldFirstName, "First Name", 40),
			text(fieldLastName, "Last Name", 80),
			{APIName: "Email", Label: "Email", DataType: typeEmail, MaxLength: 100},
			phone(fieldPhone, "Phone"),
			phone("Mobile", "Mobile"),
			phone("Home_Phone", "Home Phone"),
			phone("Other_Phone", "Other Phone"),
			phone("Asst_Phone", "Asst Phone"),
			picklist(fieldLeadSource, "Lead Source", leadSources),
			desc,
			created,
			modified,
		},
		crm.ModuleCalls: {
			owner,
			text(fieldSubject, "Subject", 255),
			picklist(fieldCallType, "Call Type", values(string(crm.CallInbound), string(crm.CallOutbound), string(crm.CallMissed))),
			{APIName: fieldCallStart, Label: "Call Start Time", DataType: typeDateTime},
			text(fieldCallDur, "Call Duration", 10),
			who,
			picklist(fieldCallResult, "Call Result", values("Interested", "Not interested",
				"No response/Busy", "Requested more info", "Requested call back", "Invalid number")),
			desc,
			created,
		},
		crm.ModuleTasks: {
			owner,
			text(fieldSubject, "Subject", 255),
			{APIName: fieldDueDate, Label: "Due Date", DataType: typeDate},
			picklist(fieldStatus, "Status", values(crm.DefaultTaskStatus, "Deferred", "In Progress",
				crm.TaskStatusCompleted, "Waiting for input")),
			picklist(fieldPriority, "Priority", values("Highest", crm.DefaultTaskPriority, "Normal", "Low", "Lowest")),
			who,
			desc,
			created,
		},
	}
}

// syncKeyField is the metadata of the sync-key field when it exists.
func syncKeyField(unique bool) crm.Field {
	return crm.Field{APIName: SyncKeyFieldName, Label: "LC Sync Key", DataType: typeText,
		Custom: true, Unique: unique, MaxLength: 255}
}

func knownModule(m crm.Module) bool {
	switch m {
	case crm.ModuleLeads, crm.ModuleContacts, crm.ModuleCalls, crm.ModuleTasks:
		return true
	}
	return false
}

func keyedModule(m crm.Module) bool {
	switch m {
	case crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks:
		return true
	}
	return false
}

func cloneFields(fs []crm.Field) []crm.Field {
	out := slices.Clone(fs)
	for i := range out {
		out[i].Picklist = slices.Clone(out[i].Picklist)
	}
	return out
}

// field returns the metadata of module's field api. Caller holds c.mu.
func (c *CRM) field(module crm.Module, api string) (crm.Field, bool) {
	for _, f := range c.fields[module] {
		if f.APIName == api {
			return f, true
		}
	}
	return crm.Field{}, false
}

// picklistDisplay returns the display value of v in the picklist of module's field api, matching
// v against display and actual values. Caller holds c.mu.
func (c *CRM) picklistDisplay(module crm.Module, api, v string) (string, bool) {
	f, ok := c.field(module, api)
	if !ok {
		return "", false
	}
	for _, pv := range f.Picklist {
		if v == pv.DisplayValue || v == pv.ActualValue {
			return pv.DisplayValue, true
		}
	}
	return "", false
}

// checkLength refuses a value longer than the field's MaxLength (in characters, as Zoho
// counts). Caller holds c.mu.
func (c *CRM) checkLength(op string, module crm.Module, api, v string) error {
	f, ok := c.field(module, api)
	if !ok || f.MaxLength == 0 {
		return nil
	}
	if n := len([]rune(v)); n > f.MaxLength {
		return invalid(op, api, "%d characters, the field holds at most %d", n, f.MaxLength)
	}
	return nil
}

// checkLengths is checkLength over (api, value) pairs, in order. Caller holds c.mu.
func (c *CRM) checkLengths(op string, module crm.Module, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := c.checkLength(op, module, pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// checkValue checks v against field f's type, and returns the value to store (picklists store
// the display value).
func checkValue(op string, f crm.Field, v string) (string, error) {
	if f.MaxLength > 0 {
		if n := len([]rune(v)); n > f.MaxLength {
			return "", invalid(op, f.APIName, "%d characters, the field holds at most %d", n, f.MaxLength)
		}
	}
	bad := func(want string) error { return invalid(op, f.APIName, "value is not %s", want) }
	switch f.DataType {
	case typePicklist:
		for _, pv := range f.Picklist {
			if v == pv.DisplayValue || v == pv.ActualValue {
				return pv.DisplayValue, nil
			}
		}
		return "", invalid(op, f.APIName, "value is not in the picklist")
	case typeInteger:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", bad("an integer")
		}
	case typeDouble:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "", bad("a number")
		}
	case typeBoolean:
		if v != "true" && v != "false" {
			return "", bad("true or false")
		}
	case typeDate:
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return "", bad("a date (YYYY-MM-DD)")
		}
	case typeEmail:
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return "", bad("an email address")
		}
	case typeOwner, typeLookup, typeDateTime:
		return "", invalid(op, f.APIName, "field of type %s cannot be set through Fields", f.DataType)
	}
	if strings.ContainsRune(v, 0) {
		return "", invalid(op, f.APIName, "value holds a NUL character")
	}
	return v, nil
}
