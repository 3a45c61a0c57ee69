// Command load measures a leadcall server under concurrent devices, over its HTTP API:
//
//	go run ./examples/load -devices 20 -calls 250                 # in-process sandbox server
//	LEADCALL_ADMIN_TOKEN=... go run ./examples/load -url http://127.0.0.1:8080
//
// Without -url it boots the sandbox wiring of examples/server in-process (SQLite in a temporary
// directory, the bundled fake Zoho on loopback with the Zoho adapter's client-side limits
// lifted, 127.0.0.1:0) with the per-device rate limit lifted, so the figures are the server's
// and not the limiters'. It creates -devices campaign phones assigned the sandbox Lead Source;
// each posts -calls calls in batches of -batch, at most -concurrency batches in flight at once
// and, with -rate, at most -rate calls per second in all, re-sending a batch until the server
// acknowledges it, until every call was posted or -duration passed. Without -rate the calls
// arrive faster than the CRM takes them, so call-to-CRM latency is mostly time in the queue;
// with a -rate below what the CRM takes it is the pipeline's own latency. Every call it makes is meant for the CRM (missed, or answered for long
// enough, from a visible number).
//
// It follows each call on the live stream (GET /v1/stream, resuming with ?after=ID when the
// server evicts it as a slow reader) by (device, device call ID) from before its batch is
// posted, so an event that beats the POST's answer home is not missed. When the stream goes
// quiet with calls still open it asks GET /v1/calls for them: a call that the API shows
// finished but whose event never came is counted as missed by the stream.
//
// It prints one line per metric (or one JSON object with -json):
//
//	calls          calls acknowledged (and rejected, unacknowledged, retried POSTs)
//	calls/s        acknowledged calls per second of the posting phase
//	ingest         POST /v1/device/calls round trip of the acknowledged attempt: p50, p99, max
//	crm            from the start of a call's upload to its call.synced event: p50, p99, max
//	synced         calls synced, sent to review, failed, not meant for the CRM, still pending;
//	               how long until the last one left the queue, and the rate
//	stream         events missed by the stream, reconnections
//
// It exits non-zero when any call is unaccounted for (not acknowledged, rejected, or still
// pending when -sync-timeout passed) or the stream missed an event, after printing what it
// measured.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/examples/internal/sandbox"
	"github.com/leadcall/leadcall/examples/internal/simclient"
)

// Bounds on the flags.
const (
	maxDevices     = 1000
	maxCalls       = 1_000_000 // in total
	maxBatch       = 500       // the server's batch limit
	maxWorkers     = 1024
	maxRate        = 1_000_000 // calls per second
	maxDuration    = time.Hour
	maxSyncTimeout = time.Hour
)

// quiet is how long the stream may bring no news of open calls before the program asks the API.
const quiet = 2 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// Config is the load program's configuration (its flags).
type Config struct {
	URL         string // empty: boot a sandbox server in-process
	AllowRemote bool
	AdminToken  string // LEADCALL_ADMIN_TOKEN; only with URL
	Devices     int
	Calls       int           // calls per device
	Batch       int           // calls per POST
	Concurrency int           // POSTs in flight at once; 0: one per device
	Rate        float64       // calls per second across all devices; 0: as fast as the server takes them
	Duration    time.Duration // bound on the posting phase
	SyncTimeout time.Duration // bound on the wait for the CRM
	Workers     int           // in-process server's sync workers; 0: the Engine's default
	Repeat      float64       // share of repeat callers
	JSON        bool
	Seed        uint64
}

