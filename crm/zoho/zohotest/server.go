package zohotest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults applied by [New] to zero Config fields.
const (
	DefaultAddr              = "127.0.0.1:0"
	DefaultAccessTokenTTL    = time.Hour        // A-REF: an access token lasts one hour.
	DefaultRefreshLimit      = 10               // A-REF: 10 access tokens per refresh token ...
	DefaultRefreshWindow     = 10 * time.Minute // ... in a 10-minute window.
	DefaultGrantCodeTTL      = time.Minute      // a grant code lives about a minute and works once.
	DefaultMaxConcurrency    = 10               // K35: Standard edition.
	DefaultMaxSubConcurrency = 10               // SUBC: the same on every edition.
	DefaultMaxBodyBytes      = 5 << 20
	DefaultMixedStatus       = http.StatusMultiStatus // OAS v8 createRecords 207 sample.
	DefaultClientID          = "1000.ZOHOTESTCLIENT"
	DefaultClientSecret      = "zohotest-client-secret"
)

// SyncKeyField is the API name of leadcall's sync-key custom field (DESIGN §10).
const SyncKeyField = "LC_Sync_Key"

// SyncKeyMode says how a module carries the [SyncKeyField] custom field.
type SyncKeyMode int

const (
	// SyncKeyUnique: the field exists and has "Do not allow duplicate values" set. The default.
	SyncKeyUnique SyncKeyMode = iota
	// SyncKeyPlain: the field exists but duplicates are allowed.
	SyncKeyPlain
	// SyncKeyAbsent: the org never created the field; writes to it are silently dropped and
	// COQL/criteria on it fail as an unknown column.
	SyncKeyAbsent
)

// PhoneMatch selects how phone search (?phone= and criteria on phone fields) compares numbers.
// Zoho does not document this (zoho-api.md §3), so the choice is the test's.
type PhoneMatch int

const (
	// PhoneMatchFormatted ignores spaces, '-', '.', '(' and ')' and letter case, and nothing else:
	// "+91 98765-43210" matches "+919876543210", but "919876543210" and "09876543210" do not.
	// The default.
	PhoneMatchFormatted PhoneMatch = iota
	// PhoneMatchExact compares the stored string byte for byte.
	PhoneMatchExact
)

