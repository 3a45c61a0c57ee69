package attribution

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxAuditTextBytes caps a correction's Actor and Reason, which end up in audit storage.
const MaxAuditTextBytes = 4096

// Correction asks to change a closed interval of a timeline: to point it at another
// assignment (a new ID whose payload the caller stored), or to move its bounds. Corrections
// are the one sanctioned way to change history, so each one names who asked and why.
type Correction struct {
	// ID is the interval to correct. It must be closed: the open interval changes only
	// through Set and Close.
	ID int64
	// Corrected is the interval's new value. Its ID may equal ID or be another ID unused on
	// the timeline; its End must be set and not before Start; it must not overlap the
	// neighbouring intervals (a zero-length neighbour at instant s counts as occupying s).
	Corrected Interval
	// Actor says who made the correction (a user ID or name); required.
	Actor string
	// Reason says why; required.
	Reason string
	// At is when the correction was made; required (the package reads no clock).
	At time.Time
}

// AuditRecord describes an applied correction. Callers persist it next to the timeline.
type AuditRecord struct {
	Actor  string
	Reason string
	At     time.Time // UTC
	Before Interval
	After  Interval
}

// validate checks the parts of a correction that do not depend on the timeline.
func (c Correction) validate() (start, end int64, err error) {
	for _, f := range []struct{ name, value string }{{"actor", c.Actor}, {"reason", c.Reason}} {
		switch {
		case strings.TrimSpace(f.value) == "":
			return 0, 0, fmt.Errorf("%w: %s is required", ErrInvalidCorrection, f.name)
		case len(f.value) > MaxAuditTextBytes:
			return 0, 0, fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidCorrection, f.name, MaxAuditTextBytes)
		case !utf8.ValidString(f.value):
			return 0, 0, fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidCorrection, f.name)
		}
	}
	if !inRange(c.At) {
		return 0, 0, fmt.Errorf("%w: time of correction: %w", ErrInvalidCorrection, ErrInvalidTime)
	}
	if c.ID == 0 || c.Corrected.ID == 0 {
		return 0, 0, ErrInvalidID
	}
	if c.Corrected.Open() {
		return 0, 0, fmt.Errorf("%w: corrected interval must have an end", ErrInvalidCorrection)
	}
	if start, err = nanos(c.Corrected.Start); err != nil {
		return 0, 0, fmt.Errorf("corrected start: %w", err)
	}
	if end, err = nanos(c.Corrected.End); err != nil {
		return 0, 0, fmt.Errorf("corrected end: %w", err)
	}
	if end < start {
		return 0, 0, ErrEndBeforeStart
	}
	return start, end, nil
}

// Correct applies a correction to a closed interval and returns its audit record. It refuses
// a correction that would break an invariant: overlapping a neighbour ([ErrOverlap]), reusing
// another interval's ID ([ErrDuplicateID]), touching the open interval ([ErrIntervalOpen]).
// Instants outside both the old and the new span keep their attribution.
func (tl *Timeline) Correct(c Correction) (AuditRecord, error) {
	start, end, err := c.validate()
	if err != nil {
		return AuditRecord{}, fmt.Errorf("correct %d: %w", c.ID, err)
	}
	i := tl.indexOf(c.ID)
	if i < 0 {
		return AuditRecord{}, fmt.Errorf("correct %d: %w", c.ID, ErrNotFound)
	}
	if tl.entries[i].end == openEnd {
		return AuditRecord{}, fmt.Errorf("correct %d: %w", c.ID, ErrIntervalOpen)
	}
	if c.Corrected.ID != c.ID && tl.indexOf(c.Corrected.ID) >= 0 {
		return AuditRecord{}, fmt.Errorf("correct %d: %w: %d", c.ID, ErrDuplicateID, c.Corrected.ID)
	}
	// prev.Start <= prev.End <= start <= end <= next.Start keeps the order and the gaps.
	if i > 0 && tl.entries[i-1].end > start {
		return AuditRecord{}, fmt.Errorf("correct %d: %w with %d", c.ID, ErrOverlap, tl.entries[i-1].id)
	}
	if i+1 < len(tl.entries) && end > tl.entries[i+1].start {
		return AuditRecord{}, fmt.Errorf("correct %d: %w with %d", c.ID, ErrOverlap, tl.entries[i+1].id)
	}
	rec := AuditRecord{Actor: c.Actor, Reason: c.Reason, At: c.At.UTC().Round(0), Before: tl.entries[i].interval()}
	tl.entries[i] = entry{start: start, end: end, id: c.Corrected.ID}
	tl.refence()
	rec.After = tl.entries[i].interval()
	return rec, nil
}
