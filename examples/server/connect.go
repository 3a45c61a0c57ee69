package main

import (
	"context"
	"time"

	"cmp"
	"errors"
	"fmt"
	"net/http"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohoconnect"
	"github.com/leadcall/leadcall/examples/internal/crmconn"
	"github.com/leadcall/leadcall/examples/internal/sandbox"
	"github.com/leadcall/leadcall/httpapi"
)

// Routes the server mounts besides httpapi's built-in ones (see the package doc).
const (
	RouteCRMStatus   = "GET /v1/crm/status"
	RouteZohoConnect = "POST /v1/crm/zoho/connect"
	RouteZohoBack    = "GET /v1/crm/zoho/callback"
	zohoCallbackPath = "/v1/crm/zoho/callback"
)

// openCRM returns the CRM provider: the Zoho adapter pointed at the in-process fake
// (sandbox), at Zoho with the saved or given refresh token, or nothing yet (zoho mode without
// a refresh token: an admin connects from the dashboard).
func (m *Main) openCRM() (*crmconn.Switch, error) {
	zc, err := m.zohoConfig()
	if err != nil {
		return nil, err
	}
	if m.cfg.CRM == CRMSandbox {
		creds, err := m.startSandbox()
		if err != nil {
			return nil, err
		}
		zc.ClientID, zc.ClientSecret, zc.RefreshToken, zc.AccountsURL = creds.ClientID, creds.ClientSecret, creds.RefreshToken, creds.AccountsURL
		sandbox.LiftClientLimits(&zc) // the fake on loopback only; real Zoho keeps the defaults
		c, err := zoho.New(zc)
		if err != nil {
			return nil, err
		}
		sw := crmconn.NewSwitch(crmconn.ModeSandbox, false)
		sw.Set(c, "")
		return sw, nil
	}
	accounts := zc.AccountsURL
	if accounts == "" {
		dc, err := zoho.ParseDataCenter(m.cfg.ZohoDC)
		if err != nil {
			return nil, err
		}
		accounts = dc.AccountsURL()
	}
	sw := crmconn.NewSwitch(crmconn.ModeZoho, true)
	m.conn = &crmconn.Connector{Switch: sw, OrgID: m.orgID(), Path: m.tokenFile(), Base: zc, Logger: m.log,
		OnConnect: func() {
			// Calls waited under a crm_not_connected pause: end it now, on every replica.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := m.eng.ResumeSync(ctx, m.orgID(), "crm_connected"); err != nil {
				m.log.Warn("server: resume sync after connecting Zoho", "err", err)
			}
		}}
	saved, err := crmconn.LoadToken(m.conn.Path)
	switch {
	case err == nil:
		m.log.Info("zoho: using the connection saved by the connect flow", "file", m.conn.Path, "accounts", saved.AccountsURL)
		accounts = saved.AccountsURL
	case errors.Is(err, crmconn.ErrNoToken) && m.cfg.ZohoRefreshToken != "":
		saved.RefreshToken = m.cfg.ZohoRefreshToken
	case errors.Is(err, crmconn.ErrNoToken):
		m.log.Warn("zoho: not connected; an admin connects Zoho on the dashboard's settings screen", "token_file", m.conn.Path)
		return sw, nil
	default:
		return nil, err
	}
	c, dc, err := m.conn.Client(saved.RefreshToken, accounts, nil)
	if err != nil {
		return nil, err
	}
	sw.Set(c, dc)
	return sw, nil
}

// tokenFile is where the connect flow keeps the refresh token.
func (m *Main) tokenFile() string {
	if m.cfg.ZohoTokenFile != "" {
		return m.cfg.ZohoTokenFile
	}
	if isPostgres(m.cfg.DB) {
		return "leadcall-zoho-token.json"
	}
	return m.cfg.DB + ".zoho-token.json"
}

// mountCRMRoutes adds GET /v1/crm/status and, in zoho mode, the connect flow.
func (m *Main) mountCRMRoutes(api *httpapi.Server) error {
	api.Mount(RouteCRMStatus, leadcall.RoleManager, http.HandlerFunc(m.crm.ServeStatus))
	if m.conn == nil {
		return nil
	}
	accounts := m.cfg.ZohoAccountsURL
	if accounts == "" {
		dc, err := zoho.ParseDataCenter(m.cfg.ZohoDC)
		if err != nil {
			return err
		}
		accounts = dc.AccountsURL()
	}
	flow, err := zohoconnect.New(zohoconnect.Config{
		ClientID: m.cfg.ZohoClientID, ClientSecret: m.cfg.ZohoClientSecret,
		RedirectURL: cmp.Or(m.cfg.ZohoRedirectURL, m.url+zohoCallbackPath), AccountsURL: accounts,
		Subject: func(r *http.Request) (zohoconnect.Subject, error) {
			p, ok := httpapi.PrincipalFrom(r.Context())
			if !ok {
				return zohoconnect.Subject{}, errors.New("no principal")
			}
			return zohoconnect.Subject{OrgID: p.OrgID, UserID: p.Actor()}, nil
		},
		Sink: m.conn, Logger: m.log,
	})
	if err != nil {
		return fmt.Errorf("zoho connect flow: %w", err)
	}
	api.Mount(RouteZohoConnect, leadcall.RoleAdmin, http.HandlerFunc(flow.Start))
	api.MountPublic(RouteZohoBack, http.HandlerFunc(flow.Callback))
	return nil
}
