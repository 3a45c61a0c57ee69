package leadcall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/phone"
)

// CreateOrg stores a new org. Zero settings take DefaultSettings; settings are validated.
func (e *Engine) CreateOrg(ctx context.Context, o *Org) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := checkID("id", o.ID); err != nil {
		return err
	}
	if o.Settings.DefaultRegion == "" && o.Settings.TimeZone == "" && o.Settings.LeadPlaceholder == "" {
		o.Settings = DefaultSettings()
	}
	s, err := o.Settings.Validate()
	if err != nil {
		return err
	}
	if err := device.ValidateSeatLimit(o.SeatLimit); err != nil {
		return &Error{Code: CodeInvalid, Op: "leadcall: create org", Field: "seat_limit", Err: err}
	}
	o.Settings = s
	o.CreatedAt = e.now().UTC()
	return e.store.CreateOrg(ctx, o)
}

// UpdateSettings validates and stores an org's settings and returns them as stored (number
// lists in E.164). Calls already ingested keep the dispositions they got.
func (e *Engine) UpdateSettings(ctx context.Context, orgID string, s Settings) (*Settings, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	v, err := s.Validate()
	if err != nil {
		return nil, err
	}
	o, err := e.store.Org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	o.Settings = v
	if err := e.store.UpdateOrg(ctx, o); err != nil {
		return nil, err
	}
	e.invalidateFields(orgID)
	e.orgs.forget(orgID)
	return &o.Settings, nil
}

// CreateRep stores a new rep; r.ID is required and unique in the org.
func (e *Engine) CreateRep(ctx context.Context, r *Rep) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := checkID("id", r.ID); err != nil {
		return err
	}
	if err := checkText("name", r.Name, 200, true); err != nil {
		return err
	}
	if err := checkText("email", r.Email, 254, false); err != nil {
		return err
	}
	r.CreatedAt = e.now().UTC()
	return e.store.CreateRep(ctx, r)
}

// MapRep maps a rep to a CRM user (the owner of the CRM records of calls on the rep's devices),
// or removes the mapping when crmUserID is empty. The user must be an active user of the org's
// CRM. Calls already synced keep their owner.
func (e *Engine) MapRep(ctx context.Context, orgID, repID, crmUserID string) (*Rep, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	r, err := e.store.Rep(ctx, orgID, repID)
	if err != nil {
		return nil, err
	}
	if crmUserID != "" {
		c, err := e.crms.CRM(ctx, orgID)
		if err != nil {
			return nil, err
		}
		users, err := c.Users(ctx)
		if err != nil {
			return nil, err
		}
		found := false
		for _, u := range users {
			found = found || u.ID == crmUserID
		}
		if !found {
			return nil, &Error{Code: CodeInvalid, Op: "leadcall: map rep", Field: "crm_user_id", Message: "not an active user of the CRM"}
		}
	}
	r.CRMUserID = crmUserID
	if err := e.store.UpdateRep(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// CreateDevice registers a device. Kind and nickname are validated; the rep, when given, must
// exist in the org; an active device takes a seat (CodeSeatLimit when none is free).
func (e *Engine) CreateDevice(ctx context.Context, d *Device) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := checkID("id", d.ID); err != nil {
		return err
	}
	if err := e.checkDeviceFields(ctx, d); err != nil {
		return err
	}
	d.CreatedAt = e.now().UTC()
	if d.Battery == 0 {
		d.Battery = -1
	}
	return e.store.CreateDevice(ctx, d)
}

// DevicePatch changes some of a device's settings; nil fields stay as they are.
type DevicePatch struct {
	Nickname *string
	Kind     *device.Kind
	RepID    *string // "" = no rep
	Active   *bool
}

// UpdateDevice applies a patch. Switching a device to sales_rep or deactivating it closes its
// open assignment at that instant; reactivating takes a seat.
func (e *Engine) UpdateDevice(ctx context.Context, orgID, deviceID string, p DevicePatch) (*Device, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	d, err := e.store.Device(ctx, orgID, deviceID)
	if err != nil {
		return nil, err
	}
	from := device.Mode{Kind: d.Kind, Active: d.Active}
	if p.Nickname != nil {
		d.Nickname = *p.Nickname
	}
	if p.Kind != nil {
		d.Kind = *p.Kind
	}
	if p.RepID != nil {
		d.RepID = *p.RepID
	}
	if p.Active != nil {
		d.Active = *p.Active
	}
	if err := e.checkDeviceFields(ctx, d); err != nil {
		return nil, err
	}
	change, err := device.Transition(from, device.Mode{Kind: d.Kind, Active: d.Active})
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Op: "leadcall: update device", Field: "kind", Err: err}
	}
	var closeAt time.Time // zero: leave the timeline alone
	if change.CloseAssignment {
		closeAt = e.now().UTC()
	}
	if err := e.store.UpdateDevice(ctx, d, closeAt); err != nil {
		return nil, err
	}
	e.devices.forget(orgID + "\x00" + deviceID)
	return e.store.Device(ctx, orgID, deviceID)
}

