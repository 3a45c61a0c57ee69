package sqlshared

import (
	"time"

	"github.com/leadcall/leadcall"
)

// Bounds on user fields, so that hostile input cannot bloat the tables.
const (
	MaxEmailLen = 254 // RFC 5321's limit on a forward path
	MaxNameLen  = 200
)

// ValidateUser checks a user for CreateUser and UpdateUser.
func ValidateUser(op string, u *leadcall.User) error {
	switch {
	case u == nil:
		return Invalid(op, "user", "required")
	case u.OrgID == "":
		return Invalid(op, "org_id", "required")
	case u.ID == "":
		return Invalid(op, "id", "required")
	case leadcall.EmailKey(u.Email) == "":
		return Invalid(op, "email", "required")
	case len(u.Email) > MaxEmailLen:
		return Invalid(op, "email", "at most %d bytes", MaxEmailLen)
	case len(u.Name) > MaxNameLen:
		return Invalid(op, "name", "at most %d bytes", MaxNameLen)
	case !u.Role.Valid():
		return Invalid(op, "role", "want admin, manager or rep")
	case u.Role == leadcall.RoleRep && u.RepID == "":
		return Invalid(op, "rep_id", "required for the rep role")
	case u.Role != leadcall.RoleRep && u.RepID != "":
		return Invalid(op, "rep_id", "only users of the rep role have a rep")
	}
	return nil
}

// ValidateSession checks a session for CreateSession.
func ValidateSession(op string, s *leadcall.Session) error {
	switch {
	case s == nil:
		return Invalid(op, "session", "required")
	case s.Hash == "":
		return Invalid(op, "hash", "required")
	case s.OrgID == "" || s.UserID == "":
		return Invalid(op, "user_id", "org and user required")
	case s.CreatedAt.IsZero() || s.ExpiresAt.IsZero() || s.IdleExpiresAt.IsZero():
		return Invalid(op, "expires_at", "creation and expiry times required")
	}
	return nil
}

// ValidateAPIToken checks a token for CreateAPIToken.
func ValidateAPIToken(op string, t *leadcall.APIToken) error {
	switch {
	case t == nil:
		return Invalid(op, "token", "required")
	case t.ID == "":
		return Invalid(op, "id", "required")
	case t.Hash == "":
		return Invalid(op, "hash", "required")
	case t.OrgID == "" || t.UserID == "":
		return Invalid(op, "user_id", "org and user required")
	case len(t.Name) > MaxNameLen:
		return Invalid(op, "name", "at most %d bytes", MaxNameLen)
	}
	return nil
}

// UnixMS is t in unix milliseconds, 0 for the zero time (columns of users, sessions and API
// tokens are NOT NULL; 0 stands for "never").
func UnixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromUnixMS is the inverse of UnixMS.
func FromUnixMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// EmailTaken is the CodeConflict error for an email another user of the org has.
func EmailTaken(op string) error {
	return &leadcall.Error{Code: leadcall.CodeConflict, Op: op, Field: "email", Message: "another user of the org has this email"}
}
