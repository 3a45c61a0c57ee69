package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/httpapi"
)

func card(id string) string { return fmt.Sprintf(`[data-testid="device-card"][data-device-id=%q]`, id) }

func TestBrowserDeviceTurnsGreenOnHeartbeat(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	id, token := a.device("Front Desk", "campaign")
	a.open()
	a.login()
	// Paired but never seen: gray, and flagged as needing a campaign.
	a.do(chromedp.WaitVisible(chromedp.CSS(card(id) + `[data-online="false"] [data-testid="device-dot"][data-online="false"]`)))
	a.do(chromedp.WaitVisible(chromedp.CSS(card(id) + ` [data-testid="device-flag"][data-flag="no_assignment"]`)))
	require.Equal(t, "Front Desk", a.text(card(id)+` [data-testid="device-name"]`))

	a.heartbeat(token)
	a.do(chromedp.WaitVisible(chromedp.CSS(card(id) + `[data-online="true"] [data-testid="device-dot"][data-online="true"]`)))
	require.Contains(t, a.text(card(id)+` [data-testid="device-last-seen"]`), "just now")
	a.requireNoReload()
	require.Empty(t, problems())
}

func TestBrowserCallAppearsLive(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	id, token := a.device("Campaign Line 1", "campaign")
	a.postCall(token, "old-1", "+919876500999", "inbound", time.Now().Add(-72*time.Hour))
	a.open()
	a.login()
	a.do(
		chromedp.Click(chromedp.CSS(`[data-testid="nav-calls"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="call-row"]`)),
	)
	a.postCall(token, "c-1", "+919876543210", "missed", time.Now())
	row := fmt.Sprintf(`[data-testid="call-row"][data-device-id=%q][data-type="missed"]`, id)
	a.do(chromedp.WaitVisible(chromedp.CSS(row)))
	require.Equal(t, "+919876543210", a.text(row+` [data-testid="call-number"]`))
	// The sync workers write it to the CRM; the row follows without a reload.
	a.do(chromedp.WaitVisible(chromedp.CSS(row + ` [data-testid="call-status"].synced`)))
	require.Equal(t, "New lead", a.text(row+` [data-testid="call-status"]`))
	// The Command Center counted it too.
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-command"]`)),
		chromedp.WaitVisible(chromedp.CSS(card(id)+` [data-testid="device-calls-today"][data-total="1"]`)),
		// Over a week, the call of three days ago counts too.
		chromedp.SetValue(chromedp.CSS(`[data-testid="device-period"]`), "7d"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="device-period"]').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.CSS(card(id)+` [data-testid="device-calls-today"][data-total="2"]`)))
	// The export link carries the call log's filters.
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-calls"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="calls-type"]`), "missed"),
		chromedp.Click(chromedp.CSS(`[data-testid="calls-apply"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="call-row"][data-type="inbound"]`)))
	href, err := chromedp.Run(a.ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid="calls-export"]`), "href"))
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(href.Value, "/v1/calls.csv?type=missed"), href.Value)
	rows, err := chromedp.Run(a.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="call-row"]').length`))
	require.NoError(t, err)
	require.Equal(t, 1, rows, "the type filter leaves the missed call only")
	a.requireNoReload()
	require.Empty(t, problems())
}

func TestBrowserReviewItemResolvedWithOneClick(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	_, token := a.device("Campaign Line 2", "campaign")
	a.open()
	a.login()
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-empty"]`)))
	// An unreadable number on a campaign phone raises a review item, live.
	a.postCall(token, "c-bad", "12", "inbound", time.Now())
	item := `[data-testid="review-item"][data-status="open"][data-kind="invalid_number"]`
	a.do(chromedp.WaitVisible(chromedp.CSS(item)))
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-badge"]`)))
	a.click(item + ` [data-testid="review-action"][data-action="ignore"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-item"][data-status="resolved"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-empty"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="review-badge"]`)))
	// The server agrees.
	var page httpapi.Page[httpapi.ReviewView]
	a.call("GET", "/v1/review?status=resolved", "", nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)
	require.Equal(t, "ignore", string(page.Items[0].Resolution.Action))
	a.requireNoReload()
	require.Empty(t, problems())
}