func (e *Engine) checkDeviceFields(ctx context.Context, d *Device) error {
	const op = "leadcall: device"
	if !d.Kind.Valid() {
		return &Error{Code: CodeInvalid, Op: op, Field: "kind", Message: "want campaign or sales_rep"}
	}
	nick, err := device.NormalizeNickname(d.Nickname)
	if err != nil {
		return &Error{Code: CodeInvalid, Op: op, Field: "nickname", Err: err}
	}
	d.Nickname = nick
	if d.RepID != "" {
		if _, err := e.store.Rep(ctx, d.OrgID, d.RepID); err != nil {
			if isCode(err, CodeNotFound) {
				return &Error{Code: CodeInvalid, Op: op, Field: "rep_id", Message: "no such rep in this org"}
			}
			return err
		}
	}
	return nil
}

// Heartbeat records that a device is alive and which SIMs it has; their numbers become the
// org's own numbers (calls from them are ignored).
func (e *Engine) Heartbeat(ctx context.Context, hb *Heartbeat) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	org, err := e.store.Org(ctx, hb.OrgID)
	if err != nil {
		return err
	}
	sims := make([]device.SIM, len(hb.SIMs))
	for i, s := range hb.SIMs {
		sims[i] = device.SIM{Slot: s.Slot, Number: s.Number, Carrier: s.Carrier}
	}
	if err := device.ValidateSIMs(sims); err != nil {
		return &Error{Code: CodeInvalid, Op: "leadcall: heartbeat", Field: "sims", Err: err}
	}
	if err := checkText("app_version", hb.AppVersion, 64, false); err != nil {
		return err
	}
	if hb.Battery < -1 || hb.Battery > 100 {
		return &Error{Code: CodeInvalid, Op: "leadcall: heartbeat", Field: "battery", Message: "want 0 to 100, or -1 when unknown"}
	}
	for i := range hb.SIMs {
		if n, err := phone.Normalize(hb.SIMs[i].Number, org.Settings.DefaultRegion); err == nil {
			hb.SIMs[i].Number = n.E164
		}
	}
	hb.At = e.now().UTC()
	if err := e.store.RecordHeartbeat(ctx, hb); err != nil {
		return err
	}
	d, err := e.store.Device(ctx, hb.OrgID, hb.DeviceID)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(d)
	e.appendEvents(ctx, Event{OrgID: hb.OrgID, Type: EventDeviceSeen, At: hb.At, Data: data})
	return nil
}

// AssignmentWarning names a metadata key that will not be written to the CRM, and why.
type AssignmentWarning struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// SetAssignmentParams are the arguments of SetAssignment.
type SetAssignmentParams struct {
	OrgID      string
	DeviceID   string
	LeadSource string            // display or actual picklist value; empty = none
	Metadata   map[string]string // extra rows: key = Lead field API name or label
	By         string
}

// Limits on assignment metadata.
const (
	MaxMetadataRows     = 50
	MaxMetadataKeyLen   = 100
	MaxMetadataValueLen = 1000
)

