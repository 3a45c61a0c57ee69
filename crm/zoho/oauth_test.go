package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// usersOK answers the users endpoint with one page of the documented sample.
func usersOK(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { reply(w, 200, testdata(t, "users.json")) }
}

func TestRefreshRequestAndAuthorizationHeader(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var form url.Values
	var contentType, rawQuery string
	f.setTokenHook(func(r *http.Request) {
		contentType, rawQuery = r.Header.Get("Content-Type"), r.URL.RawQuery
		require.NoError(t, r.ParseForm())
		form = r.PostForm
	})
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Authorization", "Zoho-oauthtoken tok-1")
		require.Equal(t, "ActiveUsers", r.URL.Query().Get("type"))
		reply(w, 200, testdata(t, "users.json"))
	})
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.Equal(t, "application/x-www-form-urlencoded", contentType)
	require.Empty(t, rawQuery, "secrets must not travel in the query string")
	require.Equal(t, url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {testClientID},
		"client_secret": {testClientSecret},
		"refresh_token": {testRefreshToken},
	}, form)
	require.EqualValues(t, 1, f.tokenHits.Load())
}

func TestAPIDomainComesFromTokenResponse(t *testing.T) {
	t.Parallel()
	apiHits := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiHits++
		require.Equal(t, "/crm/v8/users", r.URL.Path)
		reply(w, 200, testdata(t, "users.json"))
	}))
	t.Cleanup(api.Close)
	f := setup(t)
	f.setTokenResponse(func(n int64) (int, string) {
		return 200, fmt.Sprintf(`{"access_token":"tok-%d","api_domain":%q,"expires_in":3600}`, n, api.URL)
	})
	users, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.Len(t, users, 2)
	require.Equal(t, 1, apiHits)
	require.EqualValues(t, 0, f.apiHits.Load(), "nothing may go to the accounts host")
}

func TestTokenSingleFlightUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.Concurrency = 64 })
	release := make(chan struct{})
	f.setTokenResponse(func(n int64) (int, string) {
		<-release // hold the refresh until every caller waits on it
		return 200, fmt.Sprintf(`{"access_token":"tok-%d","api_domain":%q,"expires_in":3600}`, n, f.srv.URL)
	})
	f.handle("GET /crm/v8/users", usersOK(t))
	const callers = 40
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := f.crm.Users(t.Context())
			errs <- err
		})
	}
	require.Eventually(t, func() bool { return f.tokenHits.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let the others pile up behind the one refresh
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.EqualValues(t, 1, f.tokenHits.Load(), "one refresh for every caller")
	require.EqualValues(t, callers, f.apiHits.Load())
}

func TestWaiterStopsOnContextWhileRefreshContinues(t *testing.T) {
	t.Parallel()
	f := setup(t)
	release := make(chan struct{})
	f.setTokenResponse(func(n int64) (int, string) {
		<-release
		return 200, fmt.Sprintf(`{"access_token":"tok-%d","api_domain":%q,"expires_in":3600}`, n, f.srv.URL)
	})
	f.handle("GET /crm/v8/users", usersOK(t))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { _, err := f.crm.Users(ctx); done <- err }()
	require.Eventually(t, func() bool { return f.tokenHits.Load() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	err := <-done
	require.ErrorIs(t, err, context.Canceled)
	close(release)
	// The refresh finished for the next caller: no second token request.
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, f.tokenHits.Load())
}

func TestTokenErrorsWithHTTP200(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		code   leadcall.Code
		oauth  string
	}{
		{"revoked refresh token", 200, testdata(t, "token_invalid_code.json"), leadcall.CodeReconnectRequired, "invalid_code"},
		{"wrong client or data centre", 200, testdata(t, "token_invalid_client.json"), leadcall.CodeUnauthorized, "invalid_client"},
		{"wrong secret", 200, `{"error":"invalid_client_secret"}`, leadcall.CodeUnauthorized, "invalid_client_secret"},
		{"too many token requests", 400, testdata(t, "token_access_denied.json"), leadcall.CodeRateLimited, "Access Denied"},
		{"localized block", 400, `{"error":"访问被拒绝","error_description":"请求过多","status":"failure"}`, leadcall.CodeRateLimited, "访问被拒绝"},
		{"accounts server down", 503, `{"error":"server_error"}`, leadcall.CodeUnavailable, "server_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.setTokenResponse(func(int64) (int, string) { return tc.status, tc.body })
			f.handle("GET /crm/v8/users", usersOK(t))
			_, err := f.crm.Users(t.Context())
			requireCode(t, err, tc.code)
			var oe *OAuthError
			require.True(t, errors.As(err, &oe), "OAuthError reachable from %v", err)
			require.Equal(t, tc.oauth, oe.Code)
			require.EqualValues(t, 0, f.apiHits.Load(), "no API request without a token")
			noSecrets(t, err.Error())
			noSecrets(t, fmt.Sprintf("%+v %#v", err, err))
		})
	}
}

