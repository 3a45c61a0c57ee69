package zoho

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// fieldsEntry is a module's cached field metadata.
type fieldsEntry struct {
	fields []crm.Field
	at     time.Time
}

// keyedModules are the modules leadcall writes, which carry the sync-key field.
var keyedModules = []crm.Module{crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks}

// Fields returns the fields of module (Leads, Contacts, Calls or Tasks) from
// GET /crm/v8/settings/fields?module=..., always fresh: callers cache it themselves (the Engine
// drops its copy when picklists change). Picklists hold the options in use (type "used"),
// each with its display value (what people see and what writes send, K205) and actual value.
// ReadOnly is set for fields that are read-only or that the API may not set on create.
// Another module gives CodeInvalid.
func (c *CRM) Fields(ctx context.Context, module crm.Module) ([]crm.Field, error) {
	const op = "zoho: fields"
	if !describable(module) {
		return nil, invalid(op, "module", "no module %q (want Leads, Contacts, Calls or Tasks)", truncate(string(module), 40))
	}
	fs, err := c.fetchFields(ctx, op, module)
	if err != nil {
		return nil, err
	}
	return cloneFields(fs), nil
}

func describable(m crm.Module) bool {
	switch m {
	case crm.ModuleLeads, crm.ModuleContacts, crm.ModuleCalls, crm.ModuleTasks:
		return true
	}
	return false
}

// fetchFields reads a module's metadata from Zoho and caches it.
func (c *CRM) fetchFields(ctx context.Context, op string, module crm.Module) ([]crm.Field, error) {
	resp, err := c.do(ctx, &apiRequest{op: op, method: "GET", path: "/settings/fields", query: url.Values{"module": {string(module)}}})
	if err != nil {
		return nil, err
	}
	fs, err := decodeFields(resp.status, resp.body)
	if err != nil {
		return nil, malformed(op, resp.status, err)
	}
	c.mu.Lock()
	c.fields[module] = fieldsEntry{fields: fs, at: c.cfg.Now()}
	c.mu.Unlock()
	if slices.Contains(keyedModules, module) {
		c.setSyncKeyFromFields(module, fs)
	}
	return fs, nil
}

// metadata returns a module's field metadata for the adapter's own checks: the cached copy
// while younger than Config.FieldsCacheTTL (unless fresh), else a new one. ok is false when
// Zoho refuses field metadata (no ZohoCRM.settings.fields.READ scope): the checks are then
// skipped rather than blocking every write. fetched says whether this call asked Zoho.
func (c *CRM) metadata(ctx context.Context, op string, m crm.Module, fresh bool) (fs []crm.Field, ok, fetched bool, err error) {
	c.mu.Lock()
	ent, cached := c.fields[m]
	c.mu.Unlock()
	if cached && !fresh && c.cfg.Now().Sub(ent.at) < c.cfg.FieldsCacheTTL {
		return ent.fields, true, false, nil
	}
	if !c.usable(&c.fieldsOffUntil) {
		return nil, false, false, nil
	}
	fs, err = c.fetchFields(ctx, op, m)
	switch {
	case isRefusal(err):
		c.switchOff(&c.fieldsOffUntil, "field metadata checks", err)
		return nil, false, true, nil
	case err != nil:
		return nil, false, true, err
	}
	return fs, true, true, nil
}

// picklistDisplay checks a value for a picklist field (Lead_Source, Call_Result) against the
// field's options and returns the display value to write: Zoho adds an unknown value to the
// picklist instead of refusing it (zoho-api.md §8.2), so the adapter refuses it, with
// CodeInvalid. A value may be given as display or actual value, in any letter case. A miss
// against cached metadata is checked once more against fresh metadata, so a newly added
// option is never refused. Without metadata (or without such a picklist) v is written as is.
func (c *CRM) picklistDisplay(ctx context.Context, op string, m crm.Module, api, v string) (string, error) {
	for fresh := false; ; fresh = true {
		fs, ok, fetched, err := c.metadata(ctx, op, m, fresh)
		if err != nil || !ok {
			return v, err
		}
		var f *crm.Field
		for i := range fs {
			if fs[i].APIName == api {
				f = &fs[i]
			}
		}
		if f == nil || len(f.Picklist) == 0 {
			return v, nil
		}
		if d, ok := matchPicklist(f.Picklist, v); ok {
			return d, nil
		}
		if fresh || fetched {
			return "", invalid(op, api, "%q is not a value of the %s picklist (Zoho would add it as a new option)", truncate(v, 80), api)
		}
	}
}

// matchPicklist finds v among the options: a display value, else an actual value, else either
// ignoring letter case when that names one option only.
func matchPicklist(opts []crm.PicklistValue, v string) (string, bool) {
	for _, o := range opts {
		if o.DisplayValue == v {
			return o.DisplayValue, true
		}
	}
	for _, o := range opts {
		if o.ActualValue == v {
			return o.DisplayValue, true
		}
	}
	found := ""
	for _, o := range opts {
		if strings.EqualFold(o.DisplayValue, v) || strings.EqualFold(o.ActualValue, v) {
			if found != "" && found != o.DisplayValue {
				return "", false
			}
			found = o.DisplayValue
		}
	}
	return found, found != ""
}

