package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// CreateUser stores a new user; CodeConflict when the ID or the email (case-insensitively)
// exists in the org.
func (s *Store) CreateUser(ctx context.Context, u *leadcall.User) error {
	const op = "postgres: create user"
	if err := sqlshared.ValidateUser(op, u); err != nil {
		return err
	}
	created := s.orNow(u.CreatedAt)
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		if err := requireOrg(ctx, tx, op, u.OrgID); err != nil {
			return err
		}
		if err := emailFree(ctx, tx, op, u.OrgID, u.ID, u.Email); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO users (`+sqlshared.UserColumns+`, email_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			 ON CONFLICT (org_id, id) DO NOTHING`,
			u.OrgID, u.ID, u.Email, u.Name, string(u.Role), u.RepID, u.PasswordHash, u.Disabled,
			created.UnixMilli(), leadcall.EmailKey(u.Email))
		if err != nil {
			return err
		}
		return affected(tag, conflict(op, "user %q already exists", u.ID))
	})
	if err != nil {
		return err
	}
	u.CreatedAt = sqlshared.TruncMS(created)
	return nil
}

// emailFree returns CodeConflict when another user of the org has the email's key.
func emailFree(ctx context.Context, q querier, op, orgID, userID, email string) error {
	var other string
	err := q.QueryRow(ctx, `SELECT id FROM users WHERE org_id = $1 AND email_key = $2`,
		orgID, leadcall.EmailKey(email)).Scan(&other)
	switch {
	case noRows(err):
		return nil
	case err != nil:
		return err
	case other != userID:
		return sqlshared.EmailTaken(op)
	}
	return nil
}

// User returns a user of the org.
func (s *Store) User(ctx context.Context, orgID, userID string) (*leadcall.User, error) {
	const op = "postgres: user"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	u, err := sqlshared.ScanUser(s.pool.QueryRow(ctx,
		`SELECT `+sqlshared.UserColumns+` FROM users WHERE org_id = $1 AND id = $2`, orgID, userID))
	if noRows(err) {
		return nil, notFound(op, "user %q not found", userID)
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return &u, nil
}

// UserByEmail returns the org's user with this email, compared case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, orgID, email string) (*leadcall.User, error) {
	const op = "postgres: user by email"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	u, err := sqlshared.ScanUser(s.pool.QueryRow(ctx,
		`SELECT `+sqlshared.UserColumns+` FROM users WHERE org_id = $1 AND email_key = $2`, orgID, leadcall.EmailKey(email)))
	if noRows(err) {
		return nil, notFound(op, "no user with this email")
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return &u, nil
}

// Users returns the org's users ordered by email key, then ID.
func (s *Store) Users(ctx context.Context, orgID string) ([]leadcall.User, error) {
	const op = "postgres: users"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	out, err := collect(ctx, s.pool, scanUser,
		`SELECT `+sqlshared.UserColumns+` FROM users WHERE org_id = $1 ORDER BY email_key, id`, orgID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}

// UpdateUser replaces the user's email, name, role, rep, password hash and disabled flag, and
// deletes the user's sessions when the user becomes disabled or the password hash changes.
func (s *Store) UpdateUser(ctx context.Context, u *leadcall.User) error {
	const op = "postgres: update user"
	if err := sqlshared.ValidateUser(op, u); err != nil {
		return err
	}
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		var (
			oldHash     string
			wasDisabled bool
		)
		err := tx.QueryRow(ctx, `SELECT password_hash, disabled FROM users WHERE org_id = $1 AND id = $2`,
			u.OrgID, u.ID).Scan(&oldHash, &wasDisabled)
		if noRows(err) {
			return notFound(op, "user %q not found", u.ID)
		}
		if err != nil {
			return err
		}
		if err := emailFree(ctx, tx, op, u.OrgID, u.ID, u.Email); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx,
			`UPDATE users SET email = $1, email_key = $2, name = $3, role = $4, rep_id = $5, password_hash = $6,
			 disabled = $7 WHERE org_id = $8 AND id = $9`,
			u.Email, leadcall.EmailKey(u.Email), u.Name, string(u.Role), u.RepID, u.PasswordHash, u.Disabled,
			u.OrgID, u.ID); err != nil {
			return err
		}
		if (u.Disabled && !wasDisabled) || u.PasswordHash != oldHash {
			_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE org_id = $1 AND user_id = $2`, u.OrgID, u.ID)
		}
		return err
	})
}

// requireUser returns CodeNotFound when the user does not exist in the org.
func requireUser(ctx context.Context, q querier, op, orgID, userID string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM users WHERE org_id = $1 AND id = $2`, orgID, userID).Scan(&one)
	if noRows(err) {
		return notFound(op, "user %q not found", userID)
	}
	return err
}

// CreateSession stores a session and deletes the user's expired ones.
func (s *Store) CreateSession(ctx context.Context, sess *leadcall.Session) error {
	const op = "postgres: create session"
	if err := sqlshared.ValidateSession(op, sess); err != nil {
		return err
	}
	lastSeen := sess.LastSeenAt
	if lastSeen.IsZero() {
		lastSeen = sess.CreatedAt
	}
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		if err := requireUser(ctx, tx, op, sess.OrgID, sess.UserID); err != nil {
			return err
		}
		created := sess.CreatedAt.UnixMilli()
		if _, err := tx.Exec(ctx,
			`DELETE FROM sessions WHERE org_id = $1 AND user_id = $2 AND (expires_at <= $3 OR idle_expires_at <= $3)`,
			sess.OrgID, sess.UserID, created); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO sessions (hash, org_id, user_id, created_at, last_seen_at, idle_expires_at, expires_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING`,
			sess.Hash, sess.OrgID, sess.UserID, created, lastSeen.UnixMilli(), sess.IdleExpiresAt.UnixMilli(),
			sess.ExpiresAt.UnixMilli())
		if err != nil {
			return err
		}
		return affected(tag, conflict(op, "session exists"))
	})
}

