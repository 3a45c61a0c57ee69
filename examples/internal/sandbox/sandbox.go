// Package sandbox boots the reference server's sandbox wiring in-process for the example
// programs and their tests: a SQLite store in a directory, the bundled fake Zoho on a loopback
// port seeded with the demo Lead Source, the Engine, the live-stream hub and the HTTP API on
// 127.0.0.1:0. It is wiring only and mirrors examples/server (which is a main package and cannot
// be imported).
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

// LeadSource is the Lead Source the fake Zoho offers besides its defaults (as in examples/server).
const LeadSource = "Sandbox Campaign"

// Config configures a sandbox server.
type Config struct {
	// Dir holds the SQLite file. Required.
	Dir string
	// AdminToken is the manager API's bearer token; at least httpapi.MinAdminTokenLen bytes.
	// Required.
	AdminToken string
	// EnginePoll is the Engine's poll interval; zero: the Engine's default.
	EnginePoll time.Duration
	// Workers is the Engine's number of sync workers; zero: the Engine's default.
	Workers int
	// DeviceRate and DeviceBurst size each device's token bucket; zero: httpapi's defaults.
	DeviceRate  rate.Limit
	DeviceBurst int
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
}

// Server is a running sandbox server. Close stops it.
type Server struct {
	url   string
	store leadcall.Store
	fake  *zohotest.Server
	eng   *leadcall.Engine
	hub   *httpapi.Hub
	http  *http.Server
}

// URL is the server's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.url }

// Start boots a sandbox server. On error everything opened so far is closed.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.Dir == "" || cfg.AdminToken == "" {
		return nil, errors.New("sandbox: Dir and AdminToken are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.store, err = sqlite.Open(ctx, filepath.Join(cfg.Dir, "leadcall.db"), nil); err != nil {
		return nil, fmt.Errorf("sandbox: open store: %w", err)
	}
	c, err := s.startCRM(log)
	if err != nil {
		return nil, err
	}
	crms := leadcall.SingleCRM{C: c}
	// Follow the log: the stream then delivers events in ID order (see LocalEventLog).
	if s.hub, err = httpapi.NewHub(httpapi.HubConfig{Logger: log, Follow: NewLocalEventLog(s.store)}); err != nil {
		return nil, fmt.Errorf("sandbox: stream hub: %w", err)
	}
	s.eng, err = leadcall.New(leadcall.Config{Store: s.store, CRMs: crms, Logger: log, PollInterval: cfg.EnginePoll, Workers: cfg.Workers, Notifier: s.hub})
	if err != nil {
		return nil, fmt.Errorf("sandbox: engine: %w", err)
	}
	if err := s.eng.CreateOrg(ctx, &leadcall.Org{ID: httpapi.DefaultOrgID, Name: "Default"}); err != nil {
		return nil, fmt.Errorf("sandbox: default org: %w", err)
	}
	if err := s.eng.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: start engine: %w", err)
	}
	api, err := httpapi.New(httpapi.Config{
		Engine: s.eng, Store: s.store, CRMs: crms, AdminToken: cfg.AdminToken, OrgID: httpapi.DefaultOrgID, Logger: log,
		DeviceRate: cfg.DeviceRate, DeviceBurst: cfg.DeviceBurst,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: http api: %w", err)
	}
	MountCRMView(api, s.fake)
	handler, err := api.WithStream(httpapi.StreamConfig{Hub: s.hub})
	if err != nil {
		return nil, fmt.Errorf("sandbox: live stream: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

func (s *Server) startCRM(log *slog.Logger) (*zoho.CRM, error) {
	s.fake = zohotest.New(FakeZohoConfig())
	if err := s.fake.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: fake zoho: %w", err)
	}
	values, err := s.fake.PicklistValues("Leads", "Lead_Source")
	if err != nil {
		return nil, fmt.Errorf("sandbox: fake zoho: %w", err)
	}
	values = append(values, zohotest.PicklistValue{DisplayValue: LeadSource})
	if err := s.fake.SetPicklist("Leads", "Lead_Source", values); err != nil {
		return nil, fmt.Errorf("sandbox: fake zoho: %w", err)
	}
	creds := s.fake.Credentials()
	zc := zoho.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, RefreshToken: creds.RefreshToken,
		AccountsURL: creds.AccountsURL, Logger: log}
	LiftClientLimits(&zc)
	c, err := zoho.New(zc)
	if err != nil {
		return nil, fmt.Errorf("sandbox: zoho adapter: %w", err)
	}
	return c, nil
}

// Client-side limits of the Zoho adapter in sandbox mode. The defaults (crm/zoho
// DefaultRequestsPerSecond 5, DefaultConcurrency 5) protect a real org's shared API quota and
// hold sync to about 2.5 calls/s (two requests per new caller); the fake on loopback has no
// quota to protect, so the sandbox lifts them.
const (
	// SandboxConcurrency is the adapter's in-flight cap in sandbox mode, in Zoho's concurrency
	// units (a composite request takes 5); the Engine's workers stay well below it.
	SandboxConcurrency = 256
)

// FakeZohoConfig is the fake Zoho of sandbox mode: on a loopback port, without the edition's
// concurrency caps. The caps are off because a fake that answers 429 makes the adapter wait
// crm/zoho.DefaultRetryAfter (a minute): the adapter releases its in-flight slot when it has
// read the answer, a moment before the fake releases its own, so an adapter allowed as many
// requests in flight as the fake allows would now and then trip the fake's cap.
func FakeZohoConfig() zohotest.Config {
	return zohotest.Config{Addr: "127.0.0.1:0", MaxConcurrency: -1, MaxSubConcurrency: -1}
}

// LiftClientLimits removes zc's client-side rate limit and raises its in-flight cap, for the
// fake Zoho of FakeZohoConfig only: a real Zoho org keeps the adapter's defaults.
func LiftClientLimits(zc *zoho.Config) {
	zc.RequestsPerSecond = math.Inf(1) // rate.Inf: the token bucket never waits
	zc.Limiter = nil                   // nor a limiter shared with other replicas
	zc.Concurrency = SandboxConcurrency
}

// Close stops the HTTP server, the Engine, the store and the fake Zoho, in that order.
func (s *Server) Close() error {
	var errs []error
	if s.hub != nil {
		errs = append(errs, s.hub.Close()) // first: Shutdown does not wait for hijacked streams
	}
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		errs = append(errs, s.http.Shutdown(ctx))
	}
	if s.eng != nil {
		errs = append(errs, s.eng.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	if s.fake != nil {
		errs = append(errs, s.fake.Close())
	}
	return errors.Join(errs...)
}