// Config configures a [Server]. The zero value is usable; every field documents its default.
type Config struct {
	// Addr is the listen address for [Server.Start]. Default [DefaultAddr] (loopback, any port).
	Addr string
	// Now is the server's clock: token expiry, refresh-rate windows, grant codes, index lag,
	// credit windows and record timestamps all read it. Default time.Now.
	Now func() time.Time
	// TimeZone is the org/user time zone used to render Date/Time values. Default UTC.
	TimeZone *time.Location
	// AccessTokenTTL is the lifetime of minted access tokens. Default [DefaultAccessTokenTTL].
	AccessTokenTTL time.Duration
	// RefreshLimit is how many access tokens one refresh token may mint per RefreshWindow.
	// Default [DefaultRefreshLimit]; negative disables the limit.
	RefreshLimit int
	// RefreshWindow is the sliding window for RefreshLimit. Default [DefaultRefreshWindow].
	RefreshWindow time.Duration
	// MaxConcurrency caps concurrency units in use (a composite call takes 5, anything else 1);
	// a request over the cap gets 429 TOO_MANY_REQUESTS. Default [DefaultMaxConcurrency];
	// negative disables the cap.
	MaxConcurrency int
	// MaxSubConcurrency caps in-flight "complex" calls (COQL and composite). Default
	// [DefaultMaxSubConcurrency]; negative disables the cap.
	MaxSubConcurrency int
	// MaxBodyBytes caps request bodies; larger bodies get 413. Default [DefaultMaxBodyBytes].
	MaxBodyBytes int64
	// DailyCredits is the rolling 24-hour API credit allowance. Zero (the default) means unlimited.
	DailyCredits int
	// MixedStatus is the HTTP status of a multi-record write with mixed results: 207 (the
	// default, OAS v8) or 202 (the older docs).
	MixedStatus int
	// IndexLag hides records from search for this long after they are created through the API.
	// Default 0. See also [Server.SetIndexLag].
	IndexLag time.Duration
	// IndexLagCOQL applies IndexLag to COQL as well. Zoho says COQL reads fresh data
	// (D-SEARCH7 note), so the default is false.
	IndexLagCOQL bool
	// PhoneMatch selects phone comparison for search. Default [PhoneMatchFormatted].
	PhoneMatch PhoneMatch
	// SyncKey sets the [SyncKeyField] mode per module API name ("Leads", "Contacts", "Calls",
	// "Tasks"). Modules not listed get [SyncKeyUnique].
	SyncKey map[string]SyncKeyMode
	// COQLIncludesConvertedLeads makes COQL return converted Leads and accept Converted__s as a
	// column. Unconfirmed in Zoho's docs; the default (false) hides converted Leads from COQL
	// like the search default converted=false.
	COQLIncludesConvertedLeads bool
	// Seed seeds the fault-injection random source, so probabilistic faults repeat exactly.
	Seed uint64
	// Logger receives one debug line per request (no tokens, no query strings). Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	c.Addr = cmp.Or(c.Addr, DefaultAddr)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TimeZone == nil {
		c.TimeZone = time.UTC
	}
	c.AccessTokenTTL = cmp.Or(c.AccessTokenTTL, DefaultAccessTokenTTL)
	c.RefreshLimit = cmp.Or(c.RefreshLimit, DefaultRefreshLimit)
	c.RefreshWindow = cmp.Or(c.RefreshWindow, DefaultRefreshWindow)
	c.MaxConcurrency = cmp.Or(c.MaxConcurrency, DefaultMaxConcurrency)
	c.MaxSubConcurrency = cmp.Or(c.MaxSubConcurrency, DefaultMaxSubConcurrency)
	c.MaxBodyBytes = cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.MixedStatus = cmp.Or(c.MixedStatus, DefaultMixedStatus)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.AccessTokenTTL < 0 {
		errs = append(errs, errors.New("AccessTokenTTL must not be negative"))
	}
	if c.RefreshWindow < 0 {
		errs = append(errs, errors.New("RefreshWindow must not be negative"))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("MaxBodyBytes must not be negative"))
	}
	if c.DailyCredits < 0 {
		errs = append(errs, errors.New("DailyCredits must not be negative"))
	}
	if c.MixedStatus != http.StatusAccepted && c.MixedStatus != http.StatusMultiStatus {
		errs = append(errs, fmt.Errorf("MixedStatus must be 202 or 207, got %d", c.MixedStatus))
	}
	if c.IndexLag < 0 {
		errs = append(errs, errors.New("IndexLag must not be negative"))
	}
	if c.PhoneMatch != PhoneMatchFormatted && c.PhoneMatch != PhoneMatchExact {
		errs = append(errs, fmt.Errorf("unknown PhoneMatch %d", c.PhoneMatch))
	}
	for m, mode := range c.SyncKey {
		if _, ok := moduleByName(m); !ok {
			errs = append(errs, fmt.Errorf("SyncKey: unknown module %q", m))
		}
		if mode < SyncKeyUnique || mode > SyncKeyAbsent {
			errs = append(errs, fmt.Errorf("SyncKey[%s]: unknown mode %d", m, mode))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("zohotest: invalid config: %w", err)
	}
	return nil
}

// ErrClosed is returned by [Server.Start] after [Server.Close].
var ErrClosed = errors.New("zohotest: server closed")

