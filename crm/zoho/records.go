package zoho

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// SyncKeyFieldName is the API name of leadcall's unique sync-key custom field (DESIGN.md §10).
const SyncKeyFieldName = "LC_Sync_Key"

// Field API names leadcall writes (zoho-api.md §5–7).
const (
	fieldLastName    = "Last_Name"
	fieldPhone       = "Phone"
	fieldLeadSource  = "Lead_Source"
	fieldDescription = "Description"
	fieldOwner       = "Owner"
	fieldSubject     = "Subject"
	fieldCallType    = "Call_Type"
	fieldCallStart   = "Call_Start_Time"
	fieldCallDur     = "Call_Duration"
	fieldCallResult  = "Call_Result"
	fieldWhatID      = "What_Id"
	fieldWhoID       = "Who_Id"
	fieldSEModule    = "$se_module"
	fieldDueDate     = "Due_Date"
	fieldStatus      = "Status"
	fieldPriority    = "Priority"
)

// Formats of Zoho's Date/Time and Date fields (zoho-api.md §4.3): ISO 8601 with a ±HH:mm
// offset (never "Z") and yyyy-MM-dd.
const (
	dateTimeLayout = "2006-01-02T15:04:05-07:00"
	dateLayout     = "2006-01-02"
)

// Input limits. Zoho enforces its own per-field limits; these keep hostile input from
// producing huge requests and unreadable errors.
const (
	maxLeadFields    = 100    // extra Lead fields per create
	maxTextLen       = 32_000 // the largest multi-line field (zoho-api.md §4.3)
	maxSyncKeyLen    = 255    // a single-line field
	maxIDLen         = 64     // Zoho IDs are 19 digits
	maxAPINameLen    = 100
	maxVariants      = 16
	minVariantDigits = 2 // Zoho refuses shorter search values (INVALID_DATA)
	maxVariantDigits = 20
)

var (
	apiNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	idRE      = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	syncKeyRE = regexp.MustCompile(`^[A-Za-z0-9_:.-]+$`)
)

// reservedLeadFields are set through the Lead's own fields, never through Lead.Fields.
var reservedLeadFields = map[string]bool{
	fieldLastName: true, fieldPhone: true, fieldLeadSource: true, fieldDescription: true,
	fieldOwner: true, SyncKeyFieldName: true, "id": true, "Layout": true,
}

// record is one record of a write body, keyed by field API name. encoding/json writes its
// keys sorted, so bodies are deterministic.
type record map[string]any

func validID(id string) bool { return len(id) <= maxIDLen && idRE.MatchString(id) }

func validSyncKey(key string) bool { return len(key) <= maxSyncKeyLen && syncKeyRE.MatchString(key) }

// checkText refuses a value too long for any Zoho field.
func checkText(op, field, v string) error {
	if len(v) > maxTextLen {
		return invalid(op, field, "%d bytes, more than any Zoho field holds (%d)", len(v), maxTextLen)
	}
	return nil
}

// common adds the fields every leadcall record may carry: Description, Owner, sync key.
func common(op string, rec record, description, ownerID, key string) error {
	if err := checkText(op, fieldDescription, description); err != nil {
		return err
	}
	if description != "" {
		rec[fieldDescription] = description
	}
	if ownerID != "" {
		if !validID(ownerID) {
			return invalid(op, fieldOwner, "not a Zoho user ID")
		}
		rec[fieldOwner] = map[string]string{"id": ownerID}
	}
	if key != "" && !validSyncKey(key) {
		return invalid(op, SyncKeyFieldName, "a sync key is 1 to %d letters, digits and _:.-", maxSyncKeyLen)
	}
	return nil
}

// link points a Call or Task at its Lead or Contact: a Lead through What_Id with
// $se_module "Leads", a Contact through Who_Id (zoho-api.md §5, K38).
func link(op string, rec record, who crm.Ref) error {
	if who.IsZero() {
		return invalid(op, "Who", "required: the Lead or Contact to link to")
	}
	if !validID(who.ID) {
		return invalid(op, "Who", "not a Zoho record ID")
	}
	switch who.Module {
	case crm.ModuleLeads:
		rec[fieldWhatID] = map[string]string{"id": who.ID}
		rec[fieldSEModule] = string(crm.ModuleLeads)
	case crm.ModuleContacts:
		rec[fieldWhoID] = map[string]string{"id": who.ID}
	default:
		return invalid(op, "Who", "module %q cannot be linked (want Leads or Contacts)", who.Module)
	}
	return nil
}

