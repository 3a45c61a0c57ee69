package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// BenchmarkLogin measures POST /v1/auth/login at DefaultBcryptCost on SQLite: a good password
// (bcrypt compare plus the session write), a wrong one, and an unknown email (compared against
// the dummy hash, so it should cost the same as a wrong password).
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, func(c *httpapi.Config) { c.BcryptCost, c.LoginBurst = httpapi.DefaultBcryptCost, 1<<30 })
	e.admin("POST", "/v1/users", map[string]any{"email": "a@example.com", "role": "admin", "password": testPassword}, http.StatusCreated, nil)
	for _, bc := range []struct {
		name, email, password string
		want                  int
	}{
		{"good_password", "a@example.com", testPassword, http.StatusOK},
		{"wrong_password", "a@example.com", "wrong password!", http.StatusUnauthorized},
		{"unknown_email", "nobody@example.com", testPassword, http.StatusUnauthorized},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := map[string]any{"email": bc.email, "password": bc.password}
			e.send("POST", "/v1/auth/login", cred{}, body) // the dummy hash is made on first use
			for b.Loop() {
				if r := e.send("POST", "/v1/auth/login", cred{}, body); r.status != bc.want {
					b.Fatalf("status %d: %s", r.status, r.body)
				}
			}
		})
	}
}

// BenchmarkSessionRequest measures an authenticated read with the session cookie (session and
// user lookups, no bcrypt).
func BenchmarkSessionRequest(b *testing.B) {
	e := newEnv(b, nil)
	u := e.newUser(leadcall.RoleManager, "m@example.com")
	for b.Loop() {
		if r := e.send("GET", "/v1/auth/me", u.session, nil); r.status != http.StatusOK {
			b.Fatalf("status %d", r.status)
		}
	}
}
