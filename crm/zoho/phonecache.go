package zoho

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/phone"
)

// phoneCache remembers lookups that found records, for Config.PhoneCacheTTL, so that a
// repeat caller costs no lookup request (DESIGN.md §8). Misses are never remembered: the
// next moment a record may exist, and a remembered miss would create a duplicate Lead.
//
// It stays true to what this connection does: a Lead the connection creates joins the entries
// of its number (the answer a fresh lookup would give), a create that fails or may have been
// applied drops the entries it concerns, and a lookup that was in flight while either
// happened is not remembered. Records others create in Zoho are not seen until the entry
// expires; that is the price of the cache (see the package doc).
//
// Misses are noted, never served: a Lead created for a number whose last lookup (within the
// TTL) found nothing becomes that number's entry, which is what a new caller's next call
// needs. Without a noted miss the connection does not know what else Zoho holds for the
// number (a Lead created for a Contact's number after a review, say), so nothing is cached.
type phoneCache struct {
	entries *ttlCache[phoneEntry]
	misses  *ttlCache[[]string] // variants of lookups that found nothing

	mu       sync.Mutex
	inflight map[*phoneTicket]struct{}
}

// phoneEntry is a remembered lookup.
type phoneEntry struct {
	variants []string
	recs     []crm.Record
}

// phoneTicket is a lookup in flight; stale says something it may have missed happened.
type phoneTicket struct {
	variants []string
	stale    bool
}

func newPhoneCache(ttl time.Duration, max int) *phoneCache {
	return &phoneCache{entries: newTTLCache[phoneEntry](ttl, max), misses: newTTLCache[[]string](ttl, max),
		inflight: make(map[*phoneTicket]struct{})}
}

func phoneKey(vs []string) string { return strings.Join(vs, ",") }

// get returns a copy of the remembered records for the variants.
func (pc *phoneCache) get(vs []string, now time.Time) ([]crm.Record, bool) {
	e, ok := pc.entries.get(phoneKey(vs), now)
	if !ok {
		return nil, false
	}
	return cloneRecords(e.recs), true
}

// begin registers a lookup about to ask Zoho; nil when the cache is off.
func (pc *phoneCache) begin(vs []string) *phoneTicket {
	if !pc.entries.enabled() {
		return nil
	}
	t := &phoneTicket{variants: slices.Clone(vs)}
	pc.mu.Lock()
	pc.inflight[t] = struct{}{}
	pc.mu.Unlock()
	return t
}

// finish ends a lookup and, when nothing happened meanwhile that it may have missed,
// remembers its records, or notes the miss.
func (pc *phoneCache) finish(t *phoneTicket, recs []crm.Record, err error, now time.Time) {
	if t == nil {
		return
	}
	pc.mu.Lock()
	delete(pc.inflight, t)
	stale := t.stale
	pc.mu.Unlock()
	key := phoneKey(t.variants)
	switch {
	case err != nil || stale:
	case len(recs) == 0:
		pc.misses.put(key, t.variants, now)
	default:
		pc.misses.delete(key)
		pc.entries.put(key, phoneEntry{variants: t.variants, recs: cloneRecords(recs)}, now)
	}
}

// staleLocked marks the lookups in flight that hold number (all of them for ""), so that
// none of them is remembered.
func (pc *phoneCache) staleLocked(number string) {
	for t := range pc.inflight {
		if number == "" || slices.Contains(t.variants, number) {
			t.stale = true
		}
	}
}

// learnLead adds a Lead the connection created to the entries whose variants hold number, and
// makes it the entry of number's variants (phone.SearchVariants, the key the Engine looks the
// caller up with) when their last lookup found nothing: the new caller's Lead is what a fresh
// lookup would now find.
func (pc *phoneCache) learnLead(number string, rec crm.Record, now time.Time) {
	if !pc.entries.enabled() || number == "" {
		return
	}
	pc.mu.Lock()
	pc.staleLocked(number)
	pc.mu.Unlock()
	held := false
	pc.entries.each(now, func(_ string, e phoneEntry) (phoneEntry, bool) {
		if !slices.Contains(e.variants, number) {
			return e, false
		}
		held = true
		return phoneEntry{variants: e.variants, recs: distinct(append(cloneRecords(e.recs), rec))}, true
	})
	vs, err := phone.SearchVariants(number)
	if err != nil || held {
		return
	}
	if _, missed := pc.misses.get(phoneKey(vs), now); missed {
		pc.misses.delete(phoneKey(vs))
		pc.entries.put(phoneKey(vs), phoneEntry{variants: vs, recs: []crm.Record{rec}}, now)
	}
}

// forgetNumber drops what is remembered for number: a Lead create for it failed or may have
// been applied, so only Zoho knows the answer now.
func (pc *phoneCache) forgetNumber(number string) {
	if !pc.entries.enabled() || number == "" {
		return
	}
	pc.mu.Lock()
	pc.staleLocked(number)
	pc.mu.Unlock()
	pc.entries.deleteFunc(func(_ string, e phoneEntry) bool { return slices.Contains(e.variants, number) })
	pc.misses.deleteFunc(func(_ string, vs []string) bool { return slices.Contains(vs, number) })
}

// forgetRecord drops the entries that hold a record: a Call or Task linked to it failed, and
// the record may be gone (deleted or converted in Zoho).
func (pc *phoneCache) forgetRecord(ref crm.Ref) {
	if !pc.entries.enabled() || ref.ID == "" {
		return
	}
	pc.mu.Lock()
	pc.staleLocked("") // which lookups in flight would find the record is unknown
	pc.mu.Unlock()
	pc.entries.deleteFunc(func(_ string, e phoneEntry) bool {
		return slices.ContainsFunc(e.recs, func(r crm.Record) bool { return r.ID == ref.ID && (ref.Module == "" || r.Module == ref.Module) })
	})
}

// cloneRecords copies records deeply enough that callers cannot change an entry.
func cloneRecords(recs []crm.Record) []crm.Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Phones = slices.Clone(out[i].Phones)
	}
	return out
}

// rememberLead tells the phone cache about a Lead this connection created.
func (c *CRM) rememberLead(l *crm.Lead, id string) {
	rec := crm.Record{Module: crm.ModuleLeads, ID: id, Name: strings.TrimSpace(l.LastName),
		Phones: []string{l.Phone}, OwnerID: l.OwnerID}
	if c.syncKeyWritable(crm.ModuleLeads) {
		rec.SyncKey = l.SyncKey
	}
	c.phones.learnLead(l.Phone, rec, c.cfg.Now())
}