// SetAssignment closes the device's open assignment and opens a new one now. The device must be
// an active campaign device. The Lead Source must be an active value of the CRM's Lead_Source
// picklist (display or actual value; the display value is stored): CodeInvalid with field
// "lead_source" and message "invalid_lead_source" otherwise. Metadata keys that match no
// writable Lead field come back as warnings (they are stored but never sent).
func (e *Engine) SetAssignment(ctx context.Context, p SetAssignmentParams) (*Assignment, []AssignmentWarning, error) {
	const op = "leadcall: set assignment"
	if err := e.checkOpen(); err != nil {
		return nil, nil, err
	}
	d, err := e.store.Device(ctx, p.OrgID, p.DeviceID)
	if err != nil {
		return nil, nil, err
	}
	if err := device.CheckAssignable(device.Mode{Kind: d.Kind, Active: d.Active}); err != nil {
		return nil, nil, &Error{Code: CodeInvalid, Op: op, Field: "device", Err: err}
	}
	if len(p.Metadata) > MaxMetadataRows {
		return nil, nil, &Error{Code: CodeInvalid, Op: op, Field: "metadata", Message: fmt.Sprintf("at most %d rows", MaxMetadataRows)}
	}
	for k, v := range p.Metadata {
		if err := checkText("metadata key", k, MaxMetadataKeyLen, true); err != nil {
			return nil, nil, err
		}
		if err := checkText("metadata["+strconv.Quote(truncate(k, 40))+"]", v, MaxMetadataValueLen, false); err != nil {
			return nil, nil, err
		}
	}
	if err := checkText("lead_source", p.LeadSource, 200, false); err != nil {
		return nil, nil, err
	}
	var leadFields []crm.Field
	if c, err := e.crms.CRM(ctx, p.OrgID); err == nil {
		if leadFields, err = e.crmFields(ctx, p.OrgID, c, crm.ModuleLeads); err != nil {
			return nil, nil, err
		}
	} else if !isCode(err, CodeNotFound) {
		return nil, nil, err
	}
	source := p.LeadSource
	if source != "" && leadFields != nil {
		v, ok := PicklistMatch(FieldByName(leadFields, "Lead_Source"), source)
		if !ok {
			return nil, nil, &Error{Code: CodeInvalid, Op: op, Field: "lead_source", Message: "invalid_lead_source: not an active value of the CRM's Lead Source picklist"}
		}
		source = v.DisplayValue
	}
	_, warnings := MetadataFields(leadFields, p.Metadata)
	a := &Assignment{
		OrgID: p.OrgID, DeviceID: p.DeviceID, LeadSource: source, Metadata: p.Metadata,
		Start: e.now().UTC(), CreatedBy: p.By,
	}
	if err := e.store.SetAssignment(ctx, a); err != nil {
		return nil, nil, err
	}
	data, _ := json.Marshal(a)
	e.appendEvents(ctx, Event{OrgID: p.OrgID, Type: EventAssignmentSet, At: a.Start, Data: data})
	return a, warnings, nil
}

// FieldByName returns the field whose API name or label equals name (case-insensitively).
func FieldByName(fields []crm.Field, name string) *crm.Field {
	for i := range fields {
		if strings.EqualFold(fields[i].APIName, name) || strings.EqualFold(fields[i].Label, name) {
			return &fields[i]
		}
	}
	return nil
}

// PicklistMatch finds value among the field's picklist values, by display or actual value
// (case-insensitively). A nil field matches nothing.
func PicklistMatch(f *crm.Field, value string) (crm.PicklistValue, bool) {
	if f == nil {
		return crm.PicklistValue{}, false
	}
	for _, v := range f.Picklist {
		if strings.EqualFold(v.DisplayValue, value) || strings.EqualFold(v.ActualValue, value) {
			return v, true
		}
	}
	return crm.PicklistValue{}, false
}

// Metadata keys that name the Lead Source row rather than an extra field.
func isLeadSourceKey(k string) bool {
	k = strings.ToLower(strings.TrimSpace(k))
	return k == "lead source" || k == "lead_source" || k == "leadsource"
}

// MetadataFields maps campaign metadata rows to writable Lead fields by API name or label
// (case-insensitive) and returns the fields to write, keyed by API name, plus a warning for
// every row that will not be written: unknown, read-only, or a value the field's type cannot
// take. With no field metadata (nil fields) nothing is written and every row is reported.
func MetadataFields(fields []crm.Field, md map[string]string) (map[string]string, []AssignmentWarning) {
	out := make(map[string]string)
	var warns []AssignmentWarning
	for k, v := range md {
		if isLeadSourceKey(k) {
			continue
		}
		f := FieldByName(fields, strings.TrimSpace(k))
		reason := ""
		switch {
		case fields == nil:
			reason = "the CRM does not describe its fields"
		case f == nil:
			reason = "no Lead field has this API name or label"
		case f.ReadOnly:
			reason = "the Lead field is read-only"
		case f.APIName == "LC_Sync_Key" || f.Unique:
			reason = "the Lead field is reserved or unique"
		default:
			reason = typeMismatch(f, v)
		}
		if reason != "" {
			warns = append(warns, AssignmentWarning{Key: k, Reason: reason})
			continue
		}
		if f.DataType == "picklist" {
			pv, _ := PicklistMatch(f, v)
			v = pv.DisplayValue
		}
		out[f.APIName] = v
	}
	sort.Slice(warns, func(i, j int) bool { return warns[i].Key < warns[j].Key })
	return out, warns
}

func typeMismatch(f *crm.Field, v string) string {
	switch f.DataType {
	case "text", "textarea", "phone", "email", "website", "":
		if f.MaxLength > 0 && utf8.RuneCountInString(v) > f.MaxLength {
			return fmt.Sprintf("the value is longer than the field's %d characters", f.MaxLength)
		}
		return ""
	case "picklist":
		if _, ok := PicklistMatch(f, v); !ok {
			return "the value is not in the field's picklist"
		}
		return ""
	case "integer", "bigint":
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return "the field takes a whole number"
		}
		return ""
	case "double", "currency", "decimal":
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return "the field takes a number"
		}
		return ""
	case "boolean":
		if _, err := strconv.ParseBool(strings.TrimSpace(v)); err != nil {
			return "the field takes true or false"
		}
		return ""
	default:
		return "the field's type (" + f.DataType + ") is not written from metadata"
	}
}

