// Package crmtest is the conformance suite for leadcall.CRM adapters. Import it only from
// _test.go files: it calls testing.T methods and is not part of any program.
//
// An adapter proves that the Engine can rely on it by passing the suite:
//
//	func TestConformance(t *testing.T) {
//		crmtest.Run(t, harness{})
//	}
//
// The suite checks the contract written in the doc comments of leadcall.CRM and the optional
// interfaces (leadcall.FieldDescriber, Bundler, TaskCompleter, SyncKeyChecker): lookups over
// every phone field of Leads and Contacts in each of the four search-variant formats,
// converted Leads left out, creates and their links, owners, picklists, sync keys and their
// uniqueness, error classification, reconciliation after a lost response, context
// cancellation, hostile input and concurrent use. Run it with -race. Every failure message
// names the rule that was broken.
//
// # Writing a Harness
//
// A Harness has two methods. MakeCRM returns a fresh, empty CRM and a Seeder for it; it is
// called once per subtest, and subtests run in parallel. Features declares what the CRM
// supports. For a CRM behind a network API, MakeCRM usually starts a fake server
// (httptest.NewServer on 127.0.0.1) and points the adapter at it; the Seeder then writes into
// the fake's state. The examples/partnercrm package is a complete, small example, and
// crm/memcrm's conformance test is another.
//
// The Seeder creates what leadcall never does: users, Leads and Contacts with given phone
// values, and converted Leads. Its optional extensions unlock more tests:
//
//   - FaultInjector: the next request fails as rate limited (with a retry-after), unavailable
//     or unauthorized, or is applied and its response lost. Checks that the adapter returns
//     the right leadcall.Code, carries RetryAfter, and that a create retried after a lost
//     response can be reconciled by FindBySyncKey.
//   - PicklistSeeder: sets Lead_Source and Call_Result values, including one whose actual
//     value differs from its display value.
//   - Reader: reads back stored Leads, Calls and Tasks, so the suite can check fields and
//     links (a Call linked to the Lead or Contact it names).
//
// # Features
//
// Features flags optional behaviour; each field's comment says what the suite then expects.
// FieldDescriber, Bundler, TaskCompleter and SyncKeyChecker must match the optional interfaces
// the CRM value implements. UniqueSyncKeys, SyncKeyInLookups, FormattedPhones and
// PicklistValidation turn on stricter checks; IndexLag tells the suite how long a lagging
// search index may hide new records.
//
// # Phone numbers
//
// The suite seeds Indian mobile numbers (+91 98…) and searches with the four variants that
// phone.SearchVariants gives for them, most likely first: E.164 ("+919812345678"), national
// with trunk prefix ("09812345678"), national significant number ("9812345678") and E.164
// without '+' ("919812345678"). A record is returned rightly when one of its phone values is
// the same number (its digits equal one of the variants' digits); returning a record that
// holds another number, say one that merely contains the digits, is an error.
package crmtest
