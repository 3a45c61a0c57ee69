package zohoconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohoconnect"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sink records grants; fail makes it refuse them.
type sink struct {
	mu     sync.Mutex
	grants []*zoho.Grant
	subs   []zohoconnect.Subject
	fail   atomic.Bool
}

func (s *sink) Connected(_ context.Context, sub zohoconnect.Subject, g *zoho.Grant) error {
	if s.fail.Load() {
		return errors.New("disk full")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants = append(s.grants, g)
	s.subs = append(s.subs, sub)
	return nil
}

func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.grants) }

type env struct {
	fake  *zohotest.Server
	flow  *zohoconnect.Flow
	app   *httptest.Server
	sink  *sink
	clock *clock
	logs  *syncBuffer
	hc    *http.Client
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// setup starts the fake Zoho and an app serving the flow at POST /start (subject from the
// X-Org and X-User headers) and GET /cb.
func setup(t *testing.T) *env {
	t.Helper()
	e := &env{sink: &sink{}, clock: &clock{t: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}}
	e.fake = zohotest.New(zohotest.Config{})
	require.NoError(t, e.fake.Start())
	mux := http.NewServeMux()
	e.app = httptest.NewServer(mux)
	var err error
	e.flow, err = zohoconnect.New(zohoconnect.Config{
		ClientID: zohotest.DefaultClientID, ClientSecret: zohotest.DefaultClientSecret,
		RedirectURL: e.app.URL + "/cb", AccountsURL: e.fake.URL(),
		Subject: func(r *http.Request) (zohoconnect.Subject, error) {
			if r.Header.Get("X-Org") == "" {
				return zohoconnect.Subject{}, errors.New("no principal")
			}
			return zohoconnect.Subject{OrgID: r.Header.Get("X-Org"), UserID: r.Header.Get("X-User")}, nil
		},
		Sink: e.sink, Now: e.clock.Now, MaxPending: 5,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	mux.HandleFunc("POST /start", e.flow.Start)
	mux.HandleFunc("GET /start", e.flow.Start)
	mux.HandleFunc("GET /cb", e.flow.Callback)
	tr := &http.Transport{}
	e.hc = &http.Client{Transport: tr, Timeout: 10 * time.Second,
		// Follow the consent redirect and the callback, stop at the return URL.
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Path == "/" {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		e.app.Close()
		require.NoError(t, e.fake.Close())
	})
	return e
}

// start posts /start as org/user and returns the consent URL.
func (e *env) start(t *testing.T) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.app.URL+"/start", nil)
	require.NoError(t, err)
	req.Header.Set("X-Org", "org1")
	req.Header.Set("X-User", "u1")
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var out struct{ URL string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.True(t, strings.HasPrefix(out.URL, e.fake.URL()+"/oauth/v2/auth?"), out.URL)
	return out.URL
}

// get follows rawURL until the return URL and returns the result query.
func (e *env) get(t *testing.T, rawURL string) url.Values {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	require.NoError(t, err)
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/", loc.Path)
	require.Equal(t, "/settings", loc.Fragment)
	return loc.Query()
}

// consentRedirect runs the consent screen and returns the callback URL Zoho redirected to,
// without following it.
func (e *env) consentRedirect(t *testing.T, consentURL string) *url.URL {
	t.Helper()
	c := *e.hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, consentURL, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return cb
}

func TestConnectEndToEnd(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rep, err := e.fake.AddUser(zohotest.User{LastName: "Admin2", Email: "admin2@example.com", Profile: "Administrator"})
	require.NoError(t, err)
	e.fake.SetConsent(func(r zohotest.ConsentRequest) (string, error) {
		if !r.Offline || r.Prompt != "consent" {
			return "", zohotest.ErrConsentDenied
		}
		return rep, nil
	})
	consent := e.start(t)
	require.Equal(t, 1, e.flow.Pending())
	cb := e.consentRedirect(t, consent)
	code := cb.Query().Get("code")
	require.NotEmpty(t, code)
	res := e.get(t, cb.String())
	require.Equal(t, url.Values{"zoho": {"connected"}}, res)
	require.Equal(t, 0, e.flow.Pending(), "the state is used up")

	require.Equal(t, 1, e.sink.count())
	g := e.sink.grants[0]
	require.Equal(t, zohoconnect.Subject{OrgID: "org1", UserID: "u1"}, e.sink.subs[0])
	require.Equal(t, e.fake.URL(), g.AccountsURL)
	require.NotEmpty(t, g.RefreshToken)

	// The grant makes a working adapter.
	c, err := zoho.New(zoho.Config{AccountsURL: g.AccountsURL, ClientID: zohotest.DefaultClientID,
		ClientSecret: zohotest.DefaultClientSecret, RefreshToken: g.RefreshToken})
	require.NoError(t, err)
	users, err := c.Users(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, users)

	// Replaying the callback fails and stores nothing more.
	require.Equal(t, url.Values{"zoho_error": {"invalid_state"}}, e.get(t, cb.String()))
	require.Equal(t, 1, e.sink.count())

	logs := e.logs.String()
	for _, secret := range []string{code, g.RefreshToken, g.Token.AccessToken, zohotest.DefaultClientSecret, cb.Query().Get("state")} {
		require.NotContains(t, logs, secret)
	}
	require.Contains(t, logs, "zohoconnect: connected")
}

func TestCallbackRefusals(t *testing.T) {
	t.Parallel()
	evilHits := atomic.Int64{}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		evilHits.Add(1)
		_, _ = w.Write([]byte(`{"access_token":"x","refresh_token":"y"}`))
	}))
	defer evil.Close()
	tests := []struct {
		name   string
		mutate func(t *testing.T, e *env, cb *url.URL)
		want   string
	}{
		{"missing state", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "state", "") }, zohoconnect.ReasonInvalidState},
		{"forged state", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "state", "AAAAforged") }, zohoconnect.ReasonInvalidState},
		{"expired state", func(_ *testing.T, e *env, _ *url.URL) { e.clock.Add(zohoconnect.DefaultStateTTL) }, zohoconnect.ReasonExpiredState},
		{"no code", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "code", "") }, zohoconnect.ReasonInvalidRequest},
		{"bogus code", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "code", "1000.bogus") }, zohoconnect.ReasonExchangeFailed},
		{"accounts server elsewhere", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "accounts-server", evil.URL) }, zohoconnect.ReasonAccountsServer},
		{"accounts server lookalike", func(_ *testing.T, _ *env, cb *url.URL) {
			setQ(cb, "accounts-server", "https://accounts.zoho.com.evil.example")
		}, zohoconnect.ReasonAccountsServer},
		{"accounts server with user info", func(_ *testing.T, e *env, cb *url.URL) {
			setQ(cb, "accounts-server", strings.Replace(e.fake.URL(), "://", "://x@", 1))
		}, zohoconnect.ReasonAccountsServer},
		{"huge params", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "pad", strings.Repeat("x", 5000)) }, zohoconnect.ReasonInvalidRequest},
		{"bad query encoding", func(_ *testing.T, _ *env, cb *url.URL) { cb.RawQuery += "&%zz" }, zohoconnect.ReasonInvalidRequest},
		{"zoho error", func(_ *testing.T, _ *env, cb *url.URL) { setQ(cb, "error", "server_error") }, zohoconnect.ReasonConsentFailed},
		{"sink fails", func(_ *testing.T, e *env, _ *url.URL) { e.sink.fail.Store(true) }, zohoconnect.ReasonStoreFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			cb := e.consentRedirect(t, e.start(t))
			code := cb.Query().Get("code")
			require.NotEmpty(t, code)
			tc.mutate(t, e, cb)
			require.Equal(t, url.Values{"zoho_error": {tc.want}}, e.get(t, cb.String()))
			require.Zero(t, e.sink.count(), "no grant is stored")
			require.NotContains(t, e.logs.String(), code)
		})
	}
	require.Zero(t, evilHits.Load(), "the client secret never goes to another host")
}

