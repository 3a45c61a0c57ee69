package attribution

import (
	"fmt"
	"hash/maphash"
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
	// slots is an open-addressing hash table with linear probing, rather than a Go map, so
	// that a lookup finds the device's fences in the slot it hashes to: one cache miss for
	// the slot and one for the entries, where a map costs a miss for its control word, one
	// for the slot and one for a value held by pointer. len(slots) is zero or a power of two.
	slots []slot
	count int // occupied slots
	seed  maphash.Seed
}

// slot is 128 bytes (see fenceCount), so in a large table each slot is one aligned pair of
// cache lines.
type slot struct {
	hash     uint64 // 0: empty; else the device ID's hash with the top bit set
	deviceID string
	timeline Timeline
}

const (
	minSlots = 8
	// A table is grown when it would be more than 3/4 full, which keeps probe sequences
	// short (about 2.5 slots on a hit at the worst) and always leaves an empty slot.
	maxLoadNum, maxLoadDen = 3, 4
	occupied               = 1 << 63
)

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

// find returns the device's slot, or nil. The caller holds mu.
func (ix *Index) find(deviceID string) *slot {
	if i := ix.indexOf(deviceID); i >= 0 {
		return &ix.slots[i]
	}
	return nil
}

// indexOf returns the index of the device's slot, or -1. The caller holds mu.
func (ix *Index) indexOf(deviceID string) int {
	if len(ix.slots) == 0 {
		return -1
	}
	h := maphash.String(ix.seed, deviceID) | occupied
	mask := uint64(len(ix.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &ix.slots[i]
		if s.hash == h && s.deviceID == deviceID {
			return int(i)
		}
		if s.hash == 0 {
			return -1
		}
	}
}

// put stores the timeline under deviceID, replacing any. The caller holds mu for writing.
func (ix *Index) put(deviceID string, tl Timeline) {
	if s := ix.find(deviceID); s != nil {
		s.timeline = tl
		return
	}
	if (ix.count+1)*maxLoadDen > len(ix.slots)*maxLoadNum {
		ix.grow()
	}
	ix.insert(slot{hash: maphash.String(ix.seed, deviceID) | occupied, deviceID: deviceID, timeline: tl})
	ix.count++
}

// insert places s in the first free slot of its probe sequence.
func (ix *Index) insert(s slot) {
	mask := uint64(len(ix.slots) - 1)
	i := s.hash & mask
	for ix.slots[i].hash != 0 {
		i = (i + 1) & mask
	}
	ix.slots[i] = s
}

func (ix *Index) grow() {
	if len(ix.slots) == 0 {
		ix.seed = maphash.MakeSeed()
		ix.slots = make([]slot, minSlots)
		return
	}
	old := ix.slots
	ix.slots = make([]slot, 2*len(old))
	for _, s := range old {
		if s.hash != 0 {
			ix.insert(s)
		}
	}
}

// delete empties the device's slot, shifting later members of the probe run back so that
// no lookup stops early at the hole (no tombstones).
func (ix *Index) delete(deviceID string) {
	i := ix.indexOf(deviceID)
	if i < 0 {
		return
	}
	mask := uint64(len(ix.slots) - 1)
	hole := uint64(i)
	for j := (hole + 1) & mask; ix.slots[j].hash != 0; j = (j + 1) & mask {
		// The member at j may fill the hole unless its home lies cyclically in (hole, j].
		home := ix.slots[j].hash & mask
		if (j-home)&mask >= (j-hole)&mask {
			ix.slots[hole] = ix.slots[j]
			hole = j
		}
	}
	ix.slots[hole] = slot{}
	ix.count--
}

// Resolve returns the interval that was active on the device at t (Start <= t < End). It
// returns false for an unknown device or an instant no interval covers. It does not
// allocate.
func (ix *Index) Resolve(deviceID string, t time.Time) (Interval, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.find(deviceID)
	if s == nil {
		return Interval{}, false
	}
	return s.timeline.At(t)
}

// Load replaces the device's timeline with intervals (in any order), typically read from
// storage at start-up, after checking them with [Validate]. Loading no intervals forgets
// the device. The slice is not retained. On error the index is unchanged.
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
		ix.delete(deviceID)
		return nil
	}
	ix.put(deviceID, *tl)
	return nil
}

// Remove forgets the device and its history (e.g. after the device was deleted).
func (ix *Index) Remove(deviceID string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.delete(deviceID)
}

// Set applies [Timeline.Set] to the device's timeline, creating the timeline for a device
// the index has not seen.
func (ix *Index) Set(deviceID string, id int64, at time.Time) error {
	if err := validDeviceID(deviceID); err != nil {
		return fmt.Errorf("set: %w", err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if s := ix.find(deviceID); s != nil {
		if err := s.timeline.Set(id, at); err != nil {
			return fmt.Errorf("device %q: %w", deviceID, err)
		}
		return nil
	}
	var tl Timeline
	if err := tl.Set(id, at); err != nil {
		return fmt.Errorf("device %q: %w", deviceID, err)
	}
	ix.put(deviceID, tl)
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
	s := ix.find(deviceID)
	if s == nil {
		return Interval{}, fmt.Errorf("device %q: close: %w", deviceID, ErrNoOpenAssignment)
	}
	iv, err := s.timeline.Close(at)
	if err != nil {
		return Interval{}, fmt.Errorf("device %q: %w", deviceID, err)
	}
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
	s := ix.find(deviceID)
	if s == nil {
		return AuditRecord{}, fmt.Errorf("device %q: correct: %w", deviceID, ErrNotFound)
	}
	rec, err := s.timeline.Correct(c)
	if err != nil {
		return AuditRecord{}, fmt.Errorf("device %q: %w", deviceID, err)
	}
	return rec, nil
}

// Intervals returns a copy of the device's history, oldest first; nil for an unknown device.
func (ix *Index) Intervals(deviceID string) []Interval {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.find(deviceID)
	if s == nil {
		return nil
	}
	return s.timeline.Intervals()
}

// Current returns the device's open interval, if there is one.
func (ix *Index) Current(deviceID string) (Interval, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.find(deviceID)
	if s == nil {
		return Interval{}, false
	}
	return s.timeline.Current()
}

// Len returns the number of devices with a timeline.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.count
}
