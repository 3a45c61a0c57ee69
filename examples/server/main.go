// Command server is leadcall's reference server: wiring only (flags and LEADCALL_<NAME>
// environment variables → Config → start). The HTTP API itself is package httpapi.
//
//	go run ./examples/server                       # SQLite file leadcall.db, sandbox CRM
//	go run ./examples/server -db postgres://...    # PostgreSQL
//	go run ./examples/server -crm zoho -zoho-dc in -zoho-client-id ... -zoho-client-secret ... \
//	    -zoho-refresh-token ...
//	go run ./examples/server -crm zoho -zoho-dc eu -zoho-client-id ... -zoho-client-secret ... \
//	    -zoho-redirect-url https://leadcall.example.com/v1/crm/zoho/callback   # connect from the dashboard
//
// Connecting Zoho from the dashboard: with a client ID and secret but no refresh token the
// server starts "not connected" (GET /readyz says crm "not_connected"; calls wait as pending)
// and an admin clicks "Connect Zoho" on the settings screen. The server mounts, besides
// httpapi's built-in routes (which GET /v1/openapi.json describes):
//
//	POST /v1/crm/zoho/connect   admin  → 200 {"url": Zoho's consent URL}; the browser goes there
//	GET  /v1/crm/zoho/callback  public → Zoho's redirect target; 303 to /?zoho=connected#/settings
//	                                     or /?zoho_error=<reason>#/settings (crm/zoho/zohoconnect)
//	GET  /v1/crm/status         manager → {"mode":"sandbox|zoho","connected":bool,
//	                                     "data_centre":"eu","can_connect":bool}
//
// Register the callback URL (-zoho-redirect-url, default http://<listen address>/v1/crm/zoho/callback)
// with the client in Zoho's API console. The refresh token is written to -zoho-token-file
// (mode 0600; default: the SQLite file's name plus ".zoho-token.json", or
// leadcall-zoho-token.json with PostgreSQL) and the server switches to it at once; on later
// starts that file, when present, wins over -zoho-refresh-token (delete it to disconnect).
// The connect flow's pending states and the switch to the new connection live in the
// process: with several replicas, connect through one of them, and give the others the same
// token file (they read it when they start).
//
// Without Zoho credentials it runs in sandbox mode: the bundled fake Zoho (crm/zoho/zohotest)
// runs in-process on a loopback port, seeded with a demo user and a demo Lead Source, and the
// real Zoho adapter talks to it, so the whole flow works with no account. The fake keeps its
// records in memory: they vanish when the server stops, while the database keeps the calls (and
// the IDs of the records they were synced to). Managers see what it holds on the dashboard's
// Sandbox CRM screen (GET /v1/sandbox/crm, sandbox mode only).
//
// Several replicas may share one PostgreSQL database (-db postgres://...): job leases keep
// their sync work apart (-lease sets how soon a crashed replica's jobs are taken over), each
// replica's live stream follows the database's event log (LISTEN/NOTIFY) so it shows every
// replica's events, and the Zoho request rate (-zoho-rps, -zoho-burst) is one token bucket in
// the database that all replicas draw from. -worker-id names a replica in job leases.
//
// The manager API takes LEADCALL_ADMIN_TOKEN as a bearer token; when it is empty a random one
// is generated and printed once on start (it is a bootstrap credential: set it in the
// environment for a server that restarts). The same token opens the live stream,
// GET /v1/stream?after=ID (WebSocket; browsers from other origins need -stream-origins).
//
// People sign in with an email and password (POST /v1/auth/login, or the dashboard). In sandbox
// mode the server makes a demo admin, admin@demo.local, and prints its password with the URL on
// every start (LEADCALL_DEMO_PASSWORD, or a fresh random one). In production the first admin
// comes from LEADCALL_ADMIN_EMAIL (or -admin-email) and LEADCALL_ADMIN_PASSWORD (environment
// only) on a start where the org has no users yet; later starts ignore them.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/examples/internal/crmconn"
	"github.com/leadcall/leadcall/examples/internal/sandbox"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/postgres"
	"github.com/leadcall/leadcall/store/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := ParseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(2)
	}
	m := NewMain(cfg, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		_ = m.Close()
		os.Exit(1)
	}
	select {
	case <-ctx.Done():
	case err := <-m.Done():
		fmt.Fprintln(os.Stderr, "server:", err)
	}
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "server: shutdown:", err)
		os.Exit(1)
	}
}