func TestTokenResponseWithoutAccessTokenIsMalformed(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"html page":  "<html><body>Bad Gateway</body></html>",
		"empty":      "",
		"no token":   `{"api_domain":"https://www.zohoapis.com"}`,
		"wrong type": `{"access_token":42}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.setTokenResponse(func(int64) (int, string) { return 200, body })
			_, err := f.crm.Users(t.Context())
			requireCode(t, err, leadcall.CodeUnavailable)
			require.ErrorIs(t, err, ErrMalformedResponse)
		})
	}
}

func TestAccessDeniedBlocksFurtherTokenRequests(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.setTokenResponse(func(int64) (int, string) { return 400, testdata(t, "token_access_denied.json") })
	_, err := f.crm.Users(t.Context())
	le := requireCode(t, err, leadcall.CodeRateLimited)
	require.Equal(t, tokenBlockPause, le.RetryAfter)
	f.advance(10 * time.Minute)
	_, err = f.crm.Users(t.Context())
	le = requireCode(t, err, leadcall.CodeRateLimited)
	require.Equal(t, tokenBlockPause-10*time.Minute, le.RetryAfter)
	require.EqualValues(t, 1, f.tokenHits.Load(), "no token request during the block")
	f.advance(tokenBlockPause)
	f.setTokenResponse(nil)
	f.handle("GET /crm/v8/users", usersOK(t))
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 2, f.tokenHits.Load())
}

func TestInvalidTokenRefreshesOnceAndRetriesOnce(t *testing.T) {
	t.Parallel()
	for _, errBody := range []string{"error_invalid_token.json", "error_authentication_failure.json"} {
		t.Run(errBody, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "Zoho-oauthtoken tok-1" {
					reply(w, 401, testdata(t, errBody))
					return
				}
				testHeader(t, r, "Authorization", "Zoho-oauthtoken tok-2")
				reply(w, 200, testdata(t, "users.json"))
			})
			users, err := f.crm.Users(t.Context())
			require.NoError(t, err)
			require.Len(t, users, 2)
			require.EqualValues(t, 2, f.tokenHits.Load())
			require.EqualValues(t, 2, f.apiHits.Load())
			require.EqualValues(t, 2, f.crm.Stats().Requests)
		})
	}
}

func TestInvalidTokenTwiceIsUnauthorized(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_invalid_token.json"))
	})
	_, err := f.crm.Users(t.Context())
	requireCode(t, err, leadcall.CodeUnauthorized)
	requireAPIError(t, err, "INVALID_TOKEN", 401)
	require.EqualValues(t, 2, f.tokenHits.Load(), "one refresh")
	require.EqualValues(t, 2, f.apiHits.Load(), "one resend")
	noSecrets(t, err.Error())
}

func TestConcurrentInvalidTokenSharesOneRefresh(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.Concurrency = 32 })
	f.handle("GET /crm/v8/users", usersOK(t))
	_, err := f.crm.Users(t.Context()) // tok-1 cached
	require.NoError(t, err)
	var mu sync.Mutex
	stale := 0
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Zoho-oauthtoken tok-1" {
			mu.Lock()
			stale++
			mu.Unlock()
			reply(w, 401, testdata(t, "error_invalid_token.json"))
			return
		}
		reply(w, 200, `{"fields":[]}`)
	})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := f.crm.fetchFields(t.Context(), "test", crm.ModuleLeads)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.EqualValues(t, 2, f.tokenHits.Load(), "requests that failed with the same stale token share one refresh")
}

func TestScopeMismatchIsReconnectRequiredWithoutRefresh(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	_, err := f.crm.Users(t.Context())
	requireCode(t, err, leadcall.CodeReconnectRequired)
	requireAPIError(t, err, "OAUTH_SCOPE_MISMATCH", 401)
	require.EqualValues(t, 1, f.tokenHits.Load())
	require.EqualValues(t, 1, f.apiHits.Load())
}

func TestTokenMintLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 401, testdata(t, "error_invalid_token.json"))
	})
	var last error
	for range 12 {
		_, last = f.crm.Users(t.Context())
		f.advance(time.Second)
	}
	le := requireCode(t, last, leadcall.CodeRateLimited)
	require.EqualValues(t, maxTokenMints, f.tokenHits.Load(), "never more than Zoho's limit")
	require.Greater(t, le.RetryAfter, 9*time.Minute)
	require.LessOrEqual(t, le.RetryAfter, tokenMintWindow)
	f.advance(tokenMintWindow)
	_, err := f.crm.Users(t.Context())
	requireCode(t, err, leadcall.CodeUnauthorized)
	require.Greater(t, f.tokenHits.Load(), int64(maxTokenMints), "the window slid")
}

func TestProactiveRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/users", usersOK(t))
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	f.advance(54 * time.Minute)
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, f.tokenHits.Load(), "still fresh 6 minutes before expiry")
	f.advance(2 * time.Minute)
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 2, f.tokenHits.Load(), "refreshed within 5 minutes of expiry")
}

func TestInitialTokenAndTokenSavedFunc(t *testing.T) {
	t.Parallel()
	var saved []Token
	var mu sync.Mutex
	f := setupWith(t, func(f *fixture, c *Config) {
		c.TokenSavedFunc = func(tok Token) { mu.Lock(); saved = append(saved, tok); mu.Unlock() }
		c.InitialToken = &Token{AccessToken: "tok-saved", APIDomain: f.srv.URL, Expiry: time.Date(2025, 3, 1, 10, 30, 0, 0, time.UTC)}
	})
	var auths []string
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		reply(w, 200, testdata(t, "users.json"))
	})
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 0, f.tokenHits.Load(), "a valid saved token needs no refresh")
	f.advance(40 * time.Minute)
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, f.tokenHits.Load())
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"Zoho-oauthtoken tok-saved", "Zoho-oauthtoken tok-1"}, auths)
	require.Len(t, saved, 1)
	require.Equal(t, "tok-1", saved[0].AccessToken)
	require.Equal(t, f.srv.URL, saved[0].APIDomain)
	require.Equal(t, f.now().Add(time.Hour), saved[0].Expiry)
}

func TestDecodeTokenResponse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		body     string
		lifetime time.Duration
		domain   string
	}{
		{"documented sample", testdata(t, "token_success.json"), time.Hour, "https://www.zohoapis.com"},
		{"expires_in_sec means milliseconds", `{"access_token":"a","expires_in":3600000,"expires_in_sec":3600}`, time.Hour, ""},
		{"old milliseconds without _sec", `{"access_token":"a","expires_in":3600000}`, time.Hour, ""},
		{"missing expires_in", `{"access_token":"a"}`, time.Hour, ""},
		{"string expires_in", `{"access_token":"a","expires_in":"1800"}`, 30 * time.Minute, ""},
		{"negative expires_in", `{"access_token":"a","expires_in":-5}`, time.Hour, ""},
		{"null expires_in", `{"access_token":"a","expires_in":null}`, time.Hour, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := decodeTokenResponse(200, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.lifetime, tr.Lifetime)
			require.Equal(t, tc.domain, tr.APIDomain)
		})
	}
}

func TestExchangeCode(t *testing.T) {
	t.Parallel()
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/oauth/v2/token", r.URL.Path)
		require.NoError(t, r.ParseForm())
		form = r.PostForm
		reply(w, 200, fmt.Sprintf(`{"access_token":"acc","refresh_token":"1000.new-refresh","scope":"ZohoCRM.users.READ,ZohoCRM.coql.READ","api_domain":%q,"token_type":"Bearer","expires_in":3600}`, "https://www.zohoapis.eu"))
	}))
	t.Cleanup(srv.Close)
	g, err := ExchangeCode(t.Context(), ExchangeParams{
		HTTPClient: srv.Client(), AccountsServer: srv.URL, AllowedAccountsURL: srv.URL + "/",
		ClientID: testClientID, ClientSecret: testClientSecret, RedirectURI: "https://app.example/cb", Code: "1000.code",
	})
	require.NoError(t, err)
	require.Equal(t, url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testClientSecret},
		"redirect_uri": {"https://app.example/cb"}, "code": {"1000.code"},
	}, form)
	require.Equal(t, "1000.new-refresh", g.RefreshToken)
	require.Equal(t, srv.URL, g.AccountsURL)
	require.Equal(t, "https://www.zohoapis.eu", g.Token.APIDomain)
	require.Equal(t, []string{"ZohoCRM.users.READ", "ZohoCRM.coql.READ"}, g.Scopes)
	for _, s := range []string{g.String(), fmt.Sprintf("%v %+v %#v", g, g, g)} {
		require.NotContains(t, s, "1000.new-refresh")
		require.NotContains(t, s, "acc\"")
	}
}

func TestExchangeCodeRefusals(t *testing.T) {
	t.Parallel()
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		switch r.FormValue("code") {
		case "used":
			reply(w, 200, `{"error":"invalid_code"}`)
		default:
			reply(w, 200, `{"access_token":"acc","api_domain":"https://www.zohoapis.com","expires_in":3600}`)
		}
	}))
	t.Cleanup(srv.Close)
	base := ExchangeParams{HTTPClient: srv.Client(), AccountsServer: srv.URL, AllowedAccountsURL: srv.URL,
		ClientID: "id", ClientSecret: "secret", RedirectURI: "https://x/cb", Code: "ok"}

	p := base
	p.AllowedAccountsURL = ""
	_, err := ExchangeCode(t.Context(), p)
	le := requireCode(t, err, leadcall.CodeInvalid)
	require.Equal(t, "AccountsServer", le.Field)

	p = base
	p.AccountsServer = "http://accounts.zoho.com.evil.example"
	_, err = ExchangeCode(t.Context(), p)
	requireCode(t, err, leadcall.CodeInvalid)

	p = base
	p.AccountsServer = "https://accounts.zoho.com.evil.example"
	_, err = ExchangeCode(t.Context(), p)
	requireCode(t, err, leadcall.CodeInvalid)
	require.Equal(t, 0, hits, "the secret goes nowhere but a Zoho accounts server")

	p = base
	p.Code = ""
	_, err = ExchangeCode(t.Context(), p)
	requireCode(t, err, leadcall.CodeInvalid)

	p = base
	p.Code = "used"
	_, err = ExchangeCode(t.Context(), p)
	requireCode(t, err, leadcall.CodeReconnectRequired)

	_, err = ExchangeCode(t.Context(), base)
	le = requireCode(t, err, leadcall.CodeReconnectRequired)
	require.Contains(t, le.Error(), "access_type=offline")
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	u, err := AuthCodeURL(AuthCodeParams{ClientID: "1000.ID", RedirectURI: "https://app.example/zoho/cb", State: "st8"})
	require.NoError(t, err)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	require.Equal(t, "accounts.zoho.com", parsed.Host)
	require.Equal(t, "/oauth/v2/auth", parsed.Path)
	q := parsed.Query()
	require.Equal(t, "offline", q.Get("access_type"))
	require.Equal(t, "consent", q.Get("prompt"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "st8", q.Get("state"))
	require.Equal(t, strings.Join(Scopes(), ","), q.Get("scope"))

	_, err = AuthCodeURL(AuthCodeParams{ClientID: "x", RedirectURI: "https://x", State: ""})
	require.Error(t, err)
	_, err = AuthCodeURL(AuthCodeParams{AccountsURL: "http://evil.example", ClientID: "x", RedirectURI: "https://x", State: "s"})
	require.Error(t, err)
}

func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	cfg := Config{DataCenter: DataCenterEU, ClientID: testClientID, ClientSecret: testClientSecret, RefreshToken: testRefreshToken}
	tok := Token{AccessToken: "tok-1", APIDomain: "https://www.zohoapis.eu", Expiry: time.Now()}
	for _, s := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), cfg.LogValue().String(),
		fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), tok.LogValue().String(),
	} {
		noSecrets(t, s)
	}
	b, err := json.Marshal(tok.LogValue().Any())
	require.NoError(t, err)
	noSecrets(t, string(b))
}

func TestRefreshErrorIsLoggedWithoutSecrets(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	f := setup(t, func(c *Config) {
		c.Logger = newTestLogger(&logs, &mu)
	})
	f.setTokenResponse(func(int64) (int, string) { return 200, `{"error":"invalid_code"}` })
	f.handle("GET /crm/v8/users", usersOK(t))
	_, err := f.crm.Users(t.Context())
	require.Error(t, err)
	f.setTokenResponse(nil)
	f.crm.tokens.mu.Lock()
	f.crm.tokens.mints = nil
	f.crm.tokens.mu.Unlock()
	_, err = f.crm.Users(t.Context())
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, logs.String(), "token refresh failed")
	noSecrets(t, logs.String())
}

func TestExpiredInitialTokenIsRefreshed(t *testing.T) {
	t.Parallel()
	f := setupWith(t, func(f *fixture, c *Config) {
		c.InitialToken = &Token{AccessToken: "tok-old", APIDomain: f.srv.URL, Expiry: time.Date(2025, 3, 1, 9, 59, 0, 0, time.UTC)}
	})
	f.handle("GET /crm/v8/users", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Authorization", "Zoho-oauthtoken tok-1")
		reply(w, 200, testdata(t, "users.json"))
	})
	_, err := f.crm.Users(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 1, f.tokenHits.Load())
}

func TestAccountsDataCenter(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]DataCenter{
		"https://accounts.zoho.com":      DataCenterUS,
		"https://accounts.zoho.eu/":      DataCenterEU,
		"https://accounts.zohocloud.ca":  DataCenterCanada,
		"https://accounts.zoho.com.cn":   DataCenterChina,
		"https://accounts.zoho.com.evil": "",
		"http://accounts.zoho.com":       "",
		"https://accounts.zoho.com@evil": "",
		"https://accounts.zoho.com?x=1":  "",
		"":                               "",
	} {
		dc, ok := AccountsDataCenter(in)
		require.Equal(t, want, dc, in)
		require.Equal(t, want != "", ok, in)
	}
}
