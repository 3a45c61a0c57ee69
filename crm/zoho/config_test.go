package zoho

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validConfig() Config {
	return Config{DataCenter: DataCenterUS, ClientID: "id", ClientSecret: "secret", RefreshToken: "refresh"}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no data centre or accounts URL", func(c *Config) { c.DataCenter = "" }, "DataCenter or AccountsURL is required"},
		{"unknown data centre", func(c *Config) { c.DataCenter = "uk" }, "unknown data centre"},
		{"no client id", func(c *Config) { c.ClientID = " " }, "ClientID is required"},
		{"no client secret", func(c *Config) { c.ClientSecret = "" }, "ClientSecret is required"},
		{"no refresh token", func(c *Config) { c.RefreshToken = "" }, "RefreshToken is required"},
		{"plain http to a remote host", func(c *Config) { c.AccountsURL = "http://accounts.zoho.com" }, "http is allowed only on a loopback host"},
		{"relative accounts URL", func(c *Config) { c.AccountsURL = "accounts.zoho.com" }, "not an absolute URL"},
		{"accounts URL with a query", func(c *Config) { c.AccountsURL = "https://accounts.zoho.com/?x=1" }, "query"},
		{"accounts URL with user info", func(c *Config) { c.AccountsURL = "https://u:p@accounts.zoho.com" }, "user info"},
		{"ftp", func(c *Config) { c.AccountsURL = "ftp://accounts.zoho.com" }, "scheme must be https"},
		{"negative concurrency", func(c *Config) { c.Concurrency = -1 }, "Concurrency"},
		{"negative rate", func(c *Config) { c.RequestsPerSecond = -1 }, "RequestsPerSecond"},
		{"negative burst", func(c *Config) { c.Burst = -1 }, "Burst"},
		{"negative body cap", func(c *Config) { c.MaxResponseBytes = -1 }, "MaxResponseBytes"},
		{"unknown trigger", func(c *Config) { c.Trigger = []string{"workflow", "everything"} }, `Trigger "everything"`},
		{"bad saved token domain", func(c *Config) { c.InitialToken = &Token{AccessToken: "a", APIDomain: "http://evil.example"} }, "InitialToken.APIDomain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mod(&cfg)
			_, err := New(cfg)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(validConfig())
	require.NoError(t, err)
	require.Equal(t, "https://accounts.zoho.com", c.cfg.AccountsURL)
	require.Equal(t, DefaultConcurrency, c.cfg.Concurrency)
	require.Equal(t, DefaultRequestsPerSecond, c.cfg.RequestsPerSecond)
	require.Equal(t, DefaultBurst, c.cfg.Burst)
	require.EqualValues(t, DefaultMaxResponseBytes, c.cfg.MaxResponseBytes)
	require.Equal(t, DefaultHTTPTimeout, c.cfg.HTTPClient.Timeout)
	require.NotNil(t, c.cfg.HTTPClient.CheckRedirect)
	require.Nil(t, c.cfg.Trigger)
	require.Equal(t, Stats{}, c.Stats())

	cfg := validConfig()
	cfg.Trigger = []string{}
	cfg.AccountsURL = "https://accounts.zohocloud.ca/"
	c, err = New(cfg)
	require.NoError(t, err)
	require.NotNil(t, c.cfg.Trigger, "an empty trigger list stays non-nil: it means no automation")
	require.Equal(t, "https://accounts.zohocloud.ca", c.cfg.AccountsURL, "AccountsURL wins over DataCenter")
}

func TestDataCenters(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ accounts, api string }{
		"com":    {"https://accounts.zoho.com", "https://www.zohoapis.com"},
		"us":     {"https://accounts.zoho.com", "https://www.zohoapis.com"},
		"EU":     {"https://accounts.zoho.eu", "https://www.zohoapis.eu"},
		"in":     {"https://accounts.zoho.in", "https://www.zohoapis.in"},
		"com.au": {"https://accounts.zoho.com.au", "https://www.zohoapis.com.au"},
		"au":     {"https://accounts.zoho.com.au", "https://www.zohoapis.com.au"},
		"jp":     {"https://accounts.zoho.jp", "https://www.zohoapis.jp"},
		"ca":     {"https://accounts.zohocloud.ca", "https://www.zohoapis.ca"},
		"sa":     {"https://accounts.zoho.sa", "https://www.zohoapis.sa"},
		"com.cn": {"https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"},
		" cn ":   {"https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"},
	}
	for name, want := range cases {
		dc, err := ParseDataCenter(name)
		require.NoError(t, err, name)
		require.Equal(t, want.accounts, dc.AccountsURL(), name)
		require.Equal(t, want.api, dc.APIDomain(), name)
	}
	for _, bad := range []string{"", "uk", "zoho.com", "com.eu"} {
		_, err := ParseDataCenter(bad)
		require.Error(t, err, bad)
	}
	// A token response without api_domain falls back to the answering DC's API domain.
	d, err := apiDomainFor("", "https://accounts.zohocloud.ca")
	require.NoError(t, err)
	require.Equal(t, "https://www.zohoapis.ca", d)
	_, err = apiDomainFor("", "http://127.0.0.1:9")
	require.ErrorIs(t, err, ErrMalformedResponse)
	_, err = apiDomainFor("javascript:alert(1)", "https://accounts.zoho.com")
	require.ErrorIs(t, err, ErrMalformedResponse)
}