func TestBrowserAssignmentFromDevicePanel(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	id, _ := a.device("Campaign Line 3", "campaign")
	a.open()
	a.login()
	a.click(card(id))
	a.do(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="device-panel"] [data-testid="panel-lead-source"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="panel-lead-source"]`), "Google Ads"),
		chromedp.Click(chromedp.CSS(`[data-testid="panel-meta-add"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="panel-meta-key"]`), "Campaign"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="panel-meta-value"]`), "Wellness Week"),
		chromedp.Click(chromedp.CSS(`[data-testid="panel-assign-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="panel-assignment"]:not([data-assignment-id=""])`)),
		chromedp.WaitNotPresent(chromedp.CSS(card(id)+` [data-testid="device-flag"][data-flag="no_assignment"]`)),
	)
	require.Contains(t, a.text(`[data-testid="panel-assignment"]`), "Google Ads")
	require.Contains(t, a.text(card(id)+` [data-testid="device-assignment"]`), "Google Ads · Campaign: Wellness Week")
	var hist []httpapi.AssignmentView
	a.call("GET", "/v1/devices/"+id+"/assignments", "", nil, http.StatusOK, &hist)
	require.Len(t, hist, 1)
	require.Equal(t, "Google Ads", hist[0].LeadSource)
	require.Nil(t, hist[0].End)
	require.Equal(t, map[string]string{"Campaign": "Wellness Week"}, hist[0].Metadata)
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserStreamResumesAfterDisconnect has the server drop the page's stream (a client that
// falls behind a one-event buffer is evicted) and checks that the page reconnects with
// ?after=<last event id> and shows every call, each once, without a reload.
func TestBrowserStreamResumesAfterDisconnect(t *testing.T) {
	a := newApp(t, func(s *setup) { s.hub.Buffer = 1 })
	problems := consoleProblems(t, a.ctx)
	id, token := a.device("Busy Line", "campaign")
	a.open()
	a.login()
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-calls"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="calls-empty"]`)))
	const n = 60
	calls := make([]map[string]any, n)
	start := time.Now()
	for i := range calls {
		calls[i] = map[string]any{"id": fmt.Sprintf("burst-%d", i), "number": fmt.Sprintf("+9198765%05d", i), "type": "inbound",
			"started_at": start.Add(time.Duration(i) * time.Millisecond).UTC().Format(time.RFC3339Nano), "duration_s": 30}
	}
	// One batch publishes its events back to back: far more than one event of buffer.
	a.postCalls(token, calls...)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="stream-status"][data-state="live"]:not([data-opens="1"])`)),
		// The Command Center is in the background: present, not visible.
		chromedp.WaitReady(chromedp.CSS(card(id)+fmt.Sprintf(` [data-testid="device-calls-today"][data-total="%d"]`, n))))
	url, err := chromedp.Run(a.ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid="stream-status"]`), "data-url"))
	require.NoError(t, err)
	require.Regexp(t, `^/v1/stream\?after=[1-9][0-9]*$`, url.Value, "the reconnect resumes from the last event")
	rows, err := chromedp.Run(a.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="call-row"]').length`))
	require.NoError(t, err)
	require.Equal(t, n, rows)
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserReportsChart draws the report of the calls as an SVG chart and a table.
func TestBrowserReportsChart(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	_, token := a.device("Campaign Line 4", "campaign")
	a.postCall(token, "m-1", "+919876500001", "missed", time.Now())
	a.postCall(token, "i-1", "+919876500002", "inbound", time.Now())
	a.open()
	a.login()
	a.click(`[data-testid="nav-reports"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="report-body"] svg[data-testid="chart-volume"] rect.bar.s-answered`)),
		chromedp.WaitVisible(chromedp.CSS(`svg[data-testid="chart-volume"] rect.bar.s-missed`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="report-table"]`)))
	require.Equal(t, "2", a.text(`[data-testid="report-table"] tbody tr td:nth-child(2)`), "calls of the day")
	// A new call updates the report, live.
	a.postCall(token, "i-2", "+919876500003", "inbound", time.Now())
	require.Eventually(t, func() bool { return a.text(`[data-testid="report-table"] tbody tr td:nth-child(2)`) == "3" },
		10*time.Second, 100*time.Millisecond)
	a.do(chromedp.SetValue(chromedp.CSS(`[data-testid="report-group"]`), "device"),
		chromedp.Click(chromedp.CSS(`[data-testid="report-apply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="report-table"] tbody tr td:first-child`)))
	require.Eventually(t, func() bool {
		return a.text(`[data-testid="report-table"] tbody tr td:first-child`) == "Campaign Line 4"
	},
		5*time.Second, 50*time.Millisecond)
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserScreensWithoutTheirRoutes: on a server without the recovery, reports and
// backfill routes, those screens say so kindly and the rest works.
func TestBrowserScreensWithoutTheirRoutes(t *testing.T) {
	a := newApp(t, func(s *setup) { s.hide = []string{"/v1/recovery", "/v1/reports/summary", "/v1/backfill"} })
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.login()
	a.click(`[data-testid="nav-recovery"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="view-recovery"] [data-testid="unavailable"]`)))
	a.click(`[data-testid="nav-reports"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="view-reports"] [data-testid="unavailable"]`)))
	a.click(`[data-testid="nav-backfill"]`)
	a.click(`[data-testid="backfill-preview"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="backfill-preview-result"] [data-testid="unavailable"]`)))
	a.click(`[data-testid="nav-command"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="device-grid"]`)))
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserRecoveryBoardLive follows a missed call on the recovery board: it appears with a
// running timer, is highlighted when its SLA passes, and leaves the board when a rep calls the
// customer back, all live.
func TestBrowserRecoveryBoardLive(t *testing.T) {
	a := newApp(t, func(s *setup) {
		s.engine.RecoverySLA = 2 * time.Second
		s.engine.RecoveryCheckInterval = 100 * time.Millisecond
	})
	problems := consoleProblems(t, a.ctx)
	_, campaign := a.device("Campaign Line 6", "campaign")
	_, repPhone := a.device("Ravi's Phone", "sales_rep")
	a.open()
	a.login()
	a.click(`[data-testid="nav-recovery"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="recovery-board"] .empty`)))
	a.postCall(campaign, "miss-1", "+919876533333", "missed", time.Now())
	row := `[data-testid="recovery-row"][data-status="open"]`
	a.do(chromedp.WaitVisible(chromedp.CSS(row + `[data-breached="false"] [data-testid="recovery-timer"]`)))
	require.Contains(t, a.text(row), "+919876533333")
	// The SLA passes: the row turns red, without a reload.
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="recovery-row"][data-breached="true"]`)))
	require.Regexp(t, `^0:0[1-9]$|^0:[1-5][0-9]$`, a.text(`[data-testid="recovery-timer"]`), "the timer runs")
	// A connected callback recovers the case; it leaves the board.
	a.postCalls(repPhone, map[string]any{"id": "cb-1", "number": "+919876533333", "type": "outbound",
		"started_at": time.Now().UTC().Format(time.RFC3339Nano), "duration_s": 95})
	a.do(chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="recovery-row"]`)))
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserBackfillPreviewAndProgress previews a backfill of calls whose sync failed, runs
// it, and follows its progress bar to the end.
func TestBrowserBackfillPreviewAndProgress(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	t.Cleanup(func() {
		if t.Failed() { // what the sync said about each call
			var page httpapi.Page[leadcall.Call]
			a.call("GET", "/v1/calls", "", nil, http.StatusOK, &page)
			for _, c := range page.Items {
				t.Logf("call %d %s: %s %s %q", c.ID, c.Type, c.SyncStatus, c.Outcome, c.LastError)
			}
		}
	})
	id, token := a.device("Campaign Line 7", "campaign")
	// The CRM refuses everything (a permanent error) for a while: both calls fail for good.
	a.crm.FailNext(memcrm.OpAny, 1000, memcrm.Fault{Code: leadcall.CodeInvalid, Message: "refused by the test"})
	a.postCall(token, "f-1", "+919876544441", "inbound", time.Now())
	a.postCall(token, "f-2", "+919876544442", "missed", time.Now())
	require.Eventually(t, func() bool {
		var page httpapi.Page[httpapi.CallView]
		a.call("GET", "/v1/calls?sync_status=failed", "", nil, http.StatusOK, &page)
		return len(page.Items) == 2
	}, 10*time.Second, 50*time.Millisecond)
	a.crm.ClearFaults()
	a.open()
	a.login()
	a.click(`[data-testid="nav-backfill"]`)
	a.click(`[data-testid="backfill-preview"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="backfill-preview-result"] h2`)))
	require.Equal(t, "Preview: 2 calls", a.text(`[data-testid="backfill-preview-result"] h2`))
	a.click(`[data-testid="backfill-run"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="backfill-progress"][data-done="2"][data-total="2"]`)))
	a.waitText(`[data-testid="backfill-status"]`, "Backfill done: 2 of 2 calls.") // backfill.done follows the last progress event
	// The calls sync now, and the log shows it live.
	a.click(`[data-testid="nav-calls"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid="call-row"][data-device-id=%q][data-type="missed"] [data-testid="call-status"].synced`, id))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid="call-row"][data-device-id=%q][data-type="inbound"] [data-testid="call-status"].synced`, id))))
	a.requireNoReload()
	require.Empty(t, problems())
}

func TestBrowserDevicePanelEditsPhoneAndOwnerMapping(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	id, token := a.device("Old Name", "campaign")
	var rep struct{ ID string }
	a.call("POST", "/v1/reps", "", map[string]any{"name": "Priya Shah", "email": "priya@example.com"}, http.StatusCreated, &rep)
	a.open()
	a.login()
	a.click(card(id))
	a.do(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="panel-nickname"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="panel-nickname"]`), "Ahmed's Phone"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="panel-kind"]`), "sales_rep"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="panel-rep"]`), rep.ID),
		chromedp.Click(chromedp.CSS(`[data-testid="panel-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(card(id)+` [data-testid="device-kind"].sales_rep`)),
		// A sales-rep phone has no campaign section.
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="panel-lead-source"]`)),
	)
	require.Equal(t, "Ahmed's Phone", a.text(card(id)+` [data-testid="device-name"]`))
	require.Equal(t, "Priya Shah", a.text(card(id)+` [data-testid="device-rep"]`))
	// The open panel follows the phone's calls live.
	a.postCall(token, "p-1", "+919876577777", "outbound", time.Now())
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="panel-calls"] [data-testid="panel-call"]`)))
	require.Contains(t, a.text(`[data-testid="panel-call"]`), "+919876577777")
	// Deactivated: the card stays, marked.
	a.click(`[data-testid="panel-active"]`)
	a.click(`[data-testid="panel-save"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(card(id) + ` [data-testid="device-flag"][data-flag="inactive"]`)))
	var devices []httpapi.DeviceView
	a.call("GET", "/v1/devices", "", nil, http.StatusOK, &devices)
	require.Len(t, devices, 1)
	require.Equal(t, "Ahmed's Phone", devices[0].Nickname)
	require.Equal(t, rep.ID, devices[0].RepID)
	require.Equal(t, "sales_rep", string(devices[0].Kind))
	require.False(t, devices[0].Active)

	// Owner mapping: the rep gets the CRM user.
	var users []httpapi.CRMUser
	a.call("GET", "/v1/crm/users", "", nil, http.StatusOK, &users)
	require.Len(t, users, 1)
	owner := fmt.Sprintf(`[data-testid="owner-row"][data-rep-id=%q] [data-testid="owner-select"]`, rep.ID)
	a.do(
		chromedp.Click(chromedp.CSS(`[data-testid="panel-close"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-owners"]`)),
		chromedp.WaitReady(chromedp.CSS(owner+fmt.Sprintf(` option[value=%q]`, users[0].ID))),
		chromedp.SetValue(chromedp.CSS(owner), users[0].ID),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="owner-select"]').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid="owner-row"][data-rep-id=%q][data-crm-user-id=%q]`, rep.ID, users[0].ID))),
	)
	var reps []struct {
		ID        string `json:"id"`
		CRMUserID string `json:"crm_user_id"`
	}
	a.call("GET", "/v1/reps", "", nil, http.StatusOK, &reps)
	require.Len(t, reps, 1)
	require.Equal(t, users[0].ID, reps[0].CRMUserID)
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserTokenSignIn signs in with the bootstrap admin token (the path for API tokens) and
// out again, without a reload.
func TestBrowserTokenSignIn(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="token-login"] summary`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="login-token"]`), "wrong-token-0123456789"),
		chromedp.Click(chromedp.CSS(`[data-testid="token-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-error"]`)))
	require.Contains(t, a.text(`[data-testid="login-error"]`), "not accepted")
	a.loginWithToken()
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="logout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-screen"]`)))
	stored, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`sessionStorage.getItem('leadcall.token') || ''`))
	require.NoError(t, err)
	require.Empty(t, stored, "sign-out forgets the token")
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserRepSeesOwnCallsMasked signs in as a rep: only the rep's phone shows, caller
// numbers are masked, and nothing can be changed.
func TestBrowserRepSeesOwnCallsMasked(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	var rep struct{ ID string }
	a.call("POST", "/v1/reps", "", map[string]any{"name": "Ravi Kumar", "email": "ravi@example.com"}, http.StatusCreated, &rep)
	mine, myToken := a.device("Ravi's Phone", "sales_rep")
	a.call("PATCH", "/v1/devices/"+mine, "", map[string]any{"rep_id": rep.ID}, http.StatusOK, nil)
	other, otherToken := a.device("Front Desk", "campaign")
	email := a.user("rep", rep.ID)
	a.open()
	a.loginAs(email)
	a.do(chromedp.WaitVisible(chromedp.CSS(card(mine))))
	a.do(chromedp.WaitNotPresent(chromedp.CSS(card(other))),
		chromedp.WaitNotVisible(chromedp.CSS(`[data-testid="device-add"]`)))
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-calls"]`)))
	a.postCall(otherToken, "o-1", "+919876511111", "inbound", time.Now())
	a.postCall(myToken, "m-1", "+919876522222", "outbound", time.Now())
	row := fmt.Sprintf(`[data-testid="call-row"][data-device-id=%q]`, mine)
	a.do(chromedp.WaitVisible(chromedp.CSS(row)))
	require.Equal(t, "+91•••••••222", a.text(row+` [data-testid="call-number"]`))
	n, err := chromedp.Run(a.ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="call-row"]').length`))
	require.NoError(t, err)
	require.Equal(t, 1, n, "a rep sees only their own phone's calls")
	// The panel is read-only.
	a.click(`[data-testid="nav-command"]`)
	a.click(card(mine))
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="panel-nickname"][disabled]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="panel-save"]`)))
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserReviewLogsToACandidate resolves a review item whose caller matches two Leads by
// logging the call to one of them, with one click.
func TestBrowserReviewLogsToACandidate(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	first, err := a.crm.AddLead(memcrm.Person{FirstName: "Meera", LastName: "Iyer", Phones: map[string]string{"Phone": "+919812345678"}})
	require.NoError(t, err)
	_, err = a.crm.AddLead(memcrm.Person{FirstName: "M.", LastName: "Iyer", Phones: map[string]string{"Mobile": "+919812345678"}})
	require.NoError(t, err)
	_, token := a.device("Campaign Line 5", "campaign")
	a.open()
	a.login()
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-review"]`)))
	a.postCall(token, "dup-1", "+919812345678", "inbound", time.Now())
	item := `[data-testid="review-item"][data-status="open"]`
	button := item + fmt.Sprintf(` [data-testid="review-action"][data-action="log_to"][data-record-id=%q]`, first)
	a.click(button)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="review-item"][data-status="resolved"]`)))
	var page httpapi.Page[httpapi.ReviewView]
	a.call("GET", "/v1/review?status=resolved", "", nil, http.StatusOK, &page)
	require.Len(t, page.Items, 1)
	require.Equal(t, "log_to", string(page.Items[0].Resolution.Action))
	require.Equal(t, first, page.Items[0].Resolution.RecordID)
	// The call follows: it is synced to the chosen Lead, live.
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-calls"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="call-row"] [data-testid="call-status"].synced`)))
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserAddDeviceShowsPairingCode adds a phone from the Command Center.
func TestBrowserAddDeviceShowsPairingCode(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.login()
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="device-add"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="new-nickname"]`), "Campaign Line 9"),
		chromedp.Click(chromedp.CSS(`[data-testid="new-device-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="pairing-code"]`)),
		chromedp.WaitReady(chromedp.CSS(`[data-testid="device-card"] [data-testid="device-flag"][data-flag="unpaired"]`)))
	code := a.text(`[data-testid="pairing-code"]`)
	require.NotEmpty(t, code)
	// The code pairs a phone, and the card follows live.
	var er httpapi.EnrollResponse
	a.call("POST", "/v1/device/enroll", "-", map[string]any{"pairing_code": code, "model": "Pixel 9", "os": "Android 16", "app_version": "1.0.0"}, http.StatusOK, &er)
	a.heartbeat(er.Token)
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="panel-close"]`)),
		chromedp.WaitVisible(chromedp.CSS(card(er.DeviceID)+`[data-online="true"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(card(er.DeviceID)+` [data-testid="device-flag"][data-flag="unpaired"]`)))
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserSettingsSaved changes a setting as an admin.
func TestBrowserSettingsSaved(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.loginAs(a.user("admin", ""))
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="nav-settings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="settings-lead-placeholder"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="settings-lead-placeholder"]`), "Caller from ads"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="settings-rules-blocked-numbers"]`), "+919800000001\n+919800000002"),
		chromedp.Click(chromedp.CSS(`[data-testid="settings-save"]`)))
	var got struct {
		LeadPlaceholder string `json:"lead_placeholder"`
		Rules           struct {
			BlockedNumbers []string `json:"blocked_numbers"`
		} `json:"rules"`
	}
	require.Eventually(t, func() bool {
		a.call("GET", "/v1/settings", "", nil, http.StatusOK, &got)
		return got.LeadPlaceholder == "Caller from ads"
	}, 5*time.Second, 50*time.Millisecond)
	require.Equal(t, []string{"+919800000001", "+919800000002"}, got.Rules.BlockedNumbers)
	a.requireNoReload()
	require.Empty(t, problems())
}