// Server is a fake Zoho accounts server plus the CRM v8 API of one org, on one host: the
// token response's api_domain points back at the same server. It is safe for concurrent use.
//
// Build it with [New], seed it through the Go API (AddUser, AddLead, ...), then either call
// [Server.Start] to listen on loopback or mount [Server.Handler] yourself.
type Server struct {
	cfg    Config
	log    *slog.Logger
	schema map[string]*moduleDef // by canonical module name, built per server (picklists mutate)

	// life: start/close and the count of running handlers, separate from mu so Close can wait.
	lifeMu   sync.Mutex
	lifeCond *sync.Cond
	active   int
	closed   bool
	closing  chan struct{}
	httpSrv  *http.Server
	baseURL  string

	mu         sync.Mutex // guards everything below
	rng        *rand.Rand
	idSeq      int64
	clients    map[string]*oauthClient
	refresh    map[string]*refreshToken
	access     map[string]*accessToken
	grants     map[string]*grantCode
	consent    ConsentFunc
	redirects  map[string][]string // client ID → registered redirect URIs
	users      []*User
	adminID    string
	store      map[string]*moduleStore
	indexLag   time.Duration
	lagCOQL    bool
	faults     []*faultState
	faultSeq   int
	faultLog   []FaultEvent
	requests   []Request
	reqSeq     int
	credits    []creditEntry
	creditsBy  map[Endpoint]int
	inFlight   int
	subFlight  int
	peakFlight int
	minted     int
	defaultRT  string
}

// New returns a Server with cfg's defaults applied, one active admin user ("Patricia Boyle",
// the persona of Zoho's samples) and one OAuth client with a refresh token holding
// [DefaultScopes] (see [Server.Credentials]). An invalid cfg is reported by [Server.Start];
// a Server used through [Server.Handler] uses the defaults for invalid fields' zero values.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		schema:    newSchema(cfg.SyncKey),
		closing:   make(chan struct{}),
		rng:       rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		idSeq:     1_000_000,
		clients:   map[string]*oauthClient{},
		refresh:   map[string]*refreshToken{},
		access:    map[string]*accessToken{},
		grants:    map[string]*grantCode{},
		store:     map[string]*moduleStore{},
		indexLag:  cfg.IndexLag,
		lagCOQL:   cfg.IndexLagCOQL,
		creditsBy: map[Endpoint]int{},
	}
	s.lifeCond = sync.NewCond(&s.lifeMu)
	for name, m := range s.schema {
		s.store[name] = newModuleStore(m)
	}
	admin, err := s.AddUser(User{FirstName: "Patricia", LastName: "Boyle", Email: "patricia.boyle@example.com",
		Role: "CEO", Profile: "Administrator", Status: UserActive, Confirmed: true})
	if err != nil {
		panic(err) // unreachable: the literal above is valid
	}
	s.adminID = admin
	s.AddClient(DefaultClientID, DefaultClientSecret)
	rt, err := s.AddRefreshToken(DefaultClientID, DefaultScopes()...)
	if err != nil {
		panic(err) // unreachable: the client was just added
	}
	s.defaultRT = rt
	return s
}

// Start validates the config and starts serving on Config.Addr (loopback by default) with a
// plain net/http server, so it works outside tests (the reference server's sandbox mode).
func (s *Server) Start() error {
	if err := s.cfg.validate(); err != nil {
		return err
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.httpSrv != nil {
		return errors.New("zohotest: already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("zohotest: listen %s: %w", s.cfg.Addr, err)
	}
	s.baseURL = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() { _ = s.httpSrv.Serve(ln) }()
	return nil
}

// URL is the base URL ("http://127.0.0.1:port") of the accounts server and the API domain.
// It is empty until [Server.Start] succeeds.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.baseURL
}

// Handler returns the server as an http.Handler, for mounting without [Server.Start]. The
// token response's api_domain is then built from the request's Host.
func (s *Server) Handler() http.Handler { return s }

// Close stops the listener, releases requests held by injected hangs, closes open
// connections and waits for running handlers to return. It is idempotent.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	srv := s.httpSrv
	s.lifeMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	s.lifeMu.Lock()
	for s.active > 0 {
		s.lifeCond.Wait()
	}
	s.lifeMu.Unlock()
	return err
}

func (s *Server) enter() bool {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return false
	}
	s.active++
	return true
}

