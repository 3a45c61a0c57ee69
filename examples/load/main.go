// Command load measures a leadcall server under concurrent devices, over its HTTP API:
//
//	go run ./examples/load -devices 20 -calls 5000              # in-process sandbox server
//	LEADCALL_ADMIN_TOKEN=... go run ./examples/load -url http://127.0.0.1:8080
//
// Without -url it boots the sandbox wiring of examples/server in-process (SQLite in a temporary
// directory, the bundled fake Zoho, 127.0.0.1:0) with the per-device rate limit lifted, so the
// figures are the server's and not the limiter's. It creates -devices campaign phones assigned
// the sandbox Lead Source, then each posts batches of -batch calls back to back until -calls
// calls in total were acknowledged or -duration passed, re-sending a batch until the server
// acknowledges it. It then waits until every call the server queued for the CRM has left the
// queue, watching the live stream (GET /v1/stream) for call.ingested and call.synced events.
//
// It prints one line per metric (or one JSON object with -json):
//
//	calls          calls acknowledged
//	calls/s        acknowledged calls per second of the posting phase
//	ingest p50/p99 round trip of the acknowledged POST /v1/device/calls
//	crm p50/p99    from a call's acknowledgement to its call.synced event
//	synced         calls that reached the CRM (review, failed and still queued are counted apart)
//
// When -sync-timeout passes first it still prints what it measured, then exits with an error.
package main

import (
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
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/examples/internal/sandbox"
	"github.com/leadcall/leadcall/examples/internal/simclient"
)

// Bounds on the flags.
const (
	maxDevices     = 1000
	maxCalls       = 1_000_000
	maxBatch       = 500
	maxDuration    = time.Hour
	maxSyncTimeout = time.Hour
)

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
	Calls       int           // calls in total
	Batch       int           // calls per POST
	Duration    time.Duration // bound on the posting phase
	SyncTimeout time.Duration // bound on the wait for the CRM
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
	fs.IntVar(&c.Devices, "devices", 10, fmt.Sprintf("simulated devices posting concurrently (1-%d)", maxDevices))
	fs.IntVar(&c.Calls, "calls", 1000, fmt.Sprintf("calls in total (1-%d)", maxCalls))
	fs.IntVar(&c.Batch, "batch", 25, fmt.Sprintf("calls per POST (1-%d)", maxBatch))
	fs.DurationVar(&c.Duration, "duration", time.Minute, "longest posting phase (at most 1h)")
	fs.DurationVar(&c.SyncTimeout, "sync-timeout", 5*time.Minute, "longest wait for calls to reach the CRM (at most 1h)")
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
	check(c.Calls >= 1 && c.Calls <= maxCalls, fmt.Sprintf("-calls: want 1 to %d", maxCalls))
	check(c.Batch >= 1 && c.Batch <= maxBatch, fmt.Sprintf("-batch: want 1 to %d", maxBatch))
	check(c.Duration > 0 && c.Duration <= maxDuration, "-duration: want more than 0, at most 1h")
	check(c.SyncTimeout > 0 && c.SyncTimeout <= maxSyncTimeout, "-sync-timeout: want more than 0, at most 1h")
	check(c.Repeat >= 0 && c.Repeat <= 1, "-repeat: want 0 to 1")
	if c.URL != "" {
		check(c.AdminToken != "", "LEADCALL_ADMIN_TOKEN is required with -url")
		if _, err := simclient.CheckURL(c.URL, c.AllowRemote); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Result is what a run measured. Latencies are in milliseconds.
type Result struct {
	Calls       int     `json:"calls"`         // acknowledged (accepted or duplicate)
	Rejected    int     `json:"rejected"`      // refused by the server
	Retries     int     `json:"retries"`       // extra POST attempts
	PostSeconds float64 `json:"post_seconds"`  // length of the posting phase
	CallsPerSec float64 `json:"calls_per_s"`   // Calls / PostSeconds
	IngestP50ms float64 `json:"ingest_p50_ms"` // POST /v1/device/calls round trip
	IngestP99ms float64 `json:"ingest_p99_ms"`
	Synced      int     `json:"synced"`
	Review      int     `json:"review"`
	Failed      int     `json:"failed"`
	Queued      int     `json:"queued"`     // still queued for the CRM when the wait ended
	CRMP50ms    float64 `json:"crm_p50_ms"` // acknowledgement → call.synced
	CRMP99ms    float64 `json:"crm_p99_ms"`
}

// tracker follows each posted call from its acknowledgement to its last sync event.
type tracker struct {
	mu      sync.Mutex
	calls   map[string]*tracked // device ID + "\x00" + device call ID
	changed chan struct{}       // gets a value after each update
}

type tracked struct {
	ackedAt, doneAt time.Time
	ingested        bool
	pending         bool // the server queued it for the CRM
	status          leadcall.SyncStatus
}

func newTracker() *tracker {
	return &tracker{calls: map[string]*tracked{}, changed: make(chan struct{}, 1)}
}

func (t *tracker) get(key string) *tracked {
	c, ok := t.calls[key]
	if !ok {
		c = &tracked{}
		t.calls[key] = c
	}
	return c
}

func (t *tracker) notify() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) acked(deviceID string, ids []string, at time.Time) {
	t.mu.Lock()
	for _, id := range ids {
		if c := t.get(deviceID + "\x00" + id); c.ackedAt.IsZero() {
			c.ackedAt = at
		}
	}
	t.mu.Unlock()
	t.notify()
}

