-- leadcall schema, version 1.
--
-- Conventions (shared with store/postgres, so the SQL ports with few changes):
--   * Times are INTEGER unix milliseconds UTC; NULL is the zero time.
--   * Maps and slices (settings, metadata, SIMs, candidates, resolutions) are JSON text.
--   * Booleans are BOOLEAN columns compared with TRUE/FALSE.
--   * Empty CRM IDs are NULL so that COALESCE gives first-writer-wins updates.
--   * Only the id columns (INTEGER PRIMARY KEY AUTOINCREMENT, so ids are never reused) are
--     SQLite-specific; Postgres uses BIGINT GENERATED ALWAYS AS IDENTITY.

CREATE TABLE orgs (
  id         TEXT    NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  settings   TEXT    NOT NULL,            -- JSON of leadcall.Settings
  seat_limit INTEGER NOT NULL DEFAULT 0,  -- 0 = unlimited
  created_at INTEGER NOT NULL
);

-- One row per org whose sync was ever paused; paused_until only moves forward.
CREATE TABLE org_pauses (
  org_id       TEXT    NOT NULL PRIMARY KEY REFERENCES orgs (id),
  paused_until INTEGER NOT NULL,
  reason       TEXT    NOT NULL
);

CREATE TABLE reps (
  org_id      TEXT    NOT NULL REFERENCES orgs (id),
  id          TEXT    NOT NULL,
  name        TEXT    NOT NULL,
  email       TEXT    NOT NULL,
  crm_user_id TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX reps_by_name ON reps (org_id, name, id);

CREATE TABLE devices (
  org_id              TEXT    NOT NULL REFERENCES orgs (id),
  id                  TEXT    NOT NULL,
  kind                TEXT    NOT NULL,
  nickname            TEXT    NOT NULL,
  rep_id              TEXT    NOT NULL,
  active              BOOLEAN NOT NULL,
  model               TEXT    NOT NULL,
  os                  TEXT    NOT NULL,
  app_version         TEXT    NOT NULL,
  battery             INTEGER NOT NULL,
  sims                TEXT    NOT NULL,     -- JSON of []leadcall.SIM
  created_at          INTEGER NOT NULL,
  enrolled_at         INTEGER,
  last_seen_at        INTEGER,
  assignments_version INTEGER NOT NULL DEFAULT 0,
  token_hash          TEXT,                 -- NULL = no token
  pairing_code_hash   TEXT,                 -- NULL = no pairing code
  pairing_expires_at  INTEGER,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX devices_token ON devices (token_hash) WHERE token_hash IS NOT NULL;
CREATE UNIQUE INDEX devices_pairing ON devices (pairing_code_hash) WHERE pairing_code_hash IS NOT NULL;
CREATE INDEX devices_by_nickname ON devices (org_id, nickname, id);

-- Every SIM number the org's devices reported (heartbeats and calls).
CREATE TABLE own_numbers (
  org_id TEXT NOT NULL REFERENCES orgs (id),
  number TEXT NOT NULL,
  PRIMARY KEY (org_id, number)
);

CREATE TABLE assignments (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id      TEXT    NOT NULL,
  device_id   TEXT    NOT NULL,
  lead_source TEXT    NOT NULL,
  metadata    TEXT    NOT NULL,             -- JSON of map[string]string
  start_at    INTEGER NOT NULL,
  end_at      INTEGER,                      -- NULL while open
  created_by  TEXT    NOT NULL,
  FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, id)
);
CREATE INDEX assignments_by_device ON assignments (org_id, device_id, start_at, id);
CREATE UNIQUE INDEX assignments_one_open ON assignments (org_id, device_id) WHERE end_at IS NULL;

-- Audit of CorrectAssignment: the only way history changes.
CREATE TABLE assignment_corrections (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id        TEXT    NOT NULL,
  assignment_id INTEGER NOT NULL REFERENCES assignments (id),
  before_json   TEXT    NOT NULL,           -- {"lead_source":..., "metadata":{...}}
  after_json    TEXT    NOT NULL,
  corrected_by  TEXT    NOT NULL,
  reason        TEXT    NOT NULL,
  corrected_at  INTEGER NOT NULL
);
CREATE INDEX assignment_corrections_by_assignment ON assignment_corrections (assignment_id, id);

CREATE TABLE calls (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id         TEXT    NOT NULL,
  device_id      TEXT    NOT NULL,
  device_call_id TEXT    NOT NULL,
  number_raw     TEXT    NOT NULL,
  number_e164    TEXT    NOT NULL,          -- '' when unparseable
  call_type      TEXT    NOT NULL,
  started_at     INTEGER NOT NULL,
  duration_s     INTEGER NOT NULL,
  sim_slot       INTEGER NOT NULL,
  sim_number     TEXT    NOT NULL,
  received_at    INTEGER NOT NULL,
  device_kind    TEXT    NOT NULL,
  rep_id         TEXT    NOT NULL,
  disposition    TEXT    NOT NULL,
  reason         TEXT    NOT NULL,
  assignment_id  INTEGER,                   -- NULL = none
  lead_source    TEXT    NOT NULL,
  sync_status    TEXT    NOT NULL,
  outcome        TEXT    NOT NULL,
  crm_lead_id    TEXT,                      -- CRM IDs: NULL until known, first writer wins
  crm_contact_id TEXT,
  crm_call_id    TEXT,
  crm_task_id    TEXT,
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
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id           TEXT    NOT NULL,
  call_id          INTEGER NOT NULL REFERENCES calls (id),
  serial_key       TEXT    NOT NULL,        -- caller E.164, or 'call:'||call_id when unparseable
  order_at         INTEGER NOT NULL,        -- the call's start: one caller's jobs run in this order
  state            TEXT    NOT NULL,        -- ready|running|done|dead
  step             TEXT    NOT NULL,
  mode             TEXT    NOT NULL,
  target_module    TEXT    NOT NULL,
  target_id        TEXT    NOT NULL,
  attempt          INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  run_at           INTEGER NOT NULL,
  lease_owner      TEXT    NOT NULL DEFAULT '',
  lease_token      INTEGER NOT NULL DEFAULT 0,  -- 0 = no lease
  lease_expires_at INTEGER,
  last_error       TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- One active job per call.
CREATE UNIQUE INDEX outbox_one_active ON outbox (call_id) WHERE state IN ('ready', 'running');
-- Ready jobs by run time; its state prefix also finds the (few) running jobs whose lease
-- may have expired.
CREATE INDEX outbox_ready ON outbox (state, run_at, id);
-- The head-of-queue checks of ClaimJobs.
CREATE INDEX outbox_serial ON outbox (org_id, serial_key, order_at, id) WHERE state IN ('ready', 'running');

-- Audit of every CRM create: the intent is committed before the request, the result after.
CREATE TABLE sync_attempts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id       INTEGER NOT NULL REFERENCES outbox (id),
  call_id      INTEGER NOT NULL REFERENCES calls (id), -- the job's call, for LeadsCreatedFor
  attempt      INTEGER NOT NULL,
  lease_token  INTEGER NOT NULL,
  op           TEXT    NOT NULL,
  entity_key   TEXT    NOT NULL,
  request_hash TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,                     -- NULL = in doubt (crashed or in flight)
  outcome      TEXT    NOT NULL DEFAULT '',
  error_code   TEXT    NOT NULL DEFAULT '',
  crm_id       TEXT    NOT NULL DEFAULT '',
  error        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sync_attempts_by_job ON sync_attempts (job_id, op, id);
CREATE INDEX sync_attempts_by_call ON sync_attempts (call_id);

CREATE TABLE review_items (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  call_id     INTEGER NOT NULL REFERENCES calls (id),
  number_e164 TEXT    NOT NULL,
  candidates  TEXT    NOT NULL,             -- JSON of []leadcall.Candidate
  status      TEXT    NOT NULL,
  detail      TEXT    NOT NULL,
  resolution  TEXT,                         -- JSON of leadcall.Resolution; NULL while open
  created_at  INTEGER NOT NULL
);
CREATE INDEX review_by_org ON review_items (org_id, id);
CREATE INDEX review_by_status ON review_items (org_id, status, id);

-- The event log; ids increase strictly in commit order (one writer).
CREATE TABLE events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id  TEXT    NOT NULL REFERENCES orgs (id),
  type    TEXT    NOT NULL,
  at      INTEGER NOT NULL,
  call_id INTEGER,                          -- NULL = none
  data    TEXT                              -- JSON; NULL = none
);
CREATE INDEX events_by_org ON events (org_id, id);
