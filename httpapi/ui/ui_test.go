package ui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/httpapi/ui"
)

var wantType = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func requireSecurityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	require.Equal(t, ui.ContentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
	require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
}

func TestEveryAssetIsServedWithItsTypeAndTheCSP(t *testing.T) {
	t.Parallel()
	h := ui.Handler()
	names := ui.Assets()
	for _, n := range []string{"index.html", "app.js", "app.css", "api.js", "stream.js", "dom.js", "charts.js", "favicon.svg"} {
		require.Contains(t, names, n)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			res := get(t, h, "GET", ui.AssetPrefix+name, nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Equal(t, wantType[path.Ext(name)], res.Header.Get("Content-Type"))
			requireSecurityHeaders(t, res)
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			require.NotEmpty(t, body)

			etag := res.Header.Get("ETag")
			require.NotEmpty(t, etag)
			again := get(t, h, "GET", ui.AssetPrefix+name, map[string]string{"If-None-Match": etag})
			require.Equal(t, http.StatusNotModified, again.StatusCode)

			head := get(t, h, "HEAD", ui.AssetPrefix+name, nil)
			require.Equal(t, http.StatusOK, head.StatusCode)
			b, _ := io.ReadAll(head.Body)
			require.Empty(t, b)
		})
	}
}

func TestPageAtRoot(t *testing.T) {
	t.Parallel()
	res := get(t, ui.Handler(), "GET", "/", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	requireSecurityHeaders(t, res)
	body, _ := io.ReadAll(res.Body)
	require.Contains(t, string(body), `<script type="module" src="/ui/app.js"></script>`)
}

func TestUnknownPathsAnswer404(t *testing.T) {
	t.Parallel()
	h := ui.Handler()
	for _, p := range []string{
		"/ui/", "/ui/nope.js", "/ui/static/app.js", "/ui/../ui.go", "/ui/app.js/", "/ui/%2e%2e/ui.go",
		"/ui/index.html.bak", "/index.html", "/ui/ui.go", "/ui/" + strings.Repeat("a", 5000) + ".js",
	} {
		res := get(t, h, "GET", p, nil)
		require.Equal(t, http.StatusNotFound, res.StatusCode, p)
		requireSecurityHeaders(t, res)
	}
	res := get(t, h, "POST", "/ui/app.js", nil)
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

// TestPageLoadsOnlyItsOwnAssets checks what the CSP relies on: no inline script or style, no
// other origin, and every referenced asset and module import exists.
func TestPageLoadsOnlyItsOwnAssets(t *testing.T) {
	t.Parallel()
	h := ui.Handler()
	names := ui.Assets()
	read := func(name string) string {
		res := get(t, h, "GET", ui.AssetPrefix+name, nil)
		require.Equal(t, http.StatusOK, res.StatusCode, name)
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return string(b)
	}
	index := read("index.html")
	require.NotRegexp(t, `<script(?:\s+type="module")?>`, index, "inline script")
	require.NotRegexp(t, `(?i)\sstyle=`, index, "inline style attribute")
	require.NotRegexp(t, `(?i)<style`, index, "inline style element")
	require.NotRegexp(t, `(?i)\son[a-z]+=`, index, "inline event handler")
	require.NotRegexp(t, `(?i)(src|href)="(https?:)?//`, index, "other origin")
	refs := regexp.MustCompile(`(?:src|href)="/ui/([^"]+)"`).FindAllStringSubmatch(index, -1)
	require.NotEmpty(t, refs)
	for _, m := range refs {
		require.Contains(t, names, m[1], "index.html references /ui/%s", m[1])
	}
	// A data-testid of the page names one element; the script's own (list items, panels) must
	// not reuse one, or a test would find the wrong element.
	static := map[string]bool{}
	for _, m := range regexp.MustCompile(`data-testid="([^"]+)"`).FindAllStringSubmatch(index, -1) {
		require.False(t, static[m[1]], "index.html repeats data-testid %q", m[1])
		static[m[1]] = true
	}
	importRe := regexp.MustCompile(`from '\./([^']+)'`)
	for _, n := range names {
		if path.Ext(n) != ".js" {
			continue
		}
		src := read(n)
		for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			require.False(t, strings.Contains(src, banned), "%s uses %s: build DOM nodes, never markup or code strings", n, banned)
		}
		other := regexp.MustCompile(`https?://(?:[a-z]|\$\{)`).FindString(strings.ReplaceAll(src, "http://www.w3.org/2000/svg", ""))
		require.Empty(t, other, "%s reaches another origin", n)
		for _, m := range regexp.MustCompile(`testid: '([^']+)'`).FindAllStringSubmatch(src, -1) {
			require.False(t, static[m[1]], "%s creates elements with data-testid %q, which index.html already has", n, m[1])
		}
		for _, m := range importRe.FindAllStringSubmatch(src, -1) {
			require.Contains(t, names, m[1], "%s imports ./%s", n, m[1])
		}
	}
}

// TestServerMountsTheDashboard checks the mount in httpapi.Server: the page at /, assets under
// /ui/, and the API's JSON 404 everywhere else.
func TestServerMountsTheDashboard(t *testing.T) {
	t.Parallel()
	a := newServer(t)
	fetch := func(p string) (*http.Response, string) {
		res, err := http.Get(a.url + p)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(b)
	}
	res, body := fetch("/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, ui.ContentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
	require.Contains(t, body, `data-testid="login-screen"`)
	res, _ = fetch("/ui/app.js")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/javascript; charset=utf-8", res.Header.Get("Content-Type"))
	require.Equal(t, ui.ContentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
	res, _ = fetch("/ui/missing.js")
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	res, body = fetch("/v1/no-such-route")
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	require.Contains(t, body, `"code":"not_found"`)
	res, body = fetch("/index.html")
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	require.Contains(t, body, `"code":"not_found"`)
}