// event records a live-stream event of one of our devices.
func (t *tracker) event(ev leadcall.Event, devices map[string]bool) error {
	switch ev.Type {
	case leadcall.EventCallIngested, leadcall.EventCallSynced, leadcall.EventCallReview, leadcall.EventCallFailed:
	default:
		return nil
	}
	var call leadcall.Call
	if err := json.Unmarshal(ev.Data, &call); err != nil {
		return fmt.Errorf("event %d: %w", ev.ID, err)
	}
	if !devices[call.DeviceID] {
		return nil
	}
	now := time.Now()
	t.mu.Lock()
	c := t.get(call.DeviceID + "\x00" + call.DeviceCallID)
	switch ev.Type {
	case leadcall.EventCallIngested:
		c.ingested = true
		c.pending = call.SyncStatus == leadcall.SyncPending
	default:
		if c.doneAt.IsZero() {
			c.doneAt = now
		}
		c.status = call.SyncStatus
	}
	t.mu.Unlock()
	t.notify()
	return nil
}

// settled reports whether every acknowledged call has left the CRM queue (a synced, review or
// failed event) or was ingested without being queued. A call.synced event alone is enough: an
// event published while the stream subscription is being set up can be missed, and a
// call.ingested is the one that matters least.
func (t *tracker) settled(acked int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	settled := 0
	for _, c := range t.calls {
		if c.ackedAt.IsZero() {
			continue
		}
		if c.doneAt.IsZero() && (!c.ingested || c.pending) {
			return false
		}
		settled++
	}
	return settled >= acked
}

// missing counts the acknowledged calls not seen ingested and those still queued for the CRM.
func (t *tracker) missing() (notSeen, queued int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.calls {
		switch {
		case c.ackedAt.IsZero() || !c.doneAt.IsZero():
		case !c.ingested:
			notSeen++
		case c.pending:
			queued++
		}
	}
	return notSeen, queued
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
			DeviceRate: 1e6, DeviceBurst: 1e6, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
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
	// A run that timed out waiting for the CRM still reports what it measured.
	return errors.Join(report(stdout, res, cfg.JSON), err)
}

