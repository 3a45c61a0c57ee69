package memcrm

import "strings"

// phoneFormatting holds the characters PhoneKey removes: the ones people type between digits.
const phoneFormatting = " -.()"

// PhoneKey is the form in which memcrm compares phone numbers: s with every ASCII space, '-',
// '.', '(' and ')' removed, and nothing else changed (a '+' stays, letters stay). A stored
// phone value matches a search variant when their PhoneKeys are equal and not empty, so
// "+91 98765-43210" matches "+919876543210" but not "919876543210", and "(098) 765.43210"
// matches "09876543210". Matching is on whole values only, never on substrings.
func PhoneKey(s string) string {
	if !strings.ContainsAny(s, phoneFormatting) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(phoneFormatting, s[i]) < 0 {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// validVariantKey reports whether k (a PhoneKey) is a searchable number: an optional '+' then
// MinVariantDigits to MaxVariantDigits ASCII digits.
func validVariantKey(k string) bool {
	digits := strings.TrimPrefix(k, "+")
	if len(digits) < MinVariantDigits || len(digits) > MaxVariantDigits {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// phoneFieldRank orders the well-known phone fields first in Record.Phones; other fields
// (rank 0) follow in API-name order.
func phoneFieldRank(field string) int {
	switch field {
	case "Phone":
		return 1
	case "Mobile":
		return 2
	case "Home_Phone":
		return 3
	case "Other_Phone":
		return 4
	case "Asst_Phone":
		return 5
	}
	return 0
}

func lessPhoneField(a, b string) bool {
	ra, rb := phoneFieldRank(a), phoneFieldRank(b)
	switch {
	case ra != 0 && rb != 0:
		return ra < rb
	case ra != 0:
		return true
	case rb != 0:
		return false
	default:
		return a < b
	}
}
