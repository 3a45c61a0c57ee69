package sqlshared

import "github.com/leadcall/leadcall"

// Users and API tokens are stored alike by both stores: the same columns, scanned alike.

// UserColumns are the users columns ScanUser reads, in order.
const UserColumns = `org_id, id, email, name, role, rep_id, password_hash, disabled, created_at`

// ScanUser scans a row of UserColumns.
func ScanUser(sc interface{ Scan(...any) error }) (leadcall.User, error) {
	var (
		u       leadcall.User
		role    string
		created int64
	)
	err := sc.Scan(&u.OrgID, &u.ID, &u.Email, &u.Name, &role, &u.RepID, &u.PasswordHash, &u.Disabled, &created)
	u.Role = leadcall.Role(role)
	u.CreatedAt = FromUnixMS(created)
	return u, err
}

// TokenColumns are the api_tokens columns ScanToken reads, in order.
const TokenColumns = `org_id, id, user_id, name, hash, prefix, expires_at, created_at, last_used_at`

// ScanToken scans a row of TokenColumns.
func ScanToken(sc interface{ Scan(...any) error }) (leadcall.APIToken, error) {
	var (
		t                      leadcall.APIToken
		expires, created, used int64
	)
	err := sc.Scan(&t.OrgID, &t.ID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, &expires, &created, &used)
	t.ExpiresAt, t.CreatedAt, t.LastUsedAt = FromUnixMS(expires), FromUnixMS(created), FromUnixMS(used)
	return t, err
}