// ResolveParams are the arguments of Engine.ResolveReview.
type ResolveParams struct {
	OrgID    string
	ID       int64
	Action   ReviewAction
	RecordID string     // for log_to: the chosen record's ID
	Module   crm.Module // for log_to: Leads or Contacts; default: the candidate's module
	By       string
}

// ResolveReview applies a person's decision to an open review item: log_to syncs the call to
// the chosen record (a candidate of the item), create_new creates a new Lead anyway, retry runs
// the sync again from the lookup, ignore writes nothing. CodeConflict when the item is already
// resolved; CodeInvalid for an unknown action or a record that is not a candidate.
func (e *Engine) ResolveReview(ctx context.Context, p ResolveParams) (*ReviewItem, error) {
	const op = "leadcall: resolve review"
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	item, err := e.store.ReviewItem(ctx, p.OrgID, p.ID)
	if err != nil {
		return nil, err
	}
	if item.Status != ReviewOpen {
		return nil, Errorf(CodeConflict, op, "review item already resolved")
	}
	now := e.now().UTC()
	rp := &ResolveReviewParams{
		OrgID: p.OrgID, ID: p.ID,
		Resolution: Resolution{Action: p.Action, RecordID: p.RecordID, By: p.By, At: now},
	}
	enq := &EnqueueParams{OrgID: p.OrgID, CallID: item.CallID, Mode: ModeNormal, Now: now, MaxAttempts: e.cfg.MaxAttempts}
	switch p.Action {
	case ActionIgnore:
		rp.CallOutcome = OutcomeIgnored
	case ActionRetry:
		rp.Enqueue = enq
	case ActionCreateNew:
		enq.Mode = ModeCreateNew
		rp.Enqueue = enq
	case ActionLogTo:
		var cand *Candidate
		for i := range item.Candidates {
			if item.Candidates[i].ID == p.RecordID && (p.Module == "" || item.Candidates[i].Module == p.Module) {
				cand = &item.Candidates[i]
			}
		}
		if cand == nil {
			return nil, &Error{Code: CodeInvalid, Op: op, Field: "record_id", Message: "not one of the item's candidates"}
		}
		enq.Mode, enq.TargetModule, enq.TargetID = ModeLogTo, cand.Module, cand.ID
		rp.Enqueue = enq
	default:
		return nil, &Error{Code: CodeInvalid, Op: op, Field: "action", Message: "want log_to, create_new, ignore or retry"}
	}
	if item.Kind == ReviewInvalidNumber && p.Action != ActionIgnore {
		return nil, &Error{Code: CodeInvalid, Op: op, Field: "action", Message: "a call without a readable number can only be ignored"}
	}
	resolved, evs, err := e.store.ResolveReview(ctx, rp)
	if err != nil {
		return nil, err
	}
	e.publish(ctx, evs)
	if rp.Enqueue != nil {
		e.Wake()
	}
	return resolved, nil
}

// Run ingests batches from src until it returns io.EOF (then Run returns nil) or ctx is done.
// A batch that fails as a whole is acknowledged with the error, so the source re-delivers it.
func (e *Engine) Run(ctx context.Context, src CallSource) error {
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		results, ierr := e.Ingest(ctx, b.OrgID, b.DeviceID, b.Calls)
		if err := src.Ack(ctx, b, results, ierr); err != nil {
			return err
		}
		if errors.Is(ierr, ErrClosed) {
			return ierr
		}
	}
}

func checkID(field, id string) error {
	if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		return &Error{Code: CodeInvalid, Op: "leadcall", Field: field, Message: "want 1 to 64 characters of letters, digits, '-', '_' or '.'"}
	}
	return nil
}

func checkText(field, v string, maxRunes int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return &Error{Code: CodeInvalid, Op: "leadcall", Field: field, Message: "required"}
	case !utf8.ValidString(v):
		return &Error{Code: CodeInvalid, Op: "leadcall", Field: field, Message: "must be valid UTF-8"}
	case utf8.RuneCountInString(v) > maxRunes:
		return &Error{Code: CodeInvalid, Op: "leadcall", Field: field, Message: fmt.Sprintf("at most %d characters", maxRunes)}
	case strings.ContainsFunc(v, isControl):
		return &Error{Code: CodeInvalid, Op: "leadcall", Field: field, Message: "must not contain control characters"}
	}
	return nil
}
