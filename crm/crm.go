// Package crm holds the CRM-neutral records that leadcall reads from and writes to a CRM, the
// deterministic sync keys that make those writes idempotent, and the sync decision table
// (DESIGN.md §4) as a pure function.
//
// The package is pure: it does no I/O, reads no clock and imports nothing of leadcall's. The
// root package's CRM interface is expressed in these types, so a partner adapter imports both
// github.com/leadcall/leadcall (the interface and error codes) and this package (the records).
package crm

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// ErrNotAttempted is the Err of a Bundle part that the CRM did not attempt because an earlier
// part failed. Nothing was written for it; the Engine goes on with single creates.
var ErrNotAttempted = errors.New("crm: not attempted: an earlier part of the bundle failed")

// Module names a CRM module. The values are Zoho's API names; other CRMs map them.
type Module string

// The modules leadcall reads (Leads, Contacts) and writes (Leads, Calls, Tasks).
const (
	ModuleLeads    Module = "Leads"
	ModuleContacts Module = "Contacts"
	ModuleCalls    Module = "Calls"
	ModuleTasks    Module = "Tasks"
)

// Record is a Lead or Contact found by a lookup.
type Record struct {
	Module  Module
	ID      string
	Name    string   // full name as the CRM shows it
	Phones  []string // the values of the record's phone fields, as stored
	SyncKey string   // the record's LC_Sync_Key value; empty when it has none
	OwnerID string
}

// Ref points at the Lead or Contact a Call or Task is linked to.
type Ref struct {
	Module Module // ModuleLeads or ModuleContacts
	ID     string
}

// IsZero reports whether r points at nothing.
func (r Ref) IsZero() bool { return r.ID == "" }

// Lead is a Lead to create for a new caller.
type Lead struct {
	SyncKey     string            // unique key (LeadKey); written to the sync-key field where the CRM has one
	LastName    string            // the org's placeholder, e.g. "Inbound Lead"
	Phone       string            // E.164, or the raw number when it could not be parsed
	LeadSource  string            // display value; empty = omit
	Fields      map[string]string // extra writable fields by API name (campaign metadata rows)
	Description string
	OwnerID     string // CRM user ID; empty = omit (the CRM picks its default)
}

// CallType is the CRM's call type.
type CallType string

// Call types as Zoho names them.
const (
	CallInbound  CallType = "Inbound"
	CallOutbound CallType = "Outbound"
	CallMissed   CallType = "Missed"
)

// Call is a call activity to create, linked to a Lead or Contact.
type Call struct {
	SyncKey     string
	Subject     string
	Type        CallType
	Start       time.Time     // carries the org's location, so adapters can write the offset
	Duration    time.Duration // 0 for missed calls
	Who         Ref
	Description string
	Result      string // optional Call_Result value; empty = omit
	OwnerID     string
}

// Task is a follow-up task to create, linked to a Lead or Contact.
type Task struct {
	SyncKey     string
	Subject     string
	Due         time.Time // only the date in Due.Location() matters
	Status      string    // default "Not Started"
	Priority    string    // default "High"
	Who         Ref
	Description string
	OwnerID     string
}

// Task defaults, as Zoho names them.
const (
	DefaultTaskStatus   = "Not Started"
	DefaultTaskPriority = "High"
	TaskStatusCompleted = "Completed"
)

// User is a CRM user that a rep can be mapped to.
type User struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Active bool   `json:"active"`
}

// PicklistValue is one value of a picklist field; the display value is what people see and what
// leadcall stores, the actual value is what some CRM APIs expect.
type PicklistValue struct {
	DisplayValue string `json:"display_value"`
	ActualValue  string `json:"actual_value"`
}

// Field describes a field of a CRM module.
type Field struct {
	APIName   string
	Label     string
	DataType  string // Zoho's data_type: text, phone, picklist, email, integer, ...
	ReadOnly  bool
	Custom    bool
	Unique    bool
	MaxLength int // 0 = unknown
	Picklist  []PicklistValue
}

// Created is the result of a successful create.
type Created struct {
	ID string
	// Adopted is true when the record already existed with the same sync key and the adapter
	// returned its ID instead of creating another one.
	Adopted bool
}

// Key prefixes. The version lets a later scheme coexist with records written by this one.
const (
	leadKeyPrefix = "lc1L"
	callKeyPrefix = "lc1C"
	taskKeyPrefix = "lc1T"
)

// LeadKey is the sync key of the one Lead leadcall creates for a caller number in an org.
func LeadKey(orgID, e164 string) string { return key(leadKeyPrefix, orgID, e164) }

// CallKey is the sync key of the Call activity for one device call.
func CallKey(orgID, deviceID, deviceCallID string) string {
	return key(callKeyPrefix, orgID, deviceID, deviceCallID)
}

// TaskKey is the sync key of the follow-up Task created for one missed device call.
func TaskKey(orgID, deviceID, deviceCallID string) string {
	return key(taskKeyPrefix, orgID, deviceID, deviceCallID)
}

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// key hashes the parts, each preceded by its length as 8 big-endian bytes (so that ("ab","c")
// and ("a","bc") differ whatever bytes the parts hold), into a short URL- and COQL-safe token:
// 130 bits of SHA-256 is far beyond any collision risk here.
func key(prefix string, parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	sum := keyEncoding.EncodeToString(h.Sum(nil))
	return prefix + "_" + strings.ToLower(sum[:26])
}

// IsSyncKey reports whether s has the shape of a key made by this package.
func IsSyncKey(s string) bool {
	if len(s) != 4+1+26 || s[4] != '_' {
		return false
	}
	switch s[:4] {
	case leadKeyPrefix, callKeyPrefix, taskKeyPrefix:
	default:
		return false
	}
	for _, c := range s[5:] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Bundle is a Lead with its Call and Task, for CRMs that create them in one request.
type Bundle struct {
	Lead *Lead // nil = Call and Task link to their own Who
	Call *Call
	Task *Task // nil = no task
}

// BundleResult holds the result of each part of a Bundle.
type BundleResult struct {
	Lead, Call, Task PartResult
}

// PartResult is the result of one part of a Bundle: Created on success, Err otherwise. Both are
// nil for a part that was not in the bundle.
type PartResult struct {
	Created *Created
	Err     error
}

// SyncKeyField describes the sync-key field of one module.
type SyncKeyField struct {
	Exists bool
	Unique bool
}
