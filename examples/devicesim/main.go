// Command devicesim plays a fleet of phones against a leadcall server over its HTTP API:
//
//	LEADCALL_ADMIN_TOKEN=... go run ./examples/devicesim -url http://127.0.0.1:8080 -n 5
//
// It creates -n devices through the manager API (campaign phones and sales reps' phones, with
// nicknames; campaign phones are assigned the sandbox Lead Source "Sandbox Campaign"), enrolls
// each with its pairing code, then sends heartbeats with SIM numbers and realistic calls: Indian
// numbers in the formats phones report them, new and repeat callers, missed, answered and
// outbound calls, reps calling numbers back, and now and then a withheld number. Each phone
// queues its calls and uploads them in batches, re-sending a batch with backoff until the
// server acknowledges it (ingest is idempotent), as the app does.
//
// A run is bounded: it stops after -duration or -max-calls, whichever comes first, then drains
// its queues. It only talks to a loopback server unless -allow-remote is given. Tokens and
// phone numbers are never printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
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
	maxRate     = 1000
	maxCalls    = 1_000_000
	maxDuration = 24 * time.Hour
	maxBatch    = 500
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devicesim:", err)
		os.Exit(1)
	}
}

// Config is devicesim's configuration (its flags).
type Config struct {
	URL           string
	AllowRemote   bool
	AdminToken    string // LEADCALL_ADMIN_TOKEN only: flags show in process lists
	Devices       int
	CampaignShare float64       // share of devices that are campaign phones
	Rate          float64       // calls per second across all devices
	Duration      time.Duration // how long calls are made
	MaxCalls      int           // how many calls at most
	Batch         int           // most calls per upload
	Flush         time.Duration // how often a phone uploads what it has queued
	Heartbeat     time.Duration
	Private       float64 // share of withheld numbers
	Repeat        float64 // share of repeat callers
	Seed          uint64
}

// ParseConfig reads flags from args and the admin token from getenv.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("devicesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "leadcall server base URL")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a server URL that is not a loopback address")
	fs.IntVar(&c.Devices, "n", 5, fmt.Sprintf("number of devices (1-%d)", maxDevices))
	fs.Float64Var(&c.CampaignShare, "campaign-share", 0.6, "share of devices that are campaign phones (0-1); at least one of each kind when n >= 2")
	fs.Float64Var(&c.Rate, "rate", 5, fmt.Sprintf("calls per second across all devices (0-%d]", maxRate))
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "how long to make calls (at most 24h)")
	fs.IntVar(&c.MaxCalls, "max-calls", 1000, fmt.Sprintf("most calls to make (1-%d)", maxCalls))
	fs.IntVar(&c.Batch, "batch", 20, fmt.Sprintf("most calls per upload (1-%d)", maxBatch))
	fs.DurationVar(&c.Flush, "flush", time.Second, "how often a phone uploads its queued calls")
	fs.DurationVar(&c.Heartbeat, "heartbeat", 15*time.Second, "heartbeat interval")
	fs.Float64Var(&c.Private, "private", 0.03, "share of calls from withheld numbers (0-1)")
	fs.Float64Var(&c.Repeat, "repeat", 0.25, "share of callers who called before (0-1)")
	fs.Uint64Var(&c.Seed, "seed", uint64(time.Now().UnixNano()), "random seed")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.AdminToken = getenv("LEADCALL_ADMIN_TOKEN")
	return c, c.validate()
}

