// Package sqlshared holds the parts of store/sqlite and store/postgres that do not depend on
// the SQL dialect: validation of the Store methods' arguments, the time, JSON and cursor
// codecs, and the reading of numbered migration files. Both stores call it, so that the same
// input gets the same *leadcall.Error (code, field and message) whichever store is used.
//
// Every function that reports an error takes op, the caller's operation name ("sqlite: list
// calls"), and returns errors built with leadcall's types; none touches a database.
package sqlshared
