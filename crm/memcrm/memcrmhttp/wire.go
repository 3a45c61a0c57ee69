// Package memcrmhttp serves a memcrm.CRM over HTTP and provides a Client that implements
// leadcall.CRM (and FieldDescriber, Bundler, TaskCompleter, SyncKeyChecker) by calling it.
// It lets a test run the Engine in one process while the CRM, its seed data, its faults and its
// records live in another, so that the Engine's process can be killed at any point and the
// CRM's state examined afterwards.
//
// The protocol is JSON over HTTP, one POST or GET per CRM method, under /v1/ (see Handler).
// Errors travel as {"error":{"code","message","field","retry_after_ms","existing_id"}} with a
// status code that matches the code; the Client turns them back into a *leadcall.Error with
// the same Code, Field, RetryAfter and ExistingID. A failure to reach the server or read its
// answer (refused or reset connection, timeout, cut or malformed response) is CodeUnavailable,
// because a write may have been applied.
//
// The server is for tests: it has no authentication and belongs on a loopback address.
package memcrmhttp

import (
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// Size limits of the protocol.
const (
	// MaxRequestBytes caps a request body the Handler reads; larger bodies get 413 with
	// CodeInvalid.
	MaxRequestBytes = 1 << 20
	// MaxResponseBytes caps a response body the Client reads; a larger one is CodeUnavailable.
	MaxResponseBytes = 8 << 20
)

// Paths of the protocol.
const (
	pathFindByPhone   = "/v1/find-by-phone"
	pathFindBySyncKey = "/v1/find-by-sync-key"
	pathLeads         = "/v1/leads"
	pathCalls         = "/v1/calls"
	pathTasks         = "/v1/tasks"
	pathUsers         = "/v1/users"
	pathFields        = "/v1/fields"
	pathBundles       = "/v1/bundles"
	pathCompleteTask  = "/v1/tasks/{id}/complete"
	pathSyncKeyStatus = "/v1/sync-key-status"
)

type findByPhoneRequest struct {
	Variants []string `json:"variants"`
}

type wireRecord struct {
	Module  crm.Module `json:"module"`
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Phones  []string   `json:"phones"`
	SyncKey string     `json:"sync_key,omitempty"`
	OwnerID string     `json:"owner_id,omitempty"`
}

type findByPhoneResponse struct {
	Records []wireRecord `json:"records"`
}

type findBySyncKeyRequest struct {
	Module crm.Module `json:"module"`
	Key    string     `json:"key"`
}

type findBySyncKeyResponse struct {
	ID string `json:"id"`
}

type wireLead struct {
	SyncKey     string            `json:"sync_key,omitempty"`
	LastName    string            `json:"last_name"`
	Phone       string            `json:"phone,omitempty"`
	LeadSource  string            `json:"lead_source,omitempty"`
	Fields      map[string]string `json:"fields,omitempty"`
	Description string            `json:"description,omitempty"`
	OwnerID     string            `json:"owner_id,omitempty"`
}

type wireRef struct {
	Module crm.Module `json:"module"`
	ID     string     `json:"id"`
}

type wireCall struct {
	SyncKey     string       `json:"sync_key,omitempty"`
	Subject     string       `json:"subject"`
	Type        crm.CallType `json:"type"`
	Start       time.Time    `json:"start"`
	DurationNS  int64        `json:"duration_ns"`
	Who         wireRef      `json:"who"`
	Description string       `json:"description,omitempty"`
	Result      string       `json:"result,omitempty"`
	OwnerID     string       `json:"owner_id,omitempty"`
}

type wireTask struct {
	SyncKey     string    `json:"sync_key,omitempty"`
	Subject     string    `json:"subject"`
	Due         time.Time `json:"due"`
	Status      string    `json:"status,omitempty"`
	Priority    string    `json:"priority,omitempty"`
	Who         wireRef   `json:"who"`
	Description string    `json:"description,omitempty"`
	OwnerID     string    `json:"owner_id,omitempty"`
}

type wireCreated struct {
	ID      string `json:"id"`
	Adopted bool   `json:"adopted,omitempty"`
}

type usersResponse struct {
	Users []crm.User `json:"users"`
}

type wireField struct {
	APIName   string              `json:"api_name"`
	Label     string              `json:"label"`
	DataType  string              `json:"data_type"`
	ReadOnly  bool                `json:"read_only,omitempty"`
	Custom    bool                `json:"custom,omitempty"`
	Unique    bool                `json:"unique,omitempty"`
	MaxLength int                 `json:"max_length,omitempty"`
	Picklist  []crm.PicklistValue `json:"picklist,omitempty"`
}

type fieldsResponse struct {
	Fields []wireField `json:"fields"`
}

type bundleRequest struct {
	Lead *wireLead `json:"lead,omitempty"`
	Call *wireCall `json:"call"`
	Task *wireTask `json:"task,omitempty"`
}

type wirePart struct {
	Created *wireCreated `json:"created,omitempty"`
	Error   *wireError   `json:"error,omitempty"`
}

type bundleResponse struct {
	Lead wirePart `json:"lead"`
	Call wirePart `json:"call"`
	Task wirePart `json:"task"`
}

type completeTaskRequest struct {
	Note string `json:"note"`
}

type wireSyncKeyField struct {
	Exists bool `json:"exists"`
	Unique bool `json:"unique"`
}

type syncKeyStatusResponse struct {
	Modules map[crm.Module]wireSyncKeyField `json:"modules"`
}

type wireError struct {
	Code         string `json:"code"`
	Message      string `json:"message,omitempty"`
	Field        string `json:"field,omitempty"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	ExistingID   string `json:"existing_id,omitempty"`
	// NotAttempted marks a bundle part's error that wraps crm.ErrNotAttempted.
	NotAttempted bool `json:"not_attempted,omitempty"`
}

type errorResponse struct {
	Error wireError `json:"error"`
}

func toWireLead(l *crm.Lead) *wireLead {
	if l == nil {
		return nil
	}
	return &wireLead{SyncKey: l.SyncKey, LastName: l.LastName, Phone: l.Phone, LeadSource: l.LeadSource,
		Fields: l.Fields, Description: l.Description, OwnerID: l.OwnerID}
}

func (w *wireLead) lead() *crm.Lead {
	if w == nil {
		return nil
	}
	return &crm.Lead{SyncKey: w.SyncKey, LastName: w.LastName, Phone: w.Phone, LeadSource: w.LeadSource,
		Fields: w.Fields, Description: w.Description, OwnerID: w.OwnerID}
}

func toWireCall(c *crm.Call) *wireCall {
	if c == nil {
		return nil
	}
	return &wireCall{SyncKey: c.SyncKey, Subject: c.Subject, Type: c.Type, Start: c.Start,
		DurationNS: int64(c.Duration), Who: wireRef(c.Who), Description: c.Description, Result: c.Result, OwnerID: c.OwnerID}
}

func (w *wireCall) call() *crm.Call {
	if w == nil {
		return nil
	}
	return &crm.Call{SyncKey: w.SyncKey, Subject: w.Subject, Type: w.Type, Start: w.Start,
		Duration: time.Duration(w.DurationNS), Who: crm.Ref(w.Who), Description: w.Description, Result: w.Result, OwnerID: w.OwnerID}
}

func toWireTask(t *crm.Task) *wireTask {
	if t == nil {
		return nil
	}
	return &wireTask{SyncKey: t.SyncKey, Subject: t.Subject, Due: t.Due, Status: t.Status, Priority: t.Priority,
		Who: wireRef(t.Who), Description: t.Description, OwnerID: t.OwnerID}
}

func (w *wireTask) task() *crm.Task {
	if w == nil {
		return nil
	}
	return &crm.Task{SyncKey: w.SyncKey, Subject: w.Subject, Due: w.Due, Status: w.Status, Priority: w.Priority,
		Who: crm.Ref(w.Who), Description: w.Description, OwnerID: w.OwnerID}
}

func toWireCreated(c *crm.Created) *wireCreated {
	if c == nil {
		return nil
	}
	return &wireCreated{ID: c.ID, Adopted: c.Adopted}
}

// codeByName maps Code.String() back to the code.
func codeByName(name string) (leadcall.Code, bool) {
	for c := leadcall.CodeUnknown; c <= leadcall.CodeReconnectRequired; c++ {
		if c.String() == name {
			return c, true
		}
	}
	return leadcall.CodeUnknown, false
}
