package httpapi

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi/ui"
)

// Defaults for zero Config fields.
const (
	DefaultOrgID         = "default"
	DefaultMaxBodyBytes  = 1 << 20
	DefaultPairingTTL    = time.Hour
	DefaultDeviceRate    = 5 // requests per second per device
	DefaultDeviceBurst   = 20
	DefaultEnrollRate    = 2 // enrollment attempts per second, server-wide
	DefaultEnrollBurst   = 10
	DefaultReadyCacheTTL = 10 * time.Second
	// MinAdminTokenLen keeps a guessable bootstrap token out of production.
	MinAdminTokenLen = 16
	// DefaultBcryptCost is the bcrypt cost of new password hashes: 2^11 rounds. BenchmarkLogin
	// measured 0.19–0.43 s per login at this cost on the project's 2-core machine (busy with
	// other tests, load average 10–14); each step up doubles it.
	DefaultBcryptCost  = 11
	DefaultMinPassword = 10 // characters
	// DefaultSessionIdleTimeout ends a session unused for this long; DefaultSessionMaxAge ends
	// any session this long after login.
	DefaultSessionIdleTimeout = 12 * time.Hour
	DefaultSessionMaxAge      = 7 * 24 * time.Hour
	// DefaultLoginBurst login attempts per email and client IP, then one every
	// DefaultLoginInterval.
	DefaultLoginBurst    = 5
	DefaultLoginInterval = 12 * time.Second
	// DefaultMaxConcurrentLogins bounds the bcrypt work in flight, so that a flood of logins
	// (many emails, many addresses) cannot take every core.
	DefaultMaxConcurrentLogins = 4
)

// Config configures a Server. Engine, Store, CRMs and AdminToken are required; every other zero
// field takes the default named in its comment.
type Config struct {
	// Engine ingests calls and applies every configuration change. Required.
	Engine *leadcall.Engine
	// Store is the Engine's store, read directly for lists and device credentials. Required.
	Store leadcall.Store
	// CRMs is the Engine's CRM provider, for the CRM's users, lead sources and readiness.
	// Required.
	CRMs leadcall.CRMProvider
	// AdminToken is the bootstrap manager credential; at least MinAdminTokenLen bytes.
	// Required.
	AdminToken string
	// OrgID is the org the admin token acts on. Default DefaultOrgID.
	OrgID string
	// Logger receives one line per request (no tokens, no bodies). Default: discard.
	Logger *slog.Logger
	// Registry receives the server's metrics and is what GET /metrics serves. Default: a new
	// registry of the server's own (never the global one).
	Registry *prometheus.Registry
	// Now is the clock for pairing expiry and enrollment. Default time.Now.
	Now func() time.Time
	// MaxBodyBytes caps request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// PairingTTL is how long a pairing code works. Default DefaultPairingTTL.
	PairingTTL time.Duration
	// DeviceRate and DeviceBurst size each device's token bucket. Defaults DefaultDeviceRate and
	// DefaultDeviceBurst.
	DeviceRate  rate.Limit
	DeviceBurst int
	// EnrollRate and EnrollBurst size the server-wide bucket for enrollment attempts, which
	// are unauthenticated. Defaults DefaultEnrollRate and DefaultEnrollBurst.
	EnrollRate  rate.Limit
	EnrollBurst int
	// ReadyCacheTTL is how long a CRM readiness check is reused, so that probes do not spend
	// CRM API credits. Default DefaultReadyCacheTTL.
	ReadyCacheTTL time.Duration

	// BcryptCost is the cost of new password hashes, from bcrypt.MinCost to bcrypt.MaxCost.
	// Default DefaultBcryptCost. Existing hashes keep the cost they were made with.
	BcryptCost int
	// MinPasswordLen is the fewest characters a new password may have. Default
	// DefaultMinPassword. Passwords are at most 72 bytes (bcrypt's limit).
	MinPasswordLen int
	// SessionIdleTimeout and SessionMaxAge end browser sessions (idle and absolute). Defaults
	// DefaultSessionIdleTimeout and DefaultSessionMaxAge.
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	// LoginInterval and LoginBurst size the token bucket of login attempts per email and
	// client IP. Defaults DefaultLoginInterval and DefaultLoginBurst.
	LoginInterval time.Duration
	LoginBurst    int
	// MaxConcurrentLogins is how many password checks may run at once; a login beyond it
	// answers 429 at once. Default DefaultMaxConcurrentLogins.
	MaxConcurrentLogins int
	// SecureCookies marks the session cookie Secure even on plain HTTP requests (a server
	// behind a TLS-terminating proxy). Requests over TLS always get Secure cookies.
	SecureCookies bool
	// TrustedOrigins are host patterns (path.Match, e.g. "dash.example.com") besides the
	// request's own host whose pages may make cookie-authenticated state-changing requests.
	TrustedOrigins []string
}