// TestBrowserTeamAndTokens: an admin adds a person who can then sign in, and creates and
// revokes an API token, which works as a bearer token until it is revoked.
func TestBrowserTeamAndTokens(t *testing.T) {
	a := newApp(t)
	problems := consoleProblems(t, a.ctx)
	a.open()
	a.loginAs(a.user("admin", ""))
	a.click(`[data-testid="nav-team"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="user-email"]`), "maya@example.com"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="user-name"]`), "Maya"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="user-role"]`), "manager"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="user-password"]`), "another-long-password"))
	a.click(`[data-testid="user-submit"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-row"] + [data-testid="user-row"]`)))
	res, err := http.Post(a.url+"/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"maya@example.com","password":"another-long-password"}`))
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the new person signs in")

	a.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="api-token-name"]`), "nightly export"))
	a.click(`[data-testid="api-token-submit"]`)
	a.do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="api-token-secret"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="api-token-row"]`)))
	secret := a.text(`[data-testid="api-token-secret"]`)
	require.True(t, strings.HasPrefix(secret, "lct_"), secret)
	a.call("GET", "/v1/auth/me", secret, nil, http.StatusOK, nil)
	a.click(`[data-testid="api-token-revoke"]`)
	a.do(chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="api-token-row"]`)))
	a.call("GET", "/v1/auth/me", secret, nil, http.StatusUnauthorized, nil)
	a.requireNoReload()
	require.Empty(t, problems())
}