func (s *Server) leave() {
	s.lifeMu.Lock()
	s.active--
	if s.active == 0 {
		s.lifeCond.Broadcast()
	}
	s.lifeMu.Unlock()
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// nextID returns a fresh 19-digit numeric id shaped like Zoho's ("5725767000001000001").
// Callers hold s.mu.
func (s *Server) nextID() string {
	s.idSeq++
	return fmt.Sprintf("5725767%012d", s.idSeq)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeJSON(w, http.StatusServiceUnavailable, errBody("INTERNAL_ERROR", "server is shutting down", nil))
		return
	}
	defer s.leave()
	switch {
	case r.URL.Path == "/oauth/v2/token":
		s.serveToken(w, r)
	case r.URL.Path == "/oauth/v2/token/revoke":
		s.serveRevoke(w, r)
	case r.URL.Path == "/oauth/v2/auth":
		s.serveAuthorize(w, r)
	case strings.HasPrefix(r.URL.Path, "/crm/"):
		s.serveAPI(w, r)
	default:
		writeJSON(w, http.StatusNotFound, errBody("INVALID_URL_PATTERN",
			"Please check if the URL trying to access is a correct one", nil))
	}
}

// apiRequest is one CRM API call, from HTTP or from a composite sub-request.
type apiRequest struct {
	ctx       context.Context
	method    string
	path      string // e.g. "/crm/v8/Leads/search"
	query     url.Values
	body      []byte
	route     route
	token     *accessToken
	composite bool       // a composite sub-request: record caps apply
	undo      *undoLog   // non-nil inside a composite with rollback_on_fail
	sub       *[]Request // composite: where sub-request records go
}

// apiResponse is what a handler produces; body nil means no body (204).
type apiResponse struct {
	status  int
	body    any
	credits int
	applied bool // the call changed state (a write took effect)
}

// errorBody is Zoho's error envelope (OAS common.json API_Exception).
type errorBody struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

func errBody(code, message string, details map[string]any) errorBody {
	if details == nil {
		details = map[string]any{}
	}
	return errorBody{Code: code, Details: details, Message: message, Status: "error"}
}

func errResp(status int, code, message string, details map[string]any) apiResponse {
	return apiResponse{status: status, body: errBody(code, message, details)}
}

