package zoho

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// DataCenter names a Zoho data centre by the suffix of its domains, as the server's -zoho-dc
// flag does (DESIGN.md §6).
type DataCenter string

// Zoho's data centres (zoho-api.md §1.1).
const (
	DataCenterUS        DataCenter = "com"
	DataCenterEU        DataCenter = "eu"
	DataCenterIndia     DataCenter = "in"
	DataCenterAustralia DataCenter = "com.au"
	DataCenterJapan     DataCenter = "jp"
	DataCenterCanada    DataCenter = "ca"
	DataCenterSaudi     DataCenter = "sa"
	DataCenterChina     DataCenter = "com.cn"
)

// dataCenters maps each data centre to its accounts server and default API domain. Canada is
// the odd one out: accounts.zohocloud.ca but www.zohoapis.ca (zoho-api.md §1.1, D-MDC8).
var dataCenters = map[DataCenter]struct{ accounts, api string }{
	DataCenterUS:        {"https://accounts.zoho.com", "https://www.zohoapis.com"},
	DataCenterEU:        {"https://accounts.zoho.eu", "https://www.zohoapis.eu"},
	DataCenterIndia:     {"https://accounts.zoho.in", "https://www.zohoapis.in"},
	DataCenterAustralia: {"https://accounts.zoho.com.au", "https://www.zohoapis.com.au"},
	DataCenterJapan:     {"https://accounts.zoho.jp", "https://www.zohoapis.jp"},
	DataCenterCanada:    {"https://accounts.zohocloud.ca", "https://www.zohoapis.ca"},
	DataCenterSaudi:     {"https://accounts.zoho.sa", "https://www.zohoapis.sa"},
	DataCenterChina:     {"https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"},
}

// dataCenterAliases accepts the short names people also use ("us", "au", "cn").
var dataCenterAliases = map[string]DataCenter{"us": DataCenterUS, "au": DataCenterAustralia, "cn": DataCenterChina}

// ParseDataCenter returns the data centre named s: a domain suffix ("com", "eu", "in",
// "com.au", "jp", "ca", "sa", "com.cn") or one of the aliases "us", "au" and "cn", in any case.
func ParseDataCenter(s string) (DataCenter, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if dc, ok := dataCenterAliases[s]; ok {
		return dc, nil
	}
	if _, ok := dataCenters[DataCenter(s)]; ok {
		return DataCenter(s), nil
	}
	return "", fmt.Errorf("zoho: unknown data centre %q (want com, eu, in, com.au, jp, ca, sa or com.cn)", s)
}

// AccountsURL returns the data centre's accounts server, e.g. https://accounts.zoho.eu, or ""
// for an unknown data centre.
func (dc DataCenter) AccountsURL() string { return dataCenters[dc].accounts }

// APIDomain returns the data centre's API domain, e.g. https://www.zohoapis.eu, or "" for an
// unknown data centre. The adapter uses it only when a token response lacks api_domain.
func (dc DataCenter) APIDomain() string { return dataCenters[dc].api }

// Defaults for zero Config fields.
const (
	// DefaultConcurrency is the in-flight cap: Zoho's Free edition allows 5 concurrent calls,
	// the lowest of all editions (zoho-api.md §9), and a composite call counts as 5.
	DefaultConcurrency = 5
	// DefaultRequestsPerSecond and DefaultBurst shape the client-side token bucket
	// (reliability.md §6.2). Zoho has no per-second quota; the bucket smooths bursts so that
	// the in-flight cap, shared with other apps on the org, is rarely hit.
	DefaultRequestsPerSecond = 5.0
	DefaultBurst             = 10
	// DefaultHTTPTimeout is the timeout of the default HTTP client.
	DefaultHTTPTimeout = 30 * time.Second
	// DefaultMaxResponseBytes caps how much of a response body is read; field metadata of a
	// large org is the biggest legitimate body and stays well below it.
	DefaultMaxResponseBytes = 8 << 20
	// DefaultSyncKeyCacheTTL is how long a sync key → record ID hit is remembered.
	DefaultSyncKeyCacheTTL = 10 * time.Minute
	// DefaultPhoneCacheTTL is how long a phone lookup that found records is remembered: long
	// enough for a caller who rings again at once, short enough that a record someone else
	// adds in Zoho is soon seen (see the package doc).
	DefaultPhoneCacheTTL = 2 * time.Minute
	// DefaultFieldsCacheTTL is how long field metadata is reused for the adapter's own checks.
	DefaultFieldsCacheTTL = 5 * time.Minute
	// DefaultRetryAfter is the pause a 429 asks for when Zoho sends no Retry-After header,
	// which it is not documented to send (zoho-api.md §9).
	DefaultRetryAfter = time.Minute
	// DefaultFallbackCooldown is how long the adapter stops trying the composite API or COQL
	// after Zoho refused it (missing scope, unsupported), before it tries again.
	DefaultFallbackCooldown = time.Hour
)