// leadRecord maps a Lead to Zoho's Leads fields (zoho-api.md §7).
func (c *CRM) leadRecord(ctx context.Context, op string, l *crm.Lead) (record, error) {
	if l == nil {
		return nil, invalid(op, "", "no lead")
	}
	last := strings.TrimSpace(l.LastName)
	if last == "" {
		return nil, invalid(op, fieldLastName, "required (Zoho's only mandatory Lead field)")
	}
	rec := record{fieldLastName: last}
	for f, v := range map[string]string{fieldLastName: last, fieldPhone: l.Phone, fieldLeadSource: l.LeadSource} {
		if err := checkText(op, f, v); err != nil {
			return nil, err
		}
	}
	if l.Phone != "" {
		rec[fieldPhone] = l.Phone
	}
	if len(l.Fields) > maxLeadFields {
		return nil, invalid(op, "Fields", "%d fields, at most %d", len(l.Fields), maxLeadFields)
	}
	meta := c.cachedFields(crm.ModuleLeads)
	for name, v := range l.Fields {
		switch {
		case len(name) > maxAPINameLen || !apiNameRE.MatchString(name):
			return nil, invalid(op, "Fields", "%q is not a Zoho field API name", truncate(name, maxAPINameLen))
		case reservedLeadFields[name]:
			return nil, invalid(op, name, "set through the Lead's own field, not Fields")
		}
		if err := checkText(op, name, v); err != nil {
			return nil, err
		}
		rec[name] = typedValue(meta, name, v)
	}
	if err := common(op, rec, l.Description, l.OwnerID, l.SyncKey); err != nil {
		return nil, err
	}
	if l.LeadSource != "" {
		display, err := c.picklistDisplay(ctx, op, crm.ModuleLeads, fieldLeadSource, l.LeadSource)
		if err != nil {
			return nil, err
		}
		rec[fieldLeadSource] = display
	}
	return rec, nil
}

// typedValue converts a metadata value for a number or boolean field to the JSON type Zoho
// expects, when the module's field metadata is known; otherwise the string goes as it is.
func typedValue(meta []crm.Field, apiName, v string) any {
	for _, f := range meta {
		if f.APIName != apiName {
			continue
		}
		s := strings.TrimSpace(v)
		switch f.DataType {
		case "integer", "bigint":
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		case "double", "currency", "decimal", "percent":
			if _, err := strconv.ParseFloat(s, 64); err == nil {
				return json.Number(s)
			}
		case "boolean":
			if b, err := strconv.ParseBool(s); err == nil {
				return b
			}
		}
		return v
	}
	return v
}

// callRecord maps a Call to Zoho's Calls fields (zoho-api.md §5, DESIGN.md §10):
// Call_Start_Time in the org's zone with its offset; Call_Duration as mm:ss (minutes may pass
// 59), never zero, for Inbound and Outbound; no Call_Duration for Missed; no
// Call_Duration_in_seconds.
func (c *CRM) callRecord(ctx context.Context, op string, call *crm.Call) (record, error) {
	if call == nil {
		return nil, invalid(op, "", "no call")
	}
	subject := strings.TrimSpace(call.Subject)
	switch {
	case subject == "":
		return nil, invalid(op, fieldSubject, "required")
	case call.Type != crm.CallInbound && call.Type != crm.CallOutbound && call.Type != crm.CallMissed:
		return nil, invalid(op, fieldCallType, "%q is not Inbound, Outbound or Missed", truncate(string(call.Type), 40))
	case call.Start.IsZero():
		return nil, invalid(op, fieldCallStart, "required")
	case call.Duration < 0:
		return nil, invalid(op, fieldCallDur, "negative")
	case call.Type == crm.CallMissed && call.Duration != 0:
		return nil, invalid(op, fieldCallDur, "a missed call has no duration")
	}
	if err := checkText(op, fieldSubject, subject); err != nil {
		return nil, err
	}
	if err := checkText(op, fieldCallResult, call.Result); err != nil {
		return nil, err
	}
	rec := record{
		fieldSubject:   subject,
		fieldCallType:  string(call.Type),
		fieldCallStart: c.inOrgZone(call.Start).Format(dateTimeLayout),
	}
	if call.Type != crm.CallMissed {
		rec[fieldCallDur] = formatCallDuration(call.Duration)
	}
	if err := link(op, rec, call.Who); err != nil {
		return nil, err
	}
	if err := common(op, rec, call.Description, call.OwnerID, call.SyncKey); err != nil {
		return nil, err
	}
	if call.Result != "" {
		display, err := c.picklistDisplay(ctx, op, crm.ModuleCalls, fieldCallResult, call.Result)
		if err != nil {
			return nil, err
		}
		rec[fieldCallResult] = display
	}
	return rec, nil
}

