-- leadcall schema for PostgreSQL, version 1. The tables, columns and semantics are those of
-- store/sqlite's 0001_init.sql; what differs is noted here.
--
-- Conventions:
--   * Times are BIGINT unix milliseconds UTC; NULL is the zero time (as on SQLite).
--   * Integers are BIGINT, the range of SQLite's INTEGER.
--   * Maps and slices (settings, metadata, SIMs, candidates, resolutions) and event data are
--     JSON text, stored verbatim.
--   * Text that is sorted or compared (IDs, names, numbers) is COLLATE "C": byte order, the
--     same as SQLite's, whatever the database's locale.
--   * Empty CRM IDs are NULL so that COALESCE gives first-writer-wins updates.
--   * Row ids are BIGINT GENERATED ALWAYS AS IDENTITY, except events.id (see below).
--   * Objects are created in the connection's current schema (search_path), so one database
--     can hold several independent stores.

CREATE TABLE orgs (
  id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  name       TEXT   NOT NULL,
  settings   TEXT   NOT NULL,            -- JSON of leadcall.Settings
  seat_limit BIGINT NOT NULL DEFAULT 0,  -- 0 = unlimited
  created_at BIGINT NOT NULL
);

-- One row per org whose sync was ever paused; paused_until only moves forward.
CREATE TABLE org_pauses (
  org_id       TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES orgs (id),
  paused_until BIGINT NOT NULL,
  reason       TEXT   NOT NULL
);

CREATE TABLE reps (
  org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
  id          TEXT COLLATE "C" NOT NULL,
  name        TEXT COLLATE "C" NOT NULL,
  email       TEXT   NOT NULL,
  crm_user_id TEXT   NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX reps_by_name ON reps (org_id, name, id);

CREATE TABLE devices (
  org_id              TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
  id                  TEXT COLLATE "C" NOT NULL,
  kind                TEXT    NOT NULL,
  nickname            TEXT COLLATE "C" NOT NULL,
  rep_id              TEXT COLLATE "C" NOT NULL,
  active              BOOLEAN NOT NULL,
  model               TEXT    NOT NULL,
  os                  TEXT    NOT NULL,
  app_version         TEXT    NOT NULL,
  battery             BIGINT  NOT NULL,
  sims                TEXT    NOT NULL,     -- JSON of []leadcall.SIM
  created_at          BIGINT  NOT NULL,
  enrolled_at         BIGINT,
  last_seen_at        BIGINT,
  assignments_version BIGINT  NOT NULL DEFAULT 0,
  token_hash          TEXT COLLATE "C",     -- NULL = no token
  pairing_code_hash   TEXT COLLATE "C",     -- NULL = no pairing code
  pairing_expires_at  BIGINT,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX devices_token ON devices (token_hash) WHERE token_hash IS NOT NULL;
CREATE UNIQUE INDEX devices_pairing ON devices (pairing_code_hash) WHERE pairing_code_hash IS NOT NULL;
CREATE INDEX devices_by_nickname ON devices (org_id, nickname, id);

-- Every SIM number the org's devices reported (heartbeats and calls).
CREATE TABLE own_numbers (
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
  number TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (org_id, number)
);

CREATE TABLE assignments (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      TEXT COLLATE "C" NOT NULL,
  device_id   TEXT COLLATE "C" NOT NULL,
  lead_source TEXT   NOT NULL,
  metadata    TEXT   NOT NULL,             -- JSON of map[string]string
  start_at    BIGINT NOT NULL,
  end_at      BIGINT,                      -- NULL while open
  created_by  TEXT   NOT NULL,
  FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, id)
);
CREATE INDEX assignments_by_device ON assignments (org_id, device_id, start_at, id);
CREATE UNIQUE INDEX assignments_one_open ON assignments (org_id, device_id) WHERE end_at IS NULL;

-- Audit of CorrectAssignment: the only way history changes.
CREATE TABLE assignment_corrections (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id        TEXT COLLATE "C" NOT NULL,
  assignment_id BIGINT NOT NULL REFERENCES assignments (id),
  before_json   TEXT   NOT NULL,           -- {"lead_source":..., "metadata":{...}}
  after_json    TEXT   NOT NULL,
  corrected_by  TEXT   NOT NULL,
  reason        TEXT   NOT NULL,
  corrected_at  BIGINT NOT NULL
);
CREATE INDEX assignment_corrections_by_assignment ON assignment_corrections (assignment_id, id);

CREATE TABLE calls (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id         TEXT COLLATE "C" NOT NULL,
  device_id      TEXT COLLATE "C" NOT NULL,
  device_call_id TEXT COLLATE "C" NOT NULL,
  number_raw     TEXT    NOT NULL,
  number_e164    TEXT COLLATE "C" NOT NULL, -- '' when unparseable
  call_type      TEXT COLLATE "C" NOT NULL,
  started_at     BIGINT  NOT NULL,
  duration_s     BIGINT  NOT NULL,
  sim_slot       BIGINT  NOT NULL,
  sim_number     TEXT    NOT NULL,
  received_at    BIGINT  NOT NULL,
  device_kind    TEXT    NOT NULL,
  rep_id         TEXT COLLATE "C" NOT NULL,
  disposition    TEXT COLLATE "C" NOT NULL,
  reason         TEXT    NOT NULL,
  assignment_id  BIGINT,                    -- NULL = none
  lead_source    TEXT    NOT NULL,
  sync_status    TEXT COLLATE "C" NOT NULL,
  outcome        TEXT COLLATE "C" NOT NULL,
  crm_lead_id    TEXT COLLATE "C",          -- CRM IDs: NULL until known, first writer wins
  crm_contact_id TEXT COLLATE "C",
  crm_call_id    TEXT COLLATE "C",
  crm_task_id    TEXT COLLATE "C",
  owner_id       TEXT    NOT NULL DEFAULT '',
  owner_resolved BOOLEAN NOT NULL DEFAULT FALSE,
  last_error     TEXT    NOT NULL DEFAULT '',
  UNIQUE (org_id, device_id, device_call_id),
  FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, id)
);
CREATE INDEX calls_by_start ON calls (org_id, started_at, id);
CREATE INDEX calls_by_number ON calls (org_id, number_e164, started_at, id);

