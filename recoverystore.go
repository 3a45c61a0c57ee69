package leadcall

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// RecoveryStore keeps what recovery cannot derive from the stored calls. Recovery cases are
// computed from calls (package recovery, Build), deterministically; only facts about what
// leadcall did for a case are stored, as marks: the SLA event was raised, the CRM Task was
// completed. A case is named by its key, the ID of its first missed call. It is part of Store.
type RecoveryStore interface {
	// MarkRecovery stores m and, in the same transaction, appends evs (returned with their
	// IDs). A mark is unique on (OrgID, CaseKey, Kind): when it exists already nothing is
	// stored or appended and marked is false, so of two replicas racing to raise one case's
	// event exactly one succeeds. CodeNotFound when the org or the case's call (CaseKey) is not
	// in the org; CodeInvalid for a malformed mark (see RecoveryMark.Validate). A zero At is
	// set to the store's clock.
	MarkRecovery(ctx context.Context, m *RecoveryMark, evs []Event) (stored []Event, marked bool, err error)
	// RecoveryMarks returns the org's marks of the cases named in caseKeys (at most
	// MaxRecoveryMarkKeys), ordered by case key, then kind. CodeNotFound for an unknown org.
	RecoveryMarks(ctx context.Context, orgID string, caseKeys []int64) ([]RecoveryMark, error)
	// RecentMisses returns, across orgs, the missed calls with a parsed number (NumberE164 not
	// empty) on campaign devices that started in [q.From, q.To) and come after the cursor
	// (q.AfterStartedAt, q.AfterID), ordered by start then ID, at most q.Limit (default 1000,
	// at most 10000). Ignored calls are included: they matter to nothing but are cheap to skip.
	RecentMisses(ctx context.Context, q *MissQuery) ([]MissRef, error)
	// CallsByNumbers returns the org's calls with any of these E.164 numbers (at most
	// MaxCallsByNumbers; empty strings match nothing) started at or after since, ordered by
	// number, then start, then ID: CallsByNumber for many callers in one read, as the
	// recovery check needs. CodeNotFound for an unknown org; CodeInvalid for too many numbers.
	CallsByNumbers(ctx context.Context, orgID string, numbers []string, since time.Time) ([]Call, error)
}

// MaxCallsByNumbers bounds the numbers of one CallsByNumbers read.
const MaxCallsByNumbers = 500

// RecoveryMarkKind names what was done for a recovery case.
type RecoveryMarkKind string

// Recovery mark kinds.
const (
	// MarkSLABreached: the recovery.sla_breached event was raised.
	MarkSLABreached RecoveryMarkKind = "sla_breached"
	// MarkTaskCompleted: the CRM Task of the case's episode was completed (or found gone, in
	// which case Detail says so), so it is never completed again.
	MarkTaskCompleted RecoveryMarkKind = "task_completed"
)

// Limits of recovery marks.
const (
	MaxRecoveryMarkKeys   = 10000
	MaxRecoveryMarkDetail = 1000
	maxMarkKindLen        = 64
)

// RecoveryMark records that something was done once for a recovery case.
type RecoveryMark struct {
	OrgID string
	// CaseKey is the case's key: the ID of its first missed call.
	CaseKey int64
	Kind    RecoveryMarkKind
	At      time.Time
	// Detail is free text, e.g. the completed Task's ID and note.
	Detail string
}

// Validate checks a mark before it is stored; the error is an *Error with CodeInvalid.
func (m *RecoveryMark) Validate() error {
	const op = "leadcall: recovery mark"
	switch {
	case m.OrgID == "":
		return &Error{Code: CodeInvalid, Op: op, Field: "OrgID", Message: "required"}
	case m.CaseKey <= 0:
		return &Error{Code: CodeInvalid, Op: op, Field: "CaseKey", Message: fmt.Sprintf("must be positive, got %d", m.CaseKey)}
	case m.Kind == "" || len(m.Kind) > maxMarkKindLen:
		return &Error{Code: CodeInvalid, Op: op, Field: "Kind", Message: fmt.Sprintf("must be 1 to %d bytes", maxMarkKindLen)}
	case len(m.Detail) > MaxRecoveryMarkDetail || !utf8.ValidString(m.Detail):
		return &Error{Code: CodeInvalid, Op: op, Field: "Detail", Message: fmt.Sprintf("must be valid UTF-8 of at most %d bytes", MaxRecoveryMarkDetail)}
	}
	return nil
}

// MissQuery selects missed calls for RecentMisses.
type MissQuery struct {
	From, To time.Time
	// AfterStartedAt and AfterID are the cursor: the last miss of the previous page (zero for
	// the first page).
	AfterStartedAt time.Time
	AfterID        int64
	Limit          int
}

// MissRef names a missed call for the recovery checks.
type MissRef struct {
	OrgID      string
	CallID     int64
	NumberE164 string
	StartedAt  time.Time
}
