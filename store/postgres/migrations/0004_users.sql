-- Users, browser sessions and personal API tokens: the tables of store/sqlite's 0003_users.sql
-- (numbered 0004 here: 0002 is PostgreSQL's shared rate-limit buckets).
-- Secrets are never stored: sessions and tokens by their SHA-256 (hex), passwords as bcrypt.
-- Times are unix milliseconds UTC; 0 means never (expires_at, last_used_at).

CREATE TABLE users (
  org_id        TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
  id            TEXT COLLATE "C" NOT NULL,
  email         TEXT    NOT NULL,
  email_key     TEXT COLLATE "C" NOT NULL,   -- leadcall.EmailKey(email): unique per org
  name          TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  rep_id        TEXT    NOT NULL,
  password_hash TEXT    NOT NULL,
  disabled      BOOLEAN NOT NULL,
  created_at    BIGINT NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX users_by_email ON users (org_id, email_key);

CREATE TABLE sessions (
  hash            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  org_id          TEXT COLLATE "C" NOT NULL,
  user_id         TEXT COLLATE "C" NOT NULL,
  created_at      BIGINT NOT NULL,
  last_seen_at    BIGINT NOT NULL,
  idle_expires_at BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX sessions_by_user ON sessions (org_id, user_id);

CREATE TABLE api_tokens (
  org_id       TEXT COLLATE "C" NOT NULL,
  id           TEXT COLLATE "C" NOT NULL,
  user_id      TEXT COLLATE "C" NOT NULL,
  name         TEXT    NOT NULL,
  hash         TEXT COLLATE "C" NOT NULL,
  prefix       TEXT    NOT NULL,
  expires_at   BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE UNIQUE INDEX api_tokens_by_hash ON api_tokens (hash);
CREATE INDEX api_tokens_by_user ON api_tokens (org_id, user_id, created_at);
