package zohotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	maxRecordsPerWrite = 100 // D-INSERT7; D-INSERT8
	compositeWriteCap  = 1   // D-COMP7 "Allowed APIs"
	compositeReadCap   = 25
	dateTimeLayout     = "2006-01-02T15:04:05-07:00" // D-INSERT7: yyyy-MM-ddTHH:mm:ss±HH:mm
	dateLayout         = "2006-01-02"
)

// ErrDuplicateValue is returned by the seeding API when a unique field value is taken.
var ErrDuplicateValue = errors.New("zohotest: duplicate value in a unique field")

// lookupRef is a stored lookup: a record or user id, plus the module for What_Id.
type lookupRef struct{ id, module string }

type record struct {
	id, module            string
	values                map[string]any // writable fields only: string, time.Time, int64, bool, lookupRef
	createdAt, modifiedAt time.Time
	createdBy, modifiedBy string
	converted             bool
	seeded                bool // seeded through the Go API: pre-existing data, never index-lagged
}

func (r *record) clone() *record {
	c := *r
	c.values = make(map[string]any, len(r.values))
	for k, v := range r.values {
		c.values[k] = v
	}
	return &c
}

func (r *record) str(field string) string {
	v, _ := r.values[field].(string)
	return v
}

type moduleStore struct {
	byID   map[string]*record
	order  []*record
	unique map[string]map[string]*record // unique field -> lower-cased value -> record
}

func newModuleStore(m *moduleDef) *moduleStore {
	ms := &moduleStore{byID: map[string]*record{}, unique: map[string]map[string]*record{}}
	for _, f := range m.fields {
		if f.unique {
			ms.unique[f.apiName] = map[string]*record{}
		}
	}
	return ms
}

func (ms *moduleStore) index(r *record) {
	for field, idx := range ms.unique {
		if v := r.str(field); v != "" {
			idx[strings.ToLower(v)] = r
		}
	}
}

func (ms *moduleStore) unindex(r *record) {
	for field, idx := range ms.unique {
		if v := r.str(field); v != "" && idx[strings.ToLower(v)] == r {
			delete(idx, strings.ToLower(v))
		}
	}
}

// holder returns the record holding a unique value (not case sensitive), if any.
func (ms *moduleStore) holder(field string, v any) *record {
	str, ok := v.(string)
	if !ok {
		return nil
	}
	return ms.unique[field][strings.ToLower(str)]
}

func (ms *moduleStore) add(r *record) {
	ms.byID[r.id] = r
	ms.order = append(ms.order, r)
	ms.index(r)
}

func (ms *moduleStore) remove(id string) {
	if r, ok := ms.byID[id]; ok {
		ms.unindex(r)
	}
	delete(ms.byID, id)
	ms.order = slices.DeleteFunc(ms.order, func(r *record) bool { return r.id == id })
}

func (ms *moduleStore) replace(r *record) {
	if old, ok := ms.byID[r.id]; ok {
		ms.unindex(old)
	}
	ms.byID[r.id] = r
	for i, o := range ms.order {
		if o.id == r.id {
			ms.order[i] = r
		}
	}
	ms.index(r)
}

// undoLog records writes inside a composite with rollback_on_fail, newest last.
type undoLog struct{ entries []undoEntry }

type undoEntry struct {
	module, id string
	prev       *record // nil: the write created the record
}

func (u *undoLog) note(module, id string, prev *record) {
	if u != nil {
		u.entries = append(u.entries, undoEntry{module: module, id: id, prev: prev})
	}
}

// rollbackLocked undoes the logged writes, newest first.
func (s *Server) rollbackLocked(u *undoLog) {
	for i := len(u.entries) - 1; i >= 0; i-- {
		e := u.entries[i]
		ms := s.store[e.module]
		if e.prev == nil {
			ms.remove(e.id)
		} else {
			ms.replace(e.prev)
		}
	}
	u.entries = nil
}

// recordError is a per-record error item (OAS record error schemas).
type recordError struct {
	code, message string
	details       map[string]any
}

func (e *recordError) item() map[string]any {
	return map[string]any{"code": e.code, "details": e.details, "message": e.message, "status": "error"}
}

func fieldErr(code, message, apiName, path string, extra ...any) *recordError {
	d := map[string]any{"api_name": apiName, "json_path": path + "." + apiName}
	for i := 0; i+1 < len(extra); i += 2 {
		d[extra[i].(string)] = extra[i+1]
	}
	return &recordError{code: code, message: message, details: d}
}

