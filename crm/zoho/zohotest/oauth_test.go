package zohotest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func refreshForm(c Credentials) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "client_id": {c.ClientID},
		"client_secret": {c.ClientSecret}, "refresh_token": {c.RefreshToken}}
}

func TestTokenRefreshSuccessShape(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	status, body := h.tokenCall(t, refreshForm(h.srv.Credentials()))
	require.Equal(t, http.StatusOK, status)
	// A-REF sample: access_token, scope, api_domain, token_type, expires_in (seconds); no refresh_token.
	require.Equal(t, []string{"access_token", "api_domain", "expires_in", "scope", "token_type"}, keys(body))
	require.Equal(t, h.srv.URL(), body["api_domain"])
	require.Equal(t, "Bearer", body["token_type"])
	require.Equal(t, float64(3600), body["expires_in"])
	require.Equal(t, strings.Join(DefaultScopes(), " "), body["scope"])
	require.True(t, strings.HasPrefix(body["access_token"].(string), "1000."))
}

func TestTokenParamsInQueryString(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	// SCH sends the parameters in the query string with an empty form body.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		h.srv.URL()+"/oauth/v2/token?"+refreshForm(h.srv.Credentials()).Encode(), nil)
	require.NoError(t, err)
	status, body := h.send(t, req)
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, body["access_token"])
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	c := h.srv.Credentials()
	revoked, err := h.srv.AddRefreshToken(DefaultClientID, "ZohoCRM.modules.ALL")
	require.NoError(t, err)
	require.True(t, h.srv.RevokeRefreshToken(revoked))
	h.srv.AddClient("1000.OTHER", "other-secret")
	foreign, err := h.srv.AddRefreshToken("1000.OTHER", "ZohoCRM.modules.ALL")
	require.NoError(t, err)

	tests := []struct {
		name   string
		mutate func(url.Values)
		want   map[string]any
		status int
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "1000.NOPE") }, map[string]any{"error": "invalid_client"}, 200},
		{"missing client", func(v url.Values) { v.Del("client_id") }, map[string]any{"error": "invalid_client"}, 200},
		{"wrong secret", func(v url.Values) { v.Set("client_secret", "x") }, map[string]any{"error": "invalid_client_secret"}, 200},
		{"unknown refresh token", func(v url.Values) { v.Set("refresh_token", "1000.abc.def") }, map[string]any{"error": "invalid_code"}, 200},
		{"revoked refresh token", func(v url.Values) { v.Set("refresh_token", revoked) }, map[string]any{"error": "invalid_code"}, 200},
		{"token of another client", func(v url.Values) { v.Set("refresh_token", foreign) }, map[string]any{"error": "invalid_code"}, 200},
		{"unknown grant", func(v url.Values) { v.Set("grant_type", "password") }, map[string]any{"error": "unsupported_grant_type"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := refreshForm(c)
			tt.mutate(form)
			status, body := h.tokenCall(t, form)
			require.Equal(t, tt.status, status)
			require.Empty(t, cmp.Diff(tt.want, body))
		})
	}
}

func TestRefreshLimitTenPerTenMinutes(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{}) // setup already minted one token
	form := refreshForm(h.srv.Credentials())
	for range 9 {
		status, body := h.tokenCall(t, form)
		require.Equal(t, http.StatusOK, status, "%v", body)
	}
	status, body := h.tokenCall(t, form)
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(map[string]any{"error": "Access Denied",
		"error_description": "You have made too many requests continuously. Please try again after some time.",
		"status":            "failure"}, body))
	require.Equal(t, 10, h.srv.TokensMinted())

	// The window slides: ten minutes after the first mint a new one is allowed.
	h.clock.Add(10*time.Minute + time.Second)
	status, _ = h.tokenCall(t, form)
	require.Equal(t, http.StatusOK, status)

	// The limit is per refresh token.
	other, err := h.srv.AddRefreshToken(DefaultClientID, DefaultScopes()...)
	require.NoError(t, err)
	h.mint(t, other)
}

