package leadcall

import (
	"encoding/json"
	"time"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/device"
)

// Org is one customer workspace (tenant). Every record carries an org ID and no query crosses
// orgs.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Settings  Settings  `json:"settings"`
	SeatLimit int       `json:"seat_limit"` // 0 = unlimited
	CreatedAt time.Time `json:"created_at"`
}

// Settings are an org's sync and rule settings (DESIGN.md §10). DefaultSettings gives the
// documented defaults; Validate checks a value and normalises its number lists.
type Settings struct {
	DefaultRegion        string        `json:"default_region"` // ISO 3166 alpha-2; default "IN"
	TimeZone             string        `json:"time_zone"`      // IANA name; default "UTC"
	LeadPlaceholder      string        `json:"lead_placeholder"`
	TaskPrefix           string        `json:"task_prefix"`
	TaskDueOffsetMinutes int           `json:"task_due_offset_minutes"`
	TasksEnabled         bool          `json:"tasks_enabled"`
	CallResultMap        CallResultMap `json:"call_result_map"`
	Rules                Rules         `json:"rules"`
}

// CallResultMap names the Call_Result picklist value written for each call type. A value is
// written only when the org's Call_Result picklist has it.
type CallResultMap struct {
	Inbound string `json:"inbound"`
	Missed  string `json:"missed"`
}

// Rules are the disposition rules of an org.
type Rules struct {
	MinAnsweredSeconds  int      `json:"min_answered_seconds"`
	ConnectedMinSeconds int      `json:"connected_min_seconds"`
	BlockedNumbers      []string `json:"blocked_numbers"`  // E.164 after Validate
	InternalNumbers     []string `json:"internal_numbers"` // E.164 after Validate
	RepeatWindowMinutes int      `json:"repeat_window_minutes"`
}

// Setting defaults (DESIGN.md §10).
const (
	DefaultRegion              = "IN"
	DefaultTimeZone            = "UTC"
	DefaultLeadPlaceholder     = "Inbound Lead"
	DefaultTaskPrefix          = "Call back"
	DefaultCallResultInbound   = "Answered"
	DefaultCallResultMissed    = "Missed"
	DefaultConnectedMinSeconds = 1
	DefaultRepeatWindowMinutes = 120
)

// DefaultSettings returns the documented default settings.
func DefaultSettings() Settings {
	return Settings{
		DefaultRegion:   DefaultRegion,
		TimeZone:        DefaultTimeZone,
		LeadPlaceholder: DefaultLeadPlaceholder,
		TaskPrefix:      DefaultTaskPrefix,
		TasksEnabled:    true,
		CallResultMap:   CallResultMap{Inbound: DefaultCallResultInbound, Missed: DefaultCallResultMissed},
		Rules: Rules{
			ConnectedMinSeconds: DefaultConnectedMinSeconds,
			RepeatWindowMinutes: DefaultRepeatWindowMinutes,
		},
	}
}

// Device is a registered phone.
type Device struct {
	OrgID      string      `json:"org_id"`
	ID         string      `json:"id"`
	Kind       device.Kind `json:"kind"`
	Nickname   string      `json:"nickname"`
	RepID      string      `json:"rep_id,omitempty"` // empty = no rep
	Active     bool        `json:"active"`
	Model      string      `json:"model,omitempty"`
	OS         string      `json:"os,omitempty"`
	AppVersion string      `json:"app_version,omitempty"`
	Battery    int         `json:"battery,omitempty"` // percent, from the last heartbeat; -1 unknown
	SIMs       []SIM       `json:"sims,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	EnrolledAt time.Time   `json:"enrolled_at"` // zero until the phone enrolls; calls dated before it are ignored
	LastSeenAt time.Time   `json:"last_seen_at"`
	// AssignmentsVersion increases with every change to the device's assignment timeline, so
	// cached timelines can tell that they are stale.
	AssignmentsVersion int64 `json:"-"`
	// Credentials, kept hashed. Never serialised.
	TokenHash        string    `json:"-"`
	PairingCodeHash  string    `json:"-"`
	PairingExpiresAt time.Time `json:"-"`
}

// SIM is a SIM card a device reports. Its number is one of the org's own numbers.
type SIM struct {
	Slot    int    `json:"slot"`
	Number  string `json:"number"` // E.164 when it could be parsed, else as reported
	Carrier string `json:"carrier,omitempty"`
}

// Rep is a member of the sales team.
type Rep struct {
	OrgID     string    `json:"org_id"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CRMUserID string    `json:"crm_user_id,omitempty"` // owner mapping; empty = unmapped
	CreatedAt time.Time `json:"created_at"`
}

