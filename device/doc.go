// Package device holds the rules for leadcall's registered phones: the two
// device kinds, nickname normalisation, presence (online/offline from the
// last-seen time), billable seats, the "incomplete configuration" flags shown
// in the Command Center, what a kind or activation change implies for the
// open campaign assignment, and validation of the SIM list a phone reports in
// its heartbeat.
//
// The package is pure: it imports only the standard library, performs no
// I/O and never reads the clock. Every time-dependent function takes "now"
// as an argument, so the same input always gives the same output. It sits
// below the root package leadcall, which fills the plain [Info] and [Mode]
// values from its own Device type and applies the answers.
//
// # Kinds
//
// A device is either a campaign phone ([KindCampaign]: a number printed in
// ads, whose inbound and missed calls may be written to the CRM) or a
// sales-rep phone ([KindSalesRep]: a named rep's phone, whose calls stay
// local and feed callback recovery). [ParseKind] accepts exactly the
// lowercase names, after trimming surrounding whitespace.
//
// # Seats
//
// Every active device is one billable seat. An org may have a seat limit
// (0 means unlimited). [CheckSeat] is asked only before a device becomes
// active: when a new device is registered, and when a deactivated device is
// reactivated, because reactivation takes a seat back. Reaching or lowering
// the limit never disconnects a device that is already active; nothing in
// this package ever tells the caller to deactivate one. Deactivating a device
// frees its seat.
//
// # Deactivation
//
// A deactivated device stays listed for history. Calls it still uploads are
// stored (disposition ignored, reason device_inactive) but never synced; see
// [Syncable]. Deactivating a device or switching it to [KindSalesRep] closes
// its open campaign assignment; see [Transition]. Reactivation does not
// reopen the old assignment: history is immutable, so the manager sets a new
// one, and until then the device is flagged
// [FlagCampaignWithoutAssignment].
//
// # Errors
//
// Every validation error wraps one of the package's sentinel errors
// (ErrUnknownKind, ErrEmptyNickname, ErrNicknameTooLong, ErrInvalidNickname,
// ErrSeatLimit, ErrInvalidSeats, ErrInvalidSIM, ErrNotCampaign,
// ErrDeactivated), so callers map them to API error codes with errors.Is.
// Messages quote at most a short, escaped prefix of hostile input.
//
// # Concurrency
//
// All functions are safe for concurrent use; the package has no mutable
// state.
package device