func (c Config) withDefaults() Config {
	c.OrgID = cmp.Or(c.OrgID, DefaultOrgID)
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.PairingTTL = cmp.Or(c.PairingTTL, DefaultPairingTTL)
	c.DeviceRate = cmp.Or(c.DeviceRate, DefaultDeviceRate)
	c.DeviceBurst = cmp.Or(c.DeviceBurst, DefaultDeviceBurst)
	c.EnrollRate = cmp.Or(c.EnrollRate, DefaultEnrollRate)
	c.EnrollBurst = cmp.Or(c.EnrollBurst, DefaultEnrollBurst)
	c.ReadyCacheTTL = cmp.Or(c.ReadyCacheTTL, DefaultReadyCacheTTL)
	c.BcryptCost = cmp.Or(c.BcryptCost, DefaultBcryptCost)
	c.MinPasswordLen = cmp.Or(c.MinPasswordLen, DefaultMinPassword)
	c.SessionIdleTimeout = cmp.Or(c.SessionIdleTimeout, DefaultSessionIdleTimeout)
	c.SessionMaxAge = cmp.Or(c.SessionMaxAge, DefaultSessionMaxAge)
	c.LoginInterval = cmp.Or(c.LoginInterval, DefaultLoginInterval)
	c.LoginBurst = cmp.Or(c.LoginBurst, DefaultLoginBurst)
	c.MaxConcurrentLogins = cmp.Or(c.MaxConcurrentLogins, DefaultMaxConcurrentLogins)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, &leadcall.Error{Code: leadcall.CodeInvalid, Op: "httpapi: config", Field: field, Message: msg})
	}
	if c.Engine == nil {
		bad("Engine", "required")
	}
	if c.Store == nil {
		bad("Store", "required")
	}
	if c.CRMs == nil {
		bad("CRMs", "required")
	}
	if len(c.AdminToken) < MinAdminTokenLen {
		bad("AdminToken", "at least "+strconv.Itoa(MinAdminTokenLen)+" bytes required")
	}
	if c.MaxBodyBytes < 0 || c.PairingTTL < 0 || c.ReadyCacheTTL < 0 || c.DeviceRate < 0 || c.EnrollRate < 0 ||
		c.DeviceBurst < 0 || c.EnrollBurst < 0 {
		bad("Config", "limits and durations must not be negative")
	}
	if c.BcryptCost < bcrypt.MinCost || c.BcryptCost > bcrypt.MaxCost {
		bad("BcryptCost", fmt.Sprintf("must be between %d and %d", bcrypt.MinCost, bcrypt.MaxCost))
	}
	if c.MinPasswordLen < 1 || c.MinPasswordLen > maxPasswordBytes {
		bad("MinPasswordLen", fmt.Sprintf("must be between 1 and %d", maxPasswordBytes))
	}
	if c.SessionIdleTimeout < 0 || c.SessionMaxAge < 0 || c.LoginInterval < 0 || c.LoginBurst < 0 || c.MaxConcurrentLogins < 0 {
		bad("Config", "session and login limits must not be negative")
	}
	for _, p := range c.TrustedOrigins {
		if _, err := path.Match(p, ""); err != nil || p == "" || p == "*" {
			bad("TrustedOrigins", `empty, "*" and malformed patterns are refused: name the allowed hosts`)
		}
	}
	return errors.Join(errs...)
}