// formatCallDuration writes d as mm:ss, rounding partial seconds up so that a connected call
// is never "00:00", which Zoho refuses for Inbound and Outbound (DEPENDENT_MISMATCH).
func formatCallDuration(d time.Duration) string {
	secs := max(int64((d+time.Second-1)/time.Second), 1)
	return fmt.Sprintf("%02d:%02d", secs/60, secs%60)
}

// taskRecord maps a Task to Zoho's Tasks fields (zoho-api.md §6): Due_Date is the date in the
// org's zone; Status and Priority default to Not Started and High.
func (c *CRM) taskRecord(op string, t *crm.Task) (record, error) {
	if t == nil {
		return nil, invalid(op, "", "no task")
	}
	subject := strings.TrimSpace(t.Subject)
	switch {
	case subject == "":
		return nil, invalid(op, fieldSubject, "required")
	case t.Due.IsZero():
		return nil, invalid(op, fieldDueDate, "required")
	}
	status := cmp.Or(strings.TrimSpace(t.Status), crm.DefaultTaskStatus)
	priority := cmp.Or(strings.TrimSpace(t.Priority), crm.DefaultTaskPriority)
	for f, v := range map[string]string{fieldSubject: subject, fieldStatus: status, fieldPriority: priority} {
		if err := checkText(op, f, v); err != nil {
			return nil, err
		}
	}
	rec := record{
		fieldSubject:  subject,
		fieldDueDate:  c.inOrgZone(t.Due).Format(dateLayout),
		fieldStatus:   status,
		fieldPriority: priority,
	}
	if err := link(op, rec, t.Who); err != nil {
		return nil, err
	}
	if err := common(op, rec, t.Description, t.OwnerID, t.SyncKey); err != nil {
		return nil, err
	}
	return rec, nil
}

// inOrgZone converts t to Config.Location when set; otherwise t keeps its own location.
func (c *CRM) inOrgZone(t time.Time) time.Time {
	if c.cfg.Location != nil {
		return t.In(c.cfg.Location)
	}
	return t
}

// writeBody is the body of an insert: {"data":[...], "trigger":[...]} (zoho-api.md §4.1).
// trigger is left out when Config.Trigger is nil, so Zoho runs its default automation.
func (c *CRM) writeBody(recs ...record) map[string]any {
	body := map[string]any{"data": recs}
	if c.cfg.Trigger != nil {
		body["trigger"] = c.cfg.Trigger
	}
	return body
}

// withKey returns rec plus the sync key, when it is to be written.
func withKey(rec record, key string, write bool) record {
	if !write || key == "" {
		return rec
	}
	out := make(record, len(rec)+1)
	for k, v := range rec {
		out[k] = v
	}
	out[SyncKeyFieldName] = key
	return out
}

// CreateLead creates a Lead (POST /crm/v8/Leads) with Last_Name, Phone, Lead_Source, the extra
// fields, Description, Owner and LC_Sync_Key. A Lead_Source outside the picklist gives
// CodeInvalid (Zoho would add it as an option); an actual value is written as its display
// value. A Lead whose sync key another Lead holds (Zoho's DUPLICATE_DATA on the unique
// LC_Sync_Key field) gives CodeConflict with ExistingID.
func (c *CRM) CreateLead(ctx context.Context, lead *crm.Lead) (*crm.Created, error) {
	const op = "zoho: create lead"
	rec, err := c.leadRecord(ctx, op, lead)
	if err != nil {
		return nil, err
	}
	created, err := c.createOne(ctx, op, crm.ModuleLeads, rec, lead.SyncKey)
	if err != nil {
		c.phones.forgetNumber(lead.Phone)
		return nil, err
	}
	c.rememberLead(lead, created.ID)
	return created, nil
}

// CreateCall creates a Call (POST /crm/v8/Calls) linked to call.Who. Call_Result is checked
// against its picklist like Lead_Source. Same key rules as CreateLead.
func (c *CRM) CreateCall(ctx context.Context, call *crm.Call) (*crm.Created, error) {
	const op = "zoho: create call"
	rec, err := c.callRecord(ctx, op, call)
	if err != nil {
		return nil, err
	}
	created, err := c.createOne(ctx, op, crm.ModuleCalls, rec, call.SyncKey)
	if err != nil {
		c.phones.forgetRecord(call.Who)
	}
	return created, err
}

