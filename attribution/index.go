package attribution

import (
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxDeviceIDBytes caps the device IDs an [Index] accepts.
const MaxDeviceIDBytes = 256

// Index holds the timelines of many devices, keyed by device ID. The zero value is an empty
// index ready to use; an Index must not be copied after first use.
//
// An Index is safe for concurrent use. Resolve takes a shared read lock and does not
// allocate; changes take the write lock and are applied whole or not at all.
type Index struct {
	mu sync.RWMutex
	// Values, not pointers: a lookup then finds the slice header and fences in the map
	// slot, one memory access fewer (see fenceCount).
	timelines map[string]Timeline
}

func validDeviceID(deviceID string) error {
	switch {
	case deviceID == "":
		return fmt.Errorf("%w: empty", ErrInvalidDeviceID)
	case len(deviceID) > MaxDeviceIDBytes:
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidDeviceID, MaxDeviceIDBytes)
	case !utf8.ValidString(deviceID):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidDeviceID)
	}
	return nil
}

// Resolve returns the interval that was active on the device at t (Start <= t < End). It
// returns false for an unknown device or an instant no interval covers.
func (ix *Index) Resolve(deviceID string, t time.Time) (Interval, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	tl, ok := ix.timelines[deviceID]
	if !ok {
		return Interval{}, false
	}
	return tl.At(t)
}

// Load replaces the device's timeline with intervals (in any order), typically read from
// storage at start-up, after checking them with [Validate]. Loading no intervals forgets
// the device. The slice is not retained.
func (ix *Index) Load(deviceID string, intervals []Interval) error {
	if err := validDeviceID(deviceID); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	tl, err := NewTimeline(intervals) // outside the lock: it may be large
	if err != nil {
		return fmt.Errorf("load device %q: %w", deviceID, err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if tl.Len() == 0 {
		delete(ix.timelines, deviceID)
		return nil
	}
	if ix.timelines == nil {
		ix.timelines = make(map[string]Timeline)
	}
	ix.timelines[deviceID] = *tl
	return nil
}

// Remove forgets the device and its history (e.g. after the device was deleted).
func (ix *Index) Remove(deviceID string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	delete(ix.timelines, deviceID)
}

// Set applies [Timeline.Set] to the device's timeline, creating the timeline for a device
// the index has not seen.
func (ix *Index) Set(deviceID string, id int64, at time.Time) error {
	if err := validDeviceID(deviceID); err != nil {
		return fmt.Errorf("set: %w", err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// tl is a copy sharing the map value's entries; Set changes nothing when it fails, and
	// on success the copy replaces the map value.
	tl := ix.timelines[deviceID]
	if err := tl.Set(id, at); err != nil {
		return fmt.Errorf("device %q: %w", deviceID, err)
	}
	if ix.timelines == nil {
		ix.timelines = make(map[string]Timeline)
	}
	ix.timelines[deviceID] = tl
	return nil
}

// Close applies [Timeline.Close] to the device's timeline. An unknown device has no open
// assignment: [ErrNoOpenAssignment].
func (ix *Index) Close(deviceID string, at time.Time) (Interval, error) {
	if err := validDeviceID(deviceID); err != nil {
		return Interval{}, fmt.Errorf("close: %w", err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	tl, ok := ix.timelines[deviceID]
	if !ok {
		return Interval{}, fmt.Errorf("device %q: close: %w", deviceID, ErrNoOpenAssignment)
	}
	iv, err := tl.Close(at)
	if err != nil {
		return Interval{}, fmt.Errorf("device %q: %w", deviceID, err)
	}
	ix.timelines[deviceID] = tl
	return iv, nil
}

// Correct applies [Timeline.Correct] to the device's timeline. An unknown device gives
// [ErrNotFound].
func (ix *Index) Correct(deviceID string, c Correction) (AuditRecord, error) {
	if err := validDeviceID(deviceID); err != nil {
		return AuditRecord{}, fmt.Errorf("correct: %w", err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	tl, ok := ix.timelines[deviceID]
	if !ok {
		return AuditRecord{}, fmt.Errorf("device %q: correct: %w", deviceID, ErrNotFound)
	}
	rec, err := tl.Correct(c)
	if err != nil {
		return AuditRecord{}, fmt.Errorf("device %q: %w", deviceID, err)
	}
	ix.timelines[deviceID] = tl // the fences live in the map value
	return rec, nil
}

// Intervals returns a copy of the device's history, oldest first; nil for an unknown device.
func (ix *Index) Intervals(deviceID string) []Interval {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	tl, ok := ix.timelines[deviceID]
	if !ok {
		return nil
	}
	return tl.Intervals()
}

// Current returns the device's open interval, if there is one.
func (ix *Index) Current(deviceID string) (Interval, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	tl, ok := ix.timelines[deviceID]
	if !ok {
		return Interval{}, false
	}
	return tl.Current()
}

// Len returns the number of devices with a timeline.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.timelines)
}
