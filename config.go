package leadcall

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadcall/leadcall/recovery"
)

// Engine defaults. Each Config field documents which one applies when it is zero.
const (
	DefaultWorkers        = 4
	DefaultLease          = 2 * time.Minute
	DefaultCRMTimeout     = 20 * time.Second
	DefaultPollInterval   = time.Second
	DefaultMaxAttempts    = 20
	DefaultRetryBase      = 2 * time.Second
	DefaultRetryMax       = 30 * time.Minute
	DefaultReconcileGrace = 2 * time.Minute
	DefaultRateLimitPause = time.Minute
	DefaultAuthPause      = 5 * time.Minute
	DefaultMaxBatch       = 500
	DefaultMaxClockSkew   = 10 * time.Minute
	DefaultMaxCallAge     = 366 * 24 * time.Hour
	DefaultRecoveryWindow = 7 * 24 * time.Hour
	DefaultFieldsCacheTTL = 5 * time.Minute
	// Recovery defaults (see recovery.go).
	DefaultRecoverySLA           = 15 * time.Minute
	DefaultRecoveryCheckInterval = time.Minute
	DefaultRecoveryLookback      = 24 * time.Hour
)

// Config configures an Engine. Store and CRMs are required; every other zero field takes the
// default named in its comment.
type Config struct {
	// Store is the durable state. Required.
	Store Store
	// CRMs hands out each org's CRM connection. Required; use SingleCRM for one CRM.
	CRMs CRMProvider
	// Notifier receives committed events. Nil: events are only logged in the Store.
	Notifier Notifier
	// Logger receives the Engine's logs. Nil: logs are discarded.
	Logger *slog.Logger
	// NowFunc returns the current time. Nil: time.Now. Tests set it to control time.
	NowFunc func() time.Time

	// Workers is the number of concurrent sync jobs. Default DefaultWorkers.
	Workers int
	// Lease is how long a claimed job belongs to a worker. A worker's CRM requests are cancelled
	// before its lease ends, so two workers never write for one job at once. Default
	// DefaultLease; at least 3 × CRMTimeout.
	Lease time.Duration
	// CRMTimeout bounds one CRM request. Default DefaultCRMTimeout.
	CRMTimeout time.Duration
	// PollInterval is how often idle workers look for due jobs (ingest wakes them at once).
	// Default DefaultPollInterval.
	PollInterval time.Duration
	// MaxAttempts is how many failed attempts make a job dead (review item "failed"). Rate
	// limits and auth pauses do not count. Default DefaultMaxAttempts.
	MaxAttempts int
	// RetryBase and RetryMax shape the exponential retry schedule (with full jitter).
	// Defaults DefaultRetryBase and DefaultRetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration
	// ReconcileGrace is how long after an in-doubt create the Engine waits for the CRM's search
	// to show the record before it may create it again. Default DefaultReconcileGrace.
	ReconcileGrace time.Duration
	// RateLimitPause is the org pause after a rate-limit error without RetryAfter. Default
	// DefaultRateLimitPause.
	RateLimitPause time.Duration
	// AuthPause is the org pause after an authorization failure. Default DefaultAuthPause.
	AuthPause time.Duration
	// MaxBatch is the most calls one Ingest accepts. Default DefaultMaxBatch.
	MaxBatch int
	// MaxClockSkew is how far in the future a call may start (device clocks drift). Default
	// DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// MaxCallAge is how far in the past a call may start. Default DefaultMaxCallAge.
	MaxCallAge time.Duration
	// RecoveryWindow is how long after a missed call a follow-up Task stays the open one for
	// its caller (no second Task while it is open). Default DefaultRecoveryWindow.
	RecoveryWindow time.Duration
	// RecoverySLA is how soon after a recovery case's first miss an attempt is due; a case
	// without one raises a recovery.sla_breached event, once. At most RecoveryWindow. Default
	// DefaultRecoverySLA. (A callback connects when it lasts at least the org's
	// rules.connected_min_seconds, default 1 s.)
	RecoverySLA time.Duration
	// RecoveryCheckInterval is how often the recovery check (SLA events, Task completion)
	// runs while the Engine is started. Default DefaultRecoveryCheckInterval.
	RecoveryCheckInterval time.Duration
	// RecoveryLookback is how far back the recovery check looks for missed calls: a breach
	// whose deadline passed longer ago while no Engine ran is not raised. Default
	// DefaultRecoveryLookback.
	RecoveryLookback time.Duration
	// CompleteTasksOnRecovery completes, in CRMs that implement TaskCompleter, the Task
	// leadcall created for a recovery episode once the caller is reached, with a note giving
	// the delay. Off by default.
	CompleteTasksOnRecovery bool
	// FieldsCacheTTL is how long CRM field metadata (picklists) is cached. Default
	// DefaultFieldsCacheTTL.
	FieldsCacheTTL time.Duration
	// WorkerID names this Engine in job leases. Default: a random ID.
	WorkerID string
}