// SessionByHash returns the session with this hash, expired or not.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*leadcall.Session, error) {
	const op = "postgres: session"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	var (
		sess                                leadcall.Session
		created, seen, idleExpires, expires int64
	)
	err := s.pool.QueryRow(ctx,
		`SELECT hash, org_id, user_id, created_at, last_seen_at, idle_expires_at, expires_at FROM sessions WHERE hash = $1`,
		hash).Scan(&sess.Hash, &sess.OrgID, &sess.UserID, &created, &seen, &idleExpires, &expires)
	if noRows(err) {
		return nil, notFound(op, "no such session")
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	sess.CreatedAt, sess.LastSeenAt = sqlshared.FromUnixMS(created), sqlshared.FromUnixMS(seen)
	sess.IdleExpiresAt, sess.ExpiresAt = sqlshared.FromUnixMS(idleExpires), sqlshared.FromUnixMS(expires)
	return &sess, nil
}

// TouchSession stores a newer LastSeenAt and IdleExpiresAt.
func (s *Store) TouchSession(ctx context.Context, hash string, lastSeen, idleExpiresAt time.Time) error {
	const op = "postgres: touch session"
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE hash = $3`,
			lastSeen.UnixMilli(), idleExpiresAt.UnixMilli(), hash)
		if err != nil {
			return err
		}
		return affected(tag, notFound(op, "no such session"))
	})
}

// DeleteSession deletes a session.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	const op = "postgres: delete session"
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
		if err != nil {
			return err
		}
		return affected(tag, notFound(op, "no such session"))
	})
}

// DeleteUserSessions deletes every session of the user.
func (s *Store) DeleteUserSessions(ctx context.Context, orgID, userID string) (int, error) {
	const op = "postgres: delete user sessions"
	var n int64
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE org_id = $1 AND user_id = $2`, orgID, userID)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// CreateAPIToken stores a token of an existing user.
func (s *Store) CreateAPIToken(ctx context.Context, t *leadcall.APIToken) error {
	const op = "postgres: create api token"
	if err := sqlshared.ValidateAPIToken(op, t); err != nil {
		return err
	}
	created := s.orNow(t.CreatedAt)
	err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		if err := requireUser(ctx, tx, op, t.OrgID, t.UserID); err != nil {
			return err
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM api_tokens WHERE hash = $1 OR (org_id = $2 AND id = $3)`,
			t.Hash, t.OrgID, t.ID).Scan(&one)
		if err == nil {
			return conflict(op, "token %q already exists", t.ID)
		}
		if !noRows(err) {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO api_tokens (`+sqlshared.TokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.OrgID, t.ID, t.UserID, t.Name, t.Hash, t.Prefix, sqlshared.UnixMS(t.ExpiresAt), created.UnixMilli(),
			sqlshared.UnixMS(t.LastUsedAt))
		return err
	})
	if err != nil {
		return err
	}
	t.CreatedAt = sqlshared.TruncMS(created)
	return nil
}

// APITokenByHash returns the token with this hash, expired or not.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*leadcall.APIToken, error) {
	const op = "postgres: api token by hash"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	t, err := sqlshared.ScanToken(s.pool.QueryRow(ctx, `SELECT `+sqlshared.TokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if noRows(err) {
		return nil, notFound(op, "no such token")
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return &t, nil
}

// APIToken returns a token of the org by ID.
func (s *Store) APIToken(ctx context.Context, orgID, id string) (*leadcall.APIToken, error) {
	const op = "postgres: api token"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	t, err := sqlshared.ScanToken(s.pool.QueryRow(ctx, `SELECT `+sqlshared.TokenColumns+` FROM api_tokens WHERE org_id = $1 AND id = $2`, orgID, id))
	if noRows(err) {
		return nil, notFound(op, "token %q not found", id)
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return &t, nil
}

// APITokens returns the user's tokens, newest first.
func (s *Store) APITokens(ctx context.Context, orgID, userID string) ([]leadcall.APIToken, error) {
	const op = "postgres: api tokens"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireUser(ctx, s.pool, op, orgID, userID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	out, err := collect(ctx, s.pool, scanToken,
		`SELECT `+sqlshared.TokenColumns+` FROM api_tokens WHERE org_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC`,
		orgID, userID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return out, nil
}

// TouchAPIToken stores the token's LastUsedAt.
func (s *Store) TouchAPIToken(ctx context.Context, orgID, id string, at time.Time) error {
	const op = "postgres: touch api token"
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE org_id = $2 AND id = $3`,
			sqlshared.UnixMS(at), orgID, id)
		if err != nil {
			return err
		}
		return affected(tag, notFound(op, "token %q not found", id))
	})
}

// DeleteAPIToken deletes a token of the org.
func (s *Store) DeleteAPIToken(ctx context.Context, orgID, id string) error {
	const op = "postgres: delete api token"
	return s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM api_tokens WHERE org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return err
		}
		return affected(tag, notFound(op, "token %q not found", id))
	})
}

// scanUser and scanToken adapt the shared scanners to collect.
func scanUser(r pgx.Row) (leadcall.User, error)      { return sqlshared.ScanUser(r) }
func scanToken(r pgx.Row) (leadcall.APIToken, error) { return sqlshared.ScanToken(r) }