// Assignment is campaign metadata for a campaign device over [Start, End).
type Assignment struct {
	OrgID      string            `json:"org_id"`
	ID         int64             `json:"id"`
	DeviceID   string            `json:"device_id"`
	LeadSource string            `json:"lead_source"` // display value
	Metadata   map[string]string `json:"metadata"`
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"` // zero while open
	CreatedBy  string            `json:"created_by,omitempty"`
}

// Open reports whether the assignment has not been closed.
func (a *Assignment) Open() bool { return a.End.IsZero() }

// AssignmentCorrection changes the Lead Source and metadata of a past (closed) assignment. It is
// the only way history changes, and it is audited; calls already synced are not re-sent.
type AssignmentCorrection struct {
	OrgID        string
	AssignmentID int64
	LeadSource   string
	Metadata     map[string]string
	By           string // who made the correction
	Reason       string // why; required
	At           time.Time
}

// CallType is the type of a call as devices report it.
type CallType string

// Call types.
const (
	CallInbound  CallType = "inbound"  // answered
	CallMissed   CallType = "missed"   // includes rejected and voicemail
	CallOutbound CallType = "outbound" // placed by the device
)

// Valid reports whether t is a known call type.
func (t CallType) Valid() bool {
	return t == CallInbound || t == CallMissed || t == CallOutbound
}

// Disposition is the local decision for a call.
type Disposition string

// Dispositions.
const (
	DispositionSync    Disposition = "sync"    // goes to the CRM
	DispositionLocal   Disposition = "local"   // kept for recovery and reports only
	DispositionIgnored Disposition = "ignored" // kept, with a Reason, and never synced
)

// Reason explains a disposition.
type Reason string

// Reasons for DispositionIgnored, in the order in which they win when several apply
// (DESIGN.md §10), then the reasons for DispositionLocal.
const (
	ReasonDeviceInactive   Reason = "device_inactive"
	ReasonPrivateNumber    Reason = "private_number"
	ReasonInvalidNumber    Reason = "invalid_number"
	ReasonOwnNumber        Reason = "own_number"
	ReasonInternalNumber   Reason = "internal_number"
	ReasonBlocked          Reason = "blocked"
	ReasonTooShort         Reason = "too_short"
	ReasonBeforeEnrollment Reason = "before_enrollment"

	ReasonOutbound     Reason = "outbound"      // outbound calls create no CRM records
	ReasonSalesRep     Reason = "sales_rep"     // calls on sales-rep phones are local
	ReasonNoAssignment Reason = "no_assignment" // informational: campaign call outside any assignment (still synced)
)

// SyncStatus is where a call is in the CRM sync.
type SyncStatus string

// Sync statuses.
const (
	SyncNone    SyncStatus = "none" // not to be synced (local or ignored)
	SyncPending SyncStatus = "pending"
	SyncSynced  SyncStatus = "synced"
	SyncReview  SyncStatus = "review"
	SyncFailed  SyncStatus = "failed"
)

// SyncOutcome is what the CRM sync did for a call.
type SyncOutcome string

