package zohotest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// authorize sends GET /oauth/v2/auth without following the redirect.
func (h *harness) authorize(t *testing.T, rawQuery string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, h.srv.URL()+"/oauth/v2/auth?"+rawQuery, nil)
	require.NoError(t, err)
	c := *h.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func TestConsentApprovesAndCodeExchanges(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	rep, err := h.srv.AddUser(User{LastName: "Rep", Email: "rep@example.com"})
	require.NoError(t, err)
	var seen ConsentRequest
	h.srv.SetConsent(func(r ConsentRequest) (string, error) { seen = r; return rep, nil })
	const redirect = "http://127.0.0.1:9/cb?keep=1"
	resp := h.authorize(t, strings.TrimPrefix(h.srv.AuthorizeURL(DefaultClientID, redirect, "st8"), h.srv.URL()+"/oauth/v2/auth?"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9", loc.Host)
	q := loc.Query()
	require.Equal(t, "1", q.Get("keep"), "the redirect URI's own query survives")
	require.Equal(t, "st8", q.Get("state"))
	require.Equal(t, "us", q.Get("location"))
	require.Equal(t, h.srv.URL(), q.Get("accounts-server"))
	require.True(t, seen.Offline)
	require.Equal(t, DefaultScopes(), seen.Scopes)
	logged := h.srv.Requests()
	require.Equal(t, EndpointAuthorize, logged[len(logged)-1].Endpoint)

	status, body := h.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "code": {q.Get("code")}, "redirect_uri": {redirect}})
	require.Equal(t, http.StatusOK, status)
	rt, _ := body["refresh_token"].(string)
	require.NotEmpty(t, rt)
	tok := h.mint(t, rt)
	req := h.newRequest(t, http.MethodGet, "/crm/v8/users?type=CurrentUser", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok)
	s, users := h.send(t, req)
	require.Equal(t, http.StatusOK, s)
	require.Equal(t, rep, users["users"].([]any)[0].(map[string]any)["id"], "tokens act as the consenting user")
}

func TestConsentRefusals(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	good := url.Values{"client_id": {DefaultClientID}, "redirect_uri": {"https://app.example/cb"},
		"response_type": {"code"}, "scope": {"ZohoCRM.modules.ALL"}, "state": {"s1"}, "access_type": {"offline"}}
	with := func(k, v string) string {
		q := url.Values{}
		for key, vs := range good {
			q[key] = vs
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q.Encode()
	}
	for name, tc := range map[string]struct {
		query  string
		status int
		errArg string
	}{
		"unknown client":        {with("client_id", "1000.NOPE"), http.StatusBadRequest, ""},
		"no redirect":           {with("redirect_uri", ""), http.StatusBadRequest, ""},
		"javascript redirect":   {with("redirect_uri", "javascript:alert(1)"), http.StatusBadRequest, ""},
		"huge query":            {with("state", strings.Repeat("x", maxAuthorizeQuery)), http.StatusRequestURITooLong, ""},
		"token response type":   {with("response_type", "token"), http.StatusFound, "unsupported_response_type"},
		"no scope":              {with("scope", ""), http.StatusFound, "invalid_scope"},
		"unregistered redirect": {with("redirect_uri", "https://evil.example/cb"), http.StatusBadRequest, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "unregistered redirect" {
				require.NoError(t, h.srv.SetRedirectURIs(DefaultClientID, "https://app.example/cb"))
				defer func() { require.NoError(t, h.srv.SetRedirectURIs(DefaultClientID)) }()
			}
			resp := h.authorize(t, tc.query)
			require.Equal(t, tc.status, resp.StatusCode)
			if tc.errArg == "" {
				require.Empty(t, resp.Header.Get("Location"))
				return
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, tc.errArg, loc.Query().Get("error"))
			require.Empty(t, loc.Query().Get("code"))
		})
	}
	h.srv.SetConsent(func(ConsentRequest) (string, error) { return "", ErrConsentDenied })
	resp := h.authorize(t, good.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "access_denied", loc.Query().Get("error"))
	require.Equal(t, "s1", loc.Query().Get("state"))
	require.Empty(t, loc.Query().Get("code"))
	require.ErrorIs(t, h.srv.SetRedirectURIs("1000.NOPE"), ErrUnknownClient)
}

// FuzzAuthorize: whatever the query, the consent endpoint never fails with 5xx, redirects only
// to an http(s) redirect_uri of a known client, and issues a code only with that client.
func FuzzAuthorize(f *testing.F) {
	f.Add("client_id=" + DefaultClientID + "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=ZohoCRM.modules.ALL&state=s")
	f.Add("client_id=" + DefaultClientID + "&redirect_uri=javascript:alert(1)&response_type=code&scope=x")
	f.Add("client_id=%zz&&redirect_uri=//evil.example")
	f.Add("")
	srv := New(Config{})
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/oauth/v2/auth", nil)
		require.NoError(t, err)
		req.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		require.Less(t, rec.Code, 500)
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusFound {
			require.Empty(t, loc)
			return
		}
		q, _ := url.ParseQuery(rawQuery)
		require.Equal(t, DefaultClientID, q.Get("client_id"))
		u, err := url.Parse(loc)
		require.NoError(t, err)
		require.Contains(t, []string{"http", "https"}, u.Scheme)
		require.NotEmpty(t, u.Host)
	})
}
