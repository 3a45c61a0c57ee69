package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/leadcall/leadcall"
)

// Mount adds a route of the embedder's (a CRM connect flow, a sandbox view, …) to the server
// behind the same checks as the built-in manager routes: the request must authenticate as a
// principal whose role is at least least (PrincipalFrom gives it to h), and a session-cookie
// request that changes state must come from the server's own origin. pattern is
// "METHOD /path" as for http.ServeMux and must not clash with a built-in route (ServeMux
// panics on a clash, as on any duplicate). Mount the routes before serving; Routes lists them.
// The OpenAPI document describes the built-in routes only.
func (s *Server) Mount(pattern string, least leadcall.Role, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("httpapi: Mount: pattern %q must be \"METHOD /path\"", pattern))
	}
	s.mux.Handle(pattern, s.role(least, h.ServeHTTP))
}

// MountPublic adds a route that needs no credentials, such as an OAuth redirect target that
// checks its own state parameter. See Mount.
func (s *Server) MountPublic(pattern string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("httpapi: MountPublic: pattern %q must be \"METHOD /path\"", pattern))
	}
	s.mux.Handle(pattern, s.public(h.ServeHTTP))
}
