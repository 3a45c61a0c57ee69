// Package zoho is leadcall's adapter for Zoho CRM (API v8). A *CRM is one org's connection: it
// implements leadcall.CRM and the optional FieldDescriber, Bundler, TaskCompleter and
// SyncKeyChecker, so the Engine can look callers up, create Leads, Calls and Tasks, and check
// picklists and the sync-key field. The facts it relies on, with their sources, are in
// research/zoho-api.md; section numbers below refer to it.
//
// # Connecting
//
// First connect: send the user to AuthCodeURL (it asks for offline access and the scopes in
// Scopes), then pass the redirect's code and accounts-server to ExchangeCode, which returns
// the refresh token to store (encrypted) with the org. New builds the connection from the
// refresh token and the data centre (or the accounts server of the redirect). Package
// zohoconnect wraps both in HTTP handlers with single-use states (a "Connect Zoho" button):
//
//	c, err := zoho.New(zoho.Config{
//		DataCenter:   zoho.DataCenterIndia,
//		ClientID:     id,
//		ClientSecret: secret,
//		RefreshToken: refresh,
//	})
//
// The API base is the api_domain of each token response (Canada's is www.zohoapis.ca, not
// under zohocloud.ca, §1.1).
//
// # Tokens
//
// One access token is cached per connection and refreshed about five minutes before it
// expires, by one request however many goroutines need it. Zoho allows 10 tokens per refresh
// token in 10 minutes and blocks token requests for a while past that; the adapter never asks
// for more, and after Zoho's "Access Denied" it waits 30 minutes (CodeRateLimited with
// RetryAfter). InitialToken and TokenSavedFunc let a caller keep the token across restarts.
// Token errors come with HTTP 200 and are recognised by the missing access_token (§1.4).
// When a request is rejected with INVALID_TOKEN (or AUTHENTICATION_FAILURE) the token is
// refreshed once and the request sent once more; a second rejection is CodeUnauthorized,
// which pauses the org. OAUTH_SCOPE_MISMATCH and a revoked refresh token (invalid_code) are
// CodeReconnectRequired: a person must connect again. Tokens, secrets and the refresh token
// never appear in logs or errors.
//
// # Requests and limits
//
// Every request waits for a client-side rate limiter (Config.RequestsPerSecond, Burst, or a
// Config.Limiter that replicas share, such as store/postgres's RateLimiter) and an
// in-flight slot (Config.Concurrency, in Zoho's concurrency units: a composite request counts
// 5). A 429 (or TOO_MANY_REQUESTS) is CodeRateLimited with RetryAfter: Retry-After when Zoho
// sends it, and then the connection also refuses requests locally until that time; otherwise
// DefaultRetryAfter, reported only (Zoho documents no Retry-After, and the Engine pauses the
// org on CodeRateLimited anyway). Credits reports the credits spent in Zoho's rolling 24 hours
// by its cost table; Stats counts the requests. Redirects are not followed. The adapter never
// retries otherwise: the Engine does.
//
// Errors are *leadcall.Error values with the write-classification of leadcall's errors.go:
// 4xx validation errors are CodeInvalid (nothing was written); 5xx, timeouts, resets and
// unreadable 2xx bodies are CodeUnavailable (a write may have happened); a DUPLICATE_DATA on
// LC_Sync_Key is CodeConflict with ExistingID (a duplicate on another unique field is
// CodeInvalid: that record is not leadcall's to adopt); NO_PERMISSION and a token rejected
// twice are CodeUnauthorized. Zoho's own error is reachable with errors.As as an *APIError
// (code, message, details, HTTP status), or an *OAuthError for the accounts server. Response
// bodies are read up to Config.MaxResponseBytes (ErrResponseTooLarge).
//
// # Lookups
//
// FindByPhone reads two ways at once, because neither is safe alone (§3, §11): COQL '=' on
// every (phone field, variant) pair, which sees a record created a moment ago but compares
// strings exactly, and a criteria search per module, ((Phone:in:v1,v2,v3,v4)or(Mobile:in:
// ...)), which finds "98200 11111" or "+91 98333 33333" if Zoho's search ignores formatting
// (undocumented; the fake does) but lags behind recent writes. Both halves of both modules
// go in one composite request (1 HTTP request, 1 credit); without composite they are 4
// plain requests. The union is returned, each record once, so a caller stored in two
// formats is seen twice (ambiguous), never hidden by stopping at the first hit. Search rows
// count only when a phone value is the caller's number (criteria "equals" behaves like
// "contains"): stripped to digits and '+' it is a variant, or it reads as the same E.164
// number in the caller's region. Converted Leads are excluded in both halves and again in
// the results. Phone fields come from field metadata once it has been read (Fields, or a
// picklist check), else the standard ones. When Zoho refuses a half (a missing scope) the
// other answers alone, with a warning, and the refused half rests for
// DefaultFallbackCooldown; when it refuses the criteria form, ?phone= searches per variant
// and module take its place. Any other failure of any part fails the lookup: half an answer
// could create a duplicate Lead.
//
// Lookups that found records are remembered for Config.PhoneCacheTTL (DefaultPhoneCacheTTL,
// 2 minutes), so a repeat caller costs no lookup request (DESIGN.md §8: a new caller's
// missed call is 2 requests, the next call 1). Misses are never served from the cache. A Lead
// the connection creates joins the remembered lookups of its number, or becomes its entry
// when the last lookup found nothing; a failed or uncertain create drops what it concerns
// (the number's entries for a Lead, those holding the linked record for a Call or Task), and
// a lookup that overlapped such a create is not remembered. The trade-off: a record that
// someone else (a person, another app, another leadcall replica) creates or converts in Zoho
// during the TTL is not seen by a remembered lookup, so a call may be linked to the one
// record remembered where a fresh lookup would have asked for review. No duplicate Lead can
// come of it, since only lookups that found records are remembered. A negative
// PhoneCacheTTL turns the cache off.
//
// FindBySyncKey asks COQL for LC_Sync_Key = key (a criteria search without the COQL scope,
// compared exactly afterwards). Hits, and the IDs of records the connection creates, are
// cached for Config.SyncKeyCacheTTL; misses never are, because the next moment a create may
// land.
//
// # Writes
//
// Leads get Last_Name, Phone, Lead_Source, the extra fields by API name (numbers and booleans
// typed by the field metadata when known), Description, Owner and LC_Sync_Key. Calls get
// Subject, Call_Type, Call_Start_Time in the org's zone with its offset, Call_Duration as mm:ss
// (minutes may pass 59; never 00:00) for Inbound and Outbound and none for Missed, What_Id
// with $se_module "Leads" for a Lead or Who_Id for a Contact, Call_Result, Owner, Description
// and LC_Sync_Key; Call_Duration_in_seconds is never written. Tasks get Subject, Due_Date (the
// date in the org's zone), Status, Priority, the same link, Owner, Description and
// LC_Sync_Key. Config.Trigger sets the automation Zoho runs on writes.
//
// Zoho adds an unknown picklist value as a new option instead of refusing it, so Lead_Source
// and Call_Result are checked against field metadata (cached for Config.FieldsCacheTTL, looked
// up afresh before a value is refused) and written as display values; an unknown value is
// CodeInvalid. Fields itself always asks Zoho, since the Engine caches it and drops its copy
// when a picklist changes.
//
// CreateBundle creates a Lead with its Call and Task in one composite request, the Call and
// Task referring to the new Lead's ID; when Zoho refuses the composite API it sends plain
// requests and stops trying composite for DefaultFallbackCooldown. Parts after a failed part
// are not attempted (crm.ErrNotAttempted), except that a part Zoho ran and wrote is always
// reported as written.
//
// # Without the LC_Sync_Key field
//
// The field (single line, unique, on Leads, Calls and Tasks) makes creates idempotent: a
// repeated create fails with DUPLICATE_DATA naming the existing record, which the Engine
// adopts. EnsureSyncKey creates it through the fields API; SyncKeyStatus reports it. When a
// module has no usable field (metadata says so, COQL reports an unknown column, or Zoho
// refuses the field on a write) the adapter writes that module without keys and
// FindBySyncKey returns "" for it. Sync still runs, but a create whose response was lost can
// then not be found again: after the Engine's grace period it is created a second time. That
// is the residual duplicate risk an org without the field accepts; /readyz reports it.
//
// # Not confirmed against a live org
//
// Some behaviour is undocumented (zoho-api.md marks it unconfirmed); where it matters the
// adapter is safe under either reading: it sends both parallel_execution and
// concurrent_execution (false) in composite requests, uses '=' rather than 'in' for COQL on
// phone fields, unions COQL with a search on phone fields whichever of them ignores
// formatting (and checks search rows itself), nests criteria in pairs, sends search
// parameters of a composite sub-request as plain JSON values (a '+' unescaped, no body),
// excludes converted Leads in the query (dropping the Converted__s criterion
// when COQL does not know the column) and again in the results, accepts a failed
// sub-request's error at the wrapper level or inside its response, reads a
// duplicate's ID from details.duplicate_record.id or details.id, treats "unique" as set for
// any non-empty object, never writes a zero Call_Duration, and treats expires_in over a week
// as milliseconds.
package zoho
