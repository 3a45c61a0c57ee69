package device

import "fmt"

// Limits on the SIM list a device reports in its heartbeat.
const (
	// MaxSIMSlot is the highest SIM slot index; slots are 0..MaxSIMSlot.
	MaxSIMSlot = 7
	// MaxSIMs is the most SIM entries one heartbeat may carry (one per slot).
	MaxSIMs = MaxSIMSlot + 1
	// MaxSIMNumberLen caps a reported SIM number, in bytes. Enough for any
	// formatted international number (E.164 has at most 15 digits).
	MaxSIMNumberLen = 32
	// MaxCarrierLen caps a reported carrier name, in bytes.
	MaxCarrierLen = 64
)

// SIM is one SIM card a device reports in its heartbeat. Every reported
// number is one of the org's own numbers (calls from it are ignored as
// own_number).
type SIM struct {
	// Slot is the SIM slot index, 0..MaxSIMSlot.
	Slot int `json:"slot"`
	// Number is the SIM's phone number as the phone reports it, raw. It may
	// be empty: many phones cannot read their own number. The caller
	// normalises it (package phone); this package only bounds it.
	Number string `json:"number"`
	// Carrier is the network operator's name; may be empty.
	Carrier string `json:"carrier"`
}

// Validate checks one SIM entry: Slot in 0..MaxSIMSlot; Number at most
// MaxSIMNumberLen bytes and Carrier at most MaxCarrierLen bytes, both valid
// UTF-8 without control characters. Errors wrap ErrInvalidSIM.
func (s SIM) Validate() error {
	if err := CheckSIMSlot(s.Slot); err != nil {
		return err
	}
	if err := checkSIMText("number", s.Number, MaxSIMNumberLen); err != nil {
		return err
	}
	return checkSIMText("carrier", s.Carrier, MaxCarrierLen)
}

// CheckSIMSlot checks a SIM slot index, as reported in a heartbeat or on a
// call. It returns an error wrapping ErrInvalidSIM unless 0 <= slot <=
// MaxSIMSlot.
func CheckSIMSlot(slot int) error {
	if slot < 0 || slot > MaxSIMSlot {
		return fmt.Errorf("%w: slot %d out of range 0..%d", ErrInvalidSIM, slot, MaxSIMSlot)
	}
	return nil
}

// ValidateSIMs checks a heartbeat's whole SIM list: at most MaxSIMs entries,
// each valid (see SIM.Validate), no slot reported twice. An empty or nil list
// is valid (a phone without a readable SIM). Errors wrap ErrInvalidSIM and
// name the index of the first bad entry.
func ValidateSIMs(sims []SIM) error {
	if len(sims) > MaxSIMs {
		return fmt.Errorf("%w: %d SIM entries, at most %d allowed", ErrInvalidSIM, len(sims), MaxSIMs)
	}
	var seen [MaxSIMs]bool
	for i, s := range sims {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("sims[%d]: %w", i, err)
		}
		if seen[s.Slot] {
			return fmt.Errorf("sims[%d]: %w: slot %d reported twice", i, ErrInvalidSIM, s.Slot)
		}
		seen[s.Slot] = true
	}
	return nil
}

func checkSIMText(field, s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("%w: %s is %d bytes, at most %d allowed", ErrInvalidSIM, field, len(s), limit)
	}
	if ok, at, why := validLabelText(s); !ok {
		return fmt.Errorf("%w: %s %s: %s at byte %d", ErrInvalidSIM, field, quoteInput(s), why, at)
	}
	return nil
}
