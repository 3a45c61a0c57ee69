package device

import (
	"fmt"
	"time"
)

// Info is what the rules in this package need to know about one device. It
// is a plain value the caller fills from its own device record; the package
// keeps no reference to it.
type Info struct {
	ID       string // the device's ID, opaque here
	Kind     Kind
	Nickname string
	// RepID is the rep who owns the device; "" means no rep.
	RepID string
	// Active is false once the device has been deactivated.
	Active bool
	// EnrolledAt is when the phone paired; zero if it has not paired yet.
	EnrolledAt time.Time
	// LastSeenAt is the last heartbeat or upload; zero if never seen.
	LastSeenAt time.Time
	// HasOpenAssignment reports whether the device has an open campaign
	// assignment.
	HasOpenAssignment bool
	// RepHasCRMUser reports whether the device's rep is mapped to a CRM user
	// (the owner of records created from the device's calls). Ignored when
	// RepID is "".
	RepHasCRMUser bool
}

// Mode returns the device's kind and activation state.
func (i Info) Mode() Mode { return Mode{Kind: i.Kind, Active: i.Active} }

// Mode is the part of a device's state that decides whether it may hold an
// open campaign assignment and whether it takes a seat.
type Mode struct {
	Kind   Kind
	Active bool
}

// CanHoldAssignment reports whether a device in this mode may have an open
// campaign assignment: it must be an active campaign device.
func (m Mode) CanHoldAssignment() bool {
	return m.Active && m.Kind == KindCampaign
}

// CheckAssignable returns nil if a campaign assignment may be set on a device
// in mode m. Otherwise the error wraps ErrUnknownKind (kind not set),
// ErrNotCampaign (a sales-rep device) or ErrDeactivated, checked in that
// order.
func CheckAssignable(m Mode) error {
	switch {
	case !m.Kind.Valid():
		return fmt.Errorf("%w: %s; set the device kind to %q first", ErrUnknownKind, quoteInput(string(m.Kind)), KindCampaign)
	case m.Kind != KindCampaign:
		return fmt.Errorf("%w: campaign assignments can only be set on %q devices, this one is %q",
			ErrNotCampaign, KindCampaign, m.Kind)
	case !m.Active:
		return fmt.Errorf("%w: reactivate the device before setting a campaign assignment", ErrDeactivated)
	}
	return nil
}

// Change is what the caller must do, in the same transaction as saving the
// new mode, when a device's kind or activation changes.
type Change struct {
	// CloseAssignment: close the device's open campaign assignment, if it has
	// one, at the instant of the change. True when a campaign device becomes
	// a sales-rep device or is deactivated.
	CloseAssignment bool
	// NeedsSeat: the device becomes active; call CheckSeat first and refuse
	// the change if it fails.
	NeedsSeat bool
	// FreesSeat: the device is deactivated and stops counting as a seat.
	FreesSeat bool
}

// Transition returns what changing a device from mode from to mode to
// implies. to.Kind must be valid (error wrapping ErrUnknownKind otherwise);
// from.Kind may be anything the caller has stored. Equal modes give the zero
// Change. Reactivating a campaign device does not reopen its old assignment.
func Transition(from, to Mode) (Change, error) {
	if !to.Kind.Valid() {
		return Change{}, fmt.Errorf("%w: %s", ErrUnknownKind, quoteInput(string(to.Kind)))
	}
	return Change{
		CloseAssignment: from.Kind == KindCampaign && !to.CanHoldAssignment(),
		NeedsSeat:       !from.Active && to.Active,
		FreesSeat:       from.Active && !to.Active,
	}, nil
}

// Syncable reports whether calls from the device may be written to the CRM
// at all: only an active campaign device's calls may be. A deactivated
// device's calls are still accepted and stored (disposition ignored, reason
// device_inactive), and a sales-rep device's calls are kept locally; neither
// is ever synced. Call-level rules (call type, caller number) still apply to
// a syncable device's calls.
func Syncable(info Info) bool {
	return info.Active && info.Kind == KindCampaign
}
