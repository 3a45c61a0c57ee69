package sqlshared

import (
	"slices"

	"github.com/leadcall/leadcall"
)

// Limits of RecentMisses.
const (
	DefaultMissLimit = 1000
	MaxMissLimit     = 10000
)

// ValidateMark checks the arguments of MarkRecovery: the mark, and events that belong to the
// mark's org.
func ValidateMark(op string, m *leadcall.RecoveryMark, evs []leadcall.Event) error {
	if m == nil {
		return Invalid(op, "mark", "required")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	for i := range evs {
		if err := ValidateEvent(op, &evs[i]); err != nil {
			return err
		}
		if evs[i].OrgID != m.OrgID {
			return Invalid(op, "events", "event %d is for another org than the mark", i)
		}
	}
	return nil
}

// ValidateMarkKeys checks the case keys of RecoveryMarks.
func ValidateMarkKeys(op string, keys []int64) error {
	if len(keys) > leadcall.MaxRecoveryMarkKeys {
		return Invalid(op, "case_keys", "at most %d keys, got %d", leadcall.MaxRecoveryMarkKeys, len(keys))
	}
	return nil
}

// CallerNumbers validates the numbers of CallsByNumbers and returns them sorted, without
// duplicates or empty strings.
func CallerNumbers(op string, numbers []string) ([]string, error) {
	if len(numbers) > leadcall.MaxCallsByNumbers {
		return nil, Invalid(op, "numbers", "at most %d numbers, got %d", leadcall.MaxCallsByNumbers, len(numbers))
	}
	out := slices.Compact(slices.Sorted(slices.Values(numbers)))
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	return out, nil
}

// MissLimit validates a MissQuery and returns its effective limit.
func MissLimit(op string, q *leadcall.MissQuery) (int, error) {
	if q == nil {
		return 0, Invalid(op, "query", "required")
	}
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return 0, Invalid(op, "from", "from and to are required, from before to")
	}
	if q.Limit < 0 {
		return 0, Invalid(op, "limit", "must not be negative")
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultMissLimit
	}
	return min(limit, MaxMissLimit), nil
}

// MissCursor returns the cursor of a MissQuery as milliseconds and ID: before everything for
// the first page.
func MissCursor(q *leadcall.MissQuery) (int64, int64) {
	if q.AfterStartedAt.IsZero() {
		return q.From.UnixMilli() - 1, 0
	}
	return q.AfterStartedAt.UnixMilli(), q.AfterID
}