// CRM modes.
const (
	CRMSandbox = "sandbox"
	CRMZoho    = "zoho"
)

// Config is the server's configuration: every flag, also read from LEADCALL_<NAME>
// (e.g. -zoho-dc from LEADCALL_ZOHO_DC). Flags win over the environment.
type Config struct {
	Addr             string // listen address; default 127.0.0.1:8080
	DB               string // SQLite file, or a postgres:// DSN; default leadcall.db
	CRM              string // sandbox or zoho; default sandbox unless Zoho credentials are given
	ZohoDC           string // data centre: com, eu, in, com.au, jp, ca, sa, com.cn; default com
	ZohoAccountsURL  string // overrides the data centre's accounts server
	ZohoClientID     string
	ZohoClientSecret string
	ZohoRefreshToken string
	// ZohoTokenFile keeps the refresh token of the dashboard's connect flow (mode 0600);
	// default: DB + ".zoho-token.json" for SQLite, leadcall-zoho-token.json for PostgreSQL.
	ZohoTokenFile string
	// ZohoRedirectURL is the connect flow's callback URL as registered with Zoho; default
	// the listen address's http://.../v1/crm/zoho/callback.
	ZohoRedirectURL string
	AdminToken      string // LEADCALL_ADMIN_TOKEN only (flags show in process lists); empty: generated
	OrgID           string // the org the admin token acts on; default httpapi.DefaultOrgID
	// StreamOrigins are browser origins allowed on GET /v1/stream besides the server's own
	// host (comma-separated host patterns, e.g. dash.example.com).
	StreamOrigins []string
	// EnginePoll is the Engine's poll interval; zero: the Engine's default.
	EnginePoll time.Duration
	// Lease is how long a sync job belongs to the replica that claimed it (a crashed
	// replica's jobs are taken over after it); zero: the Engine's default.
	Lease time.Duration
	// ReconcileGrace is how long after an in-doubt CRM create (e.g. a replica killed
	// mid-request) the Engine waits for search to show the record before creating it again;
	// zero: the Engine's default.
	ReconcileGrace time.Duration
	// WorkerID names this replica in job leases (diagnostics); default: random.
	WorkerID string
	// ZohoRPS and ZohoBurst size the Zoho client-side rate limit; zero: the adapter's
	// defaults. With PostgreSQL the bucket lives in the database, shared by every replica.
	ZohoRPS   float64
	ZohoBurst int
	// AdminEmail and AdminPassword (LEADCALL_ADMIN_PASSWORD only) create the org's first admin
	// user on a start where the org has none.
	AdminEmail    string
	AdminPassword string
	// DemoPassword (LEADCALL_DEMO_PASSWORD only) is the sandbox demo admin's password; empty:
	// random, printed on start.
	DemoPassword string
	// BcryptCost is the cost of password hashes; zero: httpapi.DefaultBcryptCost.
	BcryptCost int
}

