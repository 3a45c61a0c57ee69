package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"regexp"
	"strconv"
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

// TestRunAgainstSandbox runs a short simulation against an in-process sandbox server and checks
// through the API that every call was stored and that the campaign calls reached the CRM.
func TestRunAgainstSandbox(t *testing.T) {
	t.Parallel()
	srv, err := sandbox.Start(t.Context(), sandbox.Config{Dir: t.TempDir(), AdminToken: testAdmin, EnginePoll: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })

	var out, errOut bytes.Buffer
	err = run(t.Context(), []string{"-url", srv.URL(), "-n", "3", "-rate", "60", "-duration", "1s", "-max-calls", "40",
		"-flush", "100ms", "-heartbeat", "200ms", "-seed", "7"},
		func(k string) string {
			if k == "LEADCALL_ADMIN_TOKEN" {
				return testAdmin
			}
			return ""
		}, &out, &errOut)
	require.NoError(t, err, "stderr: %s", errOut.String())
	require.NotContains(t, out.String()+errOut.String(), "lcd_", "device tokens are never printed")
	require.Len(t, regexp.MustCompile(`(?m)^device dev_[0-9a-f]+ +(campaign|sales_rep) +"[^"]+" paired$`).FindAll(out.Bytes(), -1), 3, out.String())
	m := regexp.MustCompile(`calls made (\d+), accepted (\d+), duplicate (\d+), rejected (\d+), retried uploads \d+, heartbeats (\d+)`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	made, accepted, duplicate, rejected, heartbeats := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3]), atoi(t, m[4]), atoi(t, m[5])
	require.Positive(t, made)
	require.LessOrEqual(t, made, 40, "-max-calls bounds the run")
	require.Equal(t, made, accepted+duplicate, "every call made was acknowledged")
	require.Zero(t, rejected)
	require.GreaterOrEqual(t, heartbeats, 3, "one heartbeat per device at least")

	c, err := simclient.New(simclient.Config{BaseURL: srv.URL(), AdminToken: testAdmin})
	require.NoError(t, err)
	all := listCalls(t, c, nil)
	require.Len(t, all, made, "the server stored each call once")
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
