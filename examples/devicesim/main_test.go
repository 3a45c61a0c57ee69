package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/examples/internal/sandbox"
	"github.com/leadcall/leadcall/examples/internal/simclient"
	"github.com/leadcall/leadcall/httpapi"
)

const testAdmin = "devicesim-test-admin-token"

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := func(k string) string {
		if k == "LEADCALL_ADMIN_TOKEN" {
			return testAdmin
		}
		return ""
	}
	cases := []struct {
		name    string
		args    []string
		getenv  func(string) string
		wantErr string
	}{
		{name: "defaults", getenv: env},
		{name: "no admin token", getenv: func(string) string { return "" }, wantErr: "LEADCALL_ADMIN_TOKEN"},
		{name: "remote refused", args: []string{"-url", "http://10.1.2.3:8080"}, getenv: env, wantErr: "not a loopback"},
		{name: "remote host name refused", args: []string{"-url", "http://example.com"}, getenv: env, wantErr: "not a loopback"},
		{name: "remote allowed", args: []string{"-url", "https://example.com", "-allow-remote"}, getenv: env},
		{name: "ipv6 loopback", args: []string{"-url", "http://[::1]:8080"}, getenv: env},
		{name: "bad scheme", args: []string{"-url", "ftp://127.0.0.1"}, getenv: env, wantErr: "want http(s)"},
		{name: "credentials in url", args: []string{"-url", "http://u:p@127.0.0.1"}, getenv: env, wantErr: "without credentials"},
		{name: "garbage url", args: []string{"-url", "http://\x00"}, getenv: env, wantErr: "server URL"},
		{name: "zero devices", args: []string{"-n", "0"}, getenv: env, wantErr: "-n"},
		{name: "huge fleet", args: []string{"-n", "1000000"}, getenv: env, wantErr: "-n"},
		{name: "negative rate", args: []string{"-rate", "-1"}, getenv: env, wantErr: "-rate"},
		{name: "flood", args: []string{"-rate", "1e9"}, getenv: env, wantErr: "-rate"},
		{name: "until ctrl-c", args: []string{"-duration", "0"}, getenv: env},
		{name: "negative duration", args: []string{"-duration", "-1s"}, getenv: env, wantErr: "-duration"},
		{name: "negative max calls", args: []string{"-max-calls", "-1"}, getenv: env, wantErr: "-max-calls"},
		{name: "no callbacks", args: []string{"-callback", "0"}, getenv: env, wantErr: "-callback"},
		{name: "negative callback delay", args: []string{"-callback-after", "-1s"}, getenv: env, wantErr: "-callback-after"},
		{name: "pairing codes without token", args: []string{"-pair", "ABCD-1234,rep:WXYZ-9876"}, getenv: func(string) string { return "" }},
		{name: "pairing codes and n", args: []string{"-pair", "ABCD-1234", "-n", "3"}, getenv: env, wantErr: "-n and -pair"},
		{name: "empty pairing code", args: []string{"-pair", "ABCD-1234,,X"}, getenv: env, wantErr: "pairing codes"},
		{name: "hostile pairing code", args: []string{"-pair", "AB\nCD"}, getenv: env, wantErr: "pairing codes"},
		{name: "control character in code", args: []string{"-pair", "AB\x00CD"}, getenv: env, wantErr: "pairing codes"},
		{name: "huge pairing code", args: []string{"-pair", strings.Repeat("A", 10_000)}, getenv: env, wantErr: "pairing codes"},
		{name: "rep prefix only", args: []string{"-pair", "rep:"}, getenv: env, wantErr: "pairing codes"},
		{name: "endless", args: []string{"-duration", "1000h"}, getenv: env, wantErr: "-duration"},
		{name: "huge batch", args: []string{"-batch", "100000"}, getenv: env, wantErr: "-batch"},
		{name: "share above one", args: []string{"-private", "1.5"}, getenv: env, wantErr: "-private"},
		{name: "not a number", args: []string{"-n", "many"}, getenv: env, wantErr: "invalid value"},
		{name: "stray argument", args: []string{"extra"}, getenv: env, wantErr: "unexpected arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig(tc.args, tc.getenv, io.Discard)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

var summary = regexp.MustCompile(`calls made (\d+), accepted (\d+), duplicate (\d+), rejected (\d+), retried uploads \d+, heartbeats (\d+), missed callers not called back \d+`)

func adminEnv(k string) string {
	if k == "LEADCALL_ADMIN_TOKEN" {
		return testAdmin
	}
	return ""
}

func startSandbox(t *testing.T) (*sandbox.Server, *simclient.Client) {
	t.Helper()
	srv, err := sandbox.Start(t.Context(), sandbox.Config{Dir: t.TempDir(), AdminToken: testAdmin, EnginePoll: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	c, err := simclient.New(simclient.Config{BaseURL: srv.URL(), AdminToken: testAdmin})
	require.NoError(t, err)
	return srv, c
}

// counts parses the summary line: made, accepted, duplicate, rejected, heartbeats.
func counts(t *testing.T, out string) (made, accepted, duplicate, rejected, heartbeats int) {
	t.Helper()
	m := summary.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	return atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3]), atoi(t, m[4]), atoi(t, m[5])
}

// TestRunAgainstSandbox runs a short simulation against an in-process sandbox server and checks
// through the API that every call was stored, that the mix has what the dashboard shows
// (missed calls, callbacks, withheld numbers, both kinds of phone) and that the campaign calls
// reached the CRM.
func TestRunAgainstSandbox(t *testing.T) {
	t.Parallel()
	srv, c := startSandbox(t)
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"-url", srv.URL(), "-n", "4", "-rate", "4800", "-duration", "20s", "-max-calls", "80",
		"-flush", "100ms", "-heartbeat", "200ms", "-private", "0.1", "-callback-after", "0s", "-seed", "7"}, adminEnv, &out, &errOut)
	require.NoError(t, err, "stderr: %s", errOut.String())
	require.NotContains(t, out.String()+errOut.String(), "lcd_", "device tokens are never printed")
	require.Len(t, regexp.MustCompile(`(?m)^device dev_[0-9a-f]+ +(campaign|sales_rep) +"[^"]+" paired$`).FindAll(out.Bytes(), -1), 4, out.String())
	made, accepted, duplicate, rejected, heartbeats := counts(t, out.String())
	require.Equal(t, 80, made, "-max-calls ends the run")
	require.Equal(t, made, accepted+duplicate, "every call made was acknowledged")
	require.Zero(t, rejected)
	require.GreaterOrEqual(t, heartbeats, 4, "a heartbeat per device at least")

	devices, err := c.Devices(t.Context())
	require.NoError(t, err)
	require.Len(t, devices, 4)
	for _, d := range devices {
		require.True(t, d.Paired, d.Nickname)
		require.False(t, d.LastSeenAt.IsZero(), "%s sent heartbeats", d.Nickname)
		if d.Kind == "sales_rep" {
			require.NotEmpty(t, d.RepID, "a rep carries %s", d.Nickname)
		}
	}

	all := listCalls(t, c, nil)
	require.Len(t, all, made, "the server stored each call once")
	kinds := map[string]int{}
	missed := map[string]bool{}
	for _, call := range all {
		kinds[string(call.Type)]++
		if call.NumberE164 == "" {
			kinds["withheld"]++
		}
		if call.Type == "missed" && call.NumberE164 != "" {
			missed[call.NumberE164] = true
		}
	}
	callbacks := 0
	for _, call := range all {
		if call.Type == "outbound" && missed[call.NumberE164] {
			callbacks++
		}
	}
	for _, k := range []string{"missed", "inbound", "outbound", "withheld"} {
		require.Positive(t, kinds[k], "some %s calls: %v", k, kinds)
	}
	require.Positive(t, callbacks, "missed callers are called back")
	var campaignSync int
	for _, call := range all {
		if call.Disposition == "sync" {
			campaignSync++
			require.Equal(t, sandbox.LeadSource, call.LeadSource)
		}
	}
	require.Positive(t, campaignSync, "some calls are meant for the CRM")
	require.Eventually(t, func() bool {
		return len(listCalls(t, c, url.Values{"sync_status": {"pending"}})) == 0
	}, 20*time.Second, 50*time.Millisecond, "every syncable call leaves pending")
	synced := listCalls(t, c, url.Values{"sync_status": {"synced"}})
	require.NotEmpty(t, synced)
	for _, call := range synced {
		require.NotEmpty(t, call.CRM.CallID, "a synced call names its CRM call record")
	}
}

