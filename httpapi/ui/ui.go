// Package ui is the Command Center: the manager's web dashboard, embedded in the binary. It is
// plain HTML, CSS and JavaScript modules (no build step, no CDN, no external fonts) that talk
// only to the manager API of package httpapi and its live stream (DESIGN.md §6).
//
// Handler serves GET / (the single page) and GET /ui/<asset>; httpapi.Server mounts it. Every
// response carries ContentSecurityPolicy, so no inline script or style and no other origin can
// run in the page; unknown asset paths answer 404.
//
// # Authentication in the browser
//
// The page signs in with email and password (POST /v1/auth/login, which sets the HttpOnly
// session cookie) and sends every API request with credentials "same-origin"; the live stream
// goes with the same cookie. A person may sign in with a personal API token or the bootstrap
// admin token instead (and must, on a server without users): the token is kept in
// sessionStorage (this tab only, gone when it closes or on sign-out), sent as "Authorization:
// Bearer", and offered to the live stream as the "bearer.<token>" WebSocket subprotocol, since
// a browser cannot set headers there. Holding a token in the page is acceptable because
// nothing can run in it but its own modules: the CSP refuses inline and foreign scripts, and
// the modules build DOM nodes from data, never markup (both checked by the tests).
//
// Reps see their own phones and calls only (the server scopes every answer and the stream), with
// caller numbers masked, and no controls that change anything.
package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
)

// ContentSecurityPolicy is sent with every response of Handler. connect-src 'self' covers the
// same-origin WebSocket (CSP Level 3 matches ws: and wss: for 'self').
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// AssetPrefix is the path under which the assets are served.
const AssetPrefix = "/ui/"

//go:embed static
var static embed.FS

// contentTypes maps the extensions the dashboard uses to their media types. A fixed table, so
// the answer never depends on the host's mime database; other extensions are not served.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/json",
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// handler serves the embedded files; it is immutable after New, so safe for concurrent use.
type handler struct {
	index  asset
	assets map[string]asset // name under static/, e.g. "app.js"
}

// Handler returns the dashboard's http.Handler: GET or HEAD / serves the page, /ui/<name>
// serves an embedded asset with its content type, an ETag and "Cache-Control: no-cache" (the
// browser revalidates, so a new binary is picked up at once). Any other path, any unknown
// asset and any other method answer 404 or 405.
func Handler() http.Handler {
	h := &handler{assets: make(map[string]asset)}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.assets[strings.TrimPrefix(p, "static/")] = asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		// The files are compiled in: failing to read them is a broken build, not a runtime state.
		panic("ui: embedded assets unreadable: " + err.Error())
	}
	h.index = h.assets["index.html"]
	return h
}

// Assets returns the names of the embedded assets, sorted, as served under AssetPrefix.
func Assets() []string {
	h := Handler().(*handler)
	names := make([]string, 0, len(h.assets))
	for n := range h.assets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	hdr.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var a asset
	switch name, isAsset := strings.CutPrefix(r.URL.Path, AssetPrefix); {
	case r.URL.Path == "/":
		a = h.index
	case isAsset && name != "" && !strings.Contains(name, "/"):
		var ok bool
		if a, ok = h.assets[name]; !ok {
			http.NotFound(w, r)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", a.etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(a.body)
}