func invalidData(apiName, path string, extra ...any) *recordError {
	return fieldErr("INVALID_DATA", "invalid data", apiName, path, extra...)
}

func mandatoryMissing(apiName, path string) *recordError {
	return fieldErr("MANDATORY_NOT_FOUND", "required field not found", apiName, path)
}

var (
	// D-INSERT7 "Phone": '+', digits, letters, spaces, '.', '-' (and '(' ')' per the sample
	// "91(987)654321"), with optional ','/';'/'#' extensions.
	phonePattern = regexp.MustCompile(`^\+?[0-9A-Za-z .()\-]*[0-9][0-9A-Za-z .()\-]*([,;#][0-9A-Za-z .()\-,;#]*)?$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	idPattern    = regexp.MustCompile(`^[0-9]{1,30}$`)
	// Call_Duration as minutes:seconds; minutes may exceed 59 (DESIGN §10). The docs say
	// "HH:mm"/"hh:mm" but the sample "10:00" and integrators treat it as mm:ss (unconfirmed).
	durationPattern = regexp.MustCompile(`^([0-9]{1,4}):([0-5][0-9])$`)
)

// coerce validates one written value against its field and returns the stored form.
// A nil result with a nil error clears the field.
func (s *Server) coerceLocked(f *fieldDef, v any, path string) (any, *recordError) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, *recordError) {
		expected := f.dataType
		if f.dataType == typeLookup || f.dataType == typeOwnerLookup {
			expected = "jsonobject"
		}
		return nil, invalidData(f.apiName, path, "expected_data_type", expected)
	}
	switch f.dataType {
	case typeText, typeTextarea, typeEmail, typePhone, typePicklist:
		str, ok := v.(string)
		if !ok {
			return bad()
		}
		if str == "" {
			return nil, nil
		}
		if utf8.RuneCountInString(str) > f.length {
			return nil, invalidData(f.apiName, path, "maximum_length", f.length)
		}
		switch {
		case f.dataType == typePhone && !phonePattern.MatchString(str):
			return bad()
		case f.dataType == typeEmail && !emailPattern.MatchString(str):
			return bad()
		case f.dataType == typePicklist && f.strict:
			if _, ok := lookupPicklist(f, str); !ok {
				return bad()
			}
		}
		return str, nil
	case typeDateTime:
		str, ok := v.(string)
		if !ok {
			return bad()
		}
		t, err := time.Parse(dateTimeLayout, str)
		if err != nil {
			return bad()
		}
		return t, nil
	case typeDate:
		str, ok := v.(string)
		if !ok {
			return bad()
		}
		if _, err := time.Parse(dateLayout, str); err != nil {
			return bad()
		}
		return str, nil
	case typeInteger:
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		i, err := n.Int64()
		if err != nil {
			return bad()
		}
		return i, nil
	case typeBoolean:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		return b, nil
	case typeLookup, typeOwnerLookup:
		var id string
		switch x := v.(type) {
		case map[string]any:
			id, _ = x["id"].(string)
		case string:
			id = x // Kaizen #38 shows a bare id string being accepted
		}
		if !idPattern.MatchString(id) {
			return bad()
		}
		return lookupRef{id: id}, nil
	}
	return bad()
}

// writeOp is what a write is doing to one record.
type writeOp struct {
	m     *moduleDef
	in    map[string]any
	path  string  // "$.data[i]"
	prev  *record // nil for inserts
	token *accessToken
}

// pendingOption is a picklist value a successful write adds to its field.
type pendingOption struct {
	f     *fieldDef
	value string
}

// buildLocked validates a write and returns the complete new value map.
func (s *Server) buildLocked(op writeOp) (map[string]any, []pendingOption, *recordError) {
	values := map[string]any{}
	if op.prev != nil {
		for k, v := range op.prev.values {
			values[k] = v
		}
	}
	var added []pendingOption
	for _, f := range op.m.fields {
		raw, present := op.in[f.apiName]
		if !present || f.readOnly {
			continue // read-only and unknown keys are ignored (unconfirmed: Zoho drops them silently)
		}
		v, err := s.coerceLocked(f, raw, op.path)
		if err != nil {
			return nil, nil, err
		}
		if v == nil {
			delete(values, f.apiName)
			continue
		}
		if str, ok := v.(string); ok && f.dataType == typePicklist && !f.strict {
			if _, known := lookupPicklist(f, str); !known {
				added = append(added, pendingOption{f: f, value: str})
			}
		}
		values[f.apiName] = v
	}
	if err := s.checkMandatory(op, values); err != nil {
		return nil, nil, err
	}
	if err := s.checkRelationsLocked(op, values); err != nil {
		return nil, nil, err
	}
	switch op.m.name {
	case "Calls":
		if err := s.checkCallLocked(op, values); err != nil {
			return nil, nil, err
		}
	case "Tasks":
		if values["Status"] == "Completed" && (op.prev == nil || op.prev.values["Status"] != "Completed") {
			values["Closed_Time"] = s.now()
		}
	}
	if err := s.checkUniqueLocked(op, values); err != nil {
		return nil, nil, err
	}
	return values, added, nil
}

func (s *Server) checkMandatory(op writeOp, values map[string]any) *recordError {
	for _, f := range op.m.fields {
		if !f.mandatory {
			continue
		}
		if _, ok := values[f.apiName]; !ok {
			return mandatoryMissing(f.apiName, op.path)
		}
	}
	return nil
}

// checkRelationsLocked validates Owner, Who_Id and What_Id + $se_module (D-INSERT7; K38).
func (s *Server) checkRelationsLocked(op writeOp, values map[string]any) *recordError {
	if ref, ok := values["Owner"].(lookupRef); ok {
		if _, written := op.in["Owner"]; written {
			if u := s.userLocked(ref.id); u == nil || u.Status != UserActive {
				return invalidData("Owner", op.path)
			}
		}
	} else if op.prev == nil {
		values["Owner"] = lookupRef{id: op.token.userID}
	}
	if ref, ok := values["Who_Id"].(lookupRef); ok {
		if _, written := op.in["Who_Id"]; written {
			if _, exists := s.store["Contacts"].byID[ref.id]; !exists {
				return invalidData("Who_Id", op.path)
			}
		}
	}
	if _, hasWhat := op.m.field("What_Id"); !hasWhat {
		return nil
	}
	ref, ok := values["What_Id"].(lookupRef)
	if _, written := op.in["What_Id"]; !written || !ok {
		return nil
	}
	se, given := op.in["$se_module"]
	if !given || se == nil {
		return mandatoryMissing("$se_module", op.path)
	}
	seName, _ := se.(string)
	target, ok := moduleByName(seName)
	// What_Id is for records other than Contacts (Who_Id is for those); only Leads exist here.
	if !ok || target != "Leads" {
		return invalidData("$se_module", op.path)
	}
	if _, exists := s.store[target].byID[ref.id]; !exists {
		return invalidData("What_Id", op.path)
	}
	ref.module = target
	values["What_Id"] = ref
	return nil
}

// checkCallLocked applies the Calls rules of D-INSERT7 and Kaizen #38.
func (s *Server) checkCallLocked(op writeOp, values map[string]any) *recordError {
	callType, _ := values["Call_Type"].(string)
	if op.prev != nil {
		if _, written := op.in["Call_Type"]; written && op.prev.values["Call_Type"] != callType {
			return invalidData("Call_Type", op.path) // Call_Type cannot change after creation
		}
		completed := op.prev.values["Outgoing_Call_Status"] != "Scheduled"
		if _, written := op.in["Owner"]; written && completed && values["Owner"] != op.prev.values["Owner"] {
			return invalidData("Owner", op.path) // the Owner of a completed call cannot change
		}
	}
	scheduled := callType == "Outbound" && values["Outgoing_Call_Status"] == "Scheduled"
	if scheduled {
		if start, ok := values["Call_Start_Time"].(time.Time); ok && !start.After(s.now()) {
			return invalidData("Call_Start_Time", op.path) // a scheduled call must be in the future
		}
		delete(values, "Call_Duration_in_seconds")
		return nil
	}
	dur, hasDur := values["Call_Duration"].(string)
	if !hasDur {
		if callType == "Inbound" || callType == "Outbound" {
			return mandatoryMissing("Call_Duration", op.path) // mandatory for completed calls
		}
		delete(values, "Call_Duration_in_seconds")
		return nil
	}
	m := durationPattern.FindStringSubmatch(dur)
	if m == nil {
		return invalidData("Call_Duration", op.path, "expected_data_type", "text")
	}
	mins, _ := strconv.Atoi(m[1])
	secs, _ := strconv.Atoi(m[2])
	total := int64(mins*60 + secs)
	if total == 0 && (callType == "Inbound" || callType == "Outbound") {
		return fieldErr("DEPENDENT_MISMATCH", "Call Duration can not be zero.", "Call_Duration", op.path)
	}
	values["Call_Duration_in_seconds"] = total
	return nil
}

func sameValue(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs) // unique fields are not case sensitive here
	}
	return a == b
}

// checkUniqueLocked enforces "Do not allow duplicate values" fields (D-INSERT7 DUPLICATE_DATA;
// body from OAS v8 createRecords duplicatedataerror, plus the "module" object the v7 text names).
func (s *Server) checkUniqueLocked(op writeOp, values map[string]any) *recordError {
	for _, f := range op.m.fields {
		v, ok := values[f.apiName]
		if !f.unique || !ok {
			continue
		}
		other := s.store[op.m.name].holder(f.apiName, v)
		if other == nil || (op.prev != nil && other.id == op.prev.id) {
			continue
		}
		owner := s.userRefLocked(ownerID(other))
		delete(owner, "email")
		owner["zuid"] = nil
		if u := s.userLocked(ownerID(other)); u != nil {
			owner["zuid"] = userJSON(u)["zuid"]
		}
		return fieldErr("DUPLICATE_DATA", "duplicate data", f.apiName, op.path,
			"id", other.id, "more_records", false,
			"duplicate_record", map[string]any{"id": other.id, "Owner": owner,
				"module": map[string]any{"api_name": op.m.name, "id": op.m.id}})
	}
	return nil
}

func ownerID(r *record) string {
	ref, _ := r.values["Owner"].(lookupRef)
	return ref.id
}

// commitLocked stores a validated write and returns the success details.
func (s *Server) commitLocked(op writeOp, values map[string]any, added []pendingOption, undo *undoLog) *record {
	now := s.now()
	for _, a := range added {
		if _, known := lookupPicklist(a.f, a.value); !known {
			a.f.picklist = append(a.f.picklist, PicklistValue{DisplayValue: a.value, ActualValue: a.value})
		}
	}
	ms := s.store[op.m.name]
	if op.prev != nil {
		undo.note(op.m.name, op.prev.id, op.prev.clone())
		r := op.prev
		ms.unindex(r)
		r.values, r.modifiedAt, r.modifiedBy = values, now, op.token.userID
		ms.index(r)
		return r
	}
	r := &record{id: s.nextID(), module: op.m.name, values: values, createdAt: now, modifiedAt: now,
		createdBy: op.token.userID, modifiedBy: op.token.userID}
	ms.add(r)
	undo.note(op.m.name, r.id, nil)
	return r
}

func (s *Server) successDetailsLocked(r *record) map[string]any {
	by := func(id string) map[string]any {
		ref := s.userRefLocked(id)
		delete(ref, "email")
		return ref
	}
	return map[string]any{"id": r.id, "Created_Time": s.fmtTime(r.createdAt), "Modified_Time": s.fmtTime(r.modifiedAt),
		"Created_By": by(r.createdBy), "Modified_By": by(r.modifiedBy), "$approval_state": "approved"}
}

func (s *Server) fmtTime(t time.Time) string { return t.In(s.cfg.TimeZone).Format(dateTimeLayout) }

// writeBody is a decoded insert/update/upsert body.
type writeBody struct {
	data        []any
	dupCheck    []string
	dupCheckSet bool
}

var allowedTriggers = []string{"workflow", "approval", "blueprint", "pathfinder", "orchestration"}

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("body is not a JSON object")
	}
	return obj, nil
}

func badBody() apiResponse {
	// Zoho's reply to a malformed body is undocumented; INVALID_DATA with the usual envelope.
	return errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
		map[string]any{"expected_data_type": "jsonobject", "api_name": "body"})
}

// parseWriteBody validates the envelope shared by insert, update and upsert (D-INSERT7).
func parseWriteBody(req *apiRequest) (writeBody, *apiResponse) {
	fail := func(r apiResponse) (writeBody, *apiResponse) { return writeBody{}, &r }
	obj, err := decodeObject(req.body)
	if err != nil {
		return fail(badBody())
	}
	rawData, ok := obj["data"]
	if !ok || rawData == nil {
		return fail(errResp(http.StatusBadRequest, "MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "data", "json_path": "$.data"}))
	}
	data, ok := rawData.([]any)
	if !ok || len(data) == 0 {
		return fail(errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
			map[string]any{"api_name": "data", "json_path": "$.data", "expected_data_type": "jsonarray"}))
	}
	limit := maxRecordsPerWrite
	if req.composite {
		limit = compositeWriteCap
	}
	if len(data) > limit {
		return fail(errResp(http.StatusBadRequest, "LIMIT_EXCEEDED", "limit exceeded",
			map[string]any{"api_name": "data", "json_path": "$.data", "limit": limit}))
	}
	if t, ok := obj["trigger"]; ok {
		list, ok := t.([]any)
		valid := ok
		for _, x := range list {
			name, isStr := x.(string)
			valid = valid && isStr && slices.Contains(allowedTriggers, name)
		}
		if !valid {
			return fail(errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
				map[string]any{"api_name": "trigger", "json_path": "$.trigger"}))
		}
	}
	wb := writeBody{data: data}
	if d, ok := obj["duplicate_check_fields"]; ok {
		list, ok := d.([]any)
		if !ok {
			return fail(errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
				map[string]any{"api_name": "duplicate_check_fields", "json_path": "$.duplicate_check_fields"}))
		}
		wb.dupCheckSet = true
		for _, x := range list {
			name, _ := x.(string)
			wb.dupCheck = append(wb.dupCheck, name)
		}
	}
	return wb, nil
}

// writeStatus: 2xx when all succeeded, the configured mixed status, 400 when all failed.
func (s *Server) writeStatus(ok, failed, allOK int) int {
	switch {
	case failed == 0:
		return allOK
	case ok == 0:
		return http.StatusBadRequest
	}
	return s.cfg.MixedStatus
}

func writeCredits(n int) int { return max(1, (n+9)/10) } // 1 credit per 10 records (D-LIMVS)

// handleInsert implements POST /crm/v8/{module} (D-INSERT7; OAS v8 createRecords).
func (s *Server) handleInsert(req *apiRequest) apiResponse {
	wb, bad := parseWriteBody(req)
	if bad != nil {
		return *bad
	}
	m := s.schema[req.route.module]
	return s.writeEach(req, wb.data, http.StatusCreated, "record added",
		func(in map[string]any, path string) (writeOp, *recordError) {
			return writeOp{m: m, in: in, path: path, token: req.token}, nil
		})
}

// writeEach applies one write per record of data under the server lock, turning each into a
// per-record result in request order: prepare checks what is particular to the route (an id
// to update), then the record is built, validated and committed.
func (s *Server) writeEach(req *apiRequest, data []any, allOK int, message string,
	prepare func(in map[string]any, path string) (writeOp, *recordError)) apiResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]map[string]any, len(data))
	okCount := 0
	for i, raw := range data {
		path := fmt.Sprintf("$.data[%d]", i)
		in, isObj := raw.(map[string]any)
		if !isObj {
			items[i] = (&recordError{code: "INVALID_DATA", message: "invalid data",
				details: map[string]any{"json_path": path, "expected_data_type": "jsonobject"}}).item()
			continue
		}
		op, rerr := prepare(in, path)
		if rerr != nil {
			items[i] = rerr.item()
			continue
		}
		values, added, rerr := s.buildLocked(op)
		if rerr != nil {
			items[i] = rerr.item()
			continue
		}
		r := s.commitLocked(op, values, added, req.undo)
		items[i] = map[string]any{"code": "SUCCESS", "details": s.successDetailsLocked(r),
			"message": message, "status": "success"}
		okCount++
	}
	return apiResponse{status: s.writeStatus(okCount, len(items)-okCount, allOK),
		body: map[string]any{"data": items}, credits: writeCredits(len(items)), applied: okCount > 0}
}

// handleUpdate implements PUT /crm/v8/{module} (ids in the body) and PUT /crm/v8/{module}/{id}.
func (s *Server) handleUpdate(req *apiRequest) apiResponse {
	wb, bad := parseWriteBody(req)
	if bad != nil {
		return *bad
	}
	if req.route.id != "" && len(wb.data) > 1 {
		// PUT /{module}/{id} updates one record.
		return errResp(http.StatusBadRequest, "LIMIT_EXCEEDED", "limit exceeded",
			map[string]any{"api_name": "data", "json_path": "$.data", "limit": 1})
	}
	m := s.schema[req.route.module]
	return s.writeEach(req, wb.data, http.StatusOK, "record updated",
		func(in map[string]any, path string) (writeOp, *recordError) {
			id := req.route.id
			if id == "" {
				v, present := in["id"]
				if !present || v == nil {
					return writeOp{}, mandatoryMissing("id", path)
				}
				id, _ = v.(string)
			}
			prev, exists := s.store[m.name].byID[id]
			if !exists {
				return writeOp{}, fieldErr("INVALID_DATA", "the id given seems to be invalid", "id", path)
			}
			return writeOp{m: m, in: in, path: path, prev: prev, token: req.token}, nil
		})
}

// handleUpsert implements POST /crm/v8/{module}/upsert (D-UPSERT7; OAS v8 upsertRecords).
func (s *Server) handleUpsert(req *apiRequest) apiResponse {
	m := s.schema[req.route.module]
	if !m.upsertable {
		return errResp(http.StatusBadRequest, "INVALID_MODULE", "the given module is not supported in api",
			map[string]any{"resource_path_index": 0})
	}
	wb, bad := parseWriteBody(req)
	if bad != nil {
		return *bad
	}
	var allowed []string
	if m.dupCheck != "" {
		allowed = append(allowed, m.dupCheck)
	}
	for _, f := range m.fields {
		if f.unique {
			allowed = append(allowed, f.apiName)
		}
	}
	checks := allowed
	if wb.dupCheckSet {
		for _, name := range wb.dupCheck {
			if !slices.Contains(allowed, name) {
				return errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
					map[string]any{"api_name": "duplicate_check_fields", "json_path": "$.duplicate_check_fields"})
			}
		}
		checks = wb.dupCheck
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := make([]map[string]any, len(wb.data))
	okCount := 0
	for i, raw := range wb.data {
		path := fmt.Sprintf("$.data[%d]", i)
		in, isObj := raw.(map[string]any)
		if !isObj {
			items[i] = (&recordError{code: "INVALID_DATA", message: "invalid data",
				details: map[string]any{"json_path": path, "expected_data_type": "jsonobject"}}).item()
			continue
		}
		var prev *record
		var dupField any
		for _, name := range checks {
			v, _ := in[name].(string)
			if v == "" {
				continue
			}
			for _, r := range s.store[m.name].order {
				if sameValue(r.values[name], v) {
					prev, dupField = r, name
					break
				}
			}
			if prev != nil {
				break
			}
		}
		op := writeOp{m: m, in: in, path: path, prev: prev, token: req.token}
		values, added, rerr := s.buildLocked(op)
		if rerr != nil {
			items[i] = rerr.item()
			continue
		}
		r := s.commitLocked(op, values, added, req.undo)
		action, msg := "insert", "record added"
		if prev != nil {
			action, msg = "update", "record updated"
		}
		items[i] = map[string]any{"code": "SUCCESS", "duplicate_field": dupField, "action": action,
			"details": s.successDetailsLocked(r), "message": msg, "status": "success"}
		okCount++
	}
	return apiResponse{status: s.writeStatus(okCount, len(items)-okCount, http.StatusOK),
		body: map[string]any{"data": items}, credits: writeCredits(len(items)), applied: okCount > 0}
}

// handleGet implements GET /crm/v8/{module}/{id}. An unknown numeric id answers 204 (the
// SDKs special-case 204; the exact v8 answer is unconfirmed); a malformed id answers 400.
func (s *Server) handleGet(req *apiRequest) apiResponse {
	if !idPattern.MatchString(req.route.id) {
		return errResp(http.StatusBadRequest, "INVALID_DATA", "the id given seems to be invalid",
			map[string]any{"resource_path_index": 1})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.store[req.route.module].byID[req.route.id]
	if !ok {
		return apiResponse{status: http.StatusNoContent, credits: 1}
	}
	return apiResponse{status: http.StatusOK, credits: 1,
		body: map[string]any{"data": []any{s.renderLocked(r, fieldList(req.query.Get("fields")))}}}
}

// handleList implements GET /crm/v8/{module}?fields=... (D-GETREC7: fields is mandatory).
func (s *Server) handleList(req *apiRequest) apiResponse {
	fields := fieldList(req.query.Get("fields"))
	if len(fields) == 0 {
		return errResp(http.StatusBadRequest, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
			map[string]any{"param": "fields"})
	}
	page, perPage, bad := parsePaging(req, 200)
	if bad != nil {
		return *bad
	}
	if (page-1)*perPage >= maxSearchRecords {
		return errResp(http.StatusBadRequest, "LIMIT_REACHED", "Maximum response iteration limit reached", nil)
	}
	converted, bad := parseConverted(req)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*record
	for _, r := range s.store[req.route.module].order {
		if converted.keep(r) {
			all = append(all, r)
		}
	}
	if req.query.Get("sort_order") == "desc" {
		slices.Reverse(all)
	}
	items, more := pageOf(all, page, perPage)
	if len(items) == 0 {
		return apiResponse{status: http.StatusNoContent, credits: 1}
	}
	data := make([]any, len(items))
	for i, r := range items {
		data[i] = s.renderLocked(r, fields)
	}
	return apiResponse{status: http.StatusOK, credits: 1, body: map[string]any{"data": data,
		"info": map[string]any{"per_page": perPage, "count": len(data), "page": page, "more_records": more}}}
}

func fieldList(param string) []string {
	var out []string
	for _, f := range strings.Split(param, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// renderLocked renders a record as the Get/Search APIs do: every field (null when unset),
// or only the requested ones; "id" always. Unknown requested fields are ignored (unconfirmed).
func (s *Server) renderLocked(r *record, only []string) map[string]any {
	m := s.schema[r.module]
	out := map[string]any{"id": r.id}
	want := func(name string) bool { return len(only) == 0 || slices.Contains(only, name) }
	for _, f := range m.fields {
		if want(f.apiName) {
			out[f.apiName] = s.fieldValueLocked(r, f)
		}
	}
	if len(only) == 0 {
		out["$approval_state"] = "approved"
		out["$editable"] = true
		if r.module == "Leads" {
			out["$converted"] = r.converted
		}
	}
	if ref, ok := r.values["What_Id"].(lookupRef); ok && want("What_Id") {
		out["$se_module"] = ref.module
	}
	return out
}

// fieldValueLocked renders one field of a record to its JSON form.
func (s *Server) fieldValueLocked(r *record, f *fieldDef) any {
	switch f.apiName {
	case "Created_Time":
		return s.fmtTime(r.createdAt)
	case "Modified_Time":
		return s.fmtTime(r.modifiedAt)
	case "Created_By":
		return s.userRefLocked(r.createdBy)
	case "Modified_By":
		return s.userRefLocked(r.modifiedBy)
	case "Full_Name":
		return strings.TrimSpace(r.str("First_Name") + " " + r.str("Last_Name"))
	case "Converted__s":
		return r.converted
	}
	switch v := r.values[f.apiName].(type) {
	case nil:
		return nil
	case time.Time:
		return s.fmtTime(v)
	case lookupRef:
		if f.dataType == typeOwnerLookup {
			return s.userRefLocked(v.id)
		}
		return map[string]any{"name": s.displayNameLocked(v), "id": v.id}
	default:
		return v
	}
}

func (s *Server) displayNameLocked(ref lookupRef) any {
	for _, mod := range []string{ref.module, "Leads", "Contacts", "Calls", "Tasks"} {
		ms, ok := s.store[mod]
		if !ok {
			continue
		}
		if r, ok := ms.byID[ref.id]; ok {
			if r.module == "Leads" || r.module == "Contacts" {
				return strings.TrimSpace(r.str("First_Name") + " " + r.str("Last_Name"))
			}
			return r.str("Subject")
		}
	}
	return nil
}

// convertedFilter is the search/list "converted" parameter (D-SEARCH7).
type convertedFilter string

func (c convertedFilter) keep(r *record) bool {
	switch c {
	case "true":
		return r.converted
	case "both":
		return true
	}
	return !r.converted
}

func parseConverted(req *apiRequest) (convertedFilter, *apiResponse) {
	v := req.query.Get("converted")
	switch v {
	case "", "false":
		return "false", nil
	case "true", "both":
		return convertedFilter(v), nil
	}
	r := errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data", map[string]any{"param_name": "converted"})
	return "", &r
}

// AddLead seeds a Lead; see [Server.AddRecord].
func (s *Server) AddLead(fields map[string]any) (string, error) { return s.AddRecord("Leads", fields) }

// AddContact seeds a Contact; see [Server.AddRecord].
func (s *Server) AddContact(fields map[string]any) (string, error) {
	return s.AddRecord("Contacts", fields)
}

// AddRecord seeds a record as pre-existing org data, bypassing API validation so tests can
// store phone numbers in any format a person might type. Field names must exist in the
// module; unique fields are still enforced ([ErrDuplicateValue]). Values may be strings,
// numbers, bools, time.Time (Date/Time fields), ids as strings or {"id": ...} maps for lookups;
// "Created_Time" (time.Time or string) sets the creation time. Owner defaults to the admin.
// Seeded records are never hidden by index lag.
func (s *Server) AddRecord(module string, fields map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(module, s.schema)
	if !ok {
		return "", fmt.Errorf("zohotest: unknown module %q", module)
	}
	m := s.schema[name]
	now := s.now()
	r := &record{module: name, values: map[string]any{}, createdAt: now, modifiedAt: now,
		createdBy: s.adminID, modifiedBy: s.adminID, seeded: true}
	se, _ := fields["$se_module"].(string)
	for k, v := range fields {
		if k == "$se_module" {
			continue
		}
		f, ok := m.field(k)
		if !ok {
			return "", fmt.Errorf("zohotest: %s has no field %q", name, k)
		}
		if k == "Created_Time" {
			t, err := seedTime(v)
			if err != nil {
				return "", fmt.Errorf("zohotest: %s.Created_Time: %w", name, err)
			}
			r.createdAt, r.modifiedAt = t, t
			continue
		}
		sv, err := seedValue(f, v)
		if err != nil {
			return "", fmt.Errorf("zohotest: %s.%s: %w", name, k, err)
		}
		if ref, ok := sv.(lookupRef); ok && k == "What_Id" {
			ref.module = cmpOr(se, "Leads")
			sv = ref
		}
		if sv != nil {
			r.values[k] = sv
		}
	}
	if _, ok := r.values["Owner"]; !ok {
		r.values["Owner"] = lookupRef{id: s.adminID}
	}
	for _, f := range m.fields {
		if !f.unique {
			continue
		}
		if v, ok := r.values[f.apiName]; ok {
			if other := s.store[name].holder(f.apiName, v); other != nil {
				return "", fmt.Errorf("%w: %s.%s is already %v on %s", ErrDuplicateValue, name, f.apiName, v, other.id)
			}
		}
	}
	r.id = s.nextID()
	s.store[name].add(r)
	return r.id, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func seedTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		return time.Parse(time.RFC3339, x)
	}
	return time.Time{}, fmt.Errorf("want time.Time or RFC 3339 string, got %T", v)
}

func seedValue(f *fieldDef, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch f.dataType {
	case typeText, typeTextarea, typeEmail, typePhone, typePicklist:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want string, got %T", v)
		}
		return str, nil
	case typeDateTime:
		return seedTime(v)
	case typeDate:
		switch x := v.(type) {
		case time.Time:
			return x.Format(dateLayout), nil
		case string:
			if _, err := time.Parse(dateLayout, x); err != nil {
				return nil, err
			}
			return x, nil
		}
	case typeInteger:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) {
				return int64(x), nil
			}
		}
	case typeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case typeLookup, typeOwnerLookup:
		switch x := v.(type) {
		case string:
			return lookupRef{id: x}, nil
		case map[string]any:
			if id, ok := x["id"].(string); ok {
				return lookupRef{id: id}, nil
			}
		}
	}
	return nil, fmt.Errorf("unsupported value %T for %s field", v, f.dataType)
}

// ConvertLead converts a Lead the way the CRM UI does: it creates a Contact with the Lead's
// name, email, phones, Lead Source and owner, and marks the Lead converted, which hides it
// from search unless converted=true|both (D-SEARCH7).
func (s *Server) ConvertLead(leadID string) (contactID string, err error) {
	s.mu.Lock()
	lead, ok := s.store["Leads"].byID[leadID]
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("zohotest: unknown lead %q", leadID)
	}
	if lead.converted {
		s.mu.Unlock()
		return "", fmt.Errorf("zohotest: lead %s is already converted", leadID)
	}
	fields := map[string]any{}
	for _, k := range []string{"First_Name", "Last_Name", "Email", "Phone", "Mobile", "Lead_Source", "Description"} {
		if v, ok := lead.values[k]; ok {
			fields[k] = v
		}
	}
	fields["Owner"] = ownerID(lead)
	s.mu.Unlock()
	contactID, err = s.AddRecord("Contacts", fields)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	lead.converted = true
	lead.modifiedAt = s.now()
	s.mu.Unlock()
	return contactID, nil
}