// Server is the HTTP API. It is an http.Handler, safe for concurrent use.
type Server struct {
	cfg       Config
	eng       *leadcall.Engine
	store     leadcall.Store
	crms      leadcall.CRMProvider
	log       *slog.Logger
	mux       *routeMux
	adminHash [sha256.Size]byte
	metrics   *metrics

	limitersMu sync.Mutex
	limiters   map[string]*rate.Limiter // org/device -> bucket
	enroll     *rate.Limiter
	// enrollMu makes the check-and-clear of a pairing code atomic within this process.
	enrollMu sync.Mutex

	readyMu sync.Mutex
	ready   readyCache

	logins     *loginLimiter
	loginSlots chan struct{} // one token per password check in flight
	// dummyHash is compared against when the email is unknown, so that both cost the same;
	// made on first use, so that New stays cheap.
	dummyOnce sync.Once
	dummyHash []byte
}

// New returns a Server for cfg, or an error naming the first invalid Config field.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registry, cfg.Store, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, eng: cfg.Engine, store: cfg.Store, crms: cfg.CRMs, log: cfg.Logger,
		mux: &routeMux{ServeMux: http.NewServeMux()}, adminHash: sha256.Sum256([]byte(cfg.AdminToken)), metrics: m,
		limiters:   make(map[string]*rate.Limiter),
		enroll:     rate.NewLimiter(cfg.EnrollRate, cfg.EnrollBurst),
		logins:     newLoginLimiter(rate.Every(cfg.LoginInterval), cfg.LoginBurst),
		loginSlots: make(chan struct{}, cfg.MaxConcurrentLogins),
	}
	s.routes()
	return s, nil
}

// routes registers every route with who may call it (see Routes and the package doc). Reps
// (AccessRep) only ever see their own devices' data: each such handler applies repScope.
func (s *Server) routes() {
	const (
		rep     = leadcall.RoleRep
		manager = leadcall.RoleManager
		admin   = leadcall.RoleAdmin
	)
	s.mux.Handle("GET /healthz", s.public(s.healthz))
	s.mux.Handle("GET /readyz", s.public(s.readyz))
	s.mux.Handle("GET /metrics", s.public(promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}).ServeHTTP))
	s.mux.Handle("GET /v1/openapi.json", s.public(s.openAPI))

	s.mux.Handle("POST /v1/device/enroll", s.public(s.enrollDevice))
	s.mux.Handle("POST /v1/device/heartbeat", s.device(s.heartbeat))
	s.mux.Handle("POST /v1/device/calls", s.device(s.postCalls))

	s.mux.Handle("POST /v1/auth/login", s.public(s.login))
	s.mux.Handle("POST /v1/auth/logout", s.role(rep, s.logout))
	s.mux.Handle("GET /v1/auth/me", s.role(rep, s.me))
	s.mux.Handle("GET /v1/users", s.role(admin, s.listUsers))
	s.mux.Handle("POST /v1/users", s.role(admin, s.createUser))
	s.mux.Handle("PATCH /v1/users/{id}", s.role(admin, s.patchUser))
	s.mux.Handle("GET /v1/tokens", s.role(rep, s.listTokens))
	s.mux.Handle("POST /v1/tokens", s.role(rep, s.createToken))
	s.mux.Handle("DELETE /v1/tokens/{id}", s.role(rep, s.deleteToken))

	s.mux.Handle("GET /v1/settings", s.role(manager, s.getSettings))
	s.mux.Handle("PUT /v1/settings", s.role(admin, s.putSettings))
	s.mux.Handle("POST /v1/reps", s.role(manager, s.createRep))
	s.mux.Handle("GET /v1/reps", s.role(manager, s.listReps))
	s.mux.Handle("PUT /v1/reps/{id}/crm-user", s.role(manager, s.mapRep))
	s.mux.Handle("GET /v1/crm/users", s.role(manager, s.crmUsers))
	s.mux.Handle("GET /v1/crm/lead-sources", s.role(manager, s.leadSources))
	s.mux.Handle("POST /v1/devices", s.role(manager, s.createDevice))
	s.mux.Handle("GET /v1/devices", s.role(rep, s.listDevices))
	s.mux.Handle("PATCH /v1/devices/{id}", s.role(manager, s.patchDevice))
	s.mux.Handle("POST /v1/devices/{id}/pairing-code", s.role(manager, s.reissuePairingCode))
	s.mux.Handle("PUT /v1/devices/{id}/assignment", s.role(manager, s.setAssignment))
	s.mux.Handle("GET /v1/devices/{id}/assignments", s.role(rep, s.listAssignments))
	s.mux.Handle("GET /v1/calls", s.role(rep, s.listCalls))
	s.mux.Handle("GET /v1/calls.csv", s.role(rep, s.exportCalls))
	s.mux.Handle("GET /v1/review", s.role(rep, s.listReview))
	s.mux.Handle("POST /v1/review/{id}/resolve", s.role(manager, s.resolveReview))
	s.mux.Handle("GET /v1/reports/summary", s.role(rep, s.reportSummary))
	s.mux.Handle("GET /v1/recovery", s.role(rep, s.listRecovery))
	s.mux.Handle("POST /v1/backfill", s.role(manager, s.postBackfill))

	// The dashboard: the page at / only (other unknown paths keep their JSON 404), assets under
	// /ui/. It signs in through POST /v1/auth/login.
	dashboard := ui.Handler()
	s.mux.Handle("GET /{$}", s.public(dashboard.ServeHTTP))
	s.mux.Handle("GET "+ui.AssetPrefix, s.public(dashboard.ServeHTTP))

	// Served by the handler WithStream returns; registered so that the route table is whole
	// and a server without the stream answers why.
	s.mux.Handle("GET "+StreamPath, s.role(rep, s.streamNotMounted))
}

