package leadcall

import (
	"context"
	"strings"
	"time"
)

// Role is what a user may do in their org (DESIGN.md §7).
type Role string

// Roles, from most to least privileged.
const (
	// RoleAdmin may do everything in the org: users, settings, devices, assignments, review.
	RoleAdmin Role = "admin"
	// RoleManager may do everything but manage users, other users' API tokens and settings.
	RoleManager Role = "manager"
	// RoleRep may only read their own devices (Device.RepID == User.RepID), those devices'
	// calls and the review items of those calls.
	RoleRep Role = "rep"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleManager || r == RoleRep }

// AtLeast reports whether r grants everything least grants (admin > manager > rep). An invalid
// role grants nothing.
func (r Role) AtLeast(least Role) bool { return r.Valid() && least.Valid() && r.rank() >= least.rank() }

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleManager:
		return 2
	case RoleRep:
		return 1
	}
	return 0
}

// User is a person who signs in to an org's manager API and dashboard.
type User struct {
	ID    string `json:"id"`
	OrgID string `json:"org_id"`
	// Email is unique in the org, compared case-insensitively (EmailKey); it is stored as given.
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// RepID links a user of role rep to the Rep whose devices they may see; empty otherwise.
	RepID string `json:"rep_id"`
	// PasswordHash is a bcrypt hash; empty means the user cannot log in with a password.
	// Never serialised.
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// EmailKey is the form in which emails are compared: trimmed and lower-cased, so that
// "Asha@Example.com" and "asha@example.com" are one user.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Session is a browser login. Only the SHA-256 of the session's secret (the cookie value) is
// stored: a leaked database does not open sessions.
type Session struct {
	// Hash is the hex SHA-256 of the cookie value; it identifies the session.
	Hash   string
	OrgID  string
	UserID string
	// CreatedAt and LastSeenAt are when the session was opened and last used (LastSeenAt
	// is refreshed at most about once a minute, not on every request).
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt moves forward when the session is used; ExpiresAt (absolute) never does.
	// The session is dead once either has passed.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// Live reports whether the session may still be used at now.
func (s *Session) Live(now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.IdleExpiresAt)
}

// APIToken is a personal API token for scripts ("Authorization: Bearer lct_..."). It acts
// with its user's role. Only the SHA-256 of the secret is stored.
type APIToken struct {
	ID     string `json:"id"`
	OrgID  string `json:"org_id"`
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Hash   string `json:"-"` // hex SHA-256 of the secret
	Prefix string `json:"prefix"`
	// ExpiresAt is zero for a token that does not expire.
	ExpiresAt  time.Time `json:"expires_at"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// UserStore keeps users, their sessions and their API tokens. It is part of Store, with the
// same contract (org scoping, codes, durability).
type UserStore interface {
	// CreateUser stores a new user. CodeConflict when the ID exists or the org has a user with
	// the same EmailKey; CodeNotFound when the org does not exist; CodeInvalid when ID, OrgID
	// or Email is empty, the role is not valid, or RepID is set for a role other than rep or
	// empty for a rep. A zero CreatedAt is set to the store's clock (in u too).
	CreateUser(ctx context.Context, u *User) error
	// User returns a user of the org.
	User(ctx context.Context, orgID, userID string) (*User, error)
	// UserByEmail returns the org's user whose EmailKey equals EmailKey(email).
	UserByEmail(ctx context.Context, orgID, email string) (*User, error)
	// Users returns the org's users ordered by email key, then ID. An unknown org is
	// CodeNotFound.
	Users(ctx context.Context, orgID string) ([]User, error)
	// UpdateUser replaces the user's email, name, role, rep, password hash and disabled flag
	// (validated as in CreateUser). In the same transaction it deletes the user's sessions
	// when the user becomes disabled or the password hash changes.
	UpdateUser(ctx context.Context, u *User) error

	// CreateSession stores a session of an existing user (CodeNotFound otherwise; CodeConflict
	// for a Hash that exists). In the same transaction it deletes the user's sessions that
	// have expired at s.CreatedAt.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns the session with this hash (any org), expired or not.
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	// TouchSession stores a newer LastSeenAt and IdleExpiresAt for the session.
	TouchSession(ctx context.Context, hash string, lastSeen, idleExpiresAt time.Time) error
	// DeleteSession deletes a session (logout). CodeNotFound when there is none.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions deletes every session of the user and returns how many there were.
	DeleteUserSessions(ctx context.Context, orgID, userID string) (int, error)

	// CreateAPIToken stores a token of an existing user (CodeNotFound otherwise); CodeConflict
	// when the ID or Hash exists. A zero CreatedAt is set to the store's clock (in t too).
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// APITokenByHash returns the token with this hash (any org), expired or not.
	APITokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// APIToken returns a token of the org by ID.
	APIToken(ctx context.Context, orgID, id string) (*APIToken, error)
	// APITokens returns the user's tokens, newest first. An unknown user is CodeNotFound.
	APITokens(ctx context.Context, orgID, userID string) ([]APIToken, error)
	// TouchAPIToken stores the token's LastUsedAt.
	TouchAPIToken(ctx context.Context, orgID, id string, at time.Time) error
	// DeleteAPIToken deletes a token of the org (revocation). CodeNotFound when there is none.
	DeleteAPIToken(ctx context.Context, orgID, id string) error
}
