package crmconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohoconnect"
)

// Connector is the connect flow's zohoconnect.TokenSink: it writes the grant to the token
// file, builds a Zoho client from it and swaps it into the Switch at once.
type Connector struct {
	// Switch receives the new client.
	Switch *Switch
	// OrgID is the only org a grant is accepted for (the server serves one).
	OrgID string
	// Path is the token file.
	Path string
	// Base is the adapter configuration without a refresh token (client, limits, logger);
	// the grant supplies the refresh token, the accounts server and the first access token.
	Base zoho.Config
	// OnConnect, when set, runs after the swap (the server wakes its sync workers).
	OnConnect func()
	// Now is the clock for ConnectedAt. Default time.Now.
	Now func() time.Time
	// Logger gets one line per connection. Default: discard.
	Logger *slog.Logger
}

var _ zohoconnect.TokenSink = (*Connector)(nil)

// Connected implements zohoconnect.TokenSink.
func (c *Connector) Connected(_ context.Context, sub zohoconnect.Subject, g *zoho.Grant) error {
	if sub.OrgID != c.OrgID {
		return fmt.Errorf("crmconn: grant for org %q, but this server serves %q", sub.OrgID, c.OrgID)
	}
	if g == nil || g.RefreshToken == "" {
		return errors.New("crmconn: grant has no refresh token")
	}
	client, dc, err := c.Client(g.RefreshToken, g.AccountsURL, &g.Token)
	if err != nil {
		return err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := SaveToken(c.Path, Saved{RefreshToken: g.RefreshToken, AccountsURL: g.AccountsURL,
		ConnectedAt: now().UTC(), ConnectedBy: sub.UserID}); err != nil {
		return err
	}
	c.Switch.Set(client, dc)
	if c.Logger != nil {
		c.Logger.Info("crmconn: Zoho connected", "org_id", sub.OrgID, "user_id", sub.UserID, "accounts", g.AccountsURL, "data_centre", dc)
	}
	if c.OnConnect != nil {
		c.OnConnect()
	}
	return nil
}

// Client builds the adapter for a refresh token at accountsURL (and an access token to start
// with, if any), and names its data centre ("" for a server that is not Zoho's).
func (c *Connector) Client(refreshToken, accountsURL string, initial *zoho.Token) (*zoho.CRM, string, error) {
	cfg := c.Base
	cfg.RefreshToken, cfg.AccountsURL, cfg.DataCenter = refreshToken, accountsURL, ""
	if initial != nil && initial.AccessToken != "" {
		t := *initial
		cfg.InitialToken = &t
	}
	client, err := zoho.New(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("crmconn: zoho client: %w", err)
	}
	dc, _ := zoho.AccountsDataCenter(accountsURL)
	return client, string(dc), nil
}
