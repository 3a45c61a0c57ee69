package leadcall

import (
	"context"
	"time"

	"github.com/leadcall/leadcall/crm"
)

// CallSource delivers batches of calls to the Engine (Engine.Run). The reference server does
// not need one, because its HTTP handler calls Engine.Ingest directly; a source suits a
// telephony webhook queue, a file import or a message broker.
type CallSource interface {
	// Next blocks until a batch is available and returns it. It returns io.EOF when the source
	// is exhausted and ctx.Err() when ctx is done. It is called from one goroutine at a time.
	Next(ctx context.Context) (*Batch, error)
	// Ack reports what happened to a batch that Next returned. When err is nil every call in it
	// has a result and the accepted ones are durable, so the source may forget the batch. When
	// err is non-nil nothing of the batch may be assumed stored, and the source must deliver it
	// again later (ingest is idempotent, so re-delivery is safe).
	Ack(ctx context.Context, b *Batch, results []IngestResult, err error) error
}

// Batch is a group of calls from one device.
type Batch struct {
	OrgID    string
	DeviceID string
	Calls    []IncomingCall
}

// AssignmentStore keeps the assignment timelines of campaign devices. It is part of Store, and
// may be implemented on its own by embedders who keep assignments elsewhere.
//
// Implementations must be safe for concurrent use. History is never rewritten: an open
// assignment is closed, never edited, and a closed one changes only through CorrectAssignment.
type AssignmentStore interface {
	// SetAssignment closes the device's open assignment (if any) at a.Start and opens a, in one
	// transaction. It sets a.ID and increments the device's AssignmentsVersion. It returns an
	// error with CodeInvalid when a.Start is before the open assignment's start, and CodeNotFound
	// when the device does not exist in a.OrgID.
	SetAssignment(ctx context.Context, a *Assignment) error
	// CloseAssignment closes the device's open assignment at `at`. With no open assignment it
	// does nothing and returns nil. CodeInvalid when `at` is before the open one's start.
	CloseAssignment(ctx context.Context, orgID, deviceID string, at time.Time) error
	// Assignments returns the device's assignments ordered by start (oldest first).
	Assignments(ctx context.Context, orgID, deviceID string) ([]Assignment, error)
	// Assignment returns one assignment, CodeNotFound when it is not in the org.
	Assignment(ctx context.Context, orgID string, id int64) (*Assignment, error)
	// CorrectAssignment changes the Lead Source and metadata of a closed assignment and records
	// an audit entry (before, after, by, reason, at) in the same transaction. CodeInvalid for an
	// open assignment or an empty reason; CodeNotFound when it does not exist in the org.
	CorrectAssignment(ctx context.Context, c *AssignmentCorrection) error
}

// CRM is the contract a CRM adapter implements (crm/zoho for Zoho CRM, crm/memcrm in memory).
// One value serves one CRM connection, that is one org; the Engine gets it from a
// CRMProvider. Partners prove an adapter with the crm/crmtest conformance suite.
//
// Every method must be safe for concurrent use, must return promptly when ctx is done, and must
// not retry: the Engine owns retries, pauses and idempotency. Errors are classified with Code
// (an *Error in the chain):
//   - CodeInvalid, CodeUnauthorized, CodeReconnectRequired and CodeRateLimited promise that a
//     write was NOT applied; CodeRateLimited carries RetryAfter.
//   - CodeUnavailable (or an unclassified error) means a write may have been applied; the
//     Engine then looks the record up by sync key before it writes again.
//   - CodeConflict on a create means a record with the same sync key exists; ExistingID names it.
//
// Writes never update or delete existing records: leadcall only creates.
type CRM interface {
	// FindByPhone returns every Lead and Contact (converted Leads excluded) whose phone fields
	// hold any of the numbers in variants (see phone.SearchVariants; most likely first). A record
	// found through several variants may be returned once or several times. No match is an
	// empty slice and a nil error.
	FindByPhone(ctx context.Context, variants []string) ([]crm.Record, error)
	// FindBySyncKey returns the ID of the record in module (Leads, Calls or Tasks) whose sync key
	// equals key, or "" and a nil error when there is none. It must see records created by
	// CreateX in an earlier call as soon as the CRM itself can (a search index may lag; the
	// Engine allows for that with a grace period).
	FindBySyncKey(ctx context.Context, module crm.Module, key string) (string, error)
	// CreateLead creates a Lead. lead.SyncKey must be stored where the CRM can find it again
	// (FindBySyncKey); where the CRM enforces uniqueness of that key, a clash returns
	// CodeConflict with ExistingID.
	CreateLead(ctx context.Context, lead *crm.Lead) (*crm.Created, error)
	// CreateCall creates a call activity linked to call.Who. Same key rules as CreateLead.
	CreateCall(ctx context.Context, call *crm.Call) (*crm.Created, error)
	// CreateTask creates a follow-up task linked to task.Who. Same key rules as CreateLead.
	CreateTask(ctx context.Context, task *crm.Task) (*crm.Created, error)
	// Users returns the CRM's active users, for owner mapping.
	Users(ctx context.Context) ([]crm.User, error)
}

