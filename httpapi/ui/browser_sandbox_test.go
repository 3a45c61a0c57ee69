package ui_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/httpapi"
)

// sandboxCRMRoute is where the reference server mounts the fake Zoho's records view in
// sandbox mode (examples/internal/sandbox.CRMViewPattern; examples cannot be imported here).
const sandboxCRMRoute = "GET /v1/sandbox/crm"

// withFakeZoho runs the server against a fake Zoho on loopback through the real Zoho adapter,
// and mounts the fake's records view as sandbox mode does.
func withFakeZoho(t *testing.T) (*zohotest.Server, func(*setup)) {
	t.Helper()
	fake := zohotest.New(zohotest.Config{Addr: "127.0.0.1:0", MaxConcurrency: -1, MaxSubConcurrency: -1})
	require.NoError(t, fake.Start())
	t.Cleanup(func() { _ = fake.Close() }) // registered first: runs after the server stops
	creds := fake.Credentials()
	zc, err := zoho.New(zoho.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, RefreshToken: creds.RefreshToken,
		AccountsURL: creds.AccountsURL, RequestsPerSecond: math.Inf(1), Concurrency: 64})
	require.NoError(t, err)
	return fake, func(s *setup) {
		s.crm = zc
		s.mount = func(srv *httpapi.Server) { srv.Mount(sandboxCRMRoute, leadcall.RoleManager, fake.ViewHandler()) }
	}
}

func sandboxTab(module string, count int) string {
	return fmt.Sprintf(`[data-testid="sandbox-tab"][data-module=%q][data-count="%d"]`, module, count)
}

// TestBrowserSandboxCRMShowsSyncedLeadLive: a call posted by a phone appears on the Sandbox
// CRM screen as a Lead, with its Call and Task linked to it, without a reload.
func TestBrowserSandboxCRMShowsSyncedLeadLive(t *testing.T) {
	fake, opt := withFakeZoho(t)
	a := newApp(t, opt)
	problems := consoleProblems(t, a.ctx)
	id, token := a.device("Campaign Line 1", "campaign")
	a.call("PUT", "/v1/devices/"+id+"/assignment", "", map[string]any{"lead_source": "Advertisement"}, http.StatusOK, nil)
	a.open()
	a.login()
	a.click(`[data-testid="nav-sandbox"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="view-sandbox"] [data-testid="sandbox-empty"]`)),
		chromedp.WaitVisible(chromedp.CSS(sandboxTab("Leads", 0)+`[aria-selected="true"]`)))

	a.postCall(token, "sb-1", "+919876543210", "missed", time.Now())
	lead := `[data-testid="sandbox-row"][data-module="Leads"]`
	a.do(chromedp.WaitVisible(chromedp.CSS(lead)),
		chromedp.WaitVisible(chromedp.CSS(sandboxTab("Leads", 1))))
	leads := fake.Records("Leads")
	require.Len(t, leads, 1)
	require.Equal(t, leads[0].ID, a.attr(lead, "data-record-id"))
	row := a.text(lead)
	require.Contains(t, row, "+919876543210", "managers see the number")
	require.Contains(t, row, "Advertisement")
	// The Call and the Task the sync wrote are counted, and link back to the Lead.
	a.do(chromedp.WaitVisible(chromedp.CSS(sandboxTab("Calls", 1))), chromedp.WaitVisible(chromedp.CSS(sandboxTab("Tasks", 1))))
	a.click(`[data-testid="sandbox-tab"][data-module="Tasks"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="sandbox-row"][data-module="Tasks"]`)))
	a.click(`[data-testid="sandbox-tab"][data-module="Calls"]`)
	link := fmt.Sprintf(`[data-testid="sandbox-row"][data-module="Calls"] [data-testid="sandbox-link"][data-module="Leads"][data-record-id=%q]`, leads[0].ID)
	a.click(link)
	leadRow := fmt.Sprintf(`[data-testid="sandbox-row"][data-module="Leads"][data-record-id=%q]`, leads[0].ID)
	a.do(chromedp.WaitVisible(chromedp.CSS(leadRow+`[data-highlight="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sandbox-tab"][data-module="Leads"][aria-selected="true"]`)))

	// A second caller: two Leads, two Calls. From the first Lead, its Calls alone.
	a.postCall(token, "sb-2", "+919876500002", "inbound", time.Now())
	a.do(chromedp.WaitVisible(chromedp.CSS(sandboxTab("Leads", 2))), chromedp.WaitVisible(chromedp.CSS(sandboxTab("Calls", 2))))
	a.click(leadRow + ` [data-testid="sandbox-related"][data-module="Calls"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid="sandbox-filter"][data-related=%q]`, leads[0].ID))),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sandbox-row"][data-module="Calls"]`)))
	n, err := chromedp.Run(a.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="sandbox-row"][data-module="Calls"]').length`))
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the first caller's call")
	a.do(chromedp.WaitVisible(chromedp.CSS(link)))
	a.click(`[data-testid="sandbox-filter-clear"]`)
	a.do(chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="sandbox-filter"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="sandbox-row"][data-module="Calls"] + [data-testid="sandbox-row"][data-module="Calls"]`)))
	n, err = chromedp.Run(a.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="sandbox-row"][data-module="Calls"]').length`))
	require.NoError(t, err)
	require.Equal(t, 2, n, "both calls once the filter is cleared")
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserSandboxTabOnlyWhereTheRouteAnswers: without the route (a server on a real CRM)
// or for a rep (403), there is no Sandbox CRM tab.
func TestBrowserSandboxTabOnlyWhereTheRouteAnswers(t *testing.T) {
	t.Run("no route", func(t *testing.T) {
		a := newApp(t)
		a.open()
		a.login()
		a.do(chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="nav-sandbox"]`)))
		// A bookmarked #/sandbox falls back to the Command Center.
		a.do(chromedp.Navigate(a.url+"/#/sandbox"), chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"] [data-testid="view-command"]`)))
	})
	t.Run("rep", func(t *testing.T) {
		_, opt := withFakeZoho(t)
		a := newApp(t, opt)
		var rep struct{ ID string }
		a.call("POST", "/v1/reps", "", map[string]any{"name": "Ravi Kumar"}, http.StatusCreated, &rep)
		email := a.user("rep", rep.ID)
		a.open()
		a.loginAs(email)
		a.do(chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="nav-sandbox"]`)))
		a.call("GET", "/v1/sandbox/crm", "", nil, http.StatusOK, nil) // the route is there, for managers
	})
}

// attr returns an attribute of the first element sel matches, read in one step in the page.
func (a *app) attr(sel, name string) string {
	a.t.Helper()
	s, err := chromedp.Run(a.ctx, chromedp.Evaluate[*string](fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el ? el.getAttribute(%q) : null })()`, sel, name)))
	require.NoError(a.t, err)
	require.NotNil(a.t, s, "no element matches %s", sel)
	return *s
}
