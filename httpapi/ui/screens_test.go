package ui_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestSaveScreens saves a PNG of every screen with some data in it, for reviewing the design:
// LEADCALL_UI_SCREENS=<dir> go test -run TestSaveScreens ./httpapi/ui. It is skipped otherwise.
func TestSaveScreens(t *testing.T) {
	dir := os.Getenv("LEADCALL_UI_SCREENS")
	if dir == "" {
		t.Skip("set LEADCALL_UI_SCREENS=<dir> to save a screenshot of every screen")
	}
	a := newApp(t)
	id1, tok1 := a.device("Front Desk", "campaign")
	_, tok2 := a.device("Campaign Line 1", "campaign")
	a.device("Ahmed's Phone", "sales_rep")
	a.heartbeat(tok1)
	a.call("PUT", "/v1/devices/"+id1+"/assignment", "", map[string]any{"lead_source": "Google Ads", "metadata": map[string]string{"Campaign": "Wellness Week"}}, 200, nil)
	now := time.Now()
	a.postCall(tok1, "a1", "+919876543210", "missed", now)
	a.postCall(tok1, "a2", "+919876543211", "inbound", now)
	a.postCall(tok2, "a3", "12", "inbound", now)
	a.open()
	a.login()
	shot := func(name string) {
		time.Sleep(400 * time.Millisecond)
		png, err := chromedp.Run(a.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
	}
	shot("command")
	a.do(chromedp.Click(chromedp.CSS(card(id1))))
	shot("panel")
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="panel-close"]`)))
	for _, v := range []string{"calls", "review", "recovery", "reports", "owners", "backfill", "settings"} {
		a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-` + v + `"]`)))
		shot(v)
	}
	// A phone-sized screen.
	a.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, v := range []string{"command", "calls"} {
		a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-` + v + `"]`)))
		shot("mobile-" + v)
	}
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-command"]`)), chromedp.Click(chromedp.CSS(card(id1))))
	shot("mobile-panel")
}
