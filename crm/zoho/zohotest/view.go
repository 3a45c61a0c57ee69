package zohotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// Bounds of the records view ([Server.ViewHandler]).
const (
	// DefaultViewLimit is how many records the view returns without a limit parameter.
	DefaultViewLimit = 50
	// MaxViewLimit is the largest limit the view accepts.
	MaxViewLimit = 500
	// MaxViewQueryBytes caps the view's raw query string; a longer one answers 400 before it
	// is parsed.
	MaxViewQueryBytes = 256
	// maxRecordIDLen bounds a record id in the related parameter (the fake's ids are 19 digits).
	maxRecordIDLen = 32
)

// viewModules are the modules the view serves, in display order.
var viewModules = [...]string{"Leads", "Contacts", "Calls", "Tasks"}

// viewFields are the fields the view renders: who the record is, how to reach them, where
// they came from and how leadcall linked them.
var viewFields = []string{
	"Full_Name", "Last_Name", "Phone", "Mobile", "Lead_Source", "Lead_Status", "Owner", SyncKeyField,
	"Subject", "Call_Type", "Call_Start_Time", "Call_Duration", "What_Id", "Who_Id", "Status",
	"Due_Date", "Created_Time",
}

// ViewQuery selects what [Server.View] returns.
type ViewQuery struct {
	// Module is Leads, Contacts, Calls or Tasks, in any case.
	Module string
	// Limit caps the records returned; it is clamped to 1..[MaxViewLimit].
	Limit int
	// Related, for Calls and Tasks, keeps only those whose What_Id or Who_Id is this record.
	Related string
}

// ViewResponse is the answer of [Server.ViewHandler].
type ViewResponse struct {
	Module  string         `json:"module"`
	Limit   int            `json:"limit"`
	Related string         `json:"related,omitempty"` // the query's Related
	Records []ViewRecord   `json:"records"`           // newest first, at most Limit
	Counts  map[string]int `json:"counts"`            // records per module, all four, read together with Records
}

// ViewRecord is one record as the view renders it: Zoho's API names, empty fields left out.
type ViewRecord struct {
	ID            string      `json:"id"`
	Module        string      `json:"module"`
	FullName      string      `json:"Full_Name,omitempty"`
	LastName      string      `json:"Last_Name,omitempty"`
	Phone         string      `json:"Phone,omitempty"`
	Mobile        string      `json:"Mobile,omitempty"`
	LeadSource    string      `json:"Lead_Source,omitempty"`
	LeadStatus    string      `json:"Lead_Status,omitempty"`
	Owner         *ViewLookup `json:"Owner,omitempty"`
	SyncKey       string      `json:"LC_Sync_Key,omitempty"`
	Subject       string      `json:"Subject,omitempty"`
	CallType      string      `json:"Call_Type,omitempty"`
	CallStartTime string      `json:"Call_Start_Time,omitempty"`
	CallDuration  string      `json:"Call_Duration,omitempty"`
	WhatID        *ViewLookup `json:"What_Id,omitempty"` // Module says which module it points into
	WhoID         *ViewLookup `json:"Who_Id,omitempty"`  // always a Contact
	Status        string      `json:"Status,omitempty"`
	DueDate       string      `json:"Due_Date,omitempty"`
	CreatedTime   string      `json:"Created_Time"`
	Converted     bool        `json:"converted,omitempty"` // a converted Lead
	// Linked counts, for a Lead or Contact, the Calls and Tasks whose What_Id or Who_Id is it
	// (modules with none are left out).
	Linked map[string]int `json:"linked,omitempty"`
}

// ViewLookup is a lookup field's target. Module is empty for Owner (a user).
type ViewLookup struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Module string `json:"module,omitempty"`
}

// RecentRecords returns up to n of a module's records, newest first (nil for an unknown
// module or n < 1). Unlike [Server.Records] it copies only those n.
func (s *Server) RecentRecords(module string, n int) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(module, s.schema)
	if !ok || n < 1 {
		return nil
	}
	order := s.store[name].order
	out := make([]Record, 0, min(n, len(order)))
	for i := len(order) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, s.snapshotLocked(order[i]))
	}
	return out
}

// View returns the newest records q selects with every module's count, all read at one
// instant. ok is false when q.Module is not one of the four, or q.Related is given for Leads
// or Contacts.
func (s *Server) View(q ViewQuery) (_ ViewResponse, ok bool) {
	limit := max(1, min(q.Limit, MaxViewLimit))
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := canonicalModule(q.Module, s.schema)
	if !ok || !slices.Contains(viewModules[:], name) || (q.Related != "" && !isActivity(name)) {
		return ViewResponse{}, false
	}
	resp := ViewResponse{Module: name, Limit: limit, Related: q.Related, Records: []ViewRecord{}, Counts: map[string]int{}}
	for _, m := range viewModules {
		if ms, ok := s.store[m]; ok {
			resp.Counts[m] = len(ms.order)
		}
	}
	order := s.store[name].order
	for i := len(order) - 1; i >= 0 && len(resp.Records) < limit; i-- {
		if q.Related != "" && !linksTo(order[i], q.Related) {
			continue
		}
		resp.Records = append(resp.Records, s.viewRecordLocked(order[i]))
	}
	if !isActivity(name) {
		s.countLinksLocked(resp.Records)
	}
	return resp, true
}

// isActivity reports whether a module's records point at Leads and Contacts (Calls, Tasks).
func isActivity(module string) bool { return module == "Calls" || module == "Tasks" }