func TestAccessTokenExpiry(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{AccessTokenTTL: 30 * time.Minute})
	status, _ := h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusOK, status)
	h.clock.Add(30 * time.Minute)
	status, body := h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Empty(t, cmp.Diff(errorEnvelope("INVALID_TOKEN", "invalid oauth token", nil), body))
}

func TestAuthorizationHeader(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	tests := []struct {
		name, header, code, message string
	}{
		{"missing", "", "AUTHENTICATION_FAILURE", "Authentication failed"},
		{"bearer scheme", "Bearer " + h.token, "INVALID_TOKEN", "invalid oauth token"},
		{"unknown token", "Zoho-oauthtoken 1000.nope", "INVALID_TOKEN", "invalid oauth token"},
		{"injection-looking", "Zoho-oauthtoken ' OR 1=1 --", "INVALID_TOKEN", "invalid oauth token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := h.newRequest(t, http.MethodGet, "/crm/v8/users", nil)
			req.Header.Del("Authorization")
			if tt.header != "" {
				req.Header["Authorization"] = []string{tt.header}
			}
			status, body := h.send(t, req)
			require.Equal(t, http.StatusUnauthorized, status)
			require.Empty(t, cmp.Diff(errorEnvelope(tt.code, tt.message, nil), body))
		})
	}
}

func TestExpireAndRevokeTokens(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	require.Equal(t, 1, h.srv.ExpireAccessTokens())
	status, _ := h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusUnauthorized, status)

	h.token = h.mint(t, h.srv.Credentials().RefreshToken)
	require.True(t, h.srv.ExpireAccessToken(h.token))
	require.False(t, h.srv.ExpireAccessToken(h.token))

	// Revoking the refresh token over HTTP kills its access tokens too.
	h.token = h.mint(t, h.srv.Credentials().RefreshToken)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		h.srv.URL()+"/oauth/v2/token/revoke?token="+url.QueryEscape(h.srv.Credentials().RefreshToken), nil)
	require.NoError(t, err)
	status, body := h.send(t, req)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, cmp.Diff(map[string]any{"status": "success"}, body))
	status, _ = h.call(t, http.MethodGet, "/crm/v8/users", nil)
	require.Equal(t, http.StatusUnauthorized, status)
	status, body = h.tokenCall(t, refreshForm(h.srv.Credentials()))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "invalid_code", body["error"])
}

func TestAuthorizationCodeGrant(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	exchange := func(code, redirect string) (int, map[string]any) {
		return h.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {DefaultClientID},
			"client_secret": {DefaultClientSecret}, "code": {code}, "redirect_uri": {redirect}})
	}
	const redirect = "https://app.example/callback"

	offline, err := h.srv.AddGrantCode(DefaultClientID, redirect, true, "ZohoCRM.modules.ALL")
	require.NoError(t, err)
	status, body := exchange(offline, redirect)
	require.Equal(t, http.StatusOK, status)
	rt, _ := body["refresh_token"].(string)
	require.NotEmpty(t, rt, "offline access returns a refresh token: %v", body)
	h.mint(t, rt)

	status, body = exchange(offline, redirect) // a code works once
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "invalid_code", body["error"])

	online, err := h.srv.AddGrantCode(DefaultClientID, redirect, false, "ZohoCRM.modules.ALL")
	require.NoError(t, err)
	status, body = exchange(online, redirect)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "refresh_token")
	require.NotEmpty(t, body["access_token"])

	mismatch, err := h.srv.AddGrantCode(DefaultClientID, redirect, true)
	require.NoError(t, err)
	_, body = exchange(mismatch, "https://evil.example/")
	require.Equal(t, "invalid_code", body["error"])

	late, err := h.srv.AddGrantCode(DefaultClientID, redirect, true)
	require.NoError(t, err)
	h.clock.Add(DefaultGrantCodeTTL + time.Second)
	_, body = exchange(late, redirect)
	require.Equal(t, "invalid_code", body["error"])

	_, err = h.srv.AddGrantCode("1000.NOPE", redirect, true)
	require.ErrorIs(t, err, ErrUnknownClient)
	_, err = h.srv.AddRefreshToken("1000.NOPE")
	require.ErrorIs(t, err, ErrUnknownClient)
}