func (c Config) validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	check(c.AdminToken != "", "LEADCALL_ADMIN_TOKEN is required (the server's admin token)")
	check(c.Devices >= 1 && c.Devices <= maxDevices, fmt.Sprintf("-n: want 1 to %d", maxDevices))
	check(c.CampaignShare >= 0 && c.CampaignShare <= 1, "-campaign-share: want 0 to 1")
	check(c.Rate > 0 && c.Rate <= maxRate, fmt.Sprintf("-rate: want more than 0, at most %d", maxRate))
	check(c.Duration > 0 && c.Duration <= maxDuration, "-duration: want more than 0, at most 24h")
	check(c.MaxCalls >= 1 && c.MaxCalls <= maxCalls, fmt.Sprintf("-max-calls: want 1 to %d", maxCalls))
	check(c.Batch >= 1 && c.Batch <= maxBatch, fmt.Sprintf("-batch: want 1 to %d", maxBatch))
	check(c.Flush >= 10*time.Millisecond && c.Flush <= time.Hour, "-flush: want 10ms to 1h")
	check(c.Heartbeat >= 100*time.Millisecond && c.Heartbeat <= time.Hour, "-heartbeat: want 100ms to 1h")
	check(c.Private >= 0 && c.Private <= 1, "-private: want 0 to 1")
	check(c.Repeat >= 0 && c.Repeat <= 1, "-repeat: want 0 to 1")
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
	var totals Totals
	budget := atomic.Int64{}
	budget.Store(int64(cfg.MaxCalls))
	callers := simclient.NewCallers(cfg.Seed)
	start := time.Now()
	callCtx, stopCalls := context.WithTimeout(ctx, cfg.Duration)
	defer stopCalls()
	var wg sync.WaitGroup
	errc := make(chan error, len(devices))
	for i, d := range devices {
		phone := simclient.NewPhone(d.Kind, d.ID, d.SIM, simclient.CallMix{Private: cfg.Private, Repeat: cfg.Repeat}, callers, cfg.Seed+uint64(i)+1)
		wg.Go(func() {
			if err := simulate(ctx, callCtx, client, d, phone, cfg, &budget, &totals, log); err != nil {
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
	fmt.Fprintf(stdout, "calls made %d, accepted %d, duplicate %d, rejected %d, retried uploads %d, heartbeats %d, in %s\n",
		totals.Made.Load(), totals.Accepted.Load(), totals.Duplicate.Load(), totals.Rejected.Load(), totals.Retries.Load(),
		totals.Heartbeats.Load(), time.Since(start).Round(time.Millisecond))
	return errors.Join(errs...)
}

// provision creates and pairs the devices: campaign phones first, at least one of each kind
// when there are two or more.
func provision(ctx context.Context, c *simclient.Client, cfg Config) ([]*simclient.Device, error) {
	campaigns := int(float64(cfg.Devices)*cfg.CampaignShare + 0.5)
	if cfg.Devices >= 2 {
		campaigns = min(max(campaigns, 1), cfg.Devices-1)
	}
	var out []*simclient.Device
	for i := range cfg.Devices {
		spec := simclient.DeviceSpec{SIM: simclient.SIMNumber(i + 1)}
		if i < campaigns {
			spec.Kind, spec.Nickname, spec.LeadSource = simclient.KindCampaign, fmt.Sprintf("Ads line %d", i+1), LeadSource
		} else {
			spec.Kind, spec.Nickname = simclient.KindSalesRep, fmt.Sprintf("Rep phone %d", i-campaigns+1)
		}
		d, err := c.Provision(ctx, spec)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// simulate runs one phone: it makes calls at its share of the rate while callCtx lasts and
// the budget allows, uploads its queue every Flush, and drains the queue at the end (bounded
// by ctx and a drain timeout).
func simulate(ctx, callCtx context.Context, c *simclient.Client, d *simclient.Device, phone *simclient.Phone, cfg Config,
	budget *atomic.Int64, totals *Totals, log *slog.Logger) error {
	interval := time.Duration(float64(time.Second) * float64(cfg.Devices) / cfg.Rate)
	battery := 90
	heartbeat := func(hctx context.Context) {
		battery = max(battery-1, 5)
		b := battery
		err := c.Heartbeat(hctx, d.Token, httpapi.HeartbeatRequest{AppVersion: "sim-1.0", Battery: &b,
			SIMs: []leadcall.SIM{{Slot: 1, Number: d.SIM, Carrier: "Jio"}}})
		if err != nil {
			log.Warn("devicesim: heartbeat", "device_id", d.ID, "err", err)
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
				log.Warn("devicesim: upload not acknowledged, will re-send", "device_id", d.ID, "calls", n, "err", err)
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
	calls := time.NewTicker(interval)
	defer calls.Stop()
	flush := time.NewTicker(cfg.Flush)
	defer flush.Stop()
	beat := time.NewTicker(cfg.Heartbeat)
	defer beat.Stop()
loop:
	for {
		select {
		case <-callCtx.Done():
			break loop
		case <-calls.C:
			if budget.Add(-1) < 0 {
				break loop
			}
			queue = append(queue, phone.Next(time.Now()))
			totals.Made.Add(1)
		case <-flush.C:
			upload(callCtx)
		case <-beat.C:
			heartbeat(callCtx)
		}
	}
	// Drain: keep re-sending until everything is acknowledged, within a bounded time.
	drainCtx, cancel := context.WithTimeout(ctx, 2*cfg.Flush+30*time.Second)
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
