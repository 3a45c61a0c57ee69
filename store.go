package leadcall

import (
	"context"
	"time"

	"github.com/leadcall/leadcall/crm"
)

// Store is leadcall's durable state: orgs, reps, devices, assignments, calls, the sync outbox,
// sync attempts, review items and the event log. store/sqlite (default) and store/postgres
// implement it; store/storetest is the conformance suite both pass.
//
// Contract for every implementation:
//   - Safe for concurrent use; every method honours ctx.
//   - Every query is scoped by org: an ID from another org is CodeNotFound, never its data.
//   - A method that returns nil error has committed durably (fsync'd on SQLite).
//   - Missing records are CodeNotFound, uniqueness clashes CodeConflict, bad arguments
//     CodeInvalid; other failures are CodeUnavailable (transient) or CodeInternal.
//   - Job methods taking a Fence change nothing and return ErrLeaseLost when the job's lease
//     token no longer matches.
//   - Event IDs increase strictly in commit order within an org (the live stream's cursor).
type Store interface {
	AssignmentStore
	RecoveryStore
	UserStore

	// CreateOrg stores a new org; CodeConflict when the ID exists.
	CreateOrg(ctx context.Context, o *Org) error
	// Org returns an org.
	Org(ctx context.Context, orgID string) (*Org, error)
	// UpdateOrg replaces the org's name, settings and seat limit, and appends a
	// settings.updated event.
	UpdateOrg(ctx context.Context, o *Org) error

	// CreateRep stores a new rep; CodeConflict when the ID exists in the org.
	CreateRep(ctx context.Context, r *Rep) error
	// Rep returns a rep.
	Rep(ctx context.Context, orgID, repID string) (*Rep, error)
	// Reps returns the org's reps ordered by name.
	Reps(ctx context.Context, orgID string) ([]Rep, error)
	// UpdateRep replaces the rep's name, email and CRM user mapping. Past calls keep the owner
	// they were synced with.
	UpdateRep(ctx context.Context, r *Rep) error

	// CreateDevice stores a new device. When d.Active and the org has a seat limit, the active
	// device count is checked in the same transaction: CodeSeatLimit when it is reached.
	CreateDevice(ctx context.Context, d *Device) error
	// Device returns a device.
	Device(ctx context.Context, orgID, deviceID string) (*Device, error)
	// Devices returns the org's devices ordered by nickname, then ID.
	Devices(ctx context.Context, orgID string) ([]Device, error)
	// DeviceByTokenHash returns the device whose TokenHash equals hash (any org); CodeNotFound
	// when none.
	DeviceByTokenHash(ctx context.Context, hash string) (*Device, error)
	// DeviceByPairingCodeHash returns the device whose PairingCodeHash equals hash (any org).
	DeviceByPairingCodeHash(ctx context.Context, hash string) (*Device, error)
	// UpdateDevice replaces the device's kind, nickname, rep, active flag, enrollment fields,
	// credentials and client info. Reactivating a device checks the seat limit like
	// CreateDevice. When closeAssignmentAt is non-zero the open assignment (if any) is closed at
	// that instant in the same transaction. A device.updated event is appended.
	UpdateDevice(ctx context.Context, d *Device, closeAssignmentAt time.Time) error
	// RecordHeartbeat stores the device's last-seen time, client info and SIMs.
	RecordHeartbeat(ctx context.Context, hb *Heartbeat) error
	// OwnNumbers returns every SIM number (as stored) reported by the org's devices, from
	// heartbeats and from calls' SIM numbers.
	OwnNumbers(ctx context.Context, orgID string) ([]string, error)

	// InsertCalls stores calls in one transaction, idempotently on (org, device, device call
	// ID). For each call that was new it also, in the same transaction: sets Call.ID, enqueues a
	// sync job when Enqueue is set, stores Review (with its CallID set) when non-nil, and appends
	// a call.ingested event (and review.created). Inserted[i] tells whether calls[i] was new;
	// for a duplicate, Calls[i].Call.ID is set to the stored call's ID.
	InsertCalls(ctx context.Context, orgID string, calls []NewCall) (*InsertCallsResult, error)
	// Call returns a call.
	Call(ctx context.Context, orgID string, callID int64) (*Call, error)
	// ListCalls returns calls matching f, newest first, with a cursor for the next page.
	ListCalls(ctx context.Context, f *CallFilter) (*CallPage, error)
	// CallsByNumber returns the org's calls with this E.164 number started at or after since,
	// oldest first.
	CallsByNumber(ctx context.Context, orgID, e164 string, since time.Time) ([]Call, error)
	// LeadsCreatedFor returns the IDs of CRM Leads that leadcall created for this number.
	LeadsCreatedFor(ctx context.Context, orgID, e164 string) ([]string, error)

	// ClaimJobs leases up to p.Limit ready jobs whose run time has come, plus running jobs whose
	// lease expired, skipping orgs whose sync is paused. Only the head of each caller's queue is
	// eligible: a job is claimed only when no other ready or running job with the same SerialKey
	// comes before it in (OrderAt, ID) order and none with that SerialKey holds a live lease. A
	// claim increments Attempt and sets a fresh random LeaseToken.
	ClaimJobs(ctx context.Context, p *ClaimParams) ([]Job, error)
	// AdvanceJob moves a job to step and stores the call's sync state, fenced.
	AdvanceJob(ctx context.Context, f Fence, step JobStep, st *CallSyncState) error
	// RecordIntent stores a sync attempt before the CRM request is sent (FinishedAt zero), and
	// sets a.ID. In the same transaction it advances the job to step (when non-empty) and
	// stores st (when non-nil), so a step and the intent that follows it cost one commit.
	// Fenced.
	RecordIntent(ctx context.Context, f Fence, a *SyncAttempt, step JobStep, st *CallSyncState) error
	// FinishAttempt stores the attempt's result and, in the same transaction, advances the job
	// to step (when non-empty) and stores st (when non-nil). Fenced.
	FinishAttempt(ctx context.Context, f Fence, a *SyncAttempt, step JobStep, st *CallSyncState) error
	// LastAttempt returns the job's most recent attempt for op, or nil when there is none.
	LastAttempt(ctx context.Context, jobID int64, op SyncOp) (*SyncAttempt, error)
	// RetryJob makes the job ready again at runAt with lastError, storing st (when non-nil) in
	// the same transaction. Fenced.
	RetryJob(ctx context.Context, f Fence, runAt time.Time, lastError string, st *CallSyncState) error
	// ReleaseJob gives the lease back without counting the attempt (shutdown, org pause),
	// storing st (when non-nil) in the same transaction. Fenced.
	ReleaseJob(ctx context.Context, f Fence, st *CallSyncState) error
	// CompleteJob ends the job (state done, or dead when p.Dead) and, in the same transaction,
	// stores the result of p.Attempt when non-nil (as FinishAttempt would), the call's final
	// sync status, outcome and CRM refs, stores p.Review when non-nil, and appends the
	// matching events, which it returns. Fenced.
	CompleteJob(ctx context.Context, f Fence, p *CompleteJobParams) ([]Event, error)
	// EnqueueJob adds a sync job for an existing call (review resolution, backfill) and sets the
	// call's sync status to pending. CodeConflict when the call already has an active job.
	EnqueueJob(ctx context.Context, p *EnqueueParams) (*Job, error)
	// Job returns a job by ID.
	Job(ctx context.Context, orgID string, jobID int64) (*Job, error)
	// JobCounts returns the number of jobs in each state, across orgs (for metrics).
	JobCounts(ctx context.Context) (map[JobState]int, error)

	// ReviewItem returns a review item.
	ReviewItem(ctx context.Context, orgID string, id int64) (*ReviewItem, error)
	// ListReview returns review items matching f, newest first.
	ListReview(ctx context.Context, f *ReviewFilter) (*ReviewPage, error)
	// ResolveReview marks an open item resolved and appends a review.resolved event; when
	// p.Enqueue is set it also enqueues a sync job for the item's call in the same transaction.
	// When p.CallOutcome is set (ignore) the call's sync status becomes none with that outcome.
	// CodeConflict when the item is already resolved.
	ResolveReview(ctx context.Context, p *ResolveReviewParams) (*ReviewItem, []Event, error)

	// PauseOrg pauses the org's sync until `until` (never shortening an existing pause) and
	// appends a sync.paused event. All replicas sharing the store honour it.
	PauseOrg(ctx context.Context, orgID string, until time.Time, reason string) ([]Event, error)
	// ResumeOrg ends the org's sync pause at once (a CRM was connected or reconnected) and
	// appends a sync.resumed event with reason; it returns the event, or none when the org was
	// not paused. All replicas sharing the store honour it.
	ResumeOrg(ctx context.Context, orgID, reason string) ([]Event, error)
	// OrgPause returns until when the org's sync is paused (zero = not paused) and why.
	OrgPause(ctx context.Context, orgID string) (time.Time, string, error)

	// AppendEvents stores events, setting their IDs, and returns them.
	AppendEvents(ctx context.Context, evs []Event) ([]Event, error)
	// Events returns up to limit events of the org with ID > afterID, in ID order.
	Events(ctx context.Context, orgID string, afterID int64, limit int) ([]Event, error)

	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Heartbeat is what a device reports periodically.
type Heartbeat struct {
	OrgID      string
	DeviceID   string
	At         time.Time
	AppVersion string
	Battery    int // percent; -1 unknown
	SIMs       []SIM
}

// NewCall is a call for InsertCalls with what to do alongside it when it is new.
type NewCall struct {
	Call    *Call
	Enqueue bool        // enqueue a sync job (the call's SyncStatus is pending)
	Review  *ReviewItem // a review item to open for the call, e.g. invalid_number
}

// InsertCallsResult is what InsertCalls did.
type InsertCallsResult struct {
	Inserted []bool
	Events   []Event
}

// CallFilter selects calls. Zero fields do not filter.
type CallFilter struct {
	OrgID       string
	From, To    time.Time // started_at in [From, To)
	DeviceIDs   []string
	RepID       string // calls on devices of this rep (for the rep role)
	Types       []CallType
	SyncStatus  []SyncStatus
	Outcomes    []SyncOutcome
	Disposition []Disposition
	Limit       int    // default 100, at most 1000
	Cursor      string // from a previous CallPage
}

// CallPage is one page of calls.
type CallPage struct {
	Items      []Call
	NextCursor string // empty on the last page
}

// JobState is the state of an outbox job.
type JobState string

// Job states.
const (
	JobReady   JobState = "ready"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobDead    JobState = "dead"
)

// JobStep is a job's recovery point: the last step whose result is committed.
type JobStep string

// Job steps, in order.
const (
	StepStart       JobStep = "start"
	StepWhoResolved JobStep = "who_resolved"
	StepLeadCreated JobStep = "lead_created"
	StepCallCreated JobStep = "call_created"
	StepTaskCreated JobStep = "task_created"
)

// JobMode says how a job decides where the call goes.
type JobMode string

// Job modes.
const (
	ModeNormal    JobMode = "normal"     // the decision table
	ModeLogTo     JobMode = "log_to"     // a person chose the record (TargetModule, TargetID)
	ModeCreateNew JobMode = "create_new" // a person chose to create a new Lead
)

// Job is a sync job for one call.
type Job struct {
	ID             int64
	OrgID          string
	CallID         int64
	SerialKey      string    // the caller's E.164 (or the call's key when unparseable)
	OrderAt        time.Time // the call's start: one caller's jobs run in this order
	State          JobState
	Step           JobStep
	Mode           JobMode
	TargetModule   crm.Module
	TargetID       string
	Attempt        int
	MaxAttempts    int
	RunAt          time.Time
	LeaseOwner     string
	LeaseToken     int64
	LeaseExpiresAt time.Time
	LastError      string
	CreatedAt      time.Time
}

// Fence identifies a job lease; every write for a claimed job carries it.
type Fence struct {
	JobID      int64
	LeaseToken int64
}

// ClaimParams are the arguments of ClaimJobs.
type ClaimParams struct {
	Owner string        // worker identity, for diagnostics
	Now   time.Time     // the claim time; run_at and leases compare against it
	Lease time.Duration // lease length
	Limit int
}

// CallSyncState is the sync state of a call that a job stores as it goes. Empty CRM IDs never
// overwrite stored ones (first writer wins).
type CallSyncState struct {
	OwnerID       string
	OwnerResolved bool
	CRM           CRMRefs
	// Outcome decided so far (created_lead, linked_contact, linked_lead).
	Outcome SyncOutcome
}

// SyncOp names a CRM operation recorded in sync attempts.
type SyncOp string

// Sync ops.
const (
	OpCreateLead   SyncOp = "create_lead"
	OpCreateCall   SyncOp = "create_call"
	OpCreateTask   SyncOp = "create_task"
	OpCreateBundle SyncOp = "create_bundle"
	OpCompleteTask SyncOp = "complete_task"
)

// AttemptOutcome classifies the result of a sync attempt.
type AttemptOutcome string

// Attempt outcomes (research/reliability.md §8.4).
const (
	AttemptSuccess      AttemptOutcome = "success"
	AttemptAdopt        AttemptOutcome = "adopt"         // the record existed (sync key) and was adopted
	AttemptRejectedSafe AttemptOutcome = "rejected_safe" // certainly not written (429, auth)
	AttemptAmbiguous    AttemptOutcome = "ambiguous"     // may have been written: reconcile first
	AttemptPermanent    AttemptOutcome = "permanent"     // refused for good (validation)
)

// SyncAttempt is the audit record of one CRM create: the intent is stored before the request,
// the result after it.
type SyncAttempt struct {
	ID          int64
	JobID       int64
	Attempt     int
	LeaseToken  int64
	Op          SyncOp
	EntityKey   string // the sync key sent with the record
	RequestHash string // sha256 of the request, to spot drift between attempts
	StartedAt   time.Time
	FinishedAt  time.Time // zero = in doubt (crashed or in flight)
	Outcome     AttemptOutcome
	ErrorCode   string
	CRMID       string
	Error       string
}

// CompleteJobParams are the final results of a job.
type CompleteJobParams struct {
	Now        time.Time
	Dead       bool // retries exhausted or permanent error
	SyncStatus SyncStatus
	Outcome    SyncOutcome
	State      CallSyncState
	LastError  string
	Review     *ReviewItem
	// Attempt, when set, is a recorded intent whose result (FinishedAt, Outcome, CRMID, ...)
	// is stored in the same transaction: the last create of a job and its completion cost one
	// commit.
	Attempt *SyncAttempt
}

// EnqueueParams are the arguments of EnqueueJob.
type EnqueueParams struct {
	OrgID        string
	CallID       int64
	Mode         JobMode
	TargetModule crm.Module
	TargetID     string
	Now          time.Time
	MaxAttempts  int
}

// ReviewFilter selects review items.
type ReviewFilter struct {
	OrgID  string
	Status ReviewStatus // empty = all
	Kinds  []ReviewKind
	RepID  string // items of calls whose RepID is this (for the rep role)
	Limit  int
	Cursor string
}

// ReviewPage is one page of review items.
type ReviewPage struct {
	Items      []ReviewItem
	NextCursor string
}

// ResolveReviewParams are the arguments of ResolveReview.
type ResolveReviewParams struct {
	OrgID       string
	ID          int64
	Resolution  Resolution
	Enqueue     *EnqueueParams // job to enqueue for the call, or nil
	CallOutcome SyncOutcome    // set the call's outcome (and sync status none), or empty
}