// Sync outcomes.
const (
	OutcomeCreatedLead         SyncOutcome = "created_lead"
	OutcomeLinkedContact       SyncOutcome = "linked_contact"
	OutcomeLinkedLead          SyncOutcome = "linked_lead"
	OutcomeReviewDuplicateLead SyncOutcome = "review_duplicate_lead"
	OutcomeReviewAmbiguous     SyncOutcome = "review_ambiguous"
	OutcomeFailed              SyncOutcome = "failed"
	OutcomeIgnored             SyncOutcome = "ignored" // a person resolved the review with "ignore"
)

// CRMRefs are the CRM records a call produced or was linked to.
type CRMRefs struct {
	LeadID    string `json:"lead_id,omitempty"`
	ContactID string `json:"contact_id,omitempty"`
	CallID    string `json:"call_id,omitempty"`
	TaskID    string `json:"task_id,omitempty"`
}

// Who returns the record the call's activity is linked to.
func (r CRMRefs) Who() crm.Ref {
	if r.ContactID != "" {
		return crm.Ref{Module: crm.ModuleContacts, ID: r.ContactID}
	}
	if r.LeadID != "" {
		return crm.Ref{Module: crm.ModuleLeads, ID: r.LeadID}
	}
	return crm.Ref{}
}

// Call is one call as leadcall stores it: metadata only, never audio, SMS or contacts.
type Call struct {
	OrgID        string      `json:"org_id"`
	ID           int64       `json:"id"`
	DeviceID     string      `json:"device_id"`
	DeviceCallID string      `json:"device_call_id"`
	NumberRaw    string      `json:"number_raw"`
	NumberE164   string      `json:"number_e164"` // empty when the number could not be parsed
	Type         CallType    `json:"type"`
	StartedAt    time.Time   `json:"started_at"`
	DurationS    int         `json:"duration_s"`
	SIMSlot      int         `json:"sim_slot"`
	SIMNumber    string      `json:"sim_number,omitempty"`
	ReceivedAt   time.Time   `json:"received_at"`
	DeviceKind   device.Kind `json:"device_kind"`
	RepID        string      `json:"rep_id,omitempty"` // the device's rep when the call was ingested
	Disposition  Disposition `json:"disposition"`
	Reason       Reason      `json:"reason,omitempty"`
	AssignmentID int64       `json:"assignment_id,omitempty"` // 0 = none
	LeadSource   string      `json:"lead_source,omitempty"`
	SyncStatus   SyncStatus  `json:"sync_status"`
	Outcome      SyncOutcome `json:"outcome,omitempty"`
	CRM          CRMRefs     `json:"crm"`
	// OwnerID is the CRM user resolved at the first sync attempt and kept for every retry.
	OwnerID       string `json:"owner_id,omitempty"`
	OwnerResolved bool   `json:"-"`
	LastError     string `json:"last_error,omitempty"`
}

// Duration returns the call's duration.
func (c *Call) Duration() time.Duration { return time.Duration(c.DurationS) * time.Second }

// IncomingCall is a call as a source reports it, before validation. Type is a string so an
// unknown type is rejected for that call alone.
type IncomingCall struct {
	ID        string    `json:"id"` // device-side call ID; ingest is idempotent on (org, device, ID)
	Number    string    `json:"number"`
	Type      string    `json:"type"`
	StartedAt time.Time `json:"started_at"`
	DurationS int       `json:"duration_s"`
	SIMSlot   int       `json:"sim_slot"`
	SIMNumber string    `json:"sim_number"`
}

// IngestStatus is the per-call result of Ingest.
type IngestStatus string

// Ingest statuses.
const (
	IngestAccepted  IngestStatus = "accepted"
	IngestDuplicate IngestStatus = "duplicate"
	IngestRejected  IngestStatus = "rejected"
)

// IngestResult is the result for one call of a batch.
type IngestResult struct {
	ID     string       `json:"id"`
	Status IngestStatus `json:"status"`
	CallID int64        `json:"call_id,omitempty"`
	// Err is set for IngestRejected: an *Error with CodeInvalid, a Field and a Message.
	Err *Error `json:"-"`
}