// ParseConfig reads flags from args, with defaults from the environment (getenv).
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		return cmp.Or(getenv("LEADCALL_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))), def)
	}
	var c Config
	str := func(p *string, name, def, usage string) { fs.StringVar(p, name, env(name, def), usage) }
	str(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	str(&c.DB, "db", "leadcall.db", "SQLite file, or a postgres:// DSN")
	str(&c.CRM, "crm", "", "sandbox (bundled fake Zoho) or zoho; default sandbox unless Zoho credentials are given")
	str(&c.ZohoDC, "zoho-dc", "com", "Zoho data centre: com, eu, in, com.au, jp, ca, sa, com.cn")
	str(&c.ZohoAccountsURL, "zoho-accounts-url", "", "Zoho accounts server (overrides -zoho-dc)")
	str(&c.ZohoClientID, "zoho-client-id", "", "Zoho OAuth client ID")
	str(&c.ZohoClientSecret, "zoho-client-secret", "", "Zoho OAuth client secret")
	str(&c.ZohoRefreshToken, "zoho-refresh-token", "", "Zoho refresh token (without one, an admin connects Zoho from the dashboard)")
	str(&c.ZohoTokenFile, "zoho-token-file", "", "file (mode 0600) keeping the refresh token of the dashboard's Zoho connection (default: <db>.zoho-token.json)")
	str(&c.ZohoRedirectURL, "zoho-redirect-url", "", "Zoho connect callback URL registered with the client (default: http://<addr>/v1/crm/zoho/callback)")
	str(&c.OrgID, "org", httpapi.DefaultOrgID, "ID of the org the admin token acts on")
	var origins, lease, enginePoll, zohoRPS, zohoBurst, grace, bcryptCost string
	str(&grace, "reconcile-grace", "", "wait after an in-doubt CRM create before creating again, e.g. 2m (default: the Engine's)")
	str(&c.WorkerID, "worker-id", "", "this replica's name in job leases (default: random)")
	str(&lease, "lease", "", "how long a claimed sync job belongs to this replica, e.g. 2m (default: the Engine's)")
	str(&enginePoll, "engine-poll", "", "how often idle sync workers look for due jobs, e.g. 1s (default: the Engine's)")
	str(&zohoRPS, "zoho-rps", "", "Zoho requests per second, shared by all replicas on PostgreSQL (default: the adapter's)")
	str(&zohoBurst, "zoho-burst", "", "Zoho request burst (default: the adapter's)")
	str(&c.AdminEmail, "admin-email", "", "email of the first admin user, created when the org has no users (password: LEADCALL_ADMIN_PASSWORD)")
	str(&bcryptCost, "bcrypt-cost", "", "bcrypt cost of password hashes (default httpapi.DefaultBcryptCost)")
	str(&origins, "stream-origins", "", "comma-separated browser origins allowed on the live stream besides the server's own host")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.AdminToken = getenv("LEADCALL_ADMIN_TOKEN")
	if err := parseTuning(&c, lease, enginePoll, zohoRPS, zohoBurst); err != nil {
		return Config{}, err
	}
	var err error
	if c.ReconcileGrace, err = parsePositiveDuration("reconcile-grace", grace); err != nil {
		return Config{}, err
	}
	if bcryptCost != "" {
		n, err := strconv.Atoi(bcryptCost)
		if err != nil {
			return Config{}, fmt.Errorf("-bcrypt-cost %q: want a whole number", bcryptCost)
		}
		c.BcryptCost = n
	}
	c.AdminPassword = getenv("LEADCALL_ADMIN_PASSWORD")
	c.DemoPassword = getenv("LEADCALL_DEMO_PASSWORD")
	if c.AdminEmail != "" && c.AdminPassword == "" {
		return Config{}, errors.New("-admin-email needs LEADCALL_ADMIN_PASSWORD in the environment")
	}
	for o := range strings.SplitSeq(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.StreamOrigins = append(c.StreamOrigins, o)
		}
	}
	hasZoho := c.ZohoClientID != "" || c.ZohoClientSecret != "" || c.ZohoRefreshToken != ""
	if c.CRM == "" {
		c.CRM = CRMSandbox
		if hasZoho {
			c.CRM = CRMZoho
		}
	}
	switch c.CRM {
	case CRMSandbox:
	case CRMZoho:
		if c.ZohoClientID == "" || c.ZohoClientSecret == "" {
			return Config{}, errors.New("-crm zoho needs -zoho-client-id and -zoho-client-secret (and -zoho-refresh-token, or an admin connects Zoho from the dashboard)")
		}
	default:
		return Config{}, fmt.Errorf("-crm %q: want sandbox or zoho", c.CRM)
	}
	return c, nil
}