// linksTo reports whether an activity's What_Id or Who_Id is the record id.
func linksTo(r *record, id string) bool {
	for _, f := range []string{"What_Id", "Who_Id"} {
		if ref, ok := r.values[f].(lookupRef); ok && ref.id == id {
			return true
		}
	}
	return false
}

// countLinksLocked fills Linked of the people in recs with one pass over Calls and Tasks.
func (s *Server) countLinksLocked(recs []ViewRecord) {
	at := make(map[string]int, len(recs))
	for i, r := range recs {
		at[r.ID] = i
	}
	for _, m := range []string{"Calls", "Tasks"} {
		for _, r := range s.store[m].order {
			for _, f := range []string{"What_Id", "Who_Id"} {
				ref, ok := r.values[f].(lookupRef)
				if !ok {
					continue
				}
				if i, ok := at[ref.id]; ok {
					if recs[i].Linked == nil {
						recs[i].Linked = map[string]int{}
					}
					recs[i].Linked[m]++
				}
			}
		}
	}
}

func (s *Server) viewRecordLocked(r *record) ViewRecord {
	f := s.renderLocked(r, viewFields)
	str := func(k string) string { v, _ := f[k].(string); return v }
	lookup := func(k, module string) *ViewLookup {
		m, _ := f[k].(map[string]any)
		id, _ := m["id"].(string)
		if id == "" {
			return nil
		}
		name, _ := m["name"].(string)
		return &ViewLookup{ID: id, Name: name, Module: module}
	}
	v := ViewRecord{
		ID: r.id, Module: r.module, FullName: str("Full_Name"), LastName: str("Last_Name"), Phone: str("Phone"),
		Mobile: str("Mobile"), LeadSource: str("Lead_Source"), LeadStatus: str("Lead_Status"), Owner: lookup("Owner", ""),
		SyncKey: str(SyncKeyField), Subject: str("Subject"), CallType: str("Call_Type"),
		CallStartTime: str("Call_Start_Time"), CallDuration: str("Call_Duration"), WhoID: lookup("Who_Id", "Contacts"),
		Status: str("Status"), DueDate: str("Due_Date"), CreatedTime: str("Created_Time"), Converted: r.converted,
	}
	if ref, ok := r.values["What_Id"].(lookupRef); ok {
		v.WhatID = lookup("What_Id", ref.module)
	}
	return v
}

// ViewHandler returns a read-only HTTP view of the fake's records for a sandbox dashboard:
// GET ?module=Leads|Contacts|Calls|Tasks (default Leads) &limit=1..[MaxViewLimit] (default
// [DefaultViewLimit]) &related=<record id> (Calls and Tasks only: those linked to that Lead or
// Contact) answers a [ViewResponse] as JSON. It checks no credentials: mount it
// behind the embedder's own (leadcall's httpapi.Server.Mount does). Errors are
// {"error":{"code","message","field"}}: 400 "invalid" names the bad parameter (an unknown
// one too), 400 "query_too_long" a query over [MaxViewQueryBytes], 405 another method.
func (s *Server) ViewHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			viewError(w, http.StatusMethodNotAllowed, "method_not_allowed", "", "the view is read-only: use GET")
			return
		}
		if len(r.URL.RawQuery) > MaxViewQueryBytes {
			viewError(w, http.StatusBadRequest, "query_too_long", "",
				"the query string is longer than "+strconv.Itoa(MaxViewQueryBytes)+" bytes")
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			viewError(w, http.StatusBadRequest, "invalid", "", "the query string is malformed")
			return
		}
		for k, vs := range q {
			switch {
			case k != "module" && k != "limit" && k != "related":
				if len(k) > 32 {
					k = k[:32] + "…"
				}
				viewError(w, http.StatusBadRequest, "invalid", k, "unknown parameter: want module, limit and related only")
				return
			case len(vs) > 1:
				viewError(w, http.StatusBadRequest, "invalid", k, "given more than once")
				return
			}
		}
		module := q.Get("module")
		if module == "" {
			module = viewModules[0]
		}
		limit := DefaultViewLimit
		if v, ok := q["limit"]; ok {
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 || n > MaxViewLimit {
				viewError(w, http.StatusBadRequest, "invalid", "limit", "want a whole number from 1 to "+strconv.Itoa(MaxViewLimit))
				return
			}
			limit = n
		}
		related := q.Get("related")
		if _, given := q["related"]; given && !validRecordID(related) {
			viewError(w, http.StatusBadRequest, "invalid", "related", "want a record id: 1 to "+strconv.Itoa(maxRecordIDLen)+" digits")
			return
		}
		if name, ok := moduleByName(module); !ok || !slices.Contains(viewModules[:], name) {
			viewError(w, http.StatusBadRequest, "invalid", "module", "want Leads, Contacts, Calls or Tasks")
			return
		}
		resp, ok := s.View(ViewQuery{Module: module, Limit: limit, Related: related})
		if !ok {
			viewError(w, http.StatusBadRequest, "invalid", "related", "only Calls and Tasks can be filtered by the record they relate to")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

func viewError(w http.ResponseWriter, status int, code, field, msg string) {
	type detail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]detail{"error": {Code: code, Message: msg, Field: field}})
}

// validRecordID reports whether id has the shape of the fake's record ids: digits only.
func validRecordID(id string) bool {
	if id == "" || len(id) > maxRecordIDLen {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
