// Package sqlshared holds the parts of store/sqlite and store/postgres that do not depend on
// the SQL dialect, so that both stores behave alike by construction:
//
//   - validation of the Store methods' arguments, returning the same *leadcall.Error (code,
//     field and message) whichever store is used, and the defaults derived from them;
//   - the time, JSON and cursor codecs, and the cutting of list pages;
//   - the InsertCalls batch bookkeeping that is not SQL: normalising the calls and telling
//     new calls from duplicates;
//   - reading the numbered migration files, and the version check and bookkeeping of each
//     migration, over a dialect's transaction (MigrationTx).
//
// Every function that reports an error takes op, the caller's operation name ("sqlite: list
// calls"). None of them touches a database.
package sqlshared