// Trigger values accepted in Config.Trigger (zoho-api.md §4.1).
var validTriggers = map[string]bool{
	"workflow": true, "approval": true, "blueprint": true, "pathfinder": true, "orchestration": true,
}

// Config configures a CRM connection. ClientID, ClientSecret, RefreshToken and one of
// DataCenter or AccountsURL are required; every other field has a default.
type Config struct {
	// DataCenter selects the accounts server the refresh token belongs to. Ignored when
	// AccountsURL is set.
	DataCenter DataCenter
	// AccountsURL overrides the data centre's accounts server: the accounts-server of the
	// authorization redirect, Zoho's sandbox, or a fake server. It must be https, or http on a
	// loopback host.
	AccountsURL string
	// ClientID and ClientSecret identify the OAuth client registered in Zoho's API console.
	ClientID, ClientSecret string
	// RefreshToken is the connection's long-lived refresh token (see ExchangeCode). It is
	// sent only to the accounts server and never appears in logs or errors.
	RefreshToken string
	// HTTPClient sends every request. Default: a client with DefaultHTTPTimeout. The adapter
	// uses a copy that does not follow redirects.
	HTTPClient *http.Client
	// Location is the org's time zone for Call_Start_Time and Due_Date. Default nil: each
	// time's own location, which the Engine sets to the org's.
	Location *time.Location
	// Trigger is sent as the "trigger" of every write. nil (the default) omits it, so Zoho runs
	// all automation (workflow, approval, blueprint); an empty non-nil slice sends [] and runs
	// none. Allowed values: workflow, approval, blueprint, pathfinder, orchestration.
	Trigger []string
	// Concurrency caps requests in flight, in Zoho's concurrency units (a composite request
	// uses 5). Set it to the edition's limit minus what other apps on the org use.
	// Default DefaultConcurrency.
	Concurrency int
	// RequestsPerSecond and Burst size the client-side rate limiter.
	// Defaults DefaultRequestsPerSecond and DefaultBurst.
	RequestsPerSecond float64
	Burst             int
	// Limiter, when set, paces the requests instead of the in-process limiter that
	// RequestsPerSecond and Burst size (which are then ignored). Several replicas writing to
	// one Zoho org share one rate by sharing a limiter (store/postgres's RateLimiter keeps
	// the bucket in the database). Default: an in-process token bucket
	// (golang.org/x/time/rate) of RequestsPerSecond and Burst, per CRM value.
	Limiter Limiter
	// DisableComposite stops the adapter from using Zoho's composite API, so every lookup and
	// create is a plain request. Default false: composite is used, with a fallback to plain
	// requests when Zoho refuses it.
	DisableComposite bool
	// MaxResponseBytes caps the bytes read from one response. Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// SyncKeyCacheTTL is how long a found or created sync key → ID pair is remembered.
	// Default DefaultSyncKeyCacheTTL; negative disables the cache.
	SyncKeyCacheTTL time.Duration
	// PhoneCacheTTL is how long lookups that found records (and the Leads this connection
	// created) are remembered, so a repeat caller costs no lookup request. Lookups that found
	// nothing are never remembered, and a failed create drops the entries it concerns. A
	// record created in Zoho by someone else (a person, another app, another leadcall
	// replica) during the TTL is not seen by a remembered lookup. Default
	// DefaultPhoneCacheTTL; negative: off, every lookup asks Zoho.
	PhoneCacheTTL time.Duration
	// FieldsCacheTTL is how long the adapter reuses field metadata for its own checks (Lead_Source
	// and Call_Result picklists, phone fields, number fields); Fields itself always asks Zoho.
	// Default DefaultFieldsCacheTTL; negative: fetch for every check.
	FieldsCacheTTL time.Duration
	// RetryAfter is the wait a rate-limited error reports when Zoho sends no Retry-After
	// header (Zoho documents none); the Engine pauses the org's sync for that long.
	// Default DefaultRetryAfter.
	RetryAfter time.Duration
	// InitialToken is an access token saved earlier (see TokenSavedFunc), used until it
	// expires so that a restart mints no new token. Default none.
	InitialToken *Token
	// TokenSavedFunc, when set, is called with every newly minted access token, so the caller
	// can keep it across restarts (Zoho allows only 10 tokens per 10 minutes). It must not
	// block and must not log the token.
	TokenSavedFunc func(Token)
	// Logger receives debug lines per request (method, path, status; never tokens, bodies or
	// full phone numbers) and warnings. Default: discard.
	Logger *slog.Logger
	// Now is the clock for token expiry, credit accounting and caches. Default time.Now.
	Now func() time.Time
}

// Limiter paces the requests of a connection (Config.Limiter). *rate.Limiter of
// golang.org/x/time/rate implements it.
type Limiter interface {
	// Wait blocks until one more request may be sent. It returns an error, without waiting
	// or after giving the permit back, when ctx is done first or its deadline would pass
	// before the permit. It must be safe for concurrent use.
	Wait(ctx context.Context) error
}