// Main is the running server: Run starts it and returns, Close stops it. Tests boot the same
// wiring with Addr 127.0.0.1:0.
type Main struct {
	cfg    Config
	out    io.Writer
	log    *slog.Logger
	store  leadcall.Store
	fake   *zohotest.Server // sandbox mode only
	crm    *crmconn.Switch
	conn   *crmconn.Connector // zoho mode only
	ln     net.Listener       // until http serves it
	eng    *leadcall.Engine
	hub    *httpapi.Hub // live stream; the Engine's Notifier
	http   *http.Server
	url    string
	served chan error
}

// NewMain returns a Main for cfg; out receives the start banner.
func NewMain(cfg Config, out io.Writer, log *slog.Logger) *Main {
	return &Main{cfg: cfg, out: out, log: log, served: make(chan error, 1)}
}

// URL is the server's base URL once Run has returned.
func (m *Main) URL() string { return m.url }

// Done delivers an error when the HTTP server stops on its own.
func (m *Main) Done() <-chan error { return m.served }

// Run opens the store, connects the CRM, starts the Engine and the HTTP server, and returns.
// On error the caller still calls Close to release what was opened.
func (m *Main) Run(ctx context.Context) error {
	var err error
	if m.store, err = m.openStore(ctx); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if m.crm, err = m.openCRM(); err != nil {
		return fmt.Errorf("connect CRM: %w", err)
	}
	crms := m.crm
	hubCfg := httpapi.HubConfig{Logger: m.log}
	if log, ok := m.store.(httpapi.EventLog); ok {
		hubCfg.Follow = log // replicas share the store: stream every replica's events
	} else {
		hubCfg.Follow = sandbox.NewLocalEventLog(m.store) // one process owns SQLite: stream its log in ID order
	}
	if m.hub, err = httpapi.NewHub(hubCfg); err != nil {
		return fmt.Errorf("stream hub: %w", err)
	}
	m.eng, err = leadcall.New(leadcall.Config{Store: m.store, CRMs: crms, Logger: m.log, PollInterval: m.cfg.EnginePoll, Lease: m.cfg.Lease, CRMTimeout: crmTimeout(m.cfg.Lease), Notifier: m.hub,
		ReconcileGrace: m.cfg.ReconcileGrace, WorkerID: m.cfg.WorkerID})
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if err := m.ensureOrg(ctx); err != nil {
		return err
	}
	if err := m.eng.Start(); err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	token, generated := m.cfg.AdminToken, false
	if token == "" {
		token, generated = newAdminToken(), true
	}
	login, err := m.ensureUsers(ctx)
	if err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.cfg.Addr); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.url = "http://" + m.ln.Addr().String()
	api, err := httpapi.New(httpapi.Config{
		Engine: m.eng, Store: m.store, CRMs: crms, AdminToken: token, OrgID: m.cfg.OrgID, Logger: m.log,
		BcryptCost: m.cfg.BcryptCost,
	})
	if err != nil {
		return fmt.Errorf("http api: %w", err)
	}
	if err := m.mountCRMRoutes(api); err != nil {
		return err
	}
	if m.fake != nil {
		sandbox.MountCRMView(api, m.fake) // what the fake Zoho holds, for the dashboard
	}
	handler, err := api.WithStream(httpapi.StreamConfig{Hub: m.hub, OriginPatterns: m.cfg.StreamOrigins})
	if err != nil {
		return fmt.Errorf("live stream: %w", err)
	}
	ln := m.ln
	m.ln = nil
	m.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := m.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			m.served <- err
		}
	}()
	fmt.Fprintf(m.out, "leadcall listening on %s (CRM: %s, store: %s)\n", m.url, m.cfg.CRM, storeKind(m.cfg.DB))
	if generated {
		// Printed once, to the console only: the operator needs it for the manager API.
		fmt.Fprintf(m.out, "admin token (set LEADCALL_ADMIN_TOKEN to keep it across restarts): %s\n", token)
	}
	if login != "" {
		// The sandbox's demo credentials, printed once to the console (never logged).
		fmt.Fprintf(m.out, "login: %s/  email: %s  password: %s\n", m.url, DemoAdminEmail, login)
	}
	return nil
}

