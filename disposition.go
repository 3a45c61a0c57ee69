package leadcall

import (
	"time"

	"github.com/leadcall/leadcall/device"
)

// DispositionInput is what the disposition rules look at for one call.
type DispositionInput struct {
	DeviceKind     device.Kind
	DeviceActive   bool
	EnrolledAt     time.Time // zero = no enrollment check
	Type           CallType
	StartedAt      time.Time
	DurationS      int
	Private        bool   // the number is a private/withheld marker
	NumberE164     string // empty when the number could not be parsed
	OwnNumber      bool   // the number is one of the org's device SIM numbers
	InternalNumber bool   // listed in rules.internal_numbers
	BlockedNumber  bool   // listed in rules.blocked_numbers
	Rules          Rules
}

// Dispose applies the disposition rules of DESIGN.md §10 to one call. It is pure. When several
// ignore-reasons apply, the first of device_inactive, private_number, invalid_number,
// own_number, internal_number, blocked, too_short, before_enrollment wins. A call no rule
// ignores is local on sales-rep devices and for outbound calls, and sync otherwise.
func Dispose(in DispositionInput) (Disposition, Reason) {
	switch {
	case !in.DeviceActive:
		return DispositionIgnored, ReasonDeviceInactive
	case in.Private:
		return DispositionIgnored, ReasonPrivateNumber
	case in.NumberE164 == "":
		return DispositionIgnored, ReasonInvalidNumber
	case in.OwnNumber:
		return DispositionIgnored, ReasonOwnNumber
	case in.InternalNumber:
		return DispositionIgnored, ReasonInternalNumber
	case in.BlockedNumber:
		return DispositionIgnored, ReasonBlocked
	case in.DeviceKind == device.KindCampaign && in.Type == CallInbound && in.DurationS < in.Rules.MinAnsweredSeconds:
		return DispositionIgnored, ReasonTooShort
	// Device call times come in whole seconds, enrollment times from the server's clock: a
	// call in the very second the phone enrolled counts as after it.
	case !in.EnrolledAt.IsZero() && in.StartedAt.Before(in.EnrolledAt.Truncate(time.Second)):
		return DispositionIgnored, ReasonBeforeEnrollment
	case in.DeviceKind != device.KindCampaign:
		return DispositionLocal, ReasonSalesRep
	case in.Type == CallOutbound:
		return DispositionLocal, ReasonOutbound
	default:
		return DispositionSync, ""
	}
}
