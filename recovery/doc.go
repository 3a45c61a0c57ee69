// Package recovery matches missed calls to the callbacks that followed them and keeps the
// resulting recovery cases and their metrics.
//
// # Cases
//
// A [Case] is one episode of one caller: it opens with a missed call on a campaign phone and
// ends when the caller is reached (recovered) or the window runs out (expired). Its status
// moves only forward:
//
//	open ──► attempted ──► recovered
//	  │           │
//	  └───────────┴──────► expired
//
// The rules, in the order calls happen (DESIGN.md §10 "Recovery"):
//
//   - A missed call on an active campaign phone opens a case for its caller's E.164 number,
//     or joins the caller's case while that case is open or attempted: several misses before
//     the caller is reached are one case with a miss count. The case is credited to the
//     campaign (assignment and lead source) of its first miss.
//   - Missed calls on sales-rep phones neither open nor join a case.
//   - An attempt is an outbound call to the caller's number from any active device of the
//     org (campaign or sales-rep) while the case is open or attempted. Attempts counts every
//     attempt, the connecting one included. An attempt lasting at least
//     [Config.ConnectedMinSeconds] connects and recovers the case; a shorter one makes it
//     attempted.
//   - An answered inbound call from the caller on any active device also recovers the case.
//     It is not an attempt. The device that took the call and its rep (if any) are recorded as
//     the ones who recovered the case, as for an outbound callback.
//   - A case with no connection expires [Config.Window] after its LAST miss (each miss is a
//     new reason to call back, so it restarts the clock). The window is half-open: a
//     callback exactly at [Case.ExpiresAt] is too late. Calls after expiry count for nothing;
//     a later miss opens a new case (a new episode), and so does a miss after recovery.
//   - A callback dated before the miss does not count: calls are taken in time order
//     (StartedAt, then ID for calls at the same instant), so it simply comes first.
//   - Ignored calls ([Call.Ignored]) and calls from deactivated devices
//     ([Call.DeviceInactive]) count for nothing: they neither open, join nor recover cases,
//     and they are not validated.
//
// # Building and applying
//
// A [Matcher] holds a validated [Config]. [Matcher.Build] computes every case from a set of
// calls (one caller's or a whole org's, in any order) as of an instant now: each case is
// then expired if its window has passed by now. [Matcher.Apply] advances one stored case
// with one new call, for a store that keeps cases between calls; applying a caller's calls
// in time order, then [Case.Advance] to now, gives exactly what Build gives. A call older than what the case has already
// seen returns [ErrOutOfOrder]: rebuild that caller's cases with Build.
//
// A case carries no ID of its own; [Case.Key] (its first missed call) identifies it across
// rebuilds for as long as no earlier miss of the same caller turns up late.
//
// # SLA
//
// A case breaches the SLA when [Config.SLA] passes after its first miss with neither an
// attempt nor a connection. [Matcher.SLABreaches] returns the cases that have breached as of
// now and whose [Case.SLABreached] flag is not yet set; the caller raises its event, sets
// the flag and persists it, so each case raises the event exactly once however often the
// check runs. The breach is a fact about the past: a case called back late still breached.
//
// # Metrics
//
// [Case.TimeToFirstAttempt] and [Case.TimeToConnect] are measured from the case's first
// miss; [Summarize] counts cases by status and gives the recovery rate and median times.
//
// # Purity
//
// The package does no I/O and reads no clock: every instant is an argument. A Matcher is
// immutable and safe for concurrent use; Cases are plain values.
package recovery