func TestScopeMismatch(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	tests := []struct {
		name         string
		scopes       []string
		method, path string
		body         any
	}{
		{"search without securesearch", []string{"ZohoCRM.modules.ALL"}, http.MethodGet, "/crm/v8/Leads/search?phone=5551234567", nil},
		{"search without module read", []string{"ZohoSearch.securesearch.READ", "ZohoCRM.modules.contacts.READ"}, http.MethodGet, "/crm/v8/Leads/search?phone=5551234567", nil},
		{"insert with read only", []string{"ZohoCRM.modules.READ"}, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("A", "123")}}},
		{"coql without coql scope", []string{"ZohoCRM.modules.ALL"}, http.MethodPost, "/crm/v8/coql", map[string]any{"select_query": "select id from Leads where id is not null"}},
		{"coql without module scope", []string{"ZohoCRM.coql.READ", "ZohoCRM.modules.calls.READ"}, http.MethodPost, "/crm/v8/coql", map[string]any{"select_query": "select id from Leads where id is not null"}},
		{"users", []string{"ZohoCRM.modules.ALL"}, http.MethodGet, "/crm/v8/users", nil},
		{"fields", []string{"ZohoCRM.modules.ALL"}, http.MethodGet, "/crm/v8/settings/fields?module=Leads", nil},
		{"composite", []string{"ZohoCRM.modules.ALL"}, http.MethodPost, "/crm/v8/__composite_requests", map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := h.srv.AddRefreshToken(DefaultClientID, tt.scopes...)
			require.NoError(t, err)
			req := h.newRequest(t, tt.method, tt.path, tt.body)
			req.Header.Set("Authorization", "Zoho-oauthtoken "+h.mint(t, rt))
			status, body := h.send(t, req)
			require.Equal(t, http.StatusUnauthorized, status)
			require.Empty(t, cmp.Diff(errorEnvelope("OAUTH_SCOPE_MISMATCH", "Unauthorized", nil), body))
		})
	}

	// Module-level and lower-case scopes are accepted.
	rt, err := h.srv.AddRefreshToken(DefaultClientID, "zohocrm.modules.leads.create")
	require.NoError(t, err)
	req := h.newRequest(t, http.MethodPost, "/crm/v8/Leads", map[string]any{"data": []any{lead("A", "123")}})
	req.Header.Set("Authorization", "Zoho-oauthtoken "+h.mint(t, rt))
	status, _ := h.send(t, req)
	require.Equal(t, http.StatusCreated, status)
}

func TestInvalidHostAndURL(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	req := h.newRequest(t, http.MethodGet, "/crm/v8/users", nil)
	req.Host = "www.zohoapis.com"
	status, body := h.send(t, req)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_HOST", body["code"])

	for _, path := range []string{"/crm/v2/Leads", "/crm/v8/Leads/1/2/3", "/nothing", "/crm/v8//Leads", "/crm/v8/settings/layouts"} {
		status, body := h.call(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusNotFound, status, path)
		require.Empty(t, cmp.Diff(errorEnvelope("INVALID_URL_PATTERN",
			"Please check if the URL trying to access is a correct one", nil), body), path)
	}
	status, body = h.call(t, http.MethodDelete, "/crm/v8/Leads", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_REQUEST_METHOD", body["code"])

	// URL errors are only revealed to authenticated callers.
	req = h.newRequest(t, http.MethodGet, "/crm/v8/Nope/search?phone=12", nil)
	req.Header.Del("Authorization")
	status, _ = h.send(t, req)
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestRequestLogNeverHoldsSecrets(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	c := h.srv.Credentials()
	h.call(t, http.MethodGet, "/crm/v8/users", nil)
	for _, r := range h.srv.Requests() {
		for _, secret := range []string{c.ClientSecret, c.RefreshToken, h.token} {
			require.NotContains(t, r.RawQuery, secret)
			require.NotContains(t, string(r.Body), secret)
		}
	}
	require.Equal(t, 1, h.srv.RequestCount(EndpointToken))
	require.Equal(t, 1, h.srv.RequestCount(EndpointUsers))
}