// ParseConfig reads flags from args and the admin token from getenv.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	fs.StringVar(&c.URL, "url", "", "server base URL; empty boots a sandbox server in-process")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a server URL that is not a loopback address")
	fs.IntVar(&c.Devices, "devices", 10, fmt.Sprintf("simulated devices (1-%d)", maxDevices))
	fs.IntVar(&c.Calls, "calls", 100, fmt.Sprintf("calls per device (devices × calls at most %d)", maxCalls))
	fs.IntVar(&c.Batch, "batch", 25, fmt.Sprintf("calls per POST (1-%d)", maxBatch))
	fs.IntVar(&c.Concurrency, "concurrency", 0, "POSTs in flight at once (0: one per device)")
	fs.Float64Var(&c.Rate, "rate", 0, fmt.Sprintf("calls per second across all devices, paced (0: as fast as the server acknowledges them; at most %d)", maxRate))
	fs.DurationVar(&c.Duration, "duration", time.Minute, "longest posting phase (at most 1h)")
	fs.DurationVar(&c.SyncTimeout, "sync-timeout", 5*time.Minute, "longest wait for calls to reach the CRM (at most 1h)")
	fs.IntVar(&c.Workers, "workers", 0, fmt.Sprintf("sync workers of the in-process server (0: the Engine's default, %d; at most %d)", leadcall.DefaultWorkers, maxWorkers))
	fs.Float64Var(&c.Repeat, "repeat", 0.1, "share of callers who called before (0-1)")
	fs.BoolVar(&c.JSON, "json", false, "print one JSON object instead of lines")
	fs.Uint64Var(&c.Seed, "seed", uint64(time.Now().UnixNano()), "random seed")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.URL != "" {
		c.AdminToken = getenv("LEADCALL_ADMIN_TOKEN")
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	check(c.Devices >= 1 && c.Devices <= maxDevices, fmt.Sprintf("-devices: want 1 to %d", maxDevices))
	check(c.Calls >= 1 && c.Calls <= maxCalls && c.Devices*c.Calls <= maxCalls,
		fmt.Sprintf("-calls: want at least 1, and devices × calls at most %d", maxCalls))
	check(c.Batch >= 1 && c.Batch <= maxBatch, fmt.Sprintf("-batch: want 1 to %d", maxBatch))
	check(c.Concurrency >= 0 && c.Concurrency <= maxDevices, fmt.Sprintf("-concurrency: want 0 to %d", maxDevices))
	check(c.Rate >= 0 && c.Rate <= maxRate, fmt.Sprintf("-rate: want 0 to %d calls per second", maxRate))
	check(c.Duration > 0 && c.Duration <= maxDuration, "-duration: want more than 0, at most 1h")
	check(c.SyncTimeout > 0 && c.SyncTimeout <= maxSyncTimeout, "-sync-timeout: want more than 0, at most 1h")
	check(c.Workers >= 0 && c.Workers <= maxWorkers, fmt.Sprintf("-workers: want 0 to %d", maxWorkers))
	check(c.Repeat >= 0 && c.Repeat <= 1, "-repeat: want 0 to 1")
	if c.URL != "" {
		check(c.AdminToken != "", "LEADCALL_ADMIN_TOKEN is required with -url")
		check(c.Workers == 0, "-workers: only for the in-process server (without -url)")
		if _, err := simclient.CheckURL(c.URL, c.AllowRemote); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Result is what a run measured. Latencies are in milliseconds.
type Result struct {
	Planned        int     `json:"planned"`        // devices × calls
	Calls          int     `json:"calls"`          // acknowledged (accepted or duplicate)
	Rejected       int     `json:"rejected"`       // refused by the server
	Unacknowledged int     `json:"unacknowledged"` // posted, but the server never acknowledged them
	Retries        int     `json:"retries"`        // extra POST attempts
	PostSeconds    float64 `json:"post_seconds"`   // length of the posting phase
	CallsPerSec    float64 `json:"calls_per_s"`    // Calls / PostSeconds
	IngestP50ms    float64 `json:"ingest_p50_ms"`  // POST /v1/device/calls round trip
	IngestP99ms    float64 `json:"ingest_p99_ms"`
	IngestMaxms    float64 `json:"ingest_max_ms"`
	CRMP50ms       float64 `json:"crm_p50_ms"` // start of the call's upload → its call.synced event
	CRMP99ms       float64 `json:"crm_p99_ms"`
	CRMMaxms       float64 `json:"crm_max_ms"`
	Synced         int     `json:"synced"`
	Review         int     `json:"review"`
	Failed         int     `json:"failed"`
	NotForCRM      int     `json:"not_for_crm"`  // ingested without a sync job
	Pending        int     `json:"pending"`      // acknowledged, still queued for the CRM when the wait ended
	SyncSeconds    float64 `json:"sync_seconds"` // start of posting → the last call left the queue
	SyncedPerSec   float64 `json:"synced_per_s"` // Synced / SyncSeconds
	StreamMissed   int     `json:"stream_missed"`
	Reconnects     int     `json:"stream_reconnects"`
}

// Unaccounted is how many planned-and-posted calls have no final outcome: not acknowledged,
// rejected, or still pending.
func (r *Result) Unaccounted() int { return r.Unacknowledged + r.Rejected + r.Pending }

// callKey names a call the way a device does.
type callKey struct{ device, id string }

// callState follows one call from the start of its upload to its final sync status.
type callState struct {
	sentAt   time.Time // the first upload of its batch began
	acked    bool
	ingested bool                // its call.ingested event came
	status   leadcall.SyncStatus // final status (synced, review, failed, none); "" while open
	doneAt   time.Time           // when the stream brought the final status; zero if the API did
	apiSaw   leadcall.SyncStatus // final status GET /v1/calls reported while the stream had not
}

func (c *callState) settled() bool { return c.status != "" }

// tracker matches live-stream events to the calls it registered. It is safe for concurrent use.
type tracker struct {
	devices map[string]bool // ours; read-only

	mu      sync.Mutex
	calls   map[callKey]*callState
	open    int           // acknowledged calls not settled
	stray   int           // events of our devices for calls never registered
	changed chan struct{} // gets a value after a call settles
}

func newTracker(devices map[string]bool) *tracker {
	return &tracker{devices: devices, calls: map[callKey]*callState{}, changed: make(chan struct{}, 1)}
}

func (t *tracker) notify() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// register records calls before their upload begins, so that no event for them can come first.
func (t *tracker) register(deviceID string, ids []string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if _, ok := t.calls[callKey{deviceID, id}]; !ok {
			t.calls[callKey{deviceID, id}] = &callState{sentAt: at}
		}
	}
}

// acked records the server's acknowledgement of ids.
func (t *tracker) acked(deviceID string, ids []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		c := t.calls[callKey{deviceID, id}]
		if c == nil || c.acked {
			continue
		}
		c.acked = true
		if !c.settled() {
			t.open++
		}
	}
}

