package device

import "time"

// Status is a device's presence as shown by the live activity indicator.
// Its string values are stable: they appear in the API and the dashboard.
type Status string

// Presence states.
const (
	// StatusOnline means the device was seen within the online threshold.
	StatusOnline Status = "online"
	// StatusOffline means the device was not seen within the threshold, or
	// never seen at all.
	StatusOffline Status = "offline"
)

// String returns the status's stable name.
func (s Status) String() string { return string(s) }

// DefaultOnlineThreshold is how recently a device must have been seen (by a
// heartbeat or an upload) to count as online. Phones send a heartbeat every
// minute or so; five minutes tolerates a few lost ones without hiding a phone
// that is really gone.
const DefaultOnlineThreshold = 5 * time.Minute

// Presence returns StatusOnline when lastSeen is at most threshold before now
// (the boundary counts as online), and StatusOffline otherwise. A threshold
// of zero or less means DefaultOnlineThreshold.
//
// A zero lastSeen means the device was never seen: offline. A lastSeen after
// now (the server clocks disagree a little) counts as seen just now: online.
// A zero now is a caller bug; the answer is then offline, so a device is
// never shown online on bad input.
func Presence(lastSeen, now time.Time, threshold time.Duration) Status {
	if threshold <= 0 {
		threshold = DefaultOnlineThreshold
	}
	ago, ok := SeenAgo(lastSeen, now)
	if !ok || ago > threshold {
		return StatusOffline
	}
	return StatusOnline
}

// SeenAgo returns how long before now the device was last seen. The duration
// is never negative: a lastSeen after now gives 0. ok is false, with a zero
// duration, when lastSeen is zero (never seen) or now is zero (unknown).
// Durations longer than about 292 years saturate at the largest Duration.
func SeenAgo(lastSeen, now time.Time) (ago time.Duration, ok bool) {
	if lastSeen.IsZero() || now.IsZero() {
		return 0, false
	}
	return max(now.Sub(lastSeen), 0), true
}
