package main

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	withToken := func(k string) string {
		if k == "LEADCALL_ADMIN_TOKEN" {
			return "load-test-admin-token"
		}
		return ""
	}
	none := func(string) string { return "" }
	cases := []struct {
		name    string
		args    []string
		getenv  func(string) string
		wantErr string
	}{
		{name: "in-process defaults", getenv: none},
		{name: "target a server", args: []string{"-url", "http://127.0.0.1:8080"}, getenv: withToken},
		{name: "target without token", args: []string{"-url", "http://127.0.0.1:8080"}, getenv: none, wantErr: "LEADCALL_ADMIN_TOKEN"},
		{name: "remote refused", args: []string{"-url", "http://192.0.2.1:8080"}, getenv: withToken, wantErr: "not a loopback"},
		{name: "remote allowed", args: []string{"-url", "http://192.0.2.1:8080", "-allow-remote"}, getenv: withToken},
		{name: "zero devices", args: []string{"-devices", "0"}, getenv: none, wantErr: "-devices"},
		{name: "huge call count", args: []string{"-calls", "99999999"}, getenv: none, wantErr: "-calls"},
		{name: "huge total", args: []string{"-devices", "1000", "-calls", "1001"}, getenv: none, wantErr: "-calls"},
		{name: "negative rate", args: []string{"-rate", "-5"}, getenv: none, wantErr: "-rate"},
		{name: "paced", args: []string{"-rate", "50"}, getenv: none},
		{name: "negative concurrency", args: []string{"-concurrency", "-1"}, getenv: none, wantErr: "-concurrency"},
		{name: "workers of a remote server", args: []string{"-url", "http://127.0.0.1:8080", "-workers", "8"}, getenv: withToken, wantErr: "-workers"},
		{name: "too many workers", args: []string{"-workers", "5000"}, getenv: none, wantErr: "-workers"},
		{name: "batch above the server's", args: []string{"-batch", "501"}, getenv: none, wantErr: "-batch"},
		{name: "endless", args: []string{"-duration", "48h"}, getenv: none, wantErr: "-duration"},
		{name: "no sync wait", args: []string{"-sync-timeout", "0s"}, getenv: none, wantErr: "-sync-timeout"},
		{name: "repeat share", args: []string{"-repeat", "-0.1"}, getenv: none, wantErr: "-repeat"},
		{name: "not a number", args: []string{"-calls", "lots"}, getenv: none, wantErr: "invalid value"},
		{name: "stray argument", args: []string{"now"}, getenv: none, wantErr: "unexpected arguments"},
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

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{name: "none", in: nil, q: 0.5, want: 0},
		{name: "one", in: ms(7), q: 0.99, want: 7 * time.Millisecond},
		{name: "median of unsorted", in: ms(5, 1, 3, 2, 4), q: 0.5, want: 3 * time.Millisecond},
		{name: "p99 of 100 is the 99th", in: ms(func() []int {
			var v []int
			for i := 100; i >= 1; i-- {
				v = append(v, i)
			}
			return v
		}()...), q: 0.99, want: 99 * time.Millisecond},
		{name: "p100 is the max", in: ms(1, 9, 4), q: 1, want: 9 * time.Millisecond},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, percentile(tc.in, tc.q), tc.name)
	}
}

// TestRunInProcess runs a small load against the in-process sandbox server (Zoho adapter
// limits lifted, so sync is fast enough for events to beat the POST's answer home) and checks
// that every call was acknowledged, reached the CRM and was seen doing so on the live stream.
func TestRunInProcess(t *testing.T) {
	t.Parallel()
	const devices, perDevice = 3, 20
	var out bytes.Buffer
	err := run(t.Context(), []string{"-devices", strconv.Itoa(devices), "-calls", strconv.Itoa(perDevice), "-batch", "3",
		"-concurrency", "3", "-duration", "30s", "-sync-timeout", "30s", "-json", "-seed", "11"}, func(string) string { return "" }, &out, io.Discard)
	require.NoError(t, err, out.String())
	var res Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	const calls = devices * perDevice
	require.Equal(t, calls, res.Planned)
	require.Equal(t, calls, res.Calls, "every call acknowledged")
	require.Zero(t, res.Unaccounted())
	require.Equal(t, calls, res.Synced+res.Review+res.Failed+res.NotForCRM, "every call left the CRM queue")
	require.Positive(t, res.Synced)
	require.Zero(t, res.StreamMissed, "the stream brought every final event")
	require.Positive(t, res.CallsPerSec)
	require.Positive(t, res.IngestP50ms)
	require.LessOrEqual(t, res.IngestP50ms, res.IngestP99ms)
	require.LessOrEqual(t, res.IngestP99ms, res.IngestMaxms)
	require.Positive(t, res.CRMP50ms, "measured from the start of the upload, so never zero")
	require.LessOrEqual(t, res.CRMP50ms, res.CRMP99ms)
	require.LessOrEqual(t, res.CRMP99ms, res.CRMMaxms)
	require.Positive(t, res.SyncedPerSec)

	var text bytes.Buffer
	require.NoError(t, report(&text, &res, false))
	for _, metric := range []string{"calls", "calls/s", "ingest p50", "ingest p99", "ingest max", "crm p50", "crm p99", "crm max", "synced", "stream"} {
		require.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(metric)+`: \d`), text.String(), "one line per metric")
	}
}

