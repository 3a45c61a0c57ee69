package device

import (
	"fmt"
	"strings"
)

// Kind is the type of a device. It decides how the device's calls are
// treated: only campaign devices' calls may be written to the CRM.
// The zero Kind is not valid.
type Kind string

// The device kinds. Their string values are stable: they appear in the API
// and in storage.
const (
	// KindCampaign is a dedicated number printed in ads; its inbound and
	// missed calls are attributed to its campaign assignment and synced.
	KindCampaign Kind = "campaign"
	// KindSalesRep is a named rep's phone used for callbacks; its calls are
	// kept locally for recovery and reports and never create CRM records.
	KindSalesRep Kind = "sales_rep"
)

// ParseKind returns the Kind named by s. Surrounding whitespace is ignored;
// otherwise the name must match exactly ("campaign" or "sales_rep", lower
// case). Anything else, including the empty string, gives an error wrapping
// ErrUnknownKind.
func ParseKind(s string) (Kind, error) {
	trimmed := strings.TrimSpace(s)
	switch k := Kind(trimmed); k {
	case KindCampaign, KindSalesRep:
		return k, nil
	}
	if trimmed == "" {
		return "", fmt.Errorf("%w: kind is required (want %q or %q)", ErrUnknownKind, KindCampaign, KindSalesRep)
	}
	return "", fmt.Errorf("%w: %s (want %q or %q)", ErrUnknownKind, quoteInput(s), KindCampaign, KindSalesRep)
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool {
	return k == KindCampaign || k == KindSalesRep
}

// String returns the kind's stable name.
func (k Kind) String() string { return string(k) }

// UnmarshalText implements encoding.TextUnmarshaler with the rules of
// ParseKind, so decoding JSON into a Kind rejects unknown kinds. The empty
// string decodes to the zero (unset) Kind without error, so records that
// carry no kind still round-trip; callers that require a kind check Valid.
// Encoding needs no method: a Kind encodes as its string.
func (k *Kind) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*k = ""
		return nil
	}
	parsed, err := ParseKind(string(text))
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}