// String describes the configuration without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("zoho.Config{DataCenter:%q AccountsURL:%q ClientID:%q ClientSecret:%s RefreshToken:%s}",
		c.DataCenter, c.AccountsURL, c.ClientID, redacted(c.ClientSecret), redacted(c.RefreshToken))
}

// GoString is String, so %#v does not print secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue keeps secrets out of structured logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// withDefaults returns a copy of c with defaults applied, or an error naming the first invalid
// field.
func (c Config) withDefaults() (Config, error) {
	if c.AccountsURL == "" {
		if c.DataCenter == "" {
			return c, errors.New("zoho: config: DataCenter or AccountsURL is required")
		}
		dc, err := ParseDataCenter(string(c.DataCenter))
		if err != nil {
			return c, fmt.Errorf("zoho: config: DataCenter: %w", err)
		}
		c.DataCenter = dc
		c.AccountsURL = dc.AccountsURL()
	} else if c.DataCenter != "" {
		dc, err := ParseDataCenter(string(c.DataCenter))
		if err != nil {
			return c, fmt.Errorf("zoho: config: DataCenter: %w", err)
		}
		c.DataCenter = dc
	}
	u, err := checkBaseURL(c.AccountsURL)
	if err != nil {
		return c, fmt.Errorf("zoho: config: AccountsURL: %w", err)
	}
	c.AccountsURL = u
	switch {
	case strings.TrimSpace(c.ClientID) == "":
		return c, errors.New("zoho: config: ClientID is required")
	case c.ClientSecret == "":
		return c, errors.New("zoho: config: ClientSecret is required")
	case c.RefreshToken == "":
		return c, errors.New("zoho: config: RefreshToken is required")
	case c.Concurrency < 0:
		return c, fmt.Errorf("zoho: config: Concurrency %d is negative", c.Concurrency)
	case c.RequestsPerSecond < 0:
		return c, fmt.Errorf("zoho: config: RequestsPerSecond %g is negative", c.RequestsPerSecond)
	case c.Burst < 0:
		return c, fmt.Errorf("zoho: config: Burst %d is negative", c.Burst)
	case c.MaxResponseBytes < 0:
		return c, fmt.Errorf("zoho: config: MaxResponseBytes %d is negative", c.MaxResponseBytes)
	}
	for _, t := range c.Trigger {
		if !validTriggers[t] {
			return c, fmt.Errorf("zoho: config: Trigger %q is not one of workflow, approval, blueprint, pathfinder, orchestration", t)
		}
	}
	if c.Trigger != nil {
		c.Trigger = append([]string{}, c.Trigger...)
	}
	if c.InitialToken != nil {
		t := *c.InitialToken
		if t.APIDomain, err = checkBaseURL(t.APIDomain); err != nil {
			return c, fmt.Errorf("zoho: config: InitialToken.APIDomain: %w", err)
		}
		c.InitialToken = &t
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	c.HTTPClient = noRedirects(c.HTTPClient)
	c.Concurrency = cmp.Or(c.Concurrency, DefaultConcurrency)
	c.RequestsPerSecond = cmp.Or(c.RequestsPerSecond, DefaultRequestsPerSecond)
	c.Burst = cmp.Or(c.Burst, DefaultBurst)
	if c.Limiter == nil {
		c.Limiter = rate.NewLimiter(rate.Limit(c.RequestsPerSecond), c.Burst)
	}
	c.MaxResponseBytes = cmp.Or(c.MaxResponseBytes, DefaultMaxResponseBytes)
	c.SyncKeyCacheTTL = cmp.Or(c.SyncKeyCacheTTL, DefaultSyncKeyCacheTTL)
	c.PhoneCacheTTL = cmp.Or(c.PhoneCacheTTL, DefaultPhoneCacheTTL)
	c.FieldsCacheTTL = cmp.Or(c.FieldsCacheTTL, DefaultFieldsCacheTTL)
	c.RetryAfter = cmp.Or(c.RetryAfter, DefaultRetryAfter)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// noRedirects returns a copy of hc that does not follow redirects. Zoho's APIs do not
// redirect; following one would turn a POST into a GET of something else, or send a secret
// on, so a redirect is returned as it is (and classified as unavailable).
func noRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// checkBaseURL accepts an absolute https URL, or http on a loopback host (tests, a local fake),
// with no query or fragment, and returns it without a trailing slash. Tokens and secrets are
// sent to these URLs, so plain http to a remote host is refused.
func checkBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("not a URL: %w", err)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q is not an absolute URL", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("%q: http is allowed only on a loopback host; use https", s)
		}
	default:
		return "", fmt.Errorf("%q: scheme must be https", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q: must not carry user info, a query or a fragment", s)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