// Close shuts the HTTP server down gracefully, then stops the Engine and closes the store and
// the sandbox CRM. It is safe to call after a failed Run.
func (m *Main) Close() error {
	var errs []error
	if m.hub != nil {
		// First: Shutdown does not wait for the stream's hijacked connections.
		errs = append(errs, m.hub.Close())
	}
	if m.ln != nil {
		errs = append(errs, m.ln.Close())
	}
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errs = append(errs, m.http.Shutdown(ctx))
	}
	if m.eng != nil {
		errs = append(errs, m.eng.Close())
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	if m.fake != nil {
		errs = append(errs, m.fake.Close())
	}
	return errors.Join(errs...)
}

func storeKind(db string) string {
	if isPostgres(db) {
		return "postgres"
	}
	return "sqlite " + db
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func (m *Main) openStore(ctx context.Context) (leadcall.Store, error) {
	if isPostgres(m.cfg.DB) {
		return postgres.Open(ctx, m.cfg.DB, nil)
	}
	return sqlite.Open(ctx, m.cfg.DB, nil)
}

// zohoConfig is the adapter configuration without a refresh token: client, accounts server or
// data centre, limits.
func (m *Main) zohoConfig() (zoho.Config, error) {
	zc := zoho.Config{
		ClientID: m.cfg.ZohoClientID, ClientSecret: m.cfg.ZohoClientSecret,
		AccountsURL: m.cfg.ZohoAccountsURL, Logger: m.log,
		RequestsPerSecond: m.cfg.ZohoRPS, Burst: m.cfg.ZohoBurst,
	}
	if pg, ok := m.store.(*postgres.Store); ok {
		// Replicas share the org's Zoho request rate through the database.
		lim, err := pg.RateLimiter("zoho:"+cmp.Or(m.cfg.OrgID, httpapi.DefaultOrgID),
			cmp.Or(m.cfg.ZohoRPS, zoho.DefaultRequestsPerSecond), cmp.Or(m.cfg.ZohoBurst, zoho.DefaultBurst))
		if err != nil {
			return zc, err
		}
		zc.Limiter = lim
	}
	return zc, nil
}

// Sandbox seed data.
const (
	SandboxLeadSource = "Sandbox Campaign"
	SandboxUserEmail  = "demo.rep@example.com"
)

func (m *Main) startSandbox() (zohotest.Credentials, error) {
	m.fake = zohotest.New(sandbox.FakeZohoConfig())
	if err := m.fake.Start(); err != nil {
		return zohotest.Credentials{}, err
	}
	if _, err := m.fake.AddUser(zohotest.User{FirstName: "Demo", LastName: "Rep", Email: SandboxUserEmail, Confirmed: true}); err != nil {
		return zohotest.Credentials{}, err
	}
	values, err := m.fake.PicklistValues("Leads", "Lead_Source")
	if err != nil {
		return zohotest.Credentials{}, err
	}
	values = append(values, zohotest.PicklistValue{DisplayValue: SandboxLeadSource})
	if err := m.fake.SetPicklist("Leads", "Lead_Source", values); err != nil {
		return zohotest.Credentials{}, err
	}
	return m.fake.Credentials(), nil
}

// ensureOrg creates the admin token's org with default settings the first time.
func (m *Main) ensureOrg(ctx context.Context) error {
	orgID := cmp.Or(m.cfg.OrgID, httpapi.DefaultOrgID)
	_, err := m.store.Org(ctx, orgID)
	if leadcall.CodeOf(err) == leadcall.CodeNotFound {
		err = m.eng.CreateOrg(ctx, &leadcall.Org{ID: orgID, Name: "Default"})
		if leadcall.CodeOf(err) == leadcall.CodeConflict { // another replica was first
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("default org: %w", err)
	}
	return nil
}

func newAdminToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "lca_" + base64.RawURLEncoding.EncodeToString(b[:])
}
