package recovery

import (
	"fmt"
	"time"
)

// Status is the state of a case. It only moves forward: open → attempted → recovered, and
// open or attempted → expired.
type Status string

// The statuses. Their string values are stable: they appear in the API and in storage.
const (
	// StatusOpen: missed, no attempt yet.
	StatusOpen Status = "open"
	// StatusAttempted: at least one attempt, none connected yet.
	StatusAttempted Status = "attempted"
	// StatusRecovered: a connected callback, or an answered inbound call from the caller.
	StatusRecovered Status = "recovered"
	// StatusExpired: the window passed without a connection.
	StatusExpired Status = "expired"
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool { return s.Active() || s == StatusRecovered || s == StatusExpired }

// Active reports whether a case in status s still takes calls: open or attempted.
func (s Status) Active() bool { return s == StatusOpen || s == StatusAttempted }

// Case is one recovery episode of one caller. Times are zero when the event has not
// happened; IDs and rep are empty or zero when unknown.
type Case struct {
	// ID is the caller's own identifier for a stored case; this package leaves it alone.
	ID int64
	// NumberE164 is the caller's number.
	NumberE164 string
	// Status is the case's state as of the last call applied or the last Advance.
	Status Status

	// MissedCallIDs are the case's missed calls in time order; MissCount is their number.
	MissedCallIDs []int64
	MissCount     int
	FirstMissedAt time.Time
	LastMissedAt  time.Time

	// Attempts counts the outbound attempts, the connecting one included.
	Attempts       int
	FirstAttemptAt time.Time
	// ConnectedAt is when the case was recovered.
	ConnectedAt time.Time
	// RecoveredByCallID, RecoveredByDeviceID and RecoveredByRepID name the call that
	// recovered the case, its device and that device's rep ("" for none).
	RecoveredByCallID   int64
	RecoveredByDeviceID string
	RecoveredByRepID    string

	// AssignmentID and LeadSource credit the case to the campaign of its first miss.
	AssignmentID int64
	LeadSource   string

	// SLABreached is the caller's persisted flag that the SLA event was raised (see
	// Matcher.SLABreaches). Build leaves it false and Apply leaves it alone.
	SLABreached bool

	// ExpiresAt is the end of the window: LastMissedAt + Window. A case without a connection
	// is expired from this instant on.
	ExpiresAt time.Time
	// LastCallAt is the start of the latest call that changed the case; Apply refuses older
	// calls.
	LastCallAt time.Time
}

// Key identifies the case by its first missed call (0 for a case without misses).
func (c *Case) Key() int64 {
	if len(c.MissedCallIDs) == 0 {
		return 0
	}
	return c.MissedCallIDs[0]
}

// TimeToFirstAttempt returns the time from the first miss to the first attempt; ok is false
// when there was no attempt.
func (c *Case) TimeToFirstAttempt() (d time.Duration, ok bool) {
	if c.FirstAttemptAt.IsZero() {
		return 0, false
	}
	return c.FirstAttemptAt.Sub(c.FirstMissedAt), true
}

// TimeToConnect returns the time from the first miss to the connection; ok is false when the
// case was not recovered.
func (c *Case) TimeToConnect() (d time.Duration, ok bool) {
	if c.ConnectedAt.IsZero() {
		return 0, false
	}
	return c.ConnectedAt.Sub(c.FirstMissedAt), true
}

// Advance brings the case's status to the instant now: an open or attempted case whose
// window has ended by now (now >= ExpiresAt) becomes expired. It reports whether the status
// changed. An earlier now never undoes anything.
func (c *Case) Advance(now time.Time) bool {
	if c.Status.Active() && !now.Before(c.ExpiresAt) {
		c.Status = StatusExpired
		return true
	}
	return false
}

// horizon is the latest instant the case has taken into account: calls before it would
// change the past.
func (c *Case) horizon() time.Time {
	if c.Status == StatusExpired && c.ExpiresAt.After(c.LastCallAt) {
		return c.ExpiresAt
	}
	return c.LastCallAt
}

// validate checks the fields Apply relies on.
func (c *Case) validate() error {
	var reason string
	switch {
	case !c.Status.Valid():
		reason = fmt.Sprintf("unknown status %s", quote(string(c.Status)))
	case !IsE164(c.NumberE164):
		reason = fmt.Sprintf("number %s is not in E.164 form", describeNumber(c.NumberE164))
	case c.FirstMissedAt.IsZero() || c.ExpiresAt.IsZero() || c.LastCallAt.IsZero():
		reason = "FirstMissedAt, ExpiresAt and LastCallAt are required"
	case !validTime(c.ExpiresAt) || !validTime(c.LastCallAt):
		reason = "times out of range"
	default:
		return nil
	}
	return fmt.Errorf("%w: case %d: %s", ErrInvalidCase, c.Key(), reason)
}

// newCase opens a case with its first miss.
func newCase(call *Call, window time.Duration) Case {
	return Case{
		NumberE164:    call.NumberE164,
		Status:        StatusOpen,
		MissedCallIDs: []int64{call.ID},
		MissCount:     1,
		FirstMissedAt: call.StartedAt,
		LastMissedAt:  call.StartedAt,
		AssignmentID:  call.AssignmentID,
		LeadSource:    call.LeadSource,
		ExpiresAt:     call.StartedAt.Add(window),
		LastCallAt:    call.StartedAt,
	}
}