// settleLocked gives c its final status; caller holds t.mu.
func (t *tracker) settleLocked(c *callState, st leadcall.SyncStatus, streamAt time.Time) {
	if c.settled() {
		return
	}
	c.status, c.doneAt = st, streamAt
	if c.acked {
		t.open--
	}
	t.notify()
}

// event records a live-stream event.
func (t *tracker) event(ev leadcall.Event) error {
	switch ev.Type {
	case leadcall.EventCallIngested, leadcall.EventCallSynced, leadcall.EventCallReview, leadcall.EventCallFailed:
	default:
		return nil
	}
	var call leadcall.Call
	if err := json.Unmarshal(ev.Data, &call); err != nil {
		return fmt.Errorf("event %d: %w", ev.ID, err)
	}
	if !t.devices[call.DeviceID] {
		return nil
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.calls[callKey{call.DeviceID, call.DeviceCallID}]
	if c == nil {
		t.stray++
		return nil
	}
	switch ev.Type {
	case leadcall.EventCallIngested:
		c.ingested = true
		if call.SyncStatus == leadcall.SyncNone {
			t.settleLocked(c, leadcall.SyncNone, now)
		}
	case leadcall.EventCallSynced:
		t.settleLocked(c, leadcall.SyncSynced, now)
	case leadcall.EventCallReview:
		t.settleLocked(c, leadcall.SyncReview, now)
	case leadcall.EventCallFailed:
		t.settleLocked(c, leadcall.SyncFailed, now)
	}
	return nil
}

func (t *tracker) openCalls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}

