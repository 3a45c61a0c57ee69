package zoho

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// semaphore is a weighted semaphore with FIFO waiters: Zoho counts a composite request as 5
// concurrency units and anything else as 1 (zoho-api.md §10), so the in-flight cap is weighted
// too. FIFO order keeps a waiting composite from starving behind a stream of small requests.
type semaphore struct {
	size int64

	mu      sync.Mutex
	cur     int64
	waiters list.List // of *semWaiter
}

type semWaiter struct {
	n     int64
	ready chan struct{}
}

func newSemaphore(size int64) *semaphore { return &semaphore{size: size} }

// acquire takes n units (at most size), waiting until they are free or ctx is done.
func (s *semaphore) acquire(ctx context.Context, n int64) error {
	n = min(n, s.size)
	s.mu.Lock()
	if s.size-s.cur >= n && s.waiters.Len() == 0 {
		s.cur += n
		s.mu.Unlock()
		return nil
	}
	w := &semWaiter{n: n, ready: make(chan struct{})}
	elem := s.waiters.PushBack(w)
	s.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.ready:
			// Granted while giving up: hand the units back.
			s.cur -= n
			s.notifyLocked()
		default:
			front := s.waiters.Front() == elem
			s.waiters.Remove(elem)
			if front {
				// Waiters behind this one may fit now.
				s.notifyLocked()
			}
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// release returns n units taken by acquire (with the same n).
func (s *semaphore) release(n int64) {
	n = min(n, s.size)
	s.mu.Lock()
	s.cur -= n
	s.notifyLocked()
	s.mu.Unlock()
}

// notifyLocked grants waiters in order while they fit. Caller holds s.mu.
func (s *semaphore) notifyLocked() {
	for {
		e := s.waiters.Front()
		if e == nil {
			return
		}
		w := e.Value.(*semWaiter)
		if s.size-s.cur < w.n {
			return
		}
		s.cur += w.n
		s.waiters.Remove(e)
		close(w.ready)
	}
}

// creditWindow is Zoho's rolling credit window (zoho-api.md §9).
const creditWindow = 24 * time.Hour

// creditMeter counts API credits in one-minute buckets over the rolling 24 hours.
type creditMeter struct {
	mu      sync.Mutex
	buckets [24 * 60]creditBucket
}

type creditBucket struct {
	minute  int64 // Unix minute the bucket holds; older contents are stale
	credits int64
}

func (m *creditMeter) add(now time.Time, credits int) {
	minute := now.Unix() / 60
	m.mu.Lock()
	b := &m.buckets[minute%int64(len(m.buckets))]
	if b.minute != minute {
		*b = creditBucket{minute: minute}
	}
	b.credits += int64(credits)
	m.mu.Unlock()
}

// total returns the credits of the 24 hours up to now.
func (m *creditMeter) total(now time.Time) int64 {
	minute := now.Unix() / 60
	oldest := minute - int64(len(m.buckets)) + 1
	var sum int64
	m.mu.Lock()
	for _, b := range m.buckets {
		if b.minute >= oldest && b.minute <= minute {
			sum += b.credits
		}
	}
	m.mu.Unlock()
	return sum
}

// Credit costs from Zoho's cost table (zoho-api.md §9, D-LIMVS; the CRM pages confirm the
// default of 1; the rest is unconfirmed for CRM and taken as documented for its sibling).
const creditDefault = 1

// writeCredits is the cost of an insert or update of n records: 1 per 10 records.
func writeCredits(n int) int { return max(1, (n+9)/10) }

// coqlCredits is the cost of a COQL query with the given LIMIT.
func coqlCredits(limit int) int {
	switch {
	case limit <= 200:
		return 1
	case limit <= 1000:
		return 2
	default:
		return 3
	}
}

// ttlCache is a bounded map whose entries expire. When full, expired entries go first, then
// the oldest ones.
type ttlCache[V any] struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]*list.Element
	order   list.List // of *cacheEntry[V], oldest first
}

type cacheEntry[V any] struct {
	key     string
	value   V
	expires time.Time
}

func newTTLCache[V any](ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, max: max, entries: make(map[string]*list.Element)}
}

func (c *ttlCache[V]) enabled() bool { return c != nil && c.ttl > 0 }

func (c *ttlCache[V]) get(key string, now time.Time) (V, bool) {
	var zero V
	if !c.enabled() {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	ent := e.Value.(*cacheEntry[V])
	if !now.Before(ent.expires) {
		c.order.Remove(e)
		delete(c.entries, key)
		return zero, false
	}
	return ent.value, true
}

func (c *ttlCache[V]) put(key string, value V, now time.Time) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.order.Remove(e)
		delete(c.entries, key)
	}
	for len(c.entries) >= c.max {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry[V]).key)
	}
	c.entries[key] = c.order.PushBack(&cacheEntry[V]{key: key, value: value, expires: now.Add(c.ttl)})
}

func (c *ttlCache[V]) delete(key string) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.order.Remove(e)
		delete(c.entries, key)
	}
	c.mu.Unlock()
}

// each calls f for every live entry; f must not use the cache.
func (c *ttlCache[V]) each(now time.Time, f func(key string, value V) (V, bool)) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; e = e.Next() {
		ent := e.Value.(*cacheEntry[V])
		if now.Before(ent.expires) {
			if v, changed := f(ent.key, ent.value); changed {
				ent.value = v
			}
		}
	}
}

// deleteFunc removes the entries for which f returns true; f must not use the cache.
func (c *ttlCache[V]) deleteFunc(f func(key string, value V) bool) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; {
		next := e.Next()
		if ent := e.Value.(*cacheEntry[V]); f(ent.key, ent.value) {
			c.order.Remove(e)
			delete(c.entries, ent.key)
		}
		e = next
	}
}
