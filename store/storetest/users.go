package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func userTests() []test {
	return []test{
		{"Users/CreateReadUpdate", testUsersCRUD},
		{"Users/EmailUniquePerOrgCaseInsensitive", testUsersEmailUnique},
		{"Users/Refused", testUsersRefused},
		{"Users/Sessions", testSessions},
		{"Users/UpdateRevokesSessions", testUpdateRevokesSessions},
		{"Users/APITokens", testAPITokens},
		{"Users/ReviewFilterByRep", testReviewFilterByRep},
	}
}

func (e *env) createUser(orgID, id, email string, role leadcall.Role, repID string) *leadcall.User {
	e.t.Helper()
	u := &leadcall.User{OrgID: orgID, ID: id, Email: email, Name: "User " + id, Role: role, RepID: repID,
		PasswordHash: "$2a$04$hash-" + id, CreatedAt: base}
	require.NoError(e.t, e.st.CreateUser(e.ctx, u))
	return u
}

func testUsersCRUD(t *testing.T, e *env) {
	require.NoError(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: e.org, ID: "rep-1", Name: "Rep"}))
	admin := e.createUser(e.org, "u-admin", "Admin@Example.com", leadcall.RoleAdmin, "")
	rep := e.createUser(e.org, "u-rep", "rep@example.com", leadcall.RoleRep, "rep-1")

	got, err := e.st.User(e.ctx, e.org, admin.ID)
	require.NoError(t, err)
	requireDiff(t, admin, got, "stored user")
	require.Equal(t, "$2a$04$hash-u-admin", got.PasswordHash)

	got, err = e.st.UserByEmail(e.ctx, e.org, "  ADMIN@example.COM ")
	require.NoError(t, err)
	require.Equal(t, admin.ID, got.ID)
	require.Equal(t, "Admin@Example.com", got.Email, "stored as given")
	_, err = e.st.UserByEmail(e.ctx, e.org, "nobody@example.com")
	requireCode(t, err, leadcall.CodeNotFound, "unknown email")

	list, err := e.st.Users(e.ctx, e.org)
	require.NoError(t, err)
	requireDiff(t, []leadcall.User{*admin, *rep}, list, "users by email key")

	rep.Name, rep.Email, rep.Disabled = "Renamed", "new@example.com", true
	require.NoError(t, e.st.UpdateUser(e.ctx, rep))
	got, err = e.st.User(e.ctx, e.org, rep.ID)
	require.NoError(t, err)
	requireDiff(t, rep, got, "updated user")
	_, err = e.st.UserByEmail(e.ctx, e.org, "rep@example.com")
	requireCode(t, err, leadcall.CodeNotFound, "old email is free")

	// Another org sees none of it.
	e.createOrg("org-b", 0)
	_, err = e.st.User(e.ctx, "org-b", admin.ID)
	requireCode(t, err, leadcall.CodeNotFound, "another org's user")
	_, err = e.st.UserByEmail(e.ctx, "org-b", admin.Email)
	requireCode(t, err, leadcall.CodeNotFound, "another org's email")
	list, err = e.st.Users(e.ctx, "org-b")
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = e.st.Users(e.ctx, "no-such-org")
	requireCode(t, err, leadcall.CodeNotFound, "unknown org")
	other := &leadcall.User{OrgID: "org-b", ID: admin.ID, Email: "x@example.com", Role: leadcall.RoleAdmin}
	requireCode(t, e.st.UpdateUser(e.ctx, other), leadcall.CodeNotFound, "update across orgs")
}

