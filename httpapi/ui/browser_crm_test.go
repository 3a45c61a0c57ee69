package ui_test

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// TestBrowserCRMConnectCard: an admin sees the CRM connection card on the settings screen,
// clicks "Connect Zoho", is sent to the consent URL the server returned, and on the way back
// (/?zoho=connected#/settings) sees the result, with the flag taken out of the address bar.
// The server's routes stand in for examples/server's (crm/zoho/zohoconnect's flow).
func TestBrowserCRMConnectCard(t *testing.T) {
	var connected, starts atomic.Bool
	a := newApp(t, func(s *setup) {
		s.mount = func(srv *httpapi.Server) {
			srv.Mount("GET /v1/crm/status", leadcall.RoleManager, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"mode": "zoho", "connected": connected.Load(), "data_centre": "eu", "can_connect": true})
			}))
			srv.Mount("POST /v1/crm/zoho/connect", leadcall.RoleAdmin, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				starts.Store(true)
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]string{"url": "/v1/test/consent"})
			}))
			// Zoho's consent screen and the callback in one: approve, connect, go back.
			srv.MountPublic("GET /v1/test/consent", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				connected.Store(true)
				http.Redirect(w, r, "/?zoho=connected#/settings", http.StatusSeeOther)
			}))
		}
	})
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.loginAs(a.user("admin", ""))
	a.click(`[data-testid="nav-settings"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="crm-card"][data-connected="false"] [data-testid="crm-connect"]`)))
	require.Contains(t, a.text(`[data-testid="crm-status"]`), "not connected")
	a.click(`[data-testid="crm-connect"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="crm-result"][data-result="connected"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="crm-card"][data-connected="true"]`)))
	require.True(t, starts.Load())
	require.Contains(t, a.text(`[data-testid="crm-status"]`), "data centre eu")
	loc, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`location.pathname + location.search + location.hash`))
	require.NoError(t, err)
	require.Equal(t, "/#/settings", loc, "the result flag is taken out of the address bar")
	require.Empty(t, problems())
}

// TestBrowserCRMCardHiddenWithoutRoute: without GET /v1/crm/status (a plain httpapi server)
// the card stays hidden and settings work as before.
func TestBrowserCRMCardHiddenWithoutRoute(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.loginAs(a.user("admin", ""))
	a.click(`[data-testid="nav-settings"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="settings-lead-placeholder"]`)))
	hidden, err := chromedp.Run(a.ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="crm-card"]').hidden`))
	require.NoError(t, err)
	require.True(t, hidden)
	require.Empty(t, problems())
}
