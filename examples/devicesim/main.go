// Command devicesim plays a fleet of phones against a running leadcall server over its HTTP
// API, so that the dashboard comes alive in a demo:
//
//	go run ./examples/server                                             # prints its admin token
//	LEADCALL_ADMIN_TOKEN=... go run ./examples/devicesim -n 6 -rate 30   # 30 calls a minute
//	go run ./examples/devicesim -pair 4F7K-2Q9M,rep:8XJ3-PL2D            # phones a manager created
//
// With the admin token (LEADCALL_ADMIN_TOKEN) it creates -n devices through the manager API —
// campaign phones assigned the sandbox Lead Source "Sandbox Campaign", and sales reps' phones,
// each carried by a rep it creates — and enrolls each with its pairing code. With -pair it enrolls the phones a
// manager created in the dashboard instead, with their pairing codes ("rep:CODE" plays a sales
// rep's phone, "campaign:CODE" or a bare code a campaign phone); it needs no admin token then.
//
// Each phone then sends a heartbeat every -heartbeat (battery, SIM) and makes calls at its share
// of -rate calls per minute, at random (Poisson) moments: Indian numbers in the formats phones
// report them, new and repeat callers, and now and then a withheld number. Campaign phones
// miss about half their calls; reps' phones (and campaign phones now and then) call the missed
// callers back, oldest first, -callback-after at the earliest, some without reaching them, so
// the recovery board fills and empties. Conversations last from seconds to an hour. Each phone queues its calls and uploads
// them every -flush in batches of -batch, re-sending a batch with backoff until the server
// acknowledges it (ingest is idempotent), as the app does.
//
// It runs until Ctrl-C, -duration or -max-calls, then uploads what its phones still hold and
// prints what the server answered; a second Ctrl-C stops it at once. It only talks to a loopback
// server unless -allow-remote is given. Tokens and phone numbers are never printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/examples/internal/simclient"
	"github.com/leadcall/leadcall/httpapi"
)

// LeadSource is the Lead Source the sandbox server offers (examples/server).
const LeadSource = "Sandbox Campaign"

// Bounds on the flags, so that a typo cannot flood a server.
const (
	maxDevices  = 1000
	maxRate     = 60_000 // calls per minute
	maxCalls    = 1_000_000
	maxDuration = 24 * time.Hour
	maxBatch    = 500
	maxCodeLen  = 64
)

// drainTimeout bounds the final upload after the run ends (on top of two flush intervals).
const drainTimeout = 15 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // the first Ctrl-C drains; a second one ends the process at once
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devicesim:", err)
		os.Exit(1)
	}
}

// Pairing is a pairing code from the command line and the kind of phone to play with it.
type Pairing struct {
	Code, Kind string
}

// pairings is the -pair flag: comma-separated codes, optionally prefixed "rep:" or "campaign:".
type pairings []Pairing

func (p *pairings) String() string { return fmt.Sprintf("%d codes", len(*p)) }

func (p *pairings) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		kind := simclient.KindCampaign
		if code, ok := strings.CutPrefix(part, "rep:"); ok {
			part, kind = code, simclient.KindSalesRep
		} else if code, ok := strings.CutPrefix(part, "campaign:"); ok {
			part = code
		}
		if part == "" || len(part) > maxCodeLen || strings.ContainsFunc(part, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return fmt.Errorf("want pairing codes like ABCD-1234, optionally prefixed rep: or campaign:")
		}
		if len(*p) >= maxDevices {
			return fmt.Errorf("at most %d codes", maxDevices)
		}
		*p = append(*p, Pairing{Code: part, Kind: kind})
	}
	return nil
}

// Config is devicesim's configuration (its flags).
type Config struct {
	URL           string
	AllowRemote   bool
	AdminToken    string // LEADCALL_ADMIN_TOKEN only: flags show in process lists
	Devices       int
	Pair          []Pairing // phones to enroll with codes instead of creating Devices
	CampaignShare float64   // share of created devices that are campaign phones
	Rate          float64   // calls per minute across all devices
	Duration      time.Duration
	MaxCalls      int // 0: no limit
	Batch         int // most calls per upload
	Flush         time.Duration
	Heartbeat     time.Duration
	Private       float64 // share of withheld numbers
	Repeat        float64 // share of repeat callers
	Callback      float64 // share of outbound calls that call a missed caller back
	CallbackAfter time.Duration
	Seed          uint64
}