func testUsersEmailUnique(t *testing.T, e *env) {
	e.createUser(e.org, "u1", "asha@example.com", leadcall.RoleManager, "")
	dup := &leadcall.User{OrgID: e.org, ID: "u2", Email: "ASHA@example.com ", Role: leadcall.RoleAdmin}
	err := e.st.CreateUser(e.ctx, dup)
	requireCode(t, err, leadcall.CodeConflict, "same email, other case")
	var le *leadcall.Error
	require.ErrorAs(t, err, &le)
	require.Equal(t, "email", le.Field)

	same := &leadcall.User{OrgID: e.org, ID: "u1", Email: "other@example.com", Role: leadcall.RoleAdmin}
	requireCode(t, e.st.CreateUser(e.ctx, same), leadcall.CodeConflict, "same ID")

	// The same email in another org is another user.
	e.createOrg("org-b", 0)
	e.createUser("org-b", "u1", "asha@example.com", leadcall.RoleAdmin, "")

	// Renaming onto a taken email is refused; keeping one's own email is not a clash.
	u3 := e.createUser(e.org, "u3", "b@example.com", leadcall.RoleManager, "")
	u3.Email = "Asha@Example.com"
	requireCode(t, e.st.UpdateUser(e.ctx, u3), leadcall.CodeConflict, "update onto a taken email")
	u3.Email = "B@EXAMPLE.COM"
	require.NoError(t, e.st.UpdateUser(e.ctx, u3))
}

func testUsersRefused(t *testing.T, e *env) {
	long := strings.Repeat("a", 300) + "@example.com"
	cases := []struct {
		name string
		u    *leadcall.User
		code leadcall.Code
	}{
		{"nil", nil, leadcall.CodeInvalid},
		{"no org", &leadcall.User{ID: "u", Email: "a@b.c", Role: leadcall.RoleAdmin}, leadcall.CodeInvalid},
		{"no id", &leadcall.User{OrgID: e.org, Email: "a@b.c", Role: leadcall.RoleAdmin}, leadcall.CodeInvalid},
		{"blank email", &leadcall.User{OrgID: e.org, ID: "u", Email: "  ", Role: leadcall.RoleAdmin}, leadcall.CodeInvalid},
		{"huge email", &leadcall.User{OrgID: e.org, ID: "u", Email: long, Role: leadcall.RoleAdmin}, leadcall.CodeInvalid},
		{"bad role", &leadcall.User{OrgID: e.org, ID: "u", Email: "a@b.c", Role: "root"}, leadcall.CodeInvalid},
		{"rep without rep", &leadcall.User{OrgID: e.org, ID: "u", Email: "a@b.c", Role: leadcall.RoleRep}, leadcall.CodeInvalid},
		{"manager with rep", &leadcall.User{OrgID: e.org, ID: "u", Email: "a@b.c", Role: leadcall.RoleManager, RepID: "r"}, leadcall.CodeInvalid},
		{"unknown org", &leadcall.User{OrgID: "nope", ID: "u", Email: "a@b.c", Role: leadcall.RoleAdmin}, leadcall.CodeNotFound},
	}
	for _, tc := range cases {
		requireCode(t, e.st.CreateUser(e.ctx, tc.u), tc.code, tc.name)
	}
	list, err := e.st.Users(e.ctx, e.org)
	require.NoError(t, err)
	require.Empty(t, list, "nothing was stored")
}

