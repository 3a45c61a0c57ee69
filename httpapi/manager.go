package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/device"
)

// Manager API shapes (DESIGN.md §6 and §10).
type (
	// RepRequest is the body of POST /v1/reps.
	RepRequest struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	// CRMUserRequest is the body of PUT /v1/reps/{id}/crm-user; empty removes the mapping.
	CRMUserRequest struct {
		CRMUserID string `json:"crm_user_id"`
	}
	// CRMUser is an item of GET /v1/crm/users.
	CRMUser struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	// DeviceRequest is the body of POST /v1/devices. An empty rep_id means no rep.
	DeviceRequest struct {
		Nickname string `json:"nickname"`
		Kind     string `json:"kind"` // campaign or sales_rep; a string so that a bad kind is a 422 naming the field
		RepID    string `json:"rep_id"`
	}
	// PairingResponse answers POST /v1/devices and POST /v1/devices/{id}/pairing-code. The
	// code is shown once.
	PairingResponse struct {
		ID               string    `json:"id"`
		PairingCode      string    `json:"pairing_code"`
		PairingExpiresAt time.Time `json:"pairing_expires_at"`
	}
	// DevicePatchRequest is the body of PATCH /v1/devices/{id}; absent fields stay as they are,
	// and rep_id null (or "") removes the rep.
	DevicePatchRequest struct {
		Nickname *string   `json:"nickname"`
		Kind     *string   `json:"kind"`
		RepID    OptString `json:"rep_id"`
		Active   *bool     `json:"active"`
	}
	// DeviceView is a device as the API shows it, with whether it has paired.
	DeviceView struct {
		leadcall.Device
		Paired bool `json:"paired"`
	}
	// AssignmentRequest is the body of PUT /v1/devices/{id}/assignment.
	AssignmentRequest struct {
		LeadSource string            `json:"lead_source"`
		Metadata   map[string]string `json:"metadata"`
	}
	// AssignmentView is an assignment; End is null while it is open.
	AssignmentView struct {
		ID         int64             `json:"id"`
		DeviceID   string            `json:"device_id"`
		LeadSource string            `json:"lead_source"`
		Metadata   map[string]string `json:"metadata"`
		Start      time.Time         `json:"start"`
		End        *time.Time        `json:"end"`
	}
	// AssignmentResponse answers PUT /v1/devices/{id}/assignment.
	AssignmentResponse struct {
		AssignmentView
		Warnings []leadcall.AssignmentWarning `json:"warnings"`
	}
	// CallView is an item of GET /v1/calls (DESIGN.md §10).
	CallView struct {
		ID           int64                `json:"id"`
		DeviceID     string               `json:"device_id"`
		DeviceCallID string               `json:"device_call_id"`
		NumberRaw    string               `json:"number_raw"`
		NumberE164   string               `json:"number_e164"`
		Type         leadcall.CallType    `json:"type"`
		StartedAt    time.Time            `json:"started_at"`
		DurationS    int                  `json:"duration_s"`
		Disposition  leadcall.Disposition `json:"disposition"`
		Reason       leadcall.Reason      `json:"reason"`
		LeadSource   string               `json:"lead_source"`
		AssignmentID int64                `json:"assignment_id"`
		SyncStatus   leadcall.SyncStatus  `json:"sync_status"`
		Outcome      leadcall.SyncOutcome `json:"outcome"`
		CRM          CRMRefsView          `json:"crm"`
	}
	// CRMRefsView names the CRM records of a call; empty strings for none.
	CRMRefsView struct {
		LeadID    string `json:"lead_id"`
		ContactID string `json:"contact_id"`
		CallID    string `json:"call_id"`
		TaskID    string `json:"task_id"`
	}
	// ReviewView is an item of GET /v1/review (DESIGN.md §10).
	ReviewView struct {
		ID         int64                 `json:"id"`
		Kind       leadcall.ReviewKind   `json:"kind"`
		CallID     int64                 `json:"call_id"`
		NumberE164 string                `json:"number_e164"`
		Candidates []leadcall.Candidate  `json:"candidates"`
		Status     leadcall.ReviewStatus `json:"status"`
		Detail     string                `json:"detail,omitempty"`
		Resolution *leadcall.Resolution  `json:"resolution"`
		CreatedAt  time.Time             `json:"created_at"`
	}
	// Page is a page of a list: {items, next_cursor}; next_cursor is empty on the last page.
	Page[T any] struct {
		Items      []T    `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	// ResolveRequest is the body of POST /v1/review/{id}/resolve.
	ResolveRequest struct {
		Action   leadcall.ReviewAction `json:"action"`
		RecordID string                `json:"record_id"`
		Module   crm.Module            `json:"module"`
	}
)

// OptString is a JSON string field that tells "absent" from null: Set is true when the field
// was present, Value is nil for null.
type OptString struct {
	Set   bool
	Value *string
}

// UnmarshalJSON records that the field was present.
func (o *OptString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	o.Value = &s
	return nil
}

// adminActor names the bootstrap admin in audit fields.
const adminActor = "admin-token"

// orgID is the org a manager request acts on: its principal's.
func (s *Server) orgID(r *http.Request) string { return s.principal(r).OrgID }

// actor names who makes a manager request, for audit fields: the user ID, or adminActor.
func (s *Server) actor(r *http.Request) string { return s.principal(r).Actor() }

// newID returns a random ID with a prefix, valid for the Engine's ID rules.
func newID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	o, err := s.store.Org(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, o.Settings)
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	var in leadcall.Settings
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	out, err := s.eng.UpdateSettings(r.Context(), s.orgID(r), in)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createRep(w http.ResponseWriter, r *http.Request) {
	var in RepRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	rep := &leadcall.Rep{OrgID: s.orgID(r), ID: newID("rep_"), Name: in.Name, Email: in.Email}
	if err := s.eng.CreateRep(r.Context(), rep); err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}

func (s *Server) listReps(w http.ResponseWriter, r *http.Request) {
	reps, err := s.store.Reps(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(reps))
}

func (s *Server) mapRep(w http.ResponseWriter, r *http.Request) {
	var in CRMUserRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	rep, err := s.eng.MapRep(r.Context(), s.orgID(r), r.PathValue("id"), in.CRMUserID)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) crmUsers(w http.ResponseWriter, r *http.Request) {
	c, err := s.crms.CRM(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	users, err := c.Users(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := make([]CRMUser, 0, len(users))
	for _, u := range users {
		if u.Active {
			out = append(out, CRMUser{ID: u.ID, Name: u.Name, Email: u.Email})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// leadSources answers the CRM's active Lead Source values; a CRM that cannot describe its
// fields has none to offer (and then any Lead Source is accepted).
func (s *Server) leadSources(w http.ResponseWriter, r *http.Request) {
	c, err := s.crms.CRM(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := []crm.PicklistValue{}
	if fd, ok := c.(leadcall.FieldDescriber); ok {
		fields, err := fd.Fields(r.Context(), crm.ModuleLeads)
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if f := leadcall.FieldByName(fields, "Lead_Source"); f != nil {
			out = append(out, f.Picklist...)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request) {
	var in DeviceRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	code, hash := newPairingCode()
	d := &leadcall.Device{
		OrgID: s.orgID(r), ID: newID("dev_"), Nickname: in.Nickname, Kind: device.Kind(in.Kind), RepID: in.RepID, Active: true,
		PairingCodeHash: hash, PairingExpiresAt: s.cfg.Now().UTC().Add(s.cfg.PairingTTL),
	}
	if err := s.eng.CreateDevice(r.Context(), d); err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, PairingResponse{ID: d.ID, PairingCode: code, PairingExpiresAt: d.PairingExpiresAt})
}

// reissuePairingCode issues a fresh pairing code for an existing device (a new or reset phone).
// The device's current token keeps working until the new code is used.
func (s *Server) reissuePairingCode(w http.ResponseWriter, r *http.Request) {
	s.enrollMu.Lock()
	defer s.enrollMu.Unlock()
	d, err := s.store.Device(r.Context(), s.orgID(r), r.PathValue("id"))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	code, hash := newPairingCode()
	d.PairingCodeHash, d.PairingExpiresAt = hash, s.cfg.Now().UTC().Add(s.cfg.PairingTTL)
	if err := s.store.UpdateDevice(r.Context(), d, time.Time{}); err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusCreated, PairingResponse{ID: d.ID, PairingCode: code, PairingExpiresAt: d.PairingExpiresAt})
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	ds, err := s.store.Devices(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	rep := s.repScope(r)
	out := make([]DeviceView, 0, len(ds))
	for _, d := range ds {
		if rep == "" || d.RepID == rep {
			out = append(out, DeviceView{Device: d, Paired: d.TokenHash != ""})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) patchDevice(w http.ResponseWriter, r *http.Request) {
	var in DevicePatchRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	p := leadcall.DevicePatch{Nickname: in.Nickname, Active: in.Active}
	if in.Kind != nil {
		k := device.Kind(*in.Kind)
		p.Kind = &k
	}
	if in.RepID.Set {
		rep := ""
		if in.RepID.Value != nil {
			rep = *in.RepID.Value
		}
		p.RepID = &rep
	}
	d, err := s.eng.UpdateDevice(r.Context(), s.orgID(r), r.PathValue("id"), p)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, DeviceView{Device: *d, Paired: d.TokenHash != ""})
}

func assignmentView(a *leadcall.Assignment) AssignmentView {
	v := AssignmentView{ID: a.ID, DeviceID: a.DeviceID, LeadSource: a.LeadSource, Metadata: a.Metadata, Start: a.Start}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if !a.End.IsZero() {
		end := a.End
		v.End = &end
	}
	return v
}

func (s *Server) setAssignment(w http.ResponseWriter, r *http.Request) {
	var in AssignmentRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	a, warnings, err := s.eng.SetAssignment(r.Context(), leadcall.SetAssignmentParams{
		OrgID: s.orgID(r), DeviceID: r.PathValue("id"), LeadSource: in.LeadSource, Metadata: in.Metadata, By: s.actor(r),
	})
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, AssignmentResponse{AssignmentView: assignmentView(a), Warnings: nonNil(warnings)})
}

func (s *Server) listAssignments(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// The device must be the org's (and, for a rep, theirs): an unknown ID is 404, not an
	// empty history.
	d, err := s.store.Device(r.Context(), s.orgID(r), id)
	if err == nil && s.repScope(r) != "" && d.RepID != s.repScope(r) {
		err = leadcall.Errorf(leadcall.CodeNotFound, "httpapi: assignments", "device %q not found", id)
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	as, err := s.store.Assignments(r.Context(), s.orgID(r), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := make([]AssignmentView, len(as))
	for i := range as {
		out[i] = assignmentView(&as[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// Paging bounds for lists.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
	maxCursorLen     = 512
	maxFilterValues  = 100
)

// queryList splits repeated and comma-separated values of a query parameter.
func queryList(q url.Values, name string) ([]string, error) {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	if len(out) > maxFilterValues {
		return nil, badRequest(name, "at most %d values", maxFilterValues)
	}
	return out, nil
}

func pageParams(q url.Values) (limit int, cursor string, err error) {
	limit = defaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > maxPageLimit {
			return 0, "", badRequest("limit", "want a whole number from 1 to %d", maxPageLimit)
		}
		limit = n
	}
	cursor = q.Get("cursor")
	if len(cursor) > maxCursorLen || strings.ContainsFunc(cursor, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return 0, "", badRequest("cursor", "not a cursor from a previous page")
	}
	return limit, cursor, nil
}

func queryTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest(name, "want an RFC 3339 time, e.g. 2026-11-22T00:00:00Z")
	}
	return t, nil
}

// callFilter reads the query of GET /v1/calls.
func (s *Server) callFilter(r *http.Request, q url.Values) (*leadcall.CallFilter, error) {
	f := &leadcall.CallFilter{OrgID: s.orgID(r), RepID: s.repScope(r)}
	var err error
	if f.From, err = queryTime(q, "from"); err != nil {
		return nil, err
	}
	if f.To, err = queryTime(q, "to"); err != nil {
		return nil, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, badRequest("to", "must be after from")
	}
	if f.DeviceIDs, err = queryList(q, "device"); err != nil {
		return nil, err
	}
	types, err := queryList(q, "type")
	if err != nil {
		return nil, err
	}
	for _, t := range types {
		if !leadcall.CallType(t).Valid() {
			return nil, badRequest("type", "want inbound, missed or outbound")
		}
		f.Types = append(f.Types, leadcall.CallType(t))
	}
	outcomes, err := queryList(q, "outcome")
	if err != nil {
		return nil, err
	}
	for _, o := range outcomes {
		f.Outcomes = append(f.Outcomes, leadcall.SyncOutcome(o))
	}
	statuses, err := queryList(q, "sync_status")
	if err != nil {
		return nil, err
	}
	for _, st := range statuses {
		f.SyncStatus = append(f.SyncStatus, leadcall.SyncStatus(st))
	}
	if f.Limit, f.Cursor, err = pageParams(q); err != nil {
		return nil, err
	}
	return f, nil
}

func (s *Server) listCalls(w http.ResponseWriter, r *http.Request) {
	f, err := s.callFilter(r, r.URL.Query())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	page, err := s.store.ListCalls(r.Context(), f)
	if err != nil {
		writeError(w, s.log, cursorError(err))
		return
	}
	out := Page[CallView]{Items: make([]CallView, len(page.Items)), NextCursor: page.NextCursor}
	for i, c := range page.Items {
		out.Items[i] = CallView{
			ID: c.ID, DeviceID: c.DeviceID, DeviceCallID: c.DeviceCallID, NumberRaw: c.NumberRaw,
			NumberE164: c.NumberE164, Type: c.Type, StartedAt: c.StartedAt, DurationS: c.DurationS,
			Disposition: c.Disposition, Reason: c.Reason, LeadSource: c.LeadSource, AssignmentID: c.AssignmentID,
			SyncStatus: c.SyncStatus, Outcome: c.Outcome,
			CRM: CRMRefsView{LeadID: c.CRM.LeadID, ContactID: c.CRM.ContactID, CallID: c.CRM.CallID, TaskID: c.CRM.TaskID},
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// cursorError makes a store's refusal of a query (a forged cursor) a 400.
func cursorError(err error) error {
	if leadcall.CodeOf(err) == leadcall.CodeInvalid {
		he := toHTTPError(err)
		he.status = http.StatusBadRequest
		return he
	}
	return err
}

func (s *Server) listReview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := &leadcall.ReviewFilter{OrgID: s.orgID(r), RepID: s.repScope(r)}
	switch st := leadcall.ReviewStatus(q.Get("status")); st {
	case "", leadcall.ReviewOpen, leadcall.ReviewResolved:
		f.Status = st
	default:
		writeError(w, s.log, badRequest("status", "want open or resolved"))
		return
	}
	kinds, err := queryList(q, "kind")
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	for _, k := range kinds {
		f.Kinds = append(f.Kinds, leadcall.ReviewKind(k))
	}
	if f.Limit, f.Cursor, err = pageParams(q); err != nil {
		writeError(w, s.log, err)
		return
	}
	page, err := s.store.ListReview(r.Context(), f)
	if err != nil {
		writeError(w, s.log, cursorError(err))
		return
	}
	out := Page[ReviewView]{Items: make([]ReviewView, len(page.Items)), NextCursor: page.NextCursor}
	for i, it := range page.Items {
		out.Items[i] = reviewView(&it)
	}
	writeJSON(w, http.StatusOK, out)
}

func reviewView(it *leadcall.ReviewItem) ReviewView {
	return ReviewView{
		ID: it.ID, Kind: it.Kind, CallID: it.CallID, NumberE164: it.NumberE164, Candidates: nonNil(it.Candidates),
		Status: it.Status, Detail: it.Detail, Resolution: it.Resolution, CreatedAt: it.CreatedAt,
	}
}

func (s *Server) resolveReview(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, s.log, apiError(http.StatusNotFound, "not_found", "id", "no such review item"))
		return
	}
	var in ResolveRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		writeError(w, s.log, err)
		return
	}
	it, err := s.eng.ResolveReview(r.Context(), leadcall.ResolveParams{
		OrgID: s.orgID(r), ID: id, Action: in.Action, RecordID: in.RecordID, Module: in.Module, By: s.actor(r),
	})
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, reviewView(it))
}

// nonNil makes an empty list answer [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