// Optional CRM interfaces, detected by the Engine with a type assertion:
//
//   - FieldDescriber: picklists (Lead Source, Call_Result) and which Lead fields are writable,
//     so assignments are checked when saved rather than at first failure.
//   - Bundler: creates a Lead, its Call and its Task in one round trip.
//   - TaskCompleter: marks a Task completed when a missed call is recovered.
//   - SyncKeyChecker: tells whether the CRM enforces unique sync keys (reported by readiness).

// FieldDescriber is implemented by CRMs that can describe their fields.
type FieldDescriber interface {
	// Fields returns the fields of module, with picklist values for picklist fields.
	Fields(ctx context.Context, module crm.Module) ([]crm.Field, error)
}

// Bundler is implemented by CRMs that can create a Lead, a Call and a Task in one request.
type Bundler interface {
	// CreateBundle creates b.Lead (if set), then b.Call and b.Task (if set) linked to the new
	// Lead when b.Lead is set (their Who is ignored then) or to their own Who otherwise. Each
	// part gets its own result: a part that failed has Err set with the same classification
	// rules as the single creates, and parts after a failed part are not attempted (Err wrapping
	// crm.ErrNotAttempted). The returned error is for the request as a
	// whole, when no part can be said to have a result.
	CreateBundle(ctx context.Context, b *crm.Bundle) (*crm.BundleResult, error)
}

// TaskCompleter is implemented by CRMs that can mark a task completed.
type TaskCompleter interface {
	// CompleteTask sets the task's status to completed and appends note to its description.
	// Completing an already completed task is not an error. CodeNotFound when it is gone.
	CompleteTask(ctx context.Context, taskID, note string) error
}

// SyncKeyChecker is implemented by CRMs where the sync key is a field that may be missing.
type SyncKeyChecker interface {
	// SyncKeyStatus reports, per module leadcall writes, whether the sync-key field exists and
	// whether the CRM enforces its uniqueness.
	SyncKeyStatus(ctx context.Context) (map[crm.Module]crm.SyncKeyField, error)
}

// CRMProvider hands the Engine the CRM connection of an org.
type CRMProvider interface {
	// CRM returns the org's CRM. CodeNotFound when the org has no CRM connection (its calls
	// wait as pending), CodeReconnectRequired when the connection must be re-established.
	CRM(ctx context.Context, orgID string) (CRM, error)
}

// SingleCRM is a CRMProvider that serves the same CRM to every org: for embedders with one
// workspace, and for tests.
type SingleCRM struct{ C CRM }

// CRM returns s.C.
func (s SingleCRM) CRM(context.Context, string) (CRM, error) {
	if s.C == nil {
		return nil, Errorf(CodeNotFound, "leadcall: crm", "no CRM configured")
	}
	return s.C, nil
}

// Notifier receives events after they are committed to the event log.
type Notifier interface {
	// Notify is called once per event, in event-ID order per org, from an Engine goroutine. It
	// must not block for long (hand off to a queue for slow sinks) and must be safe for
	// concurrent use. Errors are logged and not retried: the event log is the durable record,
	// and a consumer that missed events reads them back from it (Store.Events).
	Notify(ctx context.Context, ev Event) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, ev Event) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, ev Event) error { return f(ctx, ev) }
