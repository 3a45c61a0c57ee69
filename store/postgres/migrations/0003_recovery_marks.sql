-- What leadcall did once for a recovery case. Cases themselves are derived from calls; a
-- case is named by its first missed call. The primary key makes each mark happen once, also
-- between replicas racing to raise one case's SLA event.
CREATE TABLE recovery_marks (
  org_id   TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
  case_key BIGINT NOT NULL REFERENCES calls (id),
  kind     TEXT COLLATE "C" NOT NULL,     -- sla_breached | task_completed
  at       BIGINT NOT NULL,
  detail   TEXT   NOT NULL DEFAULT '',
  PRIMARY KEY (org_id, case_key, kind)
);

-- The periodic recovery check reads recent misses across orgs.
CREATE INDEX calls_missed_by_start ON calls (started_at, id) WHERE call_type = 'missed';