-- The sync outbox: one job per call sync, claimed under a fenced lease.
CREATE TABLE outbox (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id           TEXT COLLATE "C" NOT NULL,
  call_id          BIGINT  NOT NULL REFERENCES calls (id),
  serial_key       TEXT COLLATE "C" NOT NULL, -- caller E.164, or 'call:'||call_id when unparseable
  order_at         BIGINT  NOT NULL,        -- the call's start: one caller's jobs run in this order
  state            TEXT COLLATE "C" NOT NULL, -- ready|running|done|dead
  step             TEXT    NOT NULL,
  mode             TEXT    NOT NULL,
  target_module    TEXT    NOT NULL,
  target_id        TEXT    NOT NULL,
  attempt          BIGINT  NOT NULL DEFAULT 0,
  max_attempts     BIGINT  NOT NULL,
  run_at           BIGINT  NOT NULL,
  lease_owner      TEXT    NOT NULL DEFAULT '',
  lease_token      BIGINT  NOT NULL DEFAULT 0,  -- 0 = no lease
  lease_expires_at BIGINT,
  last_error       TEXT    NOT NULL DEFAULT '',
  created_at       BIGINT  NOT NULL,
  updated_at       BIGINT  NOT NULL
);
-- One active job per call.
CREATE UNIQUE INDEX outbox_one_active ON outbox (call_id) WHERE state IN ('ready', 'running');
-- Ready jobs by run time, and the (few) running jobs whose lease may have expired.
CREATE INDEX outbox_ready ON outbox (run_at, id) WHERE state = 'ready';
CREATE INDEX outbox_leased ON outbox (lease_expires_at, id) WHERE state = 'running';
-- The head-of-queue checks of ClaimJobs.
CREATE INDEX outbox_serial ON outbox (org_id, serial_key, order_at, id) WHERE state IN ('ready', 'running');
-- JobCounts.
CREATE INDEX outbox_state ON outbox (state);

-- Audit of every CRM create: the intent is committed before the request, the result after.
CREATE TABLE sync_attempts (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id       BIGINT NOT NULL REFERENCES outbox (id),
  call_id      BIGINT NOT NULL REFERENCES calls (id), -- the job's call, for LeadsCreatedFor
  attempt      BIGINT NOT NULL,
  lease_token  BIGINT NOT NULL,
  op           TEXT COLLATE "C" NOT NULL,
  entity_key   TEXT   NOT NULL,
  request_hash TEXT   NOT NULL,
  started_at   BIGINT NOT NULL,
  finished_at  BIGINT,                     -- NULL = in doubt (crashed or in flight)
  outcome      TEXT COLLATE "C" NOT NULL DEFAULT '',
  error_code   TEXT   NOT NULL DEFAULT '',
  crm_id       TEXT COLLATE "C" NOT NULL DEFAULT '',
  error        TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX sync_attempts_by_job ON sync_attempts (job_id, op, id);
CREATE INDEX sync_attempts_by_call ON sync_attempts (call_id);

CREATE TABLE review_items (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      TEXT COLLATE "C" NOT NULL,
  kind        TEXT COLLATE "C" NOT NULL,
  call_id     BIGINT NOT NULL REFERENCES calls (id),
  number_e164 TEXT   NOT NULL,
  candidates  TEXT   NOT NULL,             -- JSON of []leadcall.Candidate
  status      TEXT COLLATE "C" NOT NULL,
  detail      TEXT   NOT NULL,
  resolution  TEXT,                        -- JSON of leadcall.Resolution; NULL while open
  created_at  BIGINT NOT NULL
);
CREATE INDEX review_by_org ON review_items (org_id, id);
CREATE INDEX review_by_status ON review_items (org_id, status, id);

-- The event log.
--
-- Event IDs must increase in commit order within an org: the live stream reads "events after
-- the last ID I saw", and must never skip one that commits late. Sequence values alone do not
-- give that (a transaction can take a value and commit after one that took a later value). So
-- a transaction that appends events first locks its org's row in event_locks (FOR UPDATE,
-- as its last step before the inserts), and only then takes IDs from event_ids. The lock is
-- held until commit, so within an org IDs are handed out in commit order; orgs do not wait for
-- each other. The sequence keeps IDs unique and increasing across orgs too, in the order of
-- a batch.
CREATE SEQUENCE event_ids AS BIGINT;

CREATE TABLE event_locks (
  org_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES orgs (id)
);

CREATE TABLE events (
  id      BIGINT NOT NULL PRIMARY KEY,     -- from event_ids, under the org's event lock
  org_id  TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
  type    TEXT   NOT NULL,
  at      BIGINT NOT NULL,
  call_id BIGINT,                          -- NULL = none
  data    TEXT                             -- JSON; NULL = none
);
CREATE INDEX events_by_org ON events (org_id, id);