// ReviewKind is why a person must decide.
type ReviewKind string

// Review kinds.
const (
	ReviewDuplicateLead ReviewKind = "duplicate_lead"
	ReviewAmbiguous     ReviewKind = "ambiguous"
	ReviewInvalidNumber ReviewKind = "invalid_number"
	ReviewFailed        ReviewKind = "failed"
)

// ReviewStatus is open until a person resolves the item.
type ReviewStatus string

// Review statuses.
const (
	ReviewOpen     ReviewStatus = "open"
	ReviewResolved ReviewStatus = "resolved"
)

// ReviewAction is a person's resolution of a review item.
type ReviewAction string

// Review actions.
const (
	ActionLogTo     ReviewAction = "log_to"     // log the call to a chosen existing record
	ActionCreateNew ReviewAction = "create_new" // create a new Lead anyway
	ActionIgnore    ReviewAction = "ignore"     // write nothing
	ActionRetry     ReviewAction = "retry"      // run the sync again from the lookup
)

// Candidate is a CRM record a review item offers.
type Candidate struct {
	Module crm.Module `json:"module"`
	ID     string     `json:"id"`
	Name   string     `json:"name"`
}

// ReviewItem is a case a person must decide, one per call.
type ReviewItem struct {
	OrgID      string       `json:"org_id"`
	ID         int64        `json:"id"`
	Kind       ReviewKind   `json:"kind"`
	CallID     int64        `json:"call_id"`
	NumberE164 string       `json:"number_e164"`
	Candidates []Candidate  `json:"candidates"`
	Status     ReviewStatus `json:"status"`
	Detail     string       `json:"detail,omitempty"` // e.g. the last error for ReviewFailed
	Resolution *Resolution  `json:"resolution"`
	CreatedAt  time.Time    `json:"created_at"`
}

// Resolution records how a review item was resolved.
type Resolution struct {
	Action   ReviewAction `json:"action"`
	RecordID string       `json:"record_id,omitempty"`
	By       string       `json:"by,omitempty"`
	At       time.Time    `json:"at"`
}

// EventType names an event.
type EventType string

// Event types. Data carries a JSON object whose shape each constant documents.
const (
	EventCallIngested     EventType = "call.ingested"         // Call
	EventCallSynced       EventType = "call.synced"           // Call
	EventCallReview       EventType = "call.review"           // Call
	EventCallFailed       EventType = "call.failed"           // Call
	EventReviewCreated    EventType = "review.created"        // ReviewItem
	EventReviewResolved   EventType = "review.resolved"       // ReviewItem
	EventDeviceUpdated    EventType = "device.updated"        // Device
	EventDeviceSeen       EventType = "device.seen"           // Device
	EventAssignmentSet    EventType = "assignment.set"        // Assignment
	EventSyncPaused       EventType = "sync.paused"           // {until, reason}
	EventSyncResumed      EventType = "sync.resumed"          // {reason}
	EventSettingsUpdated  EventType = "settings.updated"      // Settings
	EventRepUpdated       EventType = "rep.updated"           // Rep
	EventRecoveryUpdated  EventType = "recovery.updated"      // RecoveryCase
	EventRecoverySLA      EventType = "recovery.sla_breached" // RecoveryCase, once per case
	EventBackfillProgress EventType = "backfill.progress"     // {backfill_id, done, total}
	EventBackfillDone     EventType = "backfill.done"         // {backfill_id, done, total, calls, skipped}
)

// Event is something that happened in an org, recorded in the event log with an increasing ID
// (the live stream's cursor) and handed to the Notifier after it is committed.
type Event struct {
	ID     int64           `json:"id"`
	OrgID  string          `json:"org_id"`
	Type   EventType       `json:"type"`
	At     time.Time       `json:"at"`
	CallID int64           `json:"call_id,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}
