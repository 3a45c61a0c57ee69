package leadcall

import (
	"sync"
	"time"
)

// recentTTL is how long the sync workers reuse an org or device they read: settings and
// nicknames change rarely, and a second of staleness changes nothing a job writes.
const recentTTL = time.Second

// recentCacheMax bounds a recent cache; past it the cache starts over.
const recentCacheMax = 10000

// recent caches values for recentTTL. It is safe for concurrent use.
type recent[V any] struct {
	mu sync.Mutex
	m  map[string]recentEntry[V]
}

type recentEntry[V any] struct {
	v  V
	at time.Time
}

// get returns the cached value for key, or loads, caches and returns it.
func (c *recent[V]) get(key string, now time.Time, load func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < recentTTL && !now.Before(e.at) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= recentCacheMax {
		c.m = make(map[string]recentEntry[V])
	}
	c.m[key] = recentEntry[V]{v: v, at: now}
	return v, nil
}

// forget drops key.
func (c *recent[V]) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}
