package zohotest

import (
	"maps"
	"strings"
	"time"
)

// Record is a snapshot of a stored record for tests (inspection API).
type Record struct {
	Module     string
	ID         string
	Fields     map[string]any // every field as GET /crm/v8/{module}/{id} renders it
	CreatedAt  time.Time
	ModifiedAt time.Time
	Converted  bool // a converted Lead
	Seeded     bool // added through the Go API rather than the HTTP API
}

// String returns a string field's value, or "" when the field is empty or not a string.
func (r Record) String(field string) string {
	v, _ := r.Fields[field].(string)
	return v
}

// LookupID returns the id inside a lookup field (Owner, What_Id, Who_Id, ...), or "".
func (r Record) LookupID(field string) string {
	m, _ := r.Fields[field].(map[string]any)
	id, _ := m["id"].(string)
	return id
}

func (s *Server) snapshotLocked(r *record) Record {
	return Record{Module: r.module, ID: r.id, Fields: s.renderLocked(r, nil), CreatedAt: r.createdAt,
		ModifiedAt: r.modifiedAt, Converted: r.converted, Seeded: r.seeded}
}

// Records returns every record of a module in creation order (nil for an unknown module).
func (s *Server) Records(module string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(module, s.schema)
	if !ok {
		return nil
	}
	out := make([]Record, 0, len(s.store[name].order))
	for _, r := range s.store[name].order {
		out = append(out, s.snapshotLocked(r))
	}
	return out
}

// Record returns one record by id.
func (s *Server) Record(module, id string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(module, s.schema)
	if !ok {
		return Record{}, false
	}
	r, ok := s.store[name].byID[id]
	if !ok {
		return Record{}, false
	}
	return s.snapshotLocked(r), true
}

// FindBySyncKey returns the records of a module whose [SyncKeyField] equals key (ignoring
// case, as the unique check does). More than one means a duplicate slipped through.
func (s *Server) FindBySyncKey(module, key string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(module, s.schema)
	if !ok {
		return nil
	}
	var out []Record
	for _, r := range s.store[name].order {
		if v := r.str(SyncKeyField); v != "" && strings.EqualFold(v, key) {
			out = append(out, s.snapshotLocked(r))
		}
	}
	return out
}

// Count returns the number of records in a module.
func (s *Server) Count(module string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(module, s.schema)
	if !ok {
		return 0
	}
	return len(s.store[name].order)
}

// Requests returns the request log (at most the latest 10,000), oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestCount returns how many logged HTTP requests hit an endpoint; composite
// sub-requests are not counted (see Request.SubRequests).
func (s *Server) RequestCount(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Endpoint == e {
			n++
		}
	}
	return n
}

// CreditsUsed returns the API credits charged since New or the last reset.
func (s *Server) CreditsUsed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.creditsBy {
		n += v
	}
	return n
}

// CreditsByEndpoint returns the credits charged per endpoint since New or the last reset.
func (s *Server) CreditsByEndpoint() map[Endpoint]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.creditsBy)
}

// PeakInFlight returns the most concurrency units ever in use at once, to check a client's
// own concurrency cap.
func (s *Server) PeakInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakFlight
}

// ResetRequests clears the request log, credit counters, fault events and peak concurrency.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.credits, s.faultLog = nil, nil, nil
	s.creditsBy = map[Endpoint]int{}
	s.peakFlight = s.inFlight
	s.minted = 0
}

// Reset additionally deletes every record and fault rule. Users, OAuth clients, tokens,
// picklists and the index lag stay.
func (s *Server) Reset() {
	s.ResetRequests()
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, m := range s.schema {
		s.store[name] = newModuleStore(m)
	}
	s.faults = nil
}