// ParseConfig reads flags from args and the admin token from getenv.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("devicesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var codes pairings
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "leadcall server base URL")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a server URL that is not a loopback address")
	fs.IntVar(&c.Devices, "n", 5, fmt.Sprintf("devices to create and pair with the admin token (1-%d)", maxDevices))
	fs.Var(&codes, "pair", `pairing codes of phones a manager created, comma-separated; "rep:CODE" plays a sales rep's phone (no admin token needed)`)
	fs.Float64Var(&c.CampaignShare, "campaign-share", 0.6, "share of created devices that are campaign phones (0-1); at least one of each kind when n >= 2")
	fs.Float64Var(&c.Rate, "rate", 30, fmt.Sprintf("calls per minute across all devices (more than 0, at most %d)", maxRate))
	fs.DurationVar(&c.Duration, "duration", 0, "how long to make calls; 0: until Ctrl-C (at most 24h)")
	fs.IntVar(&c.MaxCalls, "max-calls", 0, fmt.Sprintf("most calls to make; 0: no limit (at most %d)", maxCalls))
	fs.IntVar(&c.Batch, "batch", 20, fmt.Sprintf("most calls per upload (1-%d)", maxBatch))
	fs.DurationVar(&c.Flush, "flush", time.Second, "how often a phone uploads its queued calls")
	fs.DurationVar(&c.Heartbeat, "heartbeat", 5*time.Second, "heartbeat interval")
	fs.Float64Var(&c.Private, "private", 0.03, "share of calls from withheld numbers (0-1)")
	fs.Float64Var(&c.Repeat, "repeat", 0.25, "share of callers who called before (0-1)")
	fs.Float64Var(&c.Callback, "callback", simclient.DefaultCallback, "share of outbound calls that call a missed caller back (0-1]")
	fs.DurationVar(&c.CallbackAfter, "callback-after", 20*time.Second, "how long a missed caller waits at least before a phone calls back")
	fs.Uint64Var(&c.Seed, "seed", uint64(time.Now().UnixNano()), "random seed")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.Pair = codes
	nSet := false
	fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
	var errs []error
	if len(c.Pair) > 0 && nSet {
		errs = append(errs, errors.New("-n and -pair: give one (with -pair the codes name the devices)"))
	}
	if len(c.Pair) > 0 {
		c.Devices = len(c.Pair)
	}
	c.AdminToken = getenv("LEADCALL_ADMIN_TOKEN")
	return c, errors.Join(append(errs, c.validate())...)
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	check(c.AdminToken != "" || len(c.Pair) > 0, "LEADCALL_ADMIN_TOKEN (the server's admin token) is required to create devices; or give -pair codes")
	check(c.Devices >= 1 && c.Devices <= maxDevices, fmt.Sprintf("-n: want 1 to %d", maxDevices))
	check(c.CampaignShare >= 0 && c.CampaignShare <= 1, "-campaign-share: want 0 to 1")
	check(c.Rate > 0 && c.Rate <= maxRate, fmt.Sprintf("-rate: want more than 0, at most %d calls per minute", maxRate))
	check(c.Duration >= 0 && c.Duration <= maxDuration, "-duration: want 0 (until Ctrl-C) to 24h")
	check(c.MaxCalls >= 0 && c.MaxCalls <= maxCalls, fmt.Sprintf("-max-calls: want 0 (no limit) to %d", maxCalls))
	check(c.Batch >= 1 && c.Batch <= maxBatch, fmt.Sprintf("-batch: want 1 to %d", maxBatch))
	check(c.Flush >= 10*time.Millisecond && c.Flush <= time.Hour, "-flush: want 10ms to 1h")
	check(c.Heartbeat >= 100*time.Millisecond && c.Heartbeat <= time.Hour, "-heartbeat: want 100ms to 1h")
	check(c.Private >= 0 && c.Private <= 1, "-private: want 0 to 1")
	check(c.Repeat >= 0 && c.Repeat <= 1, "-repeat: want 0 to 1")
	check(c.Callback > 0 && c.Callback <= 1, "-callback: want more than 0, at most 1")
	check(c.CallbackAfter >= 0 && c.CallbackAfter <= maxDuration, "-callback-after: want 0 to 24h")
	if _, err := simclient.CheckURL(c.URL, c.AllowRemote); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Totals counts what the server answered, over every device.