// final reports whether a sync status is one a call keeps.
func final(st leadcall.SyncStatus) bool {
	switch st {
	case leadcall.SyncSynced, leadcall.SyncReview, leadcall.SyncFailed, leadcall.SyncNone:
		return true
	}
	return false
}

// apiStatus records what GET /v1/calls says about an open call. It reports whether the call
// is open and the API knows its final status.
func (t *tracker) apiStatus(deviceID, id string, st leadcall.SyncStatus) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.calls[callKey{deviceID, id}]
	if c == nil || !c.acked || c.settled() || !final(st) {
		return false
	}
	c.apiSaw = st
	return true
}

// settleFromAPI settles the open calls whose final status only the API reported, and returns
// how many there were: the events the stream missed.
func (t *tracker) settleFromAPI() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.calls {
		if c.acked && !c.settled() && c.apiSaw != "" {
			t.settleLocked(c, c.apiSaw, time.Time{})
			n++
		}
	}
	return n
}

// reconcile asks GET /v1/calls about every open call of devices and returns how many open
// calls the API shows finished.
func reconcile(ctx context.Context, client *simclient.Client, devices []*simclient.Device, t *tracker) (int, error) {
	finished := 0
	for _, d := range devices {
		q := url.Values{"device": {d.ID}, "limit": {"1000"}}
		for {
			page, err := client.Calls(ctx, q)
			if err != nil {
				return finished, err
			}
			for _, c := range page.Items {
				if t.apiStatus(c.DeviceID, c.DeviceCallID, c.SyncStatus) {
					finished++
				}
			}
			if page.NextCursor == "" {
				break
			}
			q.Set("cursor", page.NextCursor)
		}
	}
	return finished, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	base, token := cfg.URL, cfg.AdminToken
	if base == "" {
		dir, err := os.MkdirTemp("", "leadcall-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		token = newToken()
		srv, err := sandbox.Start(ctx, sandbox.Config{Dir: dir, AdminToken: token, EnginePoll: 50 * time.Millisecond,
			Workers: cfg.Workers, DeviceRate: 1e6, DeviceBurst: 1e6,
			Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			return err
		}
		defer srv.Close()
		base = srv.URL()
	}
	client, err := simclient.New(simclient.Config{BaseURL: base, AllowRemote: cfg.AllowRemote, AdminToken: token, MaxAttempts: 20})
	if err != nil {
		return err
	}
	res, err := measure(ctx, client, cfg)
	if res == nil {
		return err
	}
	// A run that fell short still reports what it measured.
	return errors.Join(report(stdout, res, cfg.JSON), err)
}

// measure provisions the devices, posts the calls concurrently, waits for the CRM and computes
// the result. It returns a nil Result only when nothing was measured.
func measure(ctx context.Context, client *simclient.Client, cfg Config) (*Result, error) {
	devices := make([]*simclient.Device, cfg.Devices)
	ours := map[string]bool{}
	for i := range devices {
		d, err := client.Provision(ctx, simclient.DeviceSpec{Nickname: fmt.Sprintf("Load line %d", i+1), Kind: simclient.KindCampaign,
			SIM: simclient.SIMNumber(i + 1), LeadSource: sandbox.LeadSource})
		if err != nil {
			return nil, err
		}
		devices[i] = d
		ours[d.ID] = true
	}

	track := newTracker(ours)
	var reconnects atomic.Int64
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	ready, streamErr := make(chan struct{}), make(chan error, 1)
	go func() {
		streamErr <- client.Stream(streamCtx, simclient.StreamOptions{Ready: ready,
			OnResume: func(int64, error) { reconnects.Add(1) }}, track.event)
	}()
	select {
	case <-ready:
	case err := <-streamErr:
		return nil, fmt.Errorf("live stream: %w", err)
	}

	res := &Result{Planned: cfg.Devices * cfg.Calls}
	start := time.Now()
	ingest, postErr := post(ctx, client, cfg, devices, track, res)
	postTime := time.Since(start)
	res.PostSeconds = postTime.Seconds()
	res.CallsPerSec = float64(res.Calls) / postTime.Seconds()
	res.IngestP50ms, res.IngestP99ms, res.IngestMaxms = ms(percentile(ingest, 0.50)), ms(percentile(ingest, 0.99)), ms(percentile(ingest, 1))

	waitErr := wait(ctx, client, cfg, devices, track, streamErr, res)
	stopStream()
	res.Reconnects = int(reconnects.Load())

	var crm []time.Duration
	var lastDone time.Time
	track.mu.Lock()
	for _, c := range track.calls {
		if !c.acked {
			continue
		}
		switch c.status {
		case leadcall.SyncSynced:
			res.Synced++
			if !c.doneAt.IsZero() {
				crm = append(crm, c.doneAt.Sub(c.sentAt))
			}
		case leadcall.SyncReview:
			res.Review++
		case leadcall.SyncFailed:
			res.Failed++
		case leadcall.SyncNone:
			res.NotForCRM++
		default:
			res.Pending++
		}
		if c.doneAt.After(lastDone) {
			lastDone = c.doneAt
		}
	}
	stray := track.stray
	track.mu.Unlock()
	res.CRMP50ms, res.CRMP99ms, res.CRMMaxms = ms(percentile(crm, 0.50)), ms(percentile(crm, 0.99)), ms(percentile(crm, 1))
	if !lastDone.IsZero() {
		res.SyncSeconds = lastDone.Sub(start).Seconds()
		res.SyncedPerSec = float64(res.Synced) / res.SyncSeconds
	}

	var errs []error
	errs = append(errs, postErr, waitErr)
	if n := res.Unaccounted(); n > 0 {
		errs = append(errs, fmt.Errorf("%d calls unaccounted for: %d not acknowledged, %d rejected, %d still pending",
			n, res.Unacknowledged, res.Rejected, res.Pending))
	}
	if res.StreamMissed > 0 {
		errs = append(errs, fmt.Errorf("the live stream missed the final event of %d calls (GET /v1/calls shows them finished)", res.StreamMissed))
	}
	if stray > 0 {
		errs = append(errs, fmt.Errorf("the live stream brought %d call events of our devices for calls never posted", stray))
	}
	return res, errors.Join(errs...)
}

// post runs the posting phase and returns the ingest latencies of the acknowledged POSTs.
func post(ctx context.Context, client *simclient.Client, cfg Config, devices []*simclient.Device, track *tracker, res *Result) ([]time.Duration, error) {
	var (
		mu                    sync.Mutex
		latencies             []time.Duration
		errs                  []error
		acked, rejected, lost atomic.Int64
		retries               atomic.Int64
		wg                    sync.WaitGroup
		slots                 = make(chan struct{}, cmp.Or(cfg.Concurrency, cfg.Devices))
		callers               = simclient.NewCallers(cfg.Seed)
		postCtx, stop         = context.WithTimeout(ctx, cfg.Duration)
		pace                  = rate.NewLimiter(rate.Inf, 0)
	)
	if cfg.Rate > 0 {
		pace = rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Batch)
	}
	defer stop()
	for i, d := range devices {
		phone := simclient.NewPhone(d.Kind, d.ID, d.SIM, simclient.CallMix{Repeat: cfg.Repeat, SyncableOnly: true}, callers, cfg.Seed+uint64(i)+1)
		wg.Go(func() {
			for left := cfg.Calls; left > 0; {
				select {
				case <-postCtx.Done():
					return
				case slots <- struct{}{}:
				}
				n := min(left, cfg.Batch)
				if err := pace.WaitN(postCtx, n); err != nil {
					<-slots
					return // -duration passed (or would, before the pace allows the batch)
				}
				left -= n
				batch := make([]leadcall.IncomingCall, n)
				ids := make([]string, n)
				now := time.Now()
				for j := range batch {
					batch[j] = phone.Next(now)
					ids[j] = batch[j].ID
				}
				track.register(d.ID, ids, now)
				// Once posted, a batch is re-sent until acknowledged even after -duration:
				// only ctx (Ctrl-C) abandons it.
				ack, err := client.PostCalls(ctx, d.Token, batch)
				<-slots
				if err != nil {
					lost.Add(int64(n))
					mu.Lock()
					errs = append(errs, fmt.Errorf("device %s: %w", d.ID, err))
					mu.Unlock()
					return
				}
				ok := make([]string, 0, n)
				for _, r := range ack.Results {
					if r.Status == leadcall.IngestRejected {
						rejected.Add(1)
						continue
					}
					ok = append(ok, r.ID)
				}
				track.acked(d.ID, ok)
				acked.Add(int64(len(ok)))
				retries.Add(int64(ack.Attempts - 1))
				mu.Lock()
				latencies = append(latencies, ack.Latency)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Calls, res.Rejected, res.Unacknowledged, res.Retries = int(acked.Load()), int(rejected.Load()), int(lost.Load()), int(retries.Load())
	return latencies, errors.Join(errs...)
}

// wait follows the stream until no acknowledged call is open or -sync-timeout passes. When the
// stream brings no news for a while it asks the API about the open calls; calls that the API
// shows finished get one more quiet period for their events before they count as missed.
func wait(ctx context.Context, client *simclient.Client, cfg Config, devices []*simclient.Device, track *tracker,
	streamErr <-chan error, res *Result) error {
	deadline, stop := context.WithTimeout(ctx, cfg.SyncTimeout)
	defer stop()
	timer := time.NewTimer(quiet)
	defer timer.Stop()
	apiFinished := 0 // open calls the API showed finished at the last look
	for track.openCalls() > 0 {
		select {
		case <-track.changed:
			apiFinished = 0
			timer.Reset(quiet)
		case err := <-streamErr:
			return fmt.Errorf("live stream: %w", err)
		case <-deadline.Done():
			if _, err := reconcile(ctx, client, devices, track); err != nil {
				return fmt.Errorf("after %s: %w", cfg.SyncTimeout, err)
			}
			res.StreamMissed += track.settleFromAPI()
			return fmt.Errorf("after %s, %d acknowledged calls still pending: %w", cfg.SyncTimeout, track.openCalls(), deadline.Err())
		case <-timer.C:
			if apiFinished > 0 && apiFinished >= track.openCalls() {
				// Every open call was finished a quiet period ago and still no event.
				res.StreamMissed += track.settleFromAPI()
				apiFinished = 0
				timer.Reset(quiet)
				continue
			}
			n, err := reconcile(deadline, client, devices, track)
			if err != nil && deadline.Err() == nil {
				return fmt.Errorf("reading calls: %w", err)
			}
			apiFinished = n
			timer.Reset(quiet)
		}
	}
	return nil
}

// percentile is the nearest-rank percentile of ds (0 for none); it sorts ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }

func report(w io.Writer, r *Result, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	_, err := fmt.Fprintf(w, `calls: %d acknowledged of %d (%d rejected, %d unacknowledged, %d retried POSTs) in %.2fs
calls/s: %.1f
ingest p50: %.3f ms
ingest p99: %.3f ms
ingest max: %.3f ms
crm p50: %.3f ms
crm p99: %.3f ms
crm max: %.3f ms
synced: %d (review %d, failed %d, not for the CRM %d, still pending %d); the last left the queue after %.2fs: %.1f synced/s
stream: %d final events missed, %d reconnections
`, r.Calls, r.Planned, r.Rejected, r.Unacknowledged, r.Retries, r.PostSeconds, r.CallsPerSec,
		r.IngestP50ms, r.IngestP99ms, r.IngestMaxms, r.CRMP50ms, r.CRMP99ms, r.CRMMaxms,
		r.Synced, r.Review, r.Failed, r.NotForCRM, r.Pending, r.SyncSeconds, r.SyncedPerSec, r.StreamMissed, r.Reconnects)
	return err
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "lca_" + base64.RawURLEncoding.EncodeToString(b[:])
}
