package ui_test

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// evalModule runs an async function body in the page with the module at path imported as m
// and decodes its JSON result into out.
func (a *app) evalModule(path, body string, out any) {
	a.t.Helper()
	js := `import(` + jsonString(path) + `).then(async (m) => JSON.stringify(await (async () => {` + body + `})()))`
	s, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	require.NoError(a.t, err)
	require.NoError(a.t, json.Unmarshal([]byte(s), out), s)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserFormatting runs the page's own formatting helpers in the browser.
func TestBrowserFormatting(t *testing.T) {
	a := newApp(t)
	a.open()
	var got map[string]string
	a.evalModule("/ui/dom.js", `
		const now = Date.parse('2026-11-22T10:00:00Z');
		return {
			mask: m.maskPhone('+919876543210'), maskShort: m.maskPhone('12'), maskEmpty: m.maskPhone(''),
			justNow: m.relTime('2026-11-22T09:59:58Z', now), secs: m.relTime('2026-11-22T09:59:18Z', now),
			mins: m.relTime('2026-11-22T09:55:00Z', now), hours: m.relTime('2026-11-22T07:00:00Z', now),
			days: m.relTime('2026-11-19T10:00:00Z', now), future: m.relTime('2026-11-22T10:10:00Z', now),
			never: m.relTime('0001-01-01T00:00:00Z', now), bad: m.relTime('yesterday', now),
			clock: m.clock(65), clockLong: m.clock(3725), clockNeg: m.clock(-4),
			human: m.humanSeconds(7500), humanNull: m.humanSeconds(null), pct: m.percent(0.256), pctNull: m.percent(null),
		};`, &got)
	want := map[string]string{
		"mask": "+91•••••••210", "maskShort": "••", "maskEmpty": "",
		"justNow": "just now", "secs": "42 s ago", "mins": "5 min ago", "hours": "3 h ago", "days": "3 d ago",
		"future": "in 10 min", "never": "never", "bad": "—",
		"clock": "1:05", "clockLong": "1:02:05", "clockNeg": "0:00",
		"human": "2 h 5 min", "humanNull": "—", "pct": "26%", "pctNull": "—",
	}
	require.Equal(t, want, got)
}

// TestBrowserReconnectBackoff checks the live stream's reconnect delays: each within
// [base/2, base], the base doubling from minDelay up to maxDelay, and back to minDelay after
// a connection opens.
func TestBrowserReconnectBackoff(t *testing.T) {
	a := newApp(t)
	a.open()
	var delays []float64
	a.evalModule("/ui/stream.js", `
		const seen = [];
		const s = new m.LiveStream({ onEvent() {}, onState(st, info) { if (info.delay) seen.push(info.delay); }, minDelay: 100, maxDelay: 1000 });
		s.connect = () => {}; // no network: only the schedule is under test
		s.stopped = false;
		for (let i = 0; i < 7; i++) s.retry();
		s.attempt = 0; // what an open does
		s.retry();
		s.stop();
		return seen;`, &delays)
	require.Len(t, delays, 8)
	bases := []float64{100, 200, 400, 800, 1000, 1000, 1000, 100}
	for i, d := range delays {
		require.GreaterOrEqual(t, d, bases[i]/2, "retry %d", i)
		require.LessOrEqual(t, d, bases[i], "retry %d", i)
	}
}