// ServeHTTP routes the request, answering unknown paths and methods with JSON errors, and
// records the request's metrics and log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h, pattern := s.mux.Handler(r)
	route := pattern
	if pattern == "" {
		// The mux's own 404 and 405 are plain text; keep its status and Allow header only.
		probe := &probeWriter{header: make(http.Header)}
		h.ServeHTTP(probe, r)
		route = "unmatched"
		if allow := probe.header.Get("Allow"); allow != "" {
			rec.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed {
			writeError(rec, s.log, apiError(http.StatusMethodNotAllowed, "method_not_allowed", "", "method not allowed on this path"))
		} else {
			writeError(rec, s.log, apiError(http.StatusNotFound, "not_found", "", "no such path"))
		}
	} else {
		// mux.ServeHTTP, not h: only the mux sets the request's path values.
		s.mux.ServeHTTP(rec, r)
	}
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
	s.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
	// The path is not logged: the route pattern names it without IDs or query strings.
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", route),
		slog.Int("status", rec.status), slog.Duration("duration", elapsed)}
	if rec.deviceID != "" {
		attrs = append(attrs, slog.String("device_id", rec.deviceID))
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
}

// statusWriter remembers the status and, for the request log, the authenticated device.
type statusWriter struct {
	http.ResponseWriter
	status   int
	wrote    bool
	deviceID string
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.status = code }

// maxTokenLen bounds what is hashed from an Authorization header.
const maxTokenLen = 512

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || len(h) > len(prefix)+maxTokenLen {
		return "", false
	}
	if !equalFoldASCII(h[:len(prefix)], prefix) {
		return "", false
	}
	return h[len(prefix):], true
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ingested *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, store leadcall.Store, log *slog.Logger) (*metrics, error) {
	jobs := &jobCollector{store: store, log: log, desc: prometheus.NewDesc("leadcall_sync_jobs",
		"Sync jobs in the store by state, across orgs, read at scrape time.", []string{"state"}, nil)}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadcall_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leadcall_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadcall_ingested_calls_total", Help: "Calls posted by devices, by ingest status.",
		}, []string{"status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.ingested, jobs} {
		if err := reg.Register(c); err != nil {
			return nil, leadcall.NewError(leadcall.CodeInvalid, "httpapi: register metrics", err)
		}
	}
	return m, nil
}

// jobCollector reports the outbox's job counts (Store.JobCounts) when scraped.
type jobCollector struct {
	store leadcall.Store
	log   *slog.Logger
	desc  *prometheus.Desc
}

// jobScrapeTimeout bounds the store query of one scrape.
const jobScrapeTimeout = 5 * time.Second

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobScrapeTimeout)
	defer cancel()
	counts, err := c.store.JobCounts(ctx)
	if err != nil {
		c.log.Warn("httpapi: job counts for metrics", "err", err)
		return
	}
	for _, st := range []leadcall.JobState{leadcall.JobReady, leadcall.JobRunning, leadcall.JobDone, leadcall.JobDead} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
