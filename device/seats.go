package device

import "fmt"

// Unlimited is the seat limit that means "no limit".
const Unlimited = 0

// ValidateSeatLimit checks an org's seat limit setting: 0 (Unlimited) or a
// positive number of seats. A negative limit gives an error wrapping
// ErrInvalidSeats.
func ValidateSeatLimit(limit int) error {
	if limit < 0 {
		return fmt.Errorf("%w: seat limit %d is negative (0 means unlimited)", ErrInvalidSeats, limit)
	}
	return nil
}

// CheckSeat reports whether one more device may become active in an org that
// has activeCount active devices (the seats in use, not counting the device
// about to be activated) and the given seat limit (Unlimited = 0 means no
// limit).
//
// Call it before every change that makes a device active: registering a new
// device and reactivating a deactivated one (reactivation takes a seat back).
// It returns an error wrapping ErrSeatLimit when activeCount has already
// reached the limit, and one wrapping ErrInvalidSeats when either number is
// negative; nil otherwise.
//
// The limit only blocks new activations. If an org is over its limit (the
// plan was downgraded), its active devices keep working: the caller must
// never deactivate or disconnect a device because of this check.
// Deactivating a device frees its seat.
func CheckSeat(activeCount, limit int) error {
	if activeCount < 0 {
		return fmt.Errorf("%w: active device count %d is negative", ErrInvalidSeats, activeCount)
	}
	if err := ValidateSeatLimit(limit); err != nil {
		return err
	}
	if limit != Unlimited && activeCount >= limit {
		return fmt.Errorf("%w: %d of %d seats in use; deactivate an unused device or raise the plan's seat limit",
			ErrSeatLimit, activeCount, limit)
	}
	return nil
}
