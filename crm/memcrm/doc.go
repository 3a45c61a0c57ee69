// Package memcrm is an in-memory CRM that implements leadcall.CRM and every optional CRM
// interface (FieldDescriber, Bundler, TaskCompleter, SyncKeyChecker). It is the reference
// adapter: it passes the crm/crmtest conformance suite, and Engine tests and examples run
// against it instead of Zoho.
//
// It behaves like a strict real CRM rather than a permissive fake, so that the Engine's
// mistakes show up in tests:
//
//   - Modules Leads, Contacts, Calls and Tasks, with Zoho's field metadata and default
//     picklists (Fields), users (Users lists the active ones), and a unique LC_Sync_Key field
//     on Leads, Calls and Tasks (SetSyncKeyField removes it or drops its uniqueness).
//   - Lookups search every phone field of Leads and Contacts (a record may have several:
//     Phone, Mobile, Home_Phone, Other_Phone, ...), whatever format the value was typed in.
//     The rule is exact and documented on PhoneKey: formatting characters (space - . ( )) are
//     ignored, everything else must be equal. Converted Leads are never found.
//   - Creates are validated: a Lead needs Last_Name; a Call needs Subject, Type and Start; a
//     Call or Task needs a Who that exists; an Owner must be an active user; Lead_Source and
//     Call_Result must be values of their picklists (display or actual value; the display value
//     is stored); values must fit their field. Each refusal is CodeInvalid with Field set to the
//     field's API name. A sync key another record of the module holds is CodeConflict with
//     ExistingID.
//
// # Seeding and inspecting
//
// Tests set up the CRM with AddUser, AddLead and AddContact (arbitrary phone fields in any
// format), ConvertLead, Delete, SetPicklist, AddField and SetSyncKeyField, and look at it with
// Leads, Contacts, Calls, Tasks (copies, in creation order), Counts, Writes and Requests.
//
// # Faults
//
// Faults are deterministic. FailNext scripts the next n requests of an operation to fail with
// a given code (CodeRateLimited with RetryAfter, CodeUnavailable, CodeUnauthorized, ...);
// CommitThenFail applies the write and then reports CodeUnavailable, as when a response is
// lost; FailRandomly fails a share of requests, drawn from a source seeded by Config.Seed.
// Config.IndexLag (or SetIndexLag) hides records created less than that long ago from
// FindByPhone and FindBySyncKey, measured with Config.Now, like a lagging search index; unique
// keys are enforced without lag, as a database would. Every injected error wraps ErrInjected.
//
// memcrmhttp serves a CRM over HTTP and has a client that implements leadcall.CRM, so that a
// test can run the Engine in one process and the CRM in another.
package memcrm
