package crmtest

import (
	"context"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// Harness makes CRMs for the suite. Implement it once per adapter, in a _test.go file.
type Harness interface {
	// MakeCRM returns a new CRM with no Leads, Contacts, Calls, Tasks or users, and a Seeder
	// for that same CRM. It is called once per subtest, from parallel subtests, so CRMs must not
	// share records. Register cleanup with t.Cleanup; call t.Fatal when a CRM cannot be made.
	MakeCRM(t *testing.T) (leadcall.CRM, Seeder)
	// Features declares what the CRM supports. It must return the same value every time.
	Features() Features
}

// Seeder sets up records that exist before leadcall comes along. leadcall.CRM only creates
// Leads, Calls and Tasks, so the suite needs another way to make Contacts, Leads a person
// typed, converted Leads and users. Seed through the CRM's own API (or, for a fake server,
// straight into its state). Records a Seeder makes must be visible to FindByPhone at once:
// seed them as if they had existed for a long time.
//
// A Seeder may also implement FaultInjector, PicklistSeeder and Reader; the suite runs the
// tests that need them only when it does.
type Seeder interface {
	// AddUser adds a CRM user, active or not, and returns the ID that crm.User.ID, OwnerID and
	// Users use.
	AddUser(ctx context.Context, name, email string, active bool) (id string, err error)
	// AddLead adds a Lead with the last name and phone values (stored exactly as given, one per
	// phone field in the CRM's order, e.g. Zoho's Phone then Mobile; at most 2) and returns its
	// ID. It has no sync key.
	AddLead(ctx context.Context, lastName string, phones ...string) (id string, err error)
	// AddContact is AddLead for a Contact, with at most 4 phones (e.g. Zoho's Phone, Mobile,
	// Home_Phone, Other_Phone).
	AddContact(ctx context.Context, lastName string, phones ...string) (id string, err error)
	// ConvertLead converts a Lead as a person would in the CRM (making a Contact, if that is
	// what the CRM does). The suite expects the Lead to vanish from FindByPhone.
	ConvertLead(ctx context.Context, leadID string) error
}

// FaultInjector is implemented by Seeders that can make the CRM fail, as a fake server can.
// The suite then checks that the adapter classifies failures as the leadcall.CRM contract
// says. A fault applies to the next request the adapter sends, whatever it is.
type FaultInjector interface {
	// FailNext makes the next request fail without being applied: with code
	// leadcall.CodeRateLimited (and retryAfter, as the CRM would announce it),
	// CodeUnavailable (a 5xx) or CodeUnauthorized (an expired or revoked token), in the form
	// the real CRM fails. It returns an error wrapping errors.ErrUnsupported for a code it
	// cannot produce; the suite then skips that case.
	FailNext(code leadcall.Code, retryAfter time.Duration) error
	// LoseNextResponse makes the CRM apply the next write and lose its response: a 5xx after
	// commit, a reset connection or a timeout. errors.ErrUnsupported skips the cases.
	LoseNextResponse() error
}

// PicklistSeeder is implemented by Seeders that can set picklist values. Without it the suite
// reads the picklists through leadcall.FieldDescriber, and skips picklist tests when the CRM
// is not one.
type PicklistSeeder interface {
	// SetPicklist replaces the values of module's picklist field, e.g. (Leads, "Lead_Source")
	// or (Calls, "Call_Result"), named by Zoho's API names.
	SetPicklist(ctx context.Context, module crm.Module, field string, values []crm.PicklistValue) error
}

// Reader is implemented by Seeders that can read back what a create stored; the suite then
// checks the fields, links and picklist values that were written. Fill what the CRM returns
// and leave the rest empty: empty fields are not checked. Return an error for an unknown ID.
type Reader interface {
	// ReadLead returns the Lead's Last_Name, Phone, Lead_Source (display value), Description,
	// OwnerID and SyncKey.
	ReadLead(ctx context.Context, id string) (*crm.Lead, error)
	// ReadCall returns the Call's Subject, Type, Start, Duration, Who, Result, Description,
	// OwnerID and SyncKey.
	ReadCall(ctx context.Context, id string) (*crm.Call, error)
	// ReadTask returns the Task's Subject, Due (its date is compared), Status, Priority, Who,
	// Description, OwnerID and SyncKey.
	ReadTask(ctx context.Context, id string) (*crm.Task, error)
}

// Features declares what a CRM supports; the zero value is a CRM with none of the options.
type Features struct {
	// FieldDescriber, Bundler, TaskCompleter and SyncKeyChecker say the CRM implements that
	// optional leadcall interface. The suite checks that each flag matches what the CRM value
	// implements (the Engine finds optional interfaces by type assertion, so an undeclared
	// one would run untested), then tests the interface.
	FieldDescriber bool
	Bundler        bool
	TaskCompleter  bool
	SyncKeyChecker bool

	// UniqueSyncKeys says creates in Leads, Calls and Tasks enforce unique sync keys: a create
	// whose key a record of that module holds fails with leadcall.CodeConflict and ExistingID
	// naming the record (or succeeds with Created.Adopted and that ID). Zoho with a unique
	// LC_Sync_Key field does this. Without it the Engine relies on FindBySyncKey alone.
	UniqueSyncKeys bool
	// SyncKeyInLookups says FindByPhone fills Record.SyncKey for Leads made by CreateLead, so
	// that crm.Decide recognises leadcall's own Lead. Without it, Record.SyncKey may be empty
	// and the Engine recognises its Leads by their stored IDs.
	SyncKeyInLookups bool
	// FormattedPhones says FindByPhone finds values stored with spaces, dashes, dots or
	// parentheses between the digits ("+91 98765-43210", "(0) 98765 43210").
	FormattedPhones bool
	// PicklistValidation says CreateLead accepts Lead_Source as display or actual value of
	// its picklist (storing the display value) and refuses other values with CodeInvalid,
	// and CreateCall does the same for Call_Result. Zoho itself accepts unknown values and
	// adds them to the picklist, so its adapter validates against Fields.
	PicklistValidation bool
	// IndexLag is the longest a created record may stay invisible to FindByPhone and
	// FindBySyncKey. The suite polls that long (plus a margin) for records to appear, and
	// waits that long before it concludes that a refused write left nothing.
	IndexLag time.Duration
}
