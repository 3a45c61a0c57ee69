// Package httpapi is the reference server's HTTP API (DESIGN.md §6): the device protocol that
// phones use to enroll, report heartbeats and upload calls, the manager API that configures an
// org (settings, reps, devices, assignments) and reads its calls and review queue, and the
// health, readiness and Prometheus endpoints. New returns an http.Handler built only from the
// root package's interfaces (Engine, Store, CRMProvider), so any store and any CRM adapter can
// sit behind it; examples/server wires it to SQLite or PostgreSQL and to Zoho or the fake Zoho.
//
// # Authentication
//
// Devices send "Authorization: Bearer <device token>". The token (32 random bytes, base64url)
// is returned once by POST /v1/device/enroll and only its SHA-256 is stored
// (leadcall.Device.TokenHash); the token identifies the device and its org, so a device can only
// ever write its own calls. Pairing codes are created with the device (POST /v1/devices, or
// again with POST /v1/devices/{id}/pairing-code), stored as SHA-256, expire after
// Config.PairingTTL and work once: the code is cleared in the same store write that sets the
// token. Two replicas redeeming one code at the same instant could both answer, but the second
// write replaces the first token, so one token works afterwards.
//
// The manager API authenticates a principal (PrincipalFrom): the bootstrap admin token
// (Config.AdminToken, LEADCALL_ADMIN_TOKEN in examples/server; compared in constant time; admin
// of Config.OrgID), a browser session (cookie SessionCookie from POST /v1/auth/login), or a
// personal API token ("Authorization: Bearer lct_...", from POST /v1/tokens). Sessions and API
// tokens are 32 random bytes of which only the SHA-256 is stored (leadcall.UserStore).
// Passwords are bcrypt hashes at Config.BcryptCost (default DefaultBcryptCost), at least
// Config.MinPasswordLen characters and at most 72 bytes; a login with an unknown email is
// compared against a dummy hash of the same cost, so that it takes as long as a wrong password.
// Logins are rate limited per email and client IP (Config.LoginBurst, then one per
// Config.LoginInterval; X-Forwarded-For is not trusted), and at most
// Config.MaxConcurrentLogins password checks run at once (429 beyond). Sessions end after
// Config.SessionIdleTimeout without use (default 12 h) or Config.SessionMaxAge after login
// (default 7 days), on logout, and when the user is disabled or gets a new password; a disabled
// user's API tokens are refused. Roles are read on every request, so a role change applies at
// once.
//
// Every route is registered with its access level (Routes): public, device, or a least role
// (admin > manager > rep). Admins do everything; managers everything but users, other users'
// API tokens and PUT /v1/settings; reps only read: GET /v1/devices (their devices:
// Device.RepID), GET /v1/devices/{id}/assignments of those, GET /v1/calls and /v1/calls.csv
// (calls whose RepID is theirs), GET /v1/review (items of those calls), GET /v1/recovery (cases
// credited to or recovered by their devices), GET /v1/reports/summary (their devices' calls),
// and the live stream (see repFilter: events of their calls and devices only); reps may also
// sign out and manage their own API tokens. Another rep's device is 404 to a rep,
// and so is any ID of another org. A request authenticated by the session cookie that changes
// state (not GET, HEAD or OPTIONS) must carry Sec-Fetch-Site: same-origin or an Origin whose
// host is the request's Host or matches Config.TrustedOrigins, else 403 forbidden_origin; a
// login posted with a foreign Origin is refused the same way.
//
// The live stream GET /v1/stream (WebSocket; resume with ?after=ID from Store.Events, then live
// events from a Hub, which is the Engine's Notifier) is mounted with Server.WithStream. When
// several replicas share one store, give the Hub HubConfig.Follow (the store, if it implements
// EventLog, as store/postgres does): it then streams every replica's events, each once and in
// ID order, reading them from the log whenever this replica's Notifier or the store's
// notifications (LISTEN/NOTIFY) say the log grew, and filling lost notifications from it.
//
// # Routes
//
//	GET  /healthz, GET /readyz, GET /metrics, GET /v1/openapi.json (OpenAPI 3.1)
//	POST /v1/auth/login, /v1/auth/logout; GET /v1/auth/me
//	GET|POST /v1/users; PATCH /v1/users/{id} (admin)
//	GET|POST /v1/tokens; DELETE /v1/tokens/{id} (personal API tokens, shown once)
//	POST /v1/device/enroll, /v1/device/heartbeat, /v1/device/calls
//	GET|PUT /v1/settings
//	POST|GET /v1/reps; PUT /v1/reps/{id}/crm-user; GET /v1/crm/users, /v1/crm/lead-sources
//	POST|GET /v1/devices; PATCH /v1/devices/{id}; POST /v1/devices/{id}/pairing-code
//	PUT /v1/devices/{id}/assignment; GET /v1/devices/{id}/assignments
//	GET /v1/calls (from, to, device, type, outcome, sync_status, limit, cursor)
//	GET /v1/calls.csv (the same filters, every page, as CSV)
//	GET /v1/review (status, kind, limit, cursor); POST /v1/review/{id}/resolve
//	GET /v1/reports/summary (from, to, group_by, repeat_window, device; figures of package report)
//	GET /v1/recovery (status, from, to, device_id, limit, cursor: {items, next_cursor} of recovery
//	    cases and the summary of the whole range; reps see
//	    the cases credited to or recovered by their devices)
//	POST /v1/backfill {from, to, device_ids, dry_run} (manager: 200 with the planned writes for
//	    a dry run, 202 with a backfill_id for a real one; backfill.progress/done events follow)
//	GET /v1/stream (WebSocket, mounted by WithStream)
//	GET /, GET /ui/{asset}: the Command Center dashboard (package ui), under a strict CSP
//
// GET /readyz answers 200 when the store and the CRM answer (Readiness), 503 otherwise; the CRM
// check is cached for Config.ReadyCacheTTL. GET /metrics serves Config.Registry:
// leadcall_http_requests_total{route,status}, leadcall_http_request_duration_seconds{route},
// leadcall_ingested_calls_total{status} and leadcall_sync_jobs{state} (read from the store at
// scrape time).
//
// # Errors
//
// Every error answers {"error":{"code","message","field"}}. One table (statusOf) maps codes to
// statuses:
//
//	invalid             400 when the request cannot be read (malformed JSON, unknown fields,
//	                    wrong types, bad query parameters); 422 when it was read but a value
//	                    is refused (leadcall.CodeInvalid from the Engine)
//	invalid_lead_source 422 (the Lead Source is not an active picklist value)
//	too_large           413 (body above Config.MaxBodyBytes)
//	unauthorized        401 (missing or wrong credentials for this API)
//	invalid_credentials 401 (login: wrong email or password; the same for an unknown email)
//	forbidden           403 (authenticated, but the role may not do this)
//	forbidden_origin    403 (cookie-authenticated state change from another origin)
//	not_found           404 (also any ID of another org: the store never shows it)
//	method_not_allowed  405
//	conflict            409
//	seat_limit          409 (the org's active-device limit is reached; 402 was rejected
//	                    because nothing is for sale here: freeing a seat resolves it)
//	rate_limited        429 with Retry-After
//	crm_unauthorized,   502: the server's own CRM connection was refused. The client's
//	reconnect_required  credentials were already accepted, so 401 would mislead it
//	unavailable         503 (store or CRM temporarily unreachable; retry)
//	internal            500 (details are logged, never returned)
//
// # Limits and privacy
//
// Request bodies are capped at Config.MaxBodyBytes (default 1 MiB) and call batches at the
// Engine's MaxBatch; unknown JSON fields and strings holding NUL are refused. Each device has
// its own token bucket (Config.DeviceRate, DeviceBurst); enrollment attempts share one
// (Config.EnrollRate). Logs carry the route, status, duration and device ID, never a token,
// and phone numbers only masked (MaskPhone).
package httpapi