// cachedFields returns a module's cached metadata, however old, or nil.
func (c *CRM) cachedFields(m crm.Module) []crm.Field {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fields[m].fields
}

func cloneFields(fs []crm.Field) []crm.Field {
	out := slices.Clone(fs)
	for i := range out {
		out[i].Picklist = slices.Clone(out[i].Picklist)
	}
	return out
}

// decodeFields decodes {"fields":[{api_name, field_label, data_type, read_only, custom_field,
// unique, length, operation_type, pick_list_values:[{display_value, actual_value, type}]}]}
// (D-FIELDS7; OAS v8 getFields). Fields without an API name are skipped. It never panics.
func decodeFields(status int, body []byte) ([]crm.Field, error) {
	if status == 204 || len(bytes.TrimSpace(body)) == 0 {
		return []crm.Field{}, nil
	}
	var top struct {
		Fields []json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("field metadata: %s", describeBody(body))
	}
	out := make([]crm.Field, 0, len(top.Fields))
	for i, raw := range top.Fields {
		var w struct {
			APIName       string          `json:"api_name"`
			FieldLabel    string          `json:"field_label"`
			DisplayLabel  string          `json:"display_label"`
			DataType      string          `json:"data_type"`
			ReadOnly      bool            `json:"read_only"`
			CustomField   bool            `json:"custom_field"`
			Unique        json.RawMessage `json:"unique"`
			Length        json.RawMessage `json:"length"`
			OperationType *struct {
				APICreate *bool `json:"api_create"`
			} `json:"operation_type"`
			PickListValues []struct {
				DisplayValue string `json:"display_value"`
				ActualValue  string `json:"actual_value"`
				Type         string `json:"type"`
			} `json:"pick_list_values"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("fields[%d]: %v", i, err)
		}
		if w.APIName == "" {
			continue
		}
		f := crm.Field{
			APIName:   w.APIName,
			Label:     cmpOr(w.FieldLabel, w.DisplayLabel),
			DataType:  w.DataType,
			ReadOnly:  w.ReadOnly || (w.OperationType != nil && w.OperationType.APICreate != nil && !*w.OperationType.APICreate),
			Custom:    w.CustomField,
			Unique:    isUnique(w.Unique),
			MaxLength: positiveInt(w.Length),
		}
		for _, p := range w.PickListValues {
			// The list holds unused options too (D-FIELDS7); they are not offered.
			if p.Type == "unused" || p.DisplayValue == "" {
				continue
			}
			f.Picklist = append(f.Picklist, crm.PicklistValue{DisplayValue: p.DisplayValue, ActualValue: cmpOr(p.ActualValue, p.DisplayValue)})
		}
		out = append(out, f)
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// isUnique reads a field's "unique": {} for ordinary fields, an object such as
// {"case_sensitive": false} (v8) or {"casesensitive":"false"} for unique ones; true counts too.
func isUnique(raw json.RawMessage) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		return len(obj) > 0
	}
	var b bool
	return json.Unmarshal(raw, &b) == nil && b
}

func positiveInt(raw json.RawMessage) int {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(string(raw)), `"`))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// SyncKeyStatus reports, for Leads, Calls and Tasks, whether the LC_Sync_Key field exists and
// whether Zoho enforces its uniqueness, from fresh field metadata (3 requests). It also tells
// the adapter whether to write and query the field.
func (c *CRM) SyncKeyStatus(ctx context.Context) (map[crm.Module]crm.SyncKeyField, error) {
	const op = "zoho: sync key status"
	out := make(map[crm.Module]crm.SyncKeyField, len(keyedModules))
	for _, m := range keyedModules {
		fs, err := c.fetchFields(ctx, op, m)
		if err != nil {
			return nil, err
		}
		out[m] = c.setSyncKeyFromFields(m, fs)
	}
	return out, nil
}

// syncKeyFieldLabel is the label EnsureSyncKey gives the field; Zoho derives the API name
// LC_Sync_Key from it.
const syncKeyFieldLabel = "LC Sync Key"

// syncKeyFieldLength is the field's length: keys are 31 characters, with room for a later
// scheme.
const syncKeyFieldLength = 64

// howToCreateSyncKey tells an operator how to create the field by hand.
const howToCreateSyncKey = "create it by hand: Zoho CRM → Setup → Customization → Modules and Fields → %s → " +
	"add a Single Line field labelled \"" + syncKeyFieldLabel + "\" (API name " + SyncKeyFieldName + "), " +
	"and tick \"Do not allow duplicate values\""

// EnsureSyncKey makes sure Leads, Calls and Tasks have a unique LC_Sync_Key field: where it is
// missing, it creates a single-line text field labelled "LC Sync Key" with "Do not allow
// duplicate values" (POST /crm/v8/settings/fields?module=..., documented in v8 as Create
// Custom Fields; it needs the ZohoCRM.settings.fields.CREATE scope). It returns the status of
// each module after its work.
//
// A field that exists but is not unique is left alone (making it unique fails while duplicate
// values exist). That, a refused creation, or a created field whose API name is not
// LC_Sync_Key gives an error that says how to create the field by hand; the map still reports
// every module. Without the field sync still runs, with the residual risk the package doc
// describes.
func (c *CRM) EnsureSyncKey(ctx context.Context) (map[crm.Module]crm.SyncKeyField, error) {
	const op = "zoho: ensure sync key"
	status, err := c.SyncKeyStatus(ctx)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, m := range keyedModules {
		sk := status[m]
		switch {
		case sk.Exists && sk.Unique:
			continue
		case sk.Exists:
			errs = append(errs, leadcall.Errorf(leadcall.CodeInvalid, op,
				"%s.%s exists but allows duplicate values; tick \"Do not allow duplicate values\" on it in Setup → Modules and Fields",
				m, SyncKeyFieldName))
			continue
		}
		if err := c.createSyncKeyField(ctx, op, m); err != nil {
			errs = append(errs, err)
			continue
		}
		fs, err := c.fetchFields(ctx, op, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		status[m] = c.setSyncKeyFromFields(m, fs)
		if !status[m].Exists {
			errs = append(errs, leadcall.Errorf(leadcall.CodeInvalid, op,
				"Zoho created the field in %s but did not name it %s; rename its API name, or "+howToCreateSyncKey, m, SyncKeyFieldName, m))
		}
	}
	return status, errors.Join(errs...)
}

// createSyncKeyField creates the field in one module.
func (c *CRM) createSyncKeyField(ctx context.Context, op string, m crm.Module) error {
	body, err := marshal(op, map[string]any{"fields": []map[string]any{{
		"field_label": syncKeyFieldLabel,
		"data_type":   "text",
		"length":      syncKeyFieldLength,
		"unique":      map[string]bool{"case_sensitive": false},
	}}})
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, &apiRequest{op: op, method: "POST", path: "/settings/fields",
		query: url.Values{"module": {string(m)}}, body: body})
	if err == nil {
		var items []recordResult
		if items, err = decodeRecordResponse(resp.body, "fields"); err != nil || len(items) != 1 {
			if err == nil {
				err = fmt.Errorf("%d results for 1 field", len(items))
			}
			err = malformed(op, resp.status, err)
		} else if !items[0].ok() {
			err = apiErr(op, &APIError{HTTPStatus: resp.status, Code: items[0].Code, Message: items[0].Message, Details: items[0].Details})
		}
	}
	if err != nil {
		var le *leadcall.Error
		code := leadcall.CodeUnavailable
		if errors.As(err, &le) {
			code = le.Code
		}
		return &leadcall.Error{Code: code, Op: op, Err: err,
			Message: fmt.Sprintf("could not create %s.%s (%v); "+howToCreateSyncKey, m, SyncKeyFieldName, err, m)}
	}
	c.cfg.Logger.Info("zoho: created the sync-key field", "module", m)
	return nil
}

// Users returns the CRM's active users (GET /crm/v8/users?type=ActiveUsers, 200 a page) for
// owner mapping. At most maxUserPages pages are read.
func (c *CRM) Users(ctx context.Context) ([]crm.User, error) {
	const op = "zoho: users"
	out := []crm.User{}
	for page := 1; page <= maxUserPages; page++ {
		q := url.Values{"type": {"ActiveUsers"}, "page": {strconv.Itoa(page)}, "per_page": {"200"}}
		resp, err := c.do(ctx, &apiRequest{op: op, method: "GET", path: "/users", query: q})
		if err != nil {
			return nil, err
		}
		users, more, err := decodeUsers(resp.status, resp.body)
		if err != nil {
			return nil, malformed(op, resp.status, err)
		}
		out = append(out, users...)
		if !more || len(users) == 0 {
			return out, nil
		}
	}
	return out, nil
}

// maxUserPages bounds paging (10,000 users) against a server that always says more_records.
const maxUserPages = 50

// decodeUsers decodes {"users":[{id, full_name, email, status, ...}],"info":{more_records}}
// (D-USERS7). Users without an ID are skipped; 204 is no users. It never panics.
func decodeUsers(status int, body []byte) (users []crm.User, more bool, err error) {
	if status == 204 || len(bytes.TrimSpace(body)) == 0 {
		return nil, false, nil
	}
	var top struct {
		Users []map[string]json.RawMessage `json:"users"`
		Info  struct {
			MoreRecords bool `json:"more_records"`
		} `json:"info"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, false, fmt.Errorf("users: %s", describeBody(body))
	}
	for _, u := range top.Users {
		id := rawID(u["id"])
		if id == "" {
			continue
		}
		name := rawString(u["full_name"])
		if name == "" {
			name = strings.TrimSpace(rawString(u["first_name"]) + " " + rawString(u["last_name"]))
		}
		users = append(users, crm.User{
			ID:     id,
			Name:   name,
			Email:  rawString(u["email"]),
			Active: strings.EqualFold(rawString(u["status"]), "active"),
		})
	}
	return users, top.Info.MoreRecords, nil
}