func TestSemaphoreWeightsAndFIFO(t *testing.T) {
	t.Parallel()
	s := newSemaphore(5)
	ctx := t.Context()
	require.NoError(t, s.acquire(ctx, 1))
	var order []string
	var mu sync.Mutex
	got := make(chan string, 2)
	go func() { // a composite: waits for all 5 units
		require.NoError(t, s.acquire(ctx, 5))
		mu.Lock()
		order = append(order, "composite")
		mu.Unlock()
		got <- "composite"
	}()
	require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiters.Len() == 1 }, time.Second, time.Millisecond)
	go func() { // a small request arriving later queues behind the composite
		require.NoError(t, s.acquire(ctx, 1))
		mu.Lock()
		order = append(order, "small")
		mu.Unlock()
		got <- "small"
	}()
	require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiters.Len() == 2 }, time.Second, time.Millisecond)
	s.release(1)
	require.Equal(t, "composite", <-got)
	s.release(5)
	require.Equal(t, "small", <-got)
	s.release(1)
	require.Equal(t, []string{"composite", "small"}, order)
	s.mu.Lock()
	require.EqualValues(t, 0, s.cur)
	s.mu.Unlock()
}

func TestSemaphoreCancel(t *testing.T) {
	t.Parallel()
	s := newSemaphore(2)
	require.NoError(t, s.acquire(t.Context(), 2))
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() { errc <- s.acquire(ctx, 1) }()
	require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.waiters.Len() == 1 }, time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	s.release(2)
	require.NoError(t, s.acquire(t.Context(), 9), "n above the size takes the whole semaphore")
	s.release(9)
	s.mu.Lock()
	defer s.mu.Unlock()
	require.EqualValues(t, 0, s.cur)
	require.Zero(t, s.waiters.Len())
}

func TestSemaphoreStress(t *testing.T) {
	t.Parallel()
	s := newSemaphore(5)
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		n := int64(1 + i%5)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(i%7)*time.Millisecond)
			defer cancel()
			if s.acquire(ctx, n) != nil {
				return
			}
			v := inUse.Add(n)
			for {
				p := peak.Load()
				if v <= p || peak.CompareAndSwap(p, v) {
					break
				}
			}
			inUse.Add(-n)
			s.release(n)
		})
	}
	wg.Wait()
	require.LessOrEqual(t, peak.Load(), int64(5))
	s.mu.Lock()
	defer s.mu.Unlock()
	require.EqualValues(t, 0, s.cur)
	require.Zero(t, s.waiters.Len())
}

func TestTTLCache(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newTTLCache[string](time.Minute, 3)
	for _, k := range []string{"a", "b", "c", "d"} {
		c.put(k, strings.ToUpper(k), now)
	}
	_, ok := c.get("a", now)
	require.False(t, ok, "the oldest entry goes when full")
	v, ok := c.get("d", now)
	require.True(t, ok)
	require.Equal(t, "D", v)
	_, ok = c.get("d", now.Add(time.Minute))
	require.False(t, ok, "expired")
	c.delete("b")
	_, ok = c.get("b", now)
	require.False(t, ok)

	var off *ttlCache[string]
	off.put("x", "y", now)
	_, ok = off.get("x", now)
	require.False(t, ok)
	disabled := newTTLCache[string](0, 3)
	disabled.put("x", "y", now)
	_, ok = disabled.get("x", now)
	require.False(t, ok)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-3":                            0,
		"12":                            12 * time.Second,
		" 12 ":                          12 * time.Second,
		"Sat, 01 Mar 2025 10:00:30 GMT": 30 * time.Second,
		"Sat, 01 Mar 2025 09:00:00 GMT": 0,
		"soon":                          0,
		"9999999999999":                 24 * time.Hour,
		"Sat, 01 Mar 2099 10:00:30 GMT": 24 * time.Hour,
	} {
		require.Equal(t, want, parseRetryAfter(h, now), h)
	}
}