// CreateTask creates a Task (POST /crm/v8/Tasks) linked to task.Who. Same key rules as
// CreateLead.
func (c *CRM) CreateTask(ctx context.Context, task *crm.Task) (*crm.Created, error) {
	const op = "zoho: create task"
	rec, err := c.taskRecord(op, task)
	if err != nil {
		return nil, err
	}
	created, err := c.createOne(ctx, op, crm.ModuleTasks, rec, task.SyncKey)
	if err != nil {
		c.phones.forgetRecord(task.Who)
	}
	return created, err
}

// createOne inserts one record. When the module's sync-key field turns out to be missing or
// unusable (Zoho refuses the field, which proves nothing was written), it inserts once more
// without the key: sync goes on with the residual risk the package doc describes.
func (c *CRM) createOne(ctx context.Context, op string, module crm.Module, rec record, key string) (*crm.Created, error) {
	write := key != "" && c.syncKeyWritable(module)
	id, err := c.insert(ctx, op, module, withKey(rec, key, write), key)
	if write && isSyncKeyRefused(err) {
		c.markSyncKey(module, syncKeyMissing, err)
		id, err = c.insert(ctx, op, module, rec, "")
	}
	if err != nil {
		return nil, err
	}
	if write {
		c.rememberKey(module, key, id)
	}
	return &crm.Created{ID: id}, nil
}

// insert sends one record and interprets its result.
func (c *CRM) insert(ctx context.Context, op string, module crm.Module, rec record, key string) (string, error) {
	body, err := marshal(op, c.writeBody(rec))
	if err != nil {
		return "", err
	}
	resp, err := c.do(ctx, &apiRequest{op: op, method: "POST", path: "/" + string(module), body: body, credits: writeCredits(1)})
	if err != nil {
		return c.duplicateEnvelope(ctx, op, module, key, err)
	}
	results, err := decodeRecordResponse(resp.body, "data")
	if err != nil {
		return "", malformed(op, resp.status, err)
	}
	if len(results) != 1 {
		return "", malformed(op, resp.status, fmt.Errorf("%d results for 1 record", len(results)))
	}
	return c.resultID(ctx, op, module, resp.status, results[0], key)
}

// resultID interprets one item of a write response: its record ID, or a classified error.
func (c *CRM) resultID(ctx context.Context, op string, module crm.Module, status int, r recordResult, key string) (string, error) {
	if r.ok() {
		id := idString(r.Details["id"])
		if id == "" {
			// Zoho says it wrote the record but not which: the Engine must reconcile.
			return "", unavailable(op, fmt.Errorf("%w: success without a record id", ErrMalformedResponse))
		}
		return id, nil
	}
	ae := &APIError{HTTPStatus: status, Code: r.Code, Message: r.Message, Details: r.Details}
	le := apiErr(op, ae)
	if r.Code == "DUPLICATE_DATA" && strings.EqualFold(ae.APIName(), SyncKeyFieldName) && key != "" {
		le.Code, le.Field = leadcall.CodeConflict, SyncKeyFieldName
		le.ExistingID = ae.duplicateID()
		if le.ExistingID == "" {
			// Older responses may not name the record; find it by the key.
			if id, err := c.findBySyncKey(ctx, op, module, key); err == nil {
				le.ExistingID = id
			}
		}
		if le.ExistingID != "" {
			c.rememberKey(module, key, le.ExistingID)
		}
	}
	return "", le
}

// duplicateEnvelope handles a DUPLICATE_DATA that arrives as an error envelope rather than as
// an item of data[] (a composite wrapper may lift it, zoho-api.md §10): it gets the same
// conflict treatment. Other errors pass through.
func (c *CRM) duplicateEnvelope(ctx context.Context, op string, module crm.Module, key string, err error) (string, error) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "DUPLICATE_DATA" {
		return "", err
	}
	return c.resultID(ctx, op, module, ae.HTTPStatus,
		recordResult{Code: ae.Code, Message: ae.Message, Status: "error", Details: ae.Details}, key)
}

// isSyncKeyRefused reports whether Zoho refused a write because of the LC_Sync_Key field
// itself (INVALID_DATA naming it: an unknown field API name, or a field of the wrong type).
func isSyncKeyRefused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == "INVALID_DATA" && strings.EqualFold(ae.APIName(), SyncKeyFieldName)
}

// recordResult is one item of a write response's data array (zoho-api.md §4.1):
// {"code","details","message","status"}.
type recordResult struct {
	Code    string
	Message string
	Status  string
	Details map[string]any
}

