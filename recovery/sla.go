package recovery

import "time"

// SLADeadline returns when c breaches the SLA unless an attempt or a connection comes
// first: its first miss plus Config.SLA.
func (m *Matcher) SLADeadline(c *Case) time.Time { return c.FirstMissedAt.Add(m.cfg.SLA) }

// SLABreachedBy reports whether c has breached the SLA as of now: the deadline is at or
// before now, and neither the first attempt nor the connection came before the deadline. It
// is a fact about the case and ignores the c.SLABreached flag. A case without misses never
// breaches.
func (m *Matcher) SLABreachedBy(c *Case, now time.Time) bool {
	if c.FirstMissedAt.IsZero() {
		return false
	}
	deadline := m.SLADeadline(c)
	if now.Before(deadline) {
		return false
	}
	inTime := func(t time.Time) bool { return !t.IsZero() && t.Before(deadline) }
	return !inTime(c.FirstAttemptAt) && !inTime(c.ConnectedAt)
}

// SLABreaches returns, in ascending order, the indexes of the cases that have breached the
// SLA as of now (SLABreachedBy) and whose SLABreached flag is not set. The caller raises one
// event for each, sets the flag and persists it; a later call then leaves those cases out,
// so each case raises its event exactly once. cases is not modified.
func (m *Matcher) SLABreaches(cases []Case, now time.Time) []int {
	var due []int
	for i := range cases {
		if !cases[i].SLABreached && m.SLABreachedBy(&cases[i], now) {
			due = append(due, i)
		}
	}
	return due
}