func TestAccessDenied(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.fake.SetConsent(func(zohotest.ConsentRequest) (string, error) { return "", zohotest.ErrConsentDenied })
	require.Equal(t, url.Values{"zoho_error": {"access_denied"}}, e.get(t, e.start(t)))
	require.Zero(t, e.sink.count())
	require.Zero(t, e.flow.Pending(), "a denied state is used up too")
}

func setQ(u *url.URL, k, v string) {
	q := u.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
}

func TestStart(t *testing.T) {
	t.Parallel()
	e := setup(t)
	do := func(method string, org string) *http.Response {
		req, err := http.NewRequestWithContext(t.Context(), method, e.app.URL+"/start", nil)
		require.NoError(t, err)
		if org != "" {
			req.Header.Set("X-Org", org)
		}
		c := *e.hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	require.Equal(t, http.StatusUnauthorized, do(http.MethodPost, "").StatusCode)
	resp := do(http.MethodGet, "org1")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	consent, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	q := consent.Query()
	require.Equal(t, "/oauth/v2/auth", consent.Path)
	require.Equal(t, "offline", q.Get("access_type"))
	require.Equal(t, "consent", q.Get("prompt"))
	require.Equal(t, e.app.URL+"/cb", q.Get("redirect_uri"))
	require.Len(t, q.Get("state"), 43, "256 random bits")
	for range 4 {
		require.Equal(t, http.StatusOK, do(http.MethodPost, "org1").StatusCode)
	}
	require.Equal(t, http.StatusTooManyRequests, do(http.MethodPost, "org1").StatusCode, "MaxPending is 5")
	e.clock.Add(zohoconnect.DefaultStateTTL)
	require.Equal(t, http.StatusOK, do(http.MethodPost, "org1").StatusCode, "expired states make room")
	_, err = e.flow.URL(zohoconnect.Subject{})
	require.Error(t, err)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	good := func() zohoconnect.Config {
		return zohoconnect.Config{ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/cb",
			Subject: func(*http.Request) (zohoconnect.Subject, error) { return zohoconnect.Subject{}, nil },
			Sink:    zohoconnect.TokenSinkFunc(func(context.Context, zohoconnect.Subject, *zoho.Grant) error { return nil })}
	}
	_, err := zohoconnect.New(good())
	require.NoError(t, err)
	for name, mutate := range map[string]func(*zohoconnect.Config){
		"no client id":         func(c *zohoconnect.Config) { c.ClientID = "" },
		"no secret":            func(c *zohoconnect.Config) { c.ClientSecret = "" },
		"relative redirect":    func(c *zohoconnect.Config) { c.RedirectURL = "/cb" },
		"ftp redirect":         func(c *zohoconnect.Config) { c.RedirectURL = "ftp://x/cb" },
		"plain-http accounts":  func(c *zohoconnect.Config) { c.AccountsURL = "http://accounts.example.com" },
		"no subject":           func(c *zohoconnect.Config) { c.Subject = nil },
		"no sink":              func(c *zohoconnect.Config) { c.Sink = nil },
		"negative ttl":         func(c *zohoconnect.Config) { c.StateTTL = -time.Second },
		"negative max pending": func(c *zohoconnect.Config) { c.MaxPending = -1 },
	} {
		c := good()
		mutate(&c)
		_, err := zohoconnect.New(c)
		require.Error(t, err, name)
	}
}

func FuzzCallback(f *testing.F) {
	f.Add("state=abc&code=1000.x&accounts-server=https%3A%2F%2Faccounts.zoho.com")
	f.Add("error=access_denied&state=")
	f.Add("%zz&&==")
	f.Add(strings.Repeat("a=b&", 2000))
	var stored atomic.Int64
	flow, err := zohoconnect.New(zohoconnect.Config{ClientID: "id", ClientSecret: "secret",
		RedirectURL: "https://app.example/cb",
		Subject:     func(*http.Request) (zohoconnect.Subject, error) { return zohoconnect.Subject{OrgID: "o"}, nil },
		Sink: zohoconnect.TokenSinkFunc(func(context.Context, zohoconnect.Subject, *zoho.Grant) error {
			stored.Add(1)
			return nil
		})})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/cb", nil)
		req.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		flow.Callback(rec, req)
		require.Equal(t, http.StatusSeeOther, rec.Code)
		loc, err := url.Parse(rec.Header().Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "/", loc.Path)
		require.NotEmpty(t, loc.Query().Get("zoho_error"), "no state was issued, so nothing connects")
		require.Zero(t, stored.Load())
	})
}