func invalidURL() apiResponse {
	return errResp(http.StatusNotFound, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", nil)
}

func invalidMethod() apiResponse {
	return errResp(http.StatusBadRequest, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one", nil)
}

func tooManyRequests() apiResponse {
	// Body shape unconfirmed (zoho-api.md §9): Zoho's usual envelope with TOO_MANY_REQUESTS.
	return errResp(http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "too many requests", nil)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	data, err := json.Marshal(body)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func encodeBody(body any) []byte {
	if body == nil {
		return nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return []byte(`{"code":"INTERNAL_ERROR","details":{},"message":"Internal Server Error","status":"error"}`)
	}
	return data
}

// readBody reads at most MaxBodyBytes; tooLarge reports an oversized body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, tooLarge bool, err error) {
	if r.Body == nil {
		return nil, false, nil
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, true, nil
	}
	return body, false, err
}

func tooLargeResp(limit int64) apiResponse {
	// Zoho's limit and body are undocumented; 413 with the usual envelope.
	return errResp(http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", "request body too large",
		map[string]any{"max_size": limit})
}

// hostAllowed implements INVALID_HOST (D-CHG3): the API answers only on its own host.
func (s *Server) hostAllowed(host string) bool {
	s.lifeMu.Lock()
	base := s.baseURL
	s.lifeMu.Unlock()
	if base == "" {
		return true // mounted through Handler: the host is whatever the caller chose
	}
	own := strings.TrimPrefix(base, "http://")
	if strings.EqualFold(host, own) {
		return true
	}
	_, port, err := net.SplitHostPort(own)
	return err == nil && strings.EqualFold(host, "localhost:"+port)
}

func (s *Server) apiDomain(r *http.Request) string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.baseURL != "" {
		return s.baseURL
	}
	return "http://" + r.Host
}

// serveAPI runs one CRM call: route, concurrency, faults, auth, handler, credits, log.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	rec := Request{Time: start, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	var subs []Request // composite sub-requests, filled by the handler
	finish := func(resp apiResponse, delivered bool) {
		rec.Status, rec.Delivered, rec.SubRequests = resp.status, delivered, subs
		s.logRequest(rec)
		s.log.Debug("zohotest request", "method", r.Method, "path", r.URL.Path, "status", resp.status,
			"delivered", delivered, "fault", rec.Fault.String())
	}

	if !s.hostAllowed(r.Host) {
		resp := errResp(http.StatusBadRequest, "INVALID_HOST", "invalid host", nil)
		writeJSON(w, resp.status, resp.body)
		finish(resp, true)
		return
	}
	body, tooLarge, err := s.readBody(w, r)
	if tooLarge {
		resp := tooLargeResp(s.cfg.MaxBodyBytes)
		writeJSON(w, resp.status, resp.body)
		finish(resp, true)
		return
	}
	if err != nil {
		finish(apiResponse{}, false) // the client went away mid-body
		return
	}
	rec.Body = truncate(body, maxLoggedBody)

	rt, routeErr := resolve(r.Method, r.URL.Path, s.schema)
	rec.Endpoint, rec.Module = rt.endpoint, rt.module
	req := &apiRequest{ctx: r.Context(), method: r.Method, path: r.URL.Path, query: r.URL.Query(),
		body: body, route: rt}
	req.sub = &subs

	units, complexCall := concurrencyCost(rt.endpoint)
	if !s.acquire(units, complexCall) {
		resp := tooManyRequests()
		writeJSON(w, resp.status, resp.body)
		finish(resp, true)
		return
	}
	defer s.release(units, complexCall)

	fault := s.pickFault(rt.endpoint, rt.module)
	rec.Fault = fault.Kind
	if s.preFault(w, r, fault, finish) {
		return
	}

	resp := s.authorize(r.Header.Get("Authorization"), req)
	if resp.status == 0 {
		if routeErr != nil {
			resp = *routeErr
		} else if denied := s.checkScopes(req); denied != nil {
			resp = *denied
		} else if limited := s.checkCredits(); limited != nil {
			resp = *limited
		} else {
			resp = rt.handler(s, req)
			s.charge(rt.endpoint, resp.credits)
			rec.Credits = resp.credits
		}
	}
	s.postFault(w, r, fault, resp, finish)
}

const maxLoggedBody = 64 << 10

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		b = b[:n]
	}
	return append([]byte(nil), b...)
}

// route is the resolved target of an API path.
type route struct {
	endpoint Endpoint
	module   string // canonical module API name, when the path names one
	id       string // record id, when the path names one
	handler  func(*Server, *apiRequest) apiResponse
}