func testSessions(t *testing.T, e *env) {
	u := e.createUser(e.org, "u1", "a@example.com", leadcall.RoleAdmin, "")
	s := &leadcall.Session{Hash: "h1", OrgID: e.org, UserID: u.ID, CreatedAt: base, LastSeenAt: base,
		IdleExpiresAt: base.Add(time.Hour), ExpiresAt: base.Add(24 * time.Hour)}
	require.NoError(t, e.st.CreateSession(e.ctx, s))
	got, err := e.st.SessionByHash(e.ctx, "h1")
	require.NoError(t, err)
	requireDiff(t, s, got, "stored session")
	require.True(t, got.Live(base.Add(59*time.Minute)))
	require.False(t, got.Live(base.Add(time.Hour)), "idle expiry")

	dup := *s
	requireCode(t, e.st.CreateSession(e.ctx, &dup), leadcall.CodeConflict, "same hash")
	ghost := &leadcall.Session{Hash: "h2", OrgID: e.org, UserID: "nobody", CreatedAt: base,
		IdleExpiresAt: base.Add(time.Hour), ExpiresAt: base.Add(time.Hour)}
	requireCode(t, e.st.CreateSession(e.ctx, ghost), leadcall.CodeNotFound, "unknown user")
	requireCode(t, e.st.CreateSession(e.ctx, &leadcall.Session{Hash: "h3", OrgID: e.org, UserID: u.ID}), leadcall.CodeInvalid, "no times")

	seen := base.Add(30 * time.Minute)
	require.NoError(t, e.st.TouchSession(e.ctx, "h1", seen, seen.Add(time.Hour)))
	got, err = e.st.SessionByHash(e.ctx, "h1")
	require.NoError(t, err)
	require.Equal(t, seen, got.LastSeenAt)
	require.True(t, got.Live(base.Add(80*time.Minute)), "touch moved the idle expiry")
	require.Equal(t, s.ExpiresAt, got.ExpiresAt, "absolute expiry never moves")
	requireCode(t, e.st.TouchSession(e.ctx, "nope", seen, seen), leadcall.CodeNotFound, "touch unknown")

	// A new session sweeps the user's expired ones.
	later := base.Add(48 * time.Hour)
	s2 := &leadcall.Session{Hash: "h2", OrgID: e.org, UserID: u.ID, CreatedAt: later,
		IdleExpiresAt: later.Add(time.Hour), ExpiresAt: later.Add(24 * time.Hour)}
	require.NoError(t, e.st.CreateSession(e.ctx, s2))
	_, err = e.st.SessionByHash(e.ctx, "h1")
	requireCode(t, err, leadcall.CodeNotFound, "expired session swept")

	require.NoError(t, e.st.DeleteSession(e.ctx, "h2"))
	_, err = e.st.SessionByHash(e.ctx, "h2")
	requireCode(t, err, leadcall.CodeNotFound, "logged out")
	requireCode(t, e.st.DeleteSession(e.ctx, "h2"), leadcall.CodeNotFound, "logout twice")

	for _, h := range []string{"a", "b", "c"} {
		ss := *s2
		ss.Hash = h
		require.NoError(t, e.st.CreateSession(e.ctx, &ss))
	}
	n, err := e.st.DeleteUserSessions(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	_, err = e.st.SessionByHash(e.ctx, "b")
	requireCode(t, err, leadcall.CodeNotFound, "all sessions revoked")
}

func testUpdateRevokesSessions(t *testing.T, e *env) {
	u := e.createUser(e.org, "u1", "a@example.com", leadcall.RoleAdmin, "")
	open := func(h string) {
		require.NoError(t, e.st.CreateSession(e.ctx, &leadcall.Session{Hash: h, OrgID: e.org, UserID: u.ID, CreatedAt: base,
			IdleExpiresAt: base.Add(time.Hour), ExpiresAt: base.Add(time.Hour)}))
	}
	live := func(h string) bool {
		_, err := e.st.SessionByHash(e.ctx, h)
		if leadcall.CodeOf(err) == leadcall.CodeNotFound {
			return false
		}
		require.NoError(t, err)
		return true
	}
	open("s1")
	u.Name = "Renamed"
	require.NoError(t, e.st.UpdateUser(e.ctx, u))
	require.True(t, live("s1"), "a rename keeps sessions")

	u.PasswordHash = "$2a$04$other"
	require.NoError(t, e.st.UpdateUser(e.ctx, u))
	require.False(t, live("s1"), "a new password revokes sessions")

	open("s2")
	u.Disabled = true
	require.NoError(t, e.st.UpdateUser(e.ctx, u))
	require.False(t, live("s2"), "disabling revokes sessions")
}

func testAPITokens(t *testing.T, e *env) {
	u := e.createUser(e.org, "u1", "a@example.com", leadcall.RoleManager, "")
	t1 := &leadcall.APIToken{ID: "t1", OrgID: e.org, UserID: u.ID, Name: "script", Hash: "hash1", Prefix: "lct_abcd", CreatedAt: base}
	t2 := &leadcall.APIToken{ID: "t2", OrgID: e.org, UserID: u.ID, Name: "ci", Hash: "hash2", Prefix: "lct_efgh",
		CreatedAt: base.Add(time.Minute), ExpiresAt: base.Add(24 * time.Hour)}
	require.NoError(t, e.st.CreateAPIToken(e.ctx, t1))
	require.NoError(t, e.st.CreateAPIToken(e.ctx, t2))

	got, err := e.st.APITokenByHash(e.ctx, "hash2")
	require.NoError(t, err)
	requireDiff(t, t2, got, "token by hash")
	got, err = e.st.APIToken(e.ctx, e.org, "t1")
	require.NoError(t, err)
	requireDiff(t, t1, got, "token by ID")
	list, err := e.st.APITokens(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	requireDiff(t, []leadcall.APIToken{*t2, *t1}, list, "tokens newest first")

	requireCode(t, e.st.CreateAPIToken(e.ctx, &leadcall.APIToken{ID: "t3", OrgID: e.org, UserID: u.ID, Hash: "hash1"}),
		leadcall.CodeConflict, "same hash")
	requireCode(t, e.st.CreateAPIToken(e.ctx, &leadcall.APIToken{ID: "t1", OrgID: e.org, UserID: u.ID, Hash: "hash9"}),
		leadcall.CodeConflict, "same ID")
	requireCode(t, e.st.CreateAPIToken(e.ctx, &leadcall.APIToken{ID: "t4", OrgID: e.org, UserID: "ghost", Hash: "hash4"}),
		leadcall.CodeNotFound, "unknown user")
	requireCode(t, e.st.CreateAPIToken(e.ctx, &leadcall.APIToken{ID: "t5", OrgID: e.org, UserID: u.ID}),
		leadcall.CodeInvalid, "no hash")

	used := base.Add(time.Hour)
	require.NoError(t, e.st.TouchAPIToken(e.ctx, e.org, "t1", used))
	got, err = e.st.APIToken(e.ctx, e.org, "t1")
	require.NoError(t, err)
	require.Equal(t, used, got.LastUsedAt)

	e.createOrg("org-b", 0)
	_, err = e.st.APIToken(e.ctx, "org-b", "t1")
	requireCode(t, err, leadcall.CodeNotFound, "another org's token")
	requireCode(t, e.st.DeleteAPIToken(e.ctx, "org-b", "t1"), leadcall.CodeNotFound, "delete across orgs")
	_, err = e.st.APITokens(e.ctx, "org-b", u.ID)
	requireCode(t, err, leadcall.CodeNotFound, "another org's user")

	require.NoError(t, e.st.DeleteAPIToken(e.ctx, e.org, "t1"))
	_, err = e.st.APITokenByHash(e.ctx, "hash1")
	requireCode(t, err, leadcall.CodeNotFound, "revoked")
	requireCode(t, e.st.DeleteAPIToken(e.ctx, e.org, "t1"), leadcall.CodeNotFound, "revoke twice")
}

func testReviewFilterByRep(t *testing.T, e *env) {
	require.NoError(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: e.org, ID: "rep-1", Name: "One"}))
	require.NoError(t, e.st.CreateRep(e.ctx, &leadcall.Rep{OrgID: e.org, ID: "rep-2", Name: "Two"}))
	var mine []int64
	for i, rep := range []string{"rep-1", "rep-2", "rep-1", ""} {
		c := newCall(e.dev, "c"+string(rune('a'+i)), number(i), base.Add(time.Duration(i)*time.Minute))
		c.RepID, c.SyncStatus = rep, leadcall.SyncReview
		r := &leadcall.ReviewItem{Kind: leadcall.ReviewAmbiguous, NumberE164: c.NumberE164}
		res := e.insert(e.org, leadcall.NewCall{Call: c, Review: r})
		require.True(t, res.Inserted[0])
		if rep == "rep-1" {
			mine = append([]int64{r.ID}, mine...)
		}
	}
	page, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, RepID: "rep-1"})
	require.NoError(t, err)
	require.Equal(t, mine, reviewIDs(page.Items), "items of rep-1's calls, newest first")
	page, err = e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, RepID: "rep-9"})
	require.NoError(t, err)
	require.Empty(t, page.Items)
}