// TestInterrupt: Ctrl-C (the context ending) stops the calls, and what the phones still held
// is uploaded before run returns without an error.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	srv, c := startSandbox(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		// Ctrl-C comes a moment after both phones' first heartbeats, which precede their calls.
		for ctx.Err() == nil {
			ds, err := c.Devices(ctx)
			if err == nil && len(ds) == 2 && !ds[0].LastSeenAt.IsZero() && !ds[1].LastSeenAt.IsZero() {
				time.Sleep(300 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var out, errOut bytes.Buffer
	// Flushing every 10 s, the phones still hold every call when Ctrl-C comes.
	err := run(ctx, []string{"-url", srv.URL(), "-n", "2", "-rate", "30000", "-flush", "10s", "-seed", "3"}, adminEnv, &out, &errOut)
	require.NoError(t, err, "stderr: %s", errOut.String())
	made, accepted, duplicate, _, _ := counts(t, out.String())
	require.Positive(t, made)
	require.Equal(t, made, accepted+duplicate, "the calls held at Ctrl-C were uploaded")
	require.Len(t, listCalls(t, c, nil), made)
}

// TestPairingCodes: phones a manager created are enrolled with their codes, without the admin
// token, and play the kind their prefix says.
func TestPairingCodes(t *testing.T) {
	t.Parallel()
	srv, c := startSandbox(t)
	var codes []string
	for i, kind := range []string{"campaign", "sales_rep"} {
		p, err := c.CreateDevice(t.Context(), httpapi.DeviceRequest{Nickname: "Phone " + strconv.Itoa(i), Kind: kind})
		require.NoError(t, err)
		codes = append(codes, p.PairingCode)
	}
	var out, errOut bytes.Buffer
	err := run(t.Context(), []string{"-url", srv.URL(), "-pair", codes[0] + ",rep:" + codes[1], "-rate", "6000", "-max-calls", "10", "-duration", "20s",
		"-flush", "100ms", "-seed", "5"}, func(string) string { return "" }, &out, &errOut)
	require.NoError(t, err, "stderr: %s", errOut.String())
	require.Regexp(t, `(?m)^device dev_[0-9a-f]+ campaign +"Paired phone 1" paired$`, out.String())
	require.Regexp(t, `(?m)^device dev_[0-9a-f]+ sales_rep +"Paired phone 2" paired$`, out.String())
	made, accepted, duplicate, _, _ := counts(t, out.String())
	require.Equal(t, 10, made)
	require.Equal(t, made, accepted+duplicate, "a batch cut short by Ctrl-C or -duration is re-sent: duplicates")
	require.Len(t, listCalls(t, c, nil), made)

	// A code is single use: a second run cannot enroll with it.
	err = run(t.Context(), []string{"-url", srv.URL(), "-pair", codes[0], "-duration", "100ms"}, func(string) string { return "" }, io.Discard, io.Discard)
	require.ErrorContains(t, err, "pairing code 1")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

func listCalls(t *testing.T, c *simclient.Client, q url.Values) []httpapi.CallView {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "1000")
	var out []httpapi.CallView
	for {
		page, err := c.Calls(context.Background(), q)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Set("cursor", page.NextCursor)
	}
}

// FuzzPairFlag: an accepted -pair value yields codes of printable ASCII without spaces, at most
// maxCodeLen long, each playing a known kind of phone.
func FuzzPairFlag(f *testing.F) {
	for _, s := range []string{"ABCD-1234", "rep:WXYZ,campaign:QQ", ",,", "rep:", "AB CD", "é", strings.Repeat("A", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var p pairings
		if err := p.Set(v); err != nil {
			return
		}
		require.NotEmpty(t, p)
		for _, c := range p {
			require.LessOrEqual(t, len(c.Code), maxCodeLen)
			require.NotEmpty(t, c.Code)
			for _, r := range c.Code {
				require.True(t, r > ' ' && r <= '~', "code %q", c.Code)
			}
			require.Contains(t, []string{simclient.KindCampaign, simclient.KindSalesRep}, c.Kind)
		}
	})
}