// TestRunPaced: with -rate the posting phase is held to that many calls per second (the
// limiter allows one batch at once, then one call every 1/rate), and every call still settles.
func TestRunPaced(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"-devices", "2", "-calls", "10", "-batch", "1", "-rate", "40", "-sync-timeout", "30s",
		"-json", "-seed", "5"}, func(string) string { return "" }, &out, io.Discard)
	require.NoError(t, err, out.String())
	var res Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res), out.String())
	require.Equal(t, 20, res.Calls)
	require.Zero(t, res.Unaccounted())
	require.GreaterOrEqual(t, res.PostSeconds, 19.0/40, "20 calls at 40/s take at least 19/40 s")
	require.LessOrEqual(t, res.CallsPerSec, 40*1.05)
}

func callEvent(t *testing.T, id int64, typ leadcall.EventType, deviceID, callID string, st leadcall.SyncStatus) leadcall.Event {
	t.Helper()
	data, err := json.Marshal(leadcall.Call{DeviceID: deviceID, DeviceCallID: callID, SyncStatus: st})
	require.NoError(t, err)
	return leadcall.Event{ID: id, Type: typ, Data: data}
}

// TestTrackerMatchesEventsWhenever: a call registered before its upload is matched by
// (device, device call ID) whether its events come before or after the acknowledgement, and
// events of other devices or of calls never posted do not count.
func TestTrackerMatchesEventsWhenever(t *testing.T) {
	t.Parallel()
	tr := newTracker(map[string]bool{"dev_a": true})
	sent := time.Now().Add(-time.Second)
	tr.register("dev_a", []string{"c1", "c2", "c3"}, sent)

	// c1 syncs before the POST's answer comes home.
	require.NoError(t, tr.event(callEvent(t, 1, leadcall.EventCallIngested, "dev_a", "c1", leadcall.SyncPending)))
	require.NoError(t, tr.event(callEvent(t, 2, leadcall.EventCallSynced, "dev_a", "c1", leadcall.SyncSynced)))
	require.Zero(t, tr.openCalls(), "nothing acknowledged yet")
	tr.acked("dev_a", []string{"c1", "c2", "c3"})
	require.Equal(t, 2, tr.openCalls(), "c1 settled before its ack")

	require.NoError(t, tr.event(callEvent(t, 3, leadcall.EventCallReview, "dev_a", "c2", leadcall.SyncReview)))
	require.NoError(t, tr.event(callEvent(t, 4, leadcall.EventCallSynced, "dev_b", "c3", leadcall.SyncSynced)), "another device's call")
	require.NoError(t, tr.event(callEvent(t, 5, leadcall.EventCallSynced, "dev_a", "c9", leadcall.SyncSynced)), "never posted")
	require.NoError(t, tr.event(callEvent(t, 6, leadcall.EventCallSynced, "dev_a", "c1", leadcall.SyncSynced)), "a repeat changes nothing")
	require.Equal(t, 1, tr.openCalls())
	require.Equal(t, 1, tr.stray)

	c1 := tr.calls[callKey{"dev_a", "c1"}]
	require.Equal(t, leadcall.SyncSynced, c1.status)
	require.Positive(t, c1.doneAt.Sub(c1.sentAt), "latency runs from the start of the upload")

	// The stream never brings c3's final event; the API shows it synced.
	require.False(t, tr.apiStatus("dev_a", "c3", leadcall.SyncPending), "still pending is not final")
	require.True(t, tr.apiStatus("dev_a", "c3", leadcall.SyncSynced))
	require.False(t, tr.apiStatus("dev_a", "c2", leadcall.SyncReview), "already settled by the stream")
	require.Equal(t, 1, tr.settleFromAPI(), "one event missed by the stream")
	require.Zero(t, tr.openCalls())
	require.True(t, tr.calls[callKey{"dev_a", "c3"}].doneAt.IsZero(), "no stream latency for it")

	require.ErrorContains(t, tr.event(leadcall.Event{ID: 7, Type: leadcall.EventCallSynced, Data: []byte(`{"device_id":`)}), "event 7")
	require.NoError(t, tr.event(leadcall.Event{ID: 8, Type: leadcall.EventDeviceSeen, Data: []byte(`not json`)}), "other events are not read")
}

// TestCallsNotForTheCRM: a call ingested without a sync job settles at once.
func TestCallsNotForTheCRM(t *testing.T) {
	t.Parallel()
	tr := newTracker(map[string]bool{"dev_a": true})
	tr.register("dev_a", []string{"c1"}, time.Now())
	tr.acked("dev_a", []string{"c1"})
	require.NoError(t, tr.event(callEvent(t, 1, leadcall.EventCallIngested, "dev_a", "c1", leadcall.SyncNone)))
	require.Zero(t, tr.openCalls())
	require.Equal(t, leadcall.SyncNone, tr.calls[callKey{"dev_a", "c1"}].status)
}
