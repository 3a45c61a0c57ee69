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
// Config.PairingTTL and work once.
//
// The manager API takes the bootstrap admin token (Config.AdminToken, LEADCALL_ADMIN_TOKEN in
// examples/server) as "Authorization: Bearer <token>", compared in constant time, and acts on
// Config.OrgID. Users with roles (admin, manager, rep), browser sessions, per-user API tokens,
// the dashboard and the live stream (GET /v1/stream) are not part of this package yet: they
// come with the dashboard slice, which will add a second authenticator beside the admin token
// and a role check per route.
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
//	unauthorized        401 (missing or wrong token for this API)
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