type Totals struct {
	Made, Accepted, Duplicate, Rejected, Retries, Heartbeats atomic.Int64
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	client, err := simclient.New(simclient.Config{BaseURL: cfg.URL, AllowRemote: cfg.AllowRemote, AdminToken: cfg.AdminToken})
	if err != nil {
		return err
	}
	devices, err := provision(ctx, client, cfg)
	if err != nil {
		return err
	}
	for _, d := range devices {
		fmt.Fprintf(stdout, "device %s %-9s %q paired\n", d.ID, d.Kind, d.Nickname)
	}
	fmt.Fprintf(stdout, "making %.4g calls a minute; Ctrl-C to stop\n", cfg.Rate)

	var totals Totals
	budget := atomic.Int64{}
	budget.Store(int64(cfg.MaxCalls))
	if cfg.MaxCalls == 0 {
		budget.Store(maxCalls * 1000)
	}
	callers := simclient.NewCallers(cfg.Seed)
	start := time.Now()
	callCtx, stopCalls := context.WithCancel(ctx)
	defer stopCalls()
	if cfg.Duration > 0 {
		callCtx, stopCalls = context.WithTimeout(ctx, cfg.Duration)
		defer stopCalls()
	}
	var wg sync.WaitGroup
	errc := make(chan error, len(devices))
	for i, d := range devices {
		mix := simclient.CallMix{Private: cfg.Private, Repeat: cfg.Repeat, Callback: cfg.Callback, CallbackAfter: cfg.CallbackAfter}
		phone := simclient.NewPhone(d.Kind, d.ID, d.SIM, mix, callers, cfg.Seed+uint64(i)+1)
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)))
		wg.Go(func() {
			if err := simulate(ctx, callCtx, client, d, phone, rng, cfg, &budget, &totals, log); err != nil {
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	var errs []error
	for err := range errc {
		errs = append(errs, err)
	}
	fmt.Fprintf(stdout, "calls made %d, accepted %d, duplicate %d, rejected %d, retried uploads %d, heartbeats %d, missed callers not called back %d, in %s\n",
		totals.Made.Load(), totals.Accepted.Load(), totals.Duplicate.Load(), totals.Rejected.Load(), totals.Retries.Load(),
		totals.Heartbeats.Load(), callers.Missed(), time.Since(start).Round(time.Millisecond))
	return errors.Join(errs...)
}

// repNames name the sales reps devicesim creates for the reps' phones.
var repNames = []string{"Priya", "Arjun", "Kavya", "Rohan", "Ananya", "Vikram", "Meera", "Aditya"}

// provision pairs the -pair codes, or creates and pairs -n devices: campaign phones first, at
// least one of each kind when there are two or more.
func provision(ctx context.Context, c *simclient.Client, cfg Config) ([]*simclient.Device, error) {
	var out []*simclient.Device
	if len(cfg.Pair) > 0 {
		for i, p := range cfg.Pair {
			spec := simclient.DeviceSpec{Kind: p.Kind, SIM: simclient.SIMNumber(i + 1), Nickname: fmt.Sprintf("Paired phone %d", i+1)}
			d, err := c.Pair(ctx, p.Code, spec)
			if err != nil {
				return nil, fmt.Errorf("pairing code %d: %w", i+1, err)
			}
			out = append(out, d)
		}
		return out, nil
	}
	campaigns := int(float64(cfg.Devices)*cfg.CampaignShare + 0.5)
	if cfg.Devices >= 2 {
		campaigns = min(max(campaigns, 1), cfg.Devices-1)
	}
	for i := range cfg.Devices {
		spec := simclient.DeviceSpec{SIM: simclient.SIMNumber(i + 1)}
		if i < campaigns {
			spec.Kind, spec.Nickname, spec.LeadSource = simclient.KindCampaign, fmt.Sprintf("Ads line %d", i+1), LeadSource
		} else {
			name := repNames[(i-campaigns)%len(repNames)]
			spec.Kind, spec.Nickname = simclient.KindSalesRep, fmt.Sprintf("%s's phone", name)
			spec.RepName, spec.RepEmail = name, fmt.Sprintf("%s.%d@example.com", strings.ToLower(name), i-campaigns+1)
		}
		d, err := c.Provision(ctx, spec)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// simulate runs one phone: it makes calls at random moments at its share of the rate while
// callCtx lasts and the budget allows, uploads its queue every Flush, sends heartbeats, and at
// the end uploads what it still holds (bounded by drainTimeout even after Ctrl-C; only ctx's
// parent process dying stops that).
func simulate(ctx, callCtx context.Context, c *simclient.Client, d *simclient.Device, phone *simclient.Phone, rng *rand.Rand,
	cfg Config, budget *atomic.Int64, totals *Totals, log *slog.Logger) error {
	mean := time.Duration(float64(time.Minute) * float64(cfg.Devices) / cfg.Rate)
	nextCall := func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(mean)) }
	battery := 60 + rng.IntN(40)
	heartbeat := func(hctx context.Context) {
		if rng.IntN(10) == 0 {
			battery = 60 + rng.IntN(40) // back from the charger
		}
		battery = max(battery-rng.IntN(2), 5)
		b := battery
		err := c.Heartbeat(hctx, d.Token, httpapi.HeartbeatRequest{AppVersion: "sim-1.0", Battery: &b,
			SIMs: []leadcall.SIM{{Slot: 1, Number: d.SIM, Carrier: "Jio"}}})
		if err != nil {
			if hctx.Err() == nil {
				log.Warn("devicesim: heartbeat", "device_id", d.ID, "err", err)
			}
			return
		}
		totals.Heartbeats.Add(1)
	}
	var queue []leadcall.IncomingCall
	upload := func(uctx context.Context) {
		for len(queue) > 0 {
			n := min(len(queue), cfg.Batch)
			ack, err := c.PostCalls(uctx, d.Token, queue[:n])
			if err != nil {
				// Not acknowledged: keep the batch and re-send it on the next flush.
				if uctx.Err() == nil {
					log.Warn("devicesim: upload not acknowledged, will re-send", "device_id", d.ID, "calls", n, "err", err)
				}
				return
			}
			totals.Retries.Add(int64(ack.Attempts - 1))
			for _, r := range ack.Results {
				switch r.Status {
				case leadcall.IngestAccepted:
					totals.Accepted.Add(1)
				case leadcall.IngestDuplicate:
					totals.Duplicate.Add(1)
				default:
					totals.Rejected.Add(1)
					log.Warn("devicesim: call rejected", "device_id", d.ID, "call", r.ID, "error", r.Error)
				}
			}
			queue = queue[n:]
		}
	}
	heartbeat(callCtx)
	call := time.NewTimer(nextCall())
	defer call.Stop()
	flush := time.NewTicker(cfg.Flush)
	defer flush.Stop()
	beat := time.NewTicker(cfg.Heartbeat)
	defer beat.Stop()
loop:
	for {
		select {
		case <-callCtx.Done():
			break loop
		case <-call.C:
			if budget.Add(-1) < 0 {
				break loop
			}
			queue = append(queue, phone.Next(time.Now()))
			totals.Made.Add(1)
			call.Reset(nextCall())
		case <-flush.C:
			upload(ctx) // not cut short when the calls stop: that would only cause a re-send
		case <-beat.C:
			heartbeat(callCtx)
		}
	}
	// Drain: keep re-sending until everything is acknowledged, within a bounded time, even
	// after Ctrl-C (a phone keeps its calls until the server has them).
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*cfg.Flush+drainTimeout)
	defer cancel()
	for len(queue) > 0 {
		upload(drainCtx)
		if len(queue) == 0 {
			break
		}
		select {
		case <-drainCtx.Done():
			return fmt.Errorf("device %s: %d calls not acknowledged: %w", d.ID, len(queue), drainCtx.Err())
		case <-time.After(cfg.Flush):
		}
	}
	return nil
}
