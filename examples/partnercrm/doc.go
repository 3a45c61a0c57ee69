// Package partnercrm shows a partner how to connect their own CRM to leadcall. "Acme CRM" is a
// toy CRM with its own record shapes (prospects and customers with numbered phone lists,
// activities, agents) kept in a JSON file; Adapter maps it onto leadcall.CRM.
//
// What to copy:
//
//   - backend.go stands for your CRM's API client. It knows nothing of leadcall.
//   - adapter.go is the whole adapter: records mapped both ways, the sync key stored in a field
//     your CRM can search (and, ideally, keeps unique), and errors classified with
//     leadcall.Code so that the Engine knows whether a failed write may have happened.
//   - adapter_test.go runs the crm/crmtest conformance suite through a Harness and a Seeder
//     (with the optional FaultInjector and Reader), and declares Features. When it passes
//     under go test -race, the Engine can rely on the adapter.
//
// Acme implements the optional leadcall.TaskCompleter but not FieldDescriber, Bundler or
// SyncKeyChecker; the suite skips what an adapter does not declare.
package partnercrm
