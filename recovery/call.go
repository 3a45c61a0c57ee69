package recovery

import (
	"fmt"
	"time"

	"github.com/leadcall/leadcall/phone"
)

// CallType is the type of a call. Its values match the root package's call types.
type CallType string

// The call types.
const (
	// CallInbound is an answered inbound call.
	CallInbound CallType = "inbound"
	// CallMissed is an inbound call nobody answered (rejected and voicemail included).
	CallMissed CallType = "missed"
	// CallOutbound is a call made from a device.
	CallOutbound CallType = "outbound"
)

// Valid reports whether t is one of the defined call types.
func (t CallType) Valid() bool { return t == CallInbound || t == CallMissed || t == CallOutbound }

// DeviceKind is the kind of the device a call was made or taken on. Its values match the
// device package's kinds.
type DeviceKind string

// The device kinds.
const (
	// DeviceCampaign is a number printed in ads: its misses open cases.
	DeviceCampaign DeviceKind = "campaign"
	// DeviceSalesRep is a rep's phone: its calls recover cases but its misses open none.
	DeviceSalesRep DeviceKind = "sales_rep"
)

// Valid reports whether k is one of the defined device kinds.
func (k DeviceKind) Valid() bool { return k == DeviceCampaign || k == DeviceSalesRep }

// Call is what recovery needs to know of a call. The root package fills it from its own
// call record.
type Call struct {
	// ID identifies the call; positive and unique among the calls given together.
	ID int64
	// DeviceID is the device that made or took the call. Required.
	DeviceID string
	// DeviceKind is the device's kind when the call happened.
	DeviceKind DeviceKind
	// DeviceInactive reports that the device was deactivated when the call happened; such a
	// call counts for nothing. (Named for the exception, so that the zero Call is active.)
	DeviceInactive bool
	// RepID is the device's rep when the call happened; empty means none.
	RepID string
	// NumberE164 is the other party's number in E.164 form ("+919876512345"), as
	// phone.Normalize gives it. Cases match numbers byte for byte.
	NumberE164 string
	// Type is the call's type.
	Type CallType
	// StartedAt is when the call started; its year must lie between MinYear and MaxYear.
	StartedAt time.Time
	// DurationS is the call's length in seconds; not negative.
	DurationS int
	// Ignored reports that the call's disposition is ignored; such a call counts for nothing.
	Ignored bool
	// AssignmentID is the campaign assignment the call was attributed to; 0 means none.
	AssignmentID int64
	// LeadSource is that assignment's lead source.
	LeadSource string
}

// The range of instants accepted, so that window arithmetic cannot overflow.
const (
	MinYear = 1900
	MaxYear = 9999
)

// Counts reports whether the call takes part in recovery at all: it is neither ignored nor
// from a deactivated device.
func (c *Call) Counts() bool { return !c.Ignored && !c.DeviceInactive }

// Validate checks a call that counts; a call that does not count is always valid. The error
// wraps ErrInvalidCall.
func (c *Call) Validate() error {
	if !c.Counts() {
		return nil
	}
	var reason string
	switch {
	case c.ID <= 0:
		reason = "ID must be positive"
	case !IsE164(c.NumberE164):
		reason = fmt.Sprintf("number %s is not in E.164 form", describeNumber(c.NumberE164))
	case !c.Type.Valid():
		reason = fmt.Sprintf("unknown type %s", quote(string(c.Type)))
	case !c.DeviceKind.Valid():
		reason = fmt.Sprintf("unknown device kind %s", quote(string(c.DeviceKind)))
	case c.DeviceID == "":
		reason = "device ID is required"
	case c.StartedAt.IsZero():
		reason = "start time is required"
	case !validTime(c.StartedAt):
		reason = fmt.Sprintf("start time year %d is outside %d-%d", c.StartedAt.Year(), MinYear, MaxYear)
	case c.DurationS < 0:
		reason = fmt.Sprintf("duration %d s is negative", c.DurationS)
	case c.AssignmentID < 0:
		reason = fmt.Sprintf("assignment ID %d is negative", c.AssignmentID)
	default:
		return nil
	}
	return fmt.Errorf("%w: call %d: %s", ErrInvalidCall, c.ID, reason)
}

// IsE164 reports whether s has the E.164 shape: '+', then 2 to 15 ASCII digits, the first not
// zero. It checks the form only, not whether the number is assigned.
func IsE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validTime(t time.Time) bool {
	y := t.Year()
	return y >= MinYear && y <= MaxYear
}

// describeNumber names a number in an error without revealing it.
func describeNumber(s string) string {
	if m := phone.Mask(s); m != "" {
		return `"` + m + `"`
	}
	return fmt.Sprintf("(no digits, %d bytes)", len(s))
}

// maxQuoted is how many bytes of caller input an error message repeats.
const maxQuoted = 32

// quote quotes at most maxQuoted bytes of s, so hostile input cannot flood logs.
func quote(s string) string {
	if len(s) > maxQuoted {
		return fmt.Sprintf("%q… (%d bytes)", s[:maxQuoted], len(s))
	}
	return fmt.Sprintf("%q", s)
}