func (c Config) withDefaults() Config {
	c.Workers = cmp.Or(c.Workers, DefaultWorkers)
	c.CRMTimeout = cmp.Or(c.CRMTimeout, DefaultCRMTimeout)
	c.Lease = cmp.Or(c.Lease, DefaultLease)
	c.PollInterval = cmp.Or(c.PollInterval, DefaultPollInterval)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, DefaultMaxAttempts)
	c.RetryBase = cmp.Or(c.RetryBase, DefaultRetryBase)
	c.RetryMax = cmp.Or(c.RetryMax, DefaultRetryMax)
	c.ReconcileGrace = cmp.Or(c.ReconcileGrace, DefaultReconcileGrace)
	c.RateLimitPause = cmp.Or(c.RateLimitPause, DefaultRateLimitPause)
	c.AuthPause = cmp.Or(c.AuthPause, DefaultAuthPause)
	c.MaxBatch = cmp.Or(c.MaxBatch, DefaultMaxBatch)
	c.MaxClockSkew = cmp.Or(c.MaxClockSkew, DefaultMaxClockSkew)
	c.MaxCallAge = cmp.Or(c.MaxCallAge, DefaultMaxCallAge)
	c.RecoveryWindow = cmp.Or(c.RecoveryWindow, DefaultRecoveryWindow)
	c.FieldsCacheTTL = cmp.Or(c.FieldsCacheTTL, DefaultFieldsCacheTTL)
	c.RecoverySLA = cmp.Or(c.RecoverySLA, DefaultRecoverySLA)
	c.RecoveryCheckInterval = cmp.Or(c.RecoveryCheckInterval, DefaultRecoveryCheckInterval)
	c.RecoveryLookback = cmp.Or(c.RecoveryLookback, DefaultRecoveryLookback)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, &Error{Code: CodeInvalid, Op: "leadcall: config", Field: field, Message: msg})
	}
	if c.Store == nil {
		bad("Store", "required")
	}
	if c.CRMs == nil {
		bad("CRMs", "required (use SingleCRM for one CRM)")
	}
	positive := []struct {
		name string
		v    time.Duration
	}{
		{"Lease", c.Lease}, {"CRMTimeout", c.CRMTimeout}, {"PollInterval", c.PollInterval},
		{"RetryBase", c.RetryBase}, {"RetryMax", c.RetryMax}, {"ReconcileGrace", c.ReconcileGrace},
		{"RateLimitPause", c.RateLimitPause}, {"AuthPause", c.AuthPause},
		{"MaxClockSkew", c.MaxClockSkew}, {"MaxCallAge", c.MaxCallAge},
		{"RecoveryWindow", c.RecoveryWindow}, {"FieldsCacheTTL", c.FieldsCacheTTL},
		{"RecoverySLA", c.RecoverySLA}, {"RecoveryCheckInterval", c.RecoveryCheckInterval},
		{"RecoveryLookback", c.RecoveryLookback},
	}
	for _, p := range positive {
		if p.v < 0 {
			bad(p.name, "must not be negative")
		}
	}
	if c.Workers < 0 || c.Workers > 1024 {
		bad("Workers", fmt.Sprintf("must be between 1 and 1024, got %d", c.Workers))
	}
	if c.MaxAttempts < 0 {
		bad("MaxAttempts", "must not be negative")
	}
	if c.MaxBatch < 0 || c.MaxBatch > 10000 {
		bad("MaxBatch", fmt.Sprintf("must be between 1 and 10000, got %d", c.MaxBatch))
	}
	if c.RecoveryWindow > recovery.MaxWindow {
		bad("RecoveryWindow", fmt.Sprintf("must be at most %s", recovery.MaxWindow))
	}
	if c.RecoverySLA > c.RecoveryWindow {
		bad("RecoverySLA", "must not exceed RecoveryWindow")
	}
	if c.RetryMax < c.RetryBase {
		bad("RetryMax", "must not be below RetryBase")
	}
	if c.Lease < 3*c.CRMTimeout {
		bad("Lease", fmt.Sprintf("must be at least 3 × CRMTimeout (%s), so a job's requests end before its lease", 3*c.CRMTimeout))
	}
	return errors.Join(errs...)
}