func (r recordResult) ok() bool {
	return r.Status == "success" || (r.Status == "" && r.Code == "SUCCESS")
}

// decodeRecordResponse decodes the per-record results under key ("data" for records,
// "fields" for field creation). Items keep the request's order. A body without the array, or
// with items that are not objects, is an error; it never panics.
func decodeRecordResponse(body []byte, key string) ([]recordResult, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %s", describeBody(body))
	}
	raw, ok := top[key]
	if !ok {
		return nil, fmt.Errorf("no %q array in the response", key)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("%q is not an array", key)
	}
	out := make([]recordResult, 0, len(items))
	for i, it := range items {
		var w struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Status  string          `json:"status"`
			Details json.RawMessage `json:"details"`
		}
		if err := json.Unmarshal(it, &w); err != nil {
			return nil, fmt.Errorf("%s[%d] is not a result object", key, i)
		}
		r := recordResult{Code: w.Code, Message: w.Message, Status: w.Status}
		if len(w.Details) > 0 {
			dec := json.NewDecoder(bytes.NewReader(w.Details))
			dec.UseNumber()
			_ = dec.Decode(&r.Details) // details that are not an object are dropped
		}
		out = append(out, r)
	}
	return out, nil
}

// CompleteTask sets the Task's Status to Completed and appends note to its Description on a
// new paragraph (GET then PUT /crm/v8/Tasks/{id}). A Task that is already completed is left
// alone, so a retry never appends the note twice. CodeNotFound when the Task does not exist.
func (c *CRM) CompleteTask(ctx context.Context, taskID, note string) error {
	const op = "zoho: complete task"
	if !validID(taskID) {
		return leadcall.Errorf(leadcall.CodeNotFound, op, "no such task: not a Zoho record ID")
	}
	if err := checkText(op, "note", note); err != nil {
		return err
	}
	path := "/" + string(crm.ModuleTasks) + "/" + url.PathEscape(taskID)
	resp, err := c.do(ctx, &apiRequest{op: op, method: "GET", path: path})
	if err != nil {
		return notFoundIfInvalidID(err)
	}
	if resp.status == 204 || len(bytes.TrimSpace(resp.body)) == 0 {
		return leadcall.Errorf(leadcall.CodeNotFound, op, "no such task")
	}
	var got struct {
		Data []struct {
			Status      *string `json:"Status"`
			Description *string `json:"Description"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &got); err != nil {
		return malformed(op, resp.status, fmt.Errorf("task: %s", describeBody(resp.body)))
	}
	if len(got.Data) == 0 {
		return leadcall.Errorf(leadcall.CodeNotFound, op, "no such task")
	}
	t := got.Data[0]
	if t.Status != nil && *t.Status == crm.TaskStatusCompleted {
		return nil
	}
	rec := record{fieldStatus: crm.TaskStatusCompleted}
	if note != "" {
		desc := note
		if t.Description != nil && *t.Description != "" {
			desc = *t.Description + "\n\n" + note
		}
		if err := checkText(op, fieldDescription, desc); err != nil {
			return err
		}
		rec[fieldDescription] = desc
	}
	body, err := marshal(op, c.writeBody(rec))
	if err != nil {
		return err
	}
	resp, err = c.do(ctx, &apiRequest{op: op, method: "PUT", path: path, body: body, credits: writeCredits(1)})
	if err != nil {
		return notFoundIfInvalidID(err)
	}
	results, err := decodeRecordResponse(resp.body, "data")
	if err != nil {
		return malformed(op, resp.status, err)
	}
	if len(results) != 1 {
		return malformed(op, resp.status, fmt.Errorf("%d results for 1 record", len(results)))
	}
	if _, err := c.resultID(ctx, op, crm.ModuleTasks, resp.status, results[0], ""); err != nil {
		return notFoundIfInvalidID(err)
	}
	return nil
}

// notFoundIfInvalidID turns Zoho's answer for a record ID that does not exist (INVALID_DATA
// naming the id, or RECORD_NOT_FOUND) into CodeNotFound.
func notFoundIfInvalidID(err error) error {
	var ae *APIError
	var le *leadcall.Error
	if !errors.As(err, &ae) || !errors.As(err, &le) {
		return err
	}
	if ae.Code == "RECORD_NOT_FOUND" || (ae.Code == "INVALID_DATA" && (ae.APIName() == "id" || strings.Contains(strings.ToLower(ae.Message), "id given"))) {
		nf := *le
		nf.Code, nf.Field = leadcall.CodeNotFound, ""
		return &nf
	}
	return err
}