// measure provisions the devices, posts the calls concurrently, waits for the CRM and computes
// the result.
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

	track := newTracker()
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	ready, streamErr := make(chan struct{}), make(chan error, 1)
	go func() {
		streamErr <- client.Stream(streamCtx, ready, func(ev leadcall.Event) error { return track.event(ev, ours) })
	}()
	select {
	case <-ready:
	case err := <-streamErr:
		return nil, fmt.Errorf("live stream: %w", err)
	}

	var (
		budget                   atomic.Int64
		acked, rejected, retries atomic.Int64
		latMu                    sync.Mutex
		ingestLatency            []time.Duration
		errs                     = make(chan error, cfg.Devices)
		wg                       sync.WaitGroup
		callers                  = simclient.NewCallers(cfg.Seed)
		postCtx, stopPosting     = context.WithTimeout(ctx, cfg.Duration)
	)
	defer stopPosting()
	budget.Store(int64(cfg.Calls))
	start := time.Now()
	for i, d := range devices {
		phone := simclient.NewPhone(d.Kind, d.ID, d.SIM, simclient.CallMix{Repeat: cfg.Repeat, SyncableOnly: true}, callers, cfg.Seed+uint64(i)+1)
		wg.Go(func() {
			for postCtx.Err() == nil {
				n := min(int64(cfg.Batch), budget.Add(-int64(cfg.Batch))+int64(cfg.Batch))
				if n <= 0 {
					return
				}
				batch := make([]leadcall.IncomingCall, n)
				ids := make([]string, n)
				for j := range batch {
					batch[j] = phone.Next(time.Now())
					ids[j] = batch[j].ID
				}
				ack, err := client.PostCalls(ctx, d.Token, batch)
				if err != nil {
					errs <- fmt.Errorf("device %s: %w", d.ID, err)
					return
				}
				var ok []string
				for _, r := range ack.Results {
					if r.Status == leadcall.IngestRejected {
						rejected.Add(1)
						continue
					}
					ok = append(ok, r.ID)
				}
				acked.Add(int64(len(ok)))
				retries.Add(int64(ack.Attempts - 1))
				track.acked(d.ID, ok, ack.At)
				latMu.Lock()
				ingestLatency = append(ingestLatency, ack.Latency)
				latMu.Unlock()
			}
		})
	}
	wg.Wait()
	postTime := time.Since(start)
	close(errs)
	var postErrs []error
	for err := range errs {
		postErrs = append(postErrs, err)
	}
	if err := errors.Join(postErrs...); err != nil {
		return nil, err
	}

	wait, stopWaiting := context.WithTimeout(ctx, cfg.SyncTimeout)
	defer stopWaiting()
	var waitErr error
	for waitErr == nil && !track.settled(int(acked.Load())) {
		select {
		case <-track.changed:
		case err := <-streamErr:
			return nil, fmt.Errorf("live stream: %w", err)
		case <-wait.Done():
			notSeen, queued := track.missing()
			waitErr = fmt.Errorf("after %s, %d acknowledged calls not seen on the stream and %d still queued for the CRM: %w",
				cfg.SyncTimeout, notSeen, queued, wait.Err())
		}
	}
	stopStream()

	res := &Result{Calls: int(acked.Load()), Rejected: int(rejected.Load()), Retries: int(retries.Load()),
		PostSeconds: postTime.Seconds()}
	res.CallsPerSec = float64(res.Calls) / postTime.Seconds()
	res.IngestP50ms, res.IngestP99ms = ms(percentile(ingestLatency, 0.50)), ms(percentile(ingestLatency, 0.99))
	var crm []time.Duration
	track.mu.Lock()
	for _, c := range track.calls {
		switch c.status {
		case leadcall.SyncSynced:
			res.Synced++
			crm = append(crm, max(c.doneAt.Sub(c.ackedAt), 0)) // the event can beat the ack home
		case leadcall.SyncReview:
			res.Review++
		case leadcall.SyncFailed:
			res.Failed++
		}
	}
	track.mu.Unlock()
	res.CRMP50ms, res.CRMP99ms = ms(percentile(crm, 0.50)), ms(percentile(crm, 0.99))
	notSeen, queued := track.missing()
	res.Queued = notSeen + queued
	return res, waitErr
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
	_, err := fmt.Fprintf(w, `calls: %d acknowledged (%d rejected, %d retried POSTs) in %.2fs
calls/s: %.1f
ingest p50: %.3f ms
ingest p99: %.3f ms
crm p50: %.3f ms
crm p99: %.3f ms
synced: %d (review %d, failed %d, still queued %d)
`, r.Calls, r.Rejected, r.Retries, r.PostSeconds, r.CallsPerSec, r.IngestP50ms, r.IngestP99ms, r.CRMP50ms, r.CRMP99ms,
		r.Synced, r.Review, r.Failed, r.Queued)
	return err
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "lca_" + base64.RawURLEncoding.EncodeToString(b[:])
}