// resolve maps method+path to a route. A non-nil error response is reported after
// authentication, so an unauthenticated caller learns nothing about URLs.
func resolve(method, path string, schema map[string]*moduleDef) (route, *apiResponse) {
	rest, ok := strings.CutPrefix(path, "/crm/v8/")
	if !ok {
		r := invalidURL()
		return route{}, &r
	}
	seg := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	for _, p := range seg {
		if p == "" {
			r := invalidURL()
			return route{}, &r
		}
	}
	methodErr := func(e Endpoint, module string) (route, *apiResponse) {
		r := invalidMethod()
		return route{endpoint: e, module: module}, &r
	}
	one := func(e Endpoint, want string, h func(*Server, *apiRequest) apiResponse) (route, *apiResponse) {
		if method != want {
			return methodErr(e, "")
		}
		return route{endpoint: e, handler: h}, nil
	}
	switch {
	case len(seg) == 1 && seg[0] == "coql":
		return one(EndpointCOQL, http.MethodPost, (*Server).handleCOQL)
	case len(seg) == 1 && seg[0] == "__composite_requests":
		return one(EndpointComposite, http.MethodPost, (*Server).handleComposite)
	case len(seg) == 1 && seg[0] == "users":
		return one(EndpointUsers, http.MethodGet, (*Server).handleUsers)
	case len(seg) == 2 && seg[0] == "settings" && seg[1] == "fields":
		return one(EndpointFields, http.MethodGet, (*Server).handleFields)
	case seg[0] == "settings" || seg[0] == "users":
		r := invalidURL()
		return route{}, &r
	}
	mod, known := canonicalModule(seg[0], schema)
	invalidModule := func(e Endpoint) (route, *apiResponse) {
		r := errResp(http.StatusBadRequest, "INVALID_MODULE", "the module name given seems to be invalid",
			map[string]any{"resource_path_index": 0})
		return route{endpoint: e}, &r
	}
	var rt route
	switch {
	case len(seg) == 1:
		switch method {
		case http.MethodGet:
			rt = route{endpoint: EndpointListRecords, handler: (*Server).handleList}
		case http.MethodPost:
			rt = route{endpoint: EndpointInsert, handler: (*Server).handleInsert}
		case http.MethodPut:
			rt = route{endpoint: EndpointUpdate, handler: (*Server).handleUpdate}
		default:
			return methodErr(EndpointInsert, mod)
		}
	case len(seg) == 2 && seg[1] == "search":
		if method != http.MethodGet {
			return methodErr(EndpointSearch, mod)
		}
		rt = route{endpoint: EndpointSearch, handler: (*Server).handleSearch}
	case len(seg) == 2 && seg[1] == "upsert":
		if method != http.MethodPost {
			return methodErr(EndpointUpsert, mod)
		}
		rt = route{endpoint: EndpointUpsert, handler: (*Server).handleUpsert}
	case len(seg) == 2:
		switch method {
		case http.MethodGet:
			rt = route{endpoint: EndpointGetRecord, handler: (*Server).handleGet}
		case http.MethodPut:
			rt = route{endpoint: EndpointUpdateRecord, handler: (*Server).handleUpdate}
		default:
			return methodErr(EndpointGetRecord, mod)
		}
		rt.id = seg[1]
	default:
		r := invalidURL()
		return route{}, &r
	}
	if !known {
		return invalidModule(rt.endpoint)
	}
	rt.module = mod
	return rt, nil
}

// Endpoint names an API operation as "METHOD /path/template"; request counters and fault
// rules use it.
type Endpoint string

// The endpoints the fake serves.
const (
	EndpointToken        Endpoint = "POST /oauth/v2/token"
	EndpointRevoke       Endpoint = "POST /oauth/v2/token/revoke"
	EndpointAuthorize    Endpoint = "GET /oauth/v2/auth"
	EndpointListRecords  Endpoint = "GET /crm/v8/{module}"
	EndpointGetRecord    Endpoint = "GET /crm/v8/{module}/{id}"
	EndpointSearch       Endpoint = "GET /crm/v8/{module}/search"
	EndpointInsert       Endpoint = "POST /crm/v8/{module}"
	EndpointUpdate       Endpoint = "PUT /crm/v8/{module}"
	EndpointUpdateRecord Endpoint = "PUT /crm/v8/{module}/{id}"
	EndpointUpsert       Endpoint = "POST /crm/v8/{module}/upsert"
	EndpointCOQL         Endpoint = "POST /crm/v8/coql"
	EndpointComposite    Endpoint = "POST /crm/v8/__composite_requests"
	EndpointUsers        Endpoint = "GET /crm/v8/users"
	EndpointFields       Endpoint = "GET /crm/v8/settings/fields"
)

// Request is one logged HTTP request (inspection API).
type Request struct {
	Seq         int       // 1-based order of arrival at the logger
	Time        time.Time // server clock at arrival
	Method      string
	Path        string
	RawQuery    string
	Endpoint    Endpoint // "" when the path matched no endpoint
	Module      string   // canonical module, when the path names one
	Status      int      // status the handler (or an injected fault) produced; 0: none, e.g. a hang
	Delivered   bool     // the client received this Status and body intact (false after commit faults, drops, hangs)
	Credits     int      // API credits charged
	Fault       FaultKind
	Body        []byte    // request body, first 64 KiB (never the Authorization header)
	SubRequests []Request // composite sub-requests, in order
}
