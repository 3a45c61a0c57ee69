-- What leadcall did once for a recovery case. Cases themselves are derived from calls; a
-- case is named by its first missed call. The primary key makes each mark happen once.
CREATE TABLE recovery_marks (
  org_id   TEXT    NOT NULL REFERENCES orgs (id),
  case_key INTEGER NOT NULL REFERENCES calls (id),
  kind     TEXT    NOT NULL,              -- sla_breached | task_completed
  at       INTEGER NOT NULL,
  detail   TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (org_id, case_key, kind)
);

-- The periodic recovery check reads recent misses across orgs.
CREATE INDEX calls_missed_by_start ON calls (started_at, id) WHERE call_type = 'missed';
