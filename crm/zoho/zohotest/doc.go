// Package zohotest is a fake Zoho CRM: a Zoho Accounts OAuth server and the CRM REST API v8
// of one org, on one loopback host, for tests, end-to-end runs and the reference server's
// sandbox mode. It imports only the standard library.
//
// Every behaviour follows research/zoho-api.md (its sources are cited in comments as D-*, K*,
// OAS, PY, ...). Where Zoho's documentation is silent the fake picks the stricter plausible
// behaviour, so client bugs surface here rather than in production, and says so in a comment.
//
// # Quick start
//
//	srv := zohotest.New(zohotest.Config{})
//	if err := srv.Start(); err != nil { ... }
//	defer srv.Close()
//	creds := srv.Credentials() // client id/secret, refresh token, accounts URL
//	leadID, _ := srv.AddLead(map[string]any{"Last_Name": "Kumar", "Phone": "+91 98765 43210"})
//
// # Endpoints
//
//	GET  /oauth/v2/auth                    consent screen, answered by [Server.SetConsent]
//	POST /oauth/v2/token                   refresh_token and authorization_code grants
//	POST /oauth/v2/token/revoke            revoke a refresh token
//	GET  /crm/v8/{module}                  list records (fields= is mandatory)
//	GET  /crm/v8/{module}/{id}             one record
//	GET  /crm/v8/{module}/search           criteria | email | phone | word
//	POST /crm/v8/{module}                  insert 1-100 records
//	PUT  /crm/v8/{module}, /{module}/{id}  update
//	POST /crm/v8/{module}/upsert           Leads and Contacts only
//	POST /crm/v8/coql                      COQL subset
//	POST /crm/v8/__composite_requests      up to 5 sub-requests with @{id:$.path} references
//	GET  /crm/v8/users                     type=ActiveUsers etc., paged
//	GET  /crm/v8/settings/fields?module=X  field metadata with picklists
//
// Modules: Leads, Contacts, Calls, Tasks, with Zoho's standard fields and the custom field
// LC_Sync_Key (single line; unique, plain or absent per module, [Config.SyncKey]).
//
// # Faithful
//
//   - Token endpoint: form or query parameters; HTTP 200 {"error":"invalid_client"},
//     "invalid_client_secret", "invalid_code"; 10 tokens per refresh token per 10 minutes,
//     then HTTP 400 "Access Denied"; expires_in in seconds; api_domain pointing back here;
//     grant codes that expire after a minute and work once; refresh tokens only for
//     offline access.
//   - Consent: GET /oauth/v2/auth redirects (302) to redirect_uri with code, state, location
//     and accounts-server, or error=access_denied and the state when the user rejects; an
//     unknown client or an unregistered redirect URI gets an error page and no redirect.
//   - "Authorization: Zoho-oauthtoken <t>" only; expired, revoked or unknown tokens get 401
//     INVALID_TOKEN; missing scopes 401 OAUTH_SCOPE_MISMATCH (search also needs
//     ZohoSearch.securesearch.READ, COQL ZohoCRM.coql.READ, and so on); a foreign Host 400
//     INVALID_HOST; unknown paths 404 INVALID_URL_PATTERN; unknown modules 400 INVALID_MODULE.
//   - Writes: per-record results in request order; 201 (insert) or 200 (update/upsert) when
//     all succeed, 207 when mixed (202 configurable), 400 when all fail; more than 100 records
//     400 LIMIT_EXCEEDED; MANDATORY_NOT_FOUND, INVALID_DATA with api_name/json_path/
//     expected_data_type, DEPENDENT_MISMATCH for zero-length Inbound/Outbound calls,
//     $se_module required with What_Id, Call_Type immutable, DUPLICATE_DATA with the existing
//     record's id (OAS v8 sample). Unknown values of open picklists (Lead_Source, Lead_Status,
//     Call_Purpose, Call_Result) are added as new options, as Zoho does; writes use
//     display_value.
//   - Search: 204 with an empty body when nothing matches; INVALID_DATA for values under two
//     characters or with special characters; phone= scans every phone-typed field; criteria
//     "equals" behaves like "contains", "in" takes up to 100 values, at most 10 criteria;
//     converted Leads hidden unless converted=true|both;
//     per_page at most 200; at most 2,000 records, then LIMIT_REACHED; optional index lag.
//   - COQL: WHERE is mandatory, more than two criteria must be bracketed, at most 25 criteria
//     and 50 columns, LIMIT 1-2000 (default 200), 204 when empty, exact "=" with no phone
//     normalisation, SYNTAX_ERROR / INVALID_QUERY bodies from the OAS samples.
//   - Composite: 1-5 sub-requests, sub_request_id and uri patterns, restricted headers,
//     rollback_on_fail with ROLLBACK_PERFORMED and PROCESSING_STOPPED, AMBIGUITY_DURING_PROCESSING,
//     1 record per write and 25 per read, 1 or 2 credits.
//   - Limits: credits per call (1 by default, 1 per 10 records written, COQL by LIMIT,
//     composite 1 or 2), an optional rolling 24-hour allowance, concurrency units (composite
//     5) and sub-concurrency (COQL, composite) with 429 TOO_MANY_REQUESTS over the cap.
//
// # Simplified
//
//   - One org; every token belongs to the admin user, or to the user a [ConsentFunc] names; four modules; no layouts, workflows,
//     approvals, territories, joins, aggregates, aliases or bulk APIs.
//   - Composite sub-requests run one at a time in dependency order and are not charged,
//     throttled or faulted on their own. A rollback restores the records as they were before
//     the composite call, even if another request changed them meanwhile.
//   - Index lag applies to records created through the API, not to edits.
//   - What_Id can point only at Leads (the only non-Contact module emulated).
//
// # Unconfirmed in Zoho's docs (choices made here)
//
//   - Phone matching for search, both ?phone= and criteria (equals, in, starts_with) on
//     phone-type fields: spaces, '-', '.', '(' and ')' are ignored, '+' and trunk prefixes
//     are not ([PhoneMatchFormatted]), so "+91 98765-43210" is found by +919876543210 but not
//     by 919876543210. Zoho documents neither reading; this is the fake's, and
//     [PhoneMatchExact] is the stricter one. COQL '=' is exact under both.
//   - Body of 429 and of exhausted credits (TOO_MANY_REQUESTS; LIMIT_REACHED), no Retry-After.
//   - HTTP status of mixed insert results (207; Config.MixedStatus).
//   - Call_Duration is "m:ss" with minutes unbounded; a zero duration is accepted for Missed
//     calls; Call_Duration_in_seconds is computed and read-only.
//   - An inactive Owner is INVALID_DATA; unknown fields in a write are ignored silently;
//     an actual_value that differs from its display_value is treated as a new option.
//   - GET of an unknown record id answers 204; per_page above the maximum answers 400.
//   - COQL hides converted Leads (Config.COQLIncludesConvertedLeads) and reads without index
//     lag unless Config.IndexLagCOQL.
//   - A failed composite sub-request carries the wrapped API's error code and details.
//   - A malformed JSON body answers 400 INVALID_DATA; a body over Config.MaxBodyBytes 413.
//   - Field metadata marks unique fields with "unique": {"casesensitive": false}.
//
// # Fault injection
//
// [Server.AddFault] programs [FaultRule]s: 429s, 5xx, hangs, dropped connections before or
// after the write is applied, truncated responses, token expiry, missing expires_in.
// Probabilities draw from a source seeded by [Config.Seed], so a run repeats exactly.
//
// # Inspection
//
// [Server.Records], [Server.FindBySyncKey], [Server.Count], [Server.Requests],
// [Server.RequestCount], [Server.CreditsUsed], [Server.PeakInFlight], [Server.FaultEvents]
// and [Server.Reset] let tests check what a client did. [Server.RecentRecords] and
// [Server.View] read the newest records cheaply, and [Server.ViewHandler] serves them as a
// read-only JSON view (mounted by the reference server's sandbox mode for its dashboard).
//
// A Server is safe for concurrent use.
package zohotest
