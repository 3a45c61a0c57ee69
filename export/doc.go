// Package export writes an org's calls as CSV for managers' spreadsheets (LeadCall docs §7
// row 55: call logs with device nicknames).
//
// [WriteCalls] pages through Store.ListCalls (newest first, the store's order) and writes
// one RFC 4180 record per call with CRLF line endings (encoding/csv: a line break inside a
// quoted cell is written as CRLF too, and a lone carriage return inside a cell is dropped), flushing after every page, so memory does not grow with the
// number of rows: it holds one page of calls, the org's device list, a bounded cache of
// assignments and a bounded cache of recovery statuses.
//
// # Columns
//
// The header row names the columns in this order ([Columns]):
//
//	call_id            leadcall's call ID
//	device_id          the device's ID (nicknames need not be unique)
//	device_nickname    the device's current nickname; empty for a device no longer listed
//	device_role        campaign or sales_rep: the device's kind when the call was ingested
//	caller_number      the caller's E.164 number, or the number as the phone reported it
//	                   when it could not be parsed (private, invalid)
//	type               inbound, missed or outbound
//	started_at         RFC 3339 with the offset of the export's time zone
//	duration_s         whole seconds
//	disposition        sync, local or ignored
//	reason             why the call is local or ignored (empty otherwise)
//	lead_source        the Lead Source the call was attributed with
//	campaign_metadata  the metadata of the call's assignment, "key=value; key=value" sorted
//	                   by key; "\", ";" and "=" inside keys and values are escaped with "\"
//	sync_status        none, pending, synced, review or failed
//	outcome            what the sync did (created_lead, linked_contact, ...), or empty
//	zoho_module        Contacts or Leads: the module of zoho_record_id
//	zoho_record_id     the Contact (preferred) or Lead the call's activity is linked to
//	zoho_call_id       the CRM Call record
//	zoho_task_id       the CRM follow-up Task
//	recovery_status    for a missed call on a campaign phone: the status of its recovery
//	                   case (open, attempted, recovered, expired); empty for other calls
//
// One column holds all metadata rather than one column per key: the set of keys is not
// known until every row has been read, and a streaming export cannot go back to widen its
// header.
//
// # Time zone
//
// Times are written in [Options.Location], or else in the org's settings time zone
// (DESIGN.md §10), as RFC 3339 with that zone's offset, so a spreadsheet shows the local
// wall clock and the instant stays exact.
//
// # Spreadsheet safety
//
// Following OWASP's CSV injection guidance, every cell whose first character is "=", "+",
// "-", "@", a tab or a carriage return is prefixed with a single quote, which spreadsheets
// hide and which stops them from evaluating the cell as a formula. E.164 numbers start with
// "+" and get the same prefix: caller data must never be evaluated, and without the prefix a
// spreadsheet would also turn "+919876543210" into the number 919876543210 and lose the "+".
// Programs reading the CSV remove a leading quote that precedes one of those characters.
//
// Cells are valid UTF-8 (invalid bytes become U+FFFD), hold no control characters other than
// tab, newline and carriage return (NUL and the others are dropped), and hold at most
// [MaxCellBytes] bytes (longer values are cut at a character boundary and end in "…"), the
// limit of a spreadsheet cell.
//
// # Recovery status
//
// The recovery status of a missed call is computed with package recovery from the caller's
// calls (Store.CallsByNumber) starting one recovery window before the export's From (all of
// them when From is zero), evaluated at [Options.Now]. Statuses are cached per caller
// number in an LRU of [Options.RecoveryCacheSize] numbers: a caller whose calls are spread
// across the export is looked up again once evicted, which costs a query but never memory.
// The lookback is a trade-off: an episode whose first miss lies more than a window before
// From (a chain of misses each less than a window apart) is seen from its first miss inside
// the lookback, so an attempt made before that miss may be missing and the status may read
// open instead of attempted. Calls that are ignored or come from deactivated devices never
// have a recovery status.
//
// # Performance
//
// BenchmarkExport100k (go test -run='^$' -bench=Export100k -benchtime=3x ./export; SQLite,
// 2 cores) exported 100,000 calls in about 1.0-1.2 s (10-12 µs and about 4.2 KB allocated per
// row, mostly by the store's row scanning and the recovery lookups), and the live heap grew by
// about 3 MiB whether 10,000 or 100,000 rows were written.
package export
