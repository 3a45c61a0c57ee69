package leadcall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadcall/leadcall/attribution"
	"github.com/leadcall/leadcall/crm"
)

// Engine is leadcall's pipeline: it ingests calls (normalise, dispose, attribute, store and
// enqueue in one transaction), runs the sync workers that write to each org's CRM exactly once,
// and manages the org's configuration (settings, reps, devices, assignments, review).
//
// An Engine is safe for concurrent use. Create it with New, start the sync workers with Start,
// and stop them with Close. Several Engines (processes) may share one Store: job leases keep
// their work apart.
type Engine struct {
	cfg      Config
	store    Store
	crms     CRMProvider
	notifier Notifier
	log      *slog.Logger
	now      func() time.Time

	attr     *attribution.Index
	attrMu   sync.Mutex
	attrSeen map[string]int64 // org/device key -> AssignmentsVersion loaded into attr
	// leadSources maps assignment IDs to their Lead Source, for the calls attributed to them.
	leadSources map[int64]string

	locations sync.Map        // time zone name -> *time.Location
	orgs      recent[*Org]    // for sync jobs
	devices   recent[*Device] // for sync jobs, keyed by org and device
	campaigns recent[string]  // campaign names of assignments, for recovery cases
	fields    fieldsCache

	wake    chan struct{}
	closed  atomic.Bool
	startMu sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
	// notifyMu keeps Notify calls in event-ID order per org; notified is the last ID handed
	// to the Notifier per org (guarded by notifyMu).
	notifyMu sync.Mutex
	notified map[string]int64

	// Recovery check (recovery.go).
	rec     recoveryState
	recMu   sync.Mutex
	recWake chan struct{}
}

// New returns an Engine for cfg. It validates cfg (an *Error with CodeInvalid naming the
// field) and starts nothing: call Start to run the sync workers.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.WorkerID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		cfg.WorkerID = "engine-" + hex.EncodeToString(b[:])
	}
	return &Engine{
		cfg:         cfg,
		store:       cfg.Store,
		crms:        cfg.CRMs,
		notifier:    cfg.Notifier,
		log:         cfg.Logger,
		now:         cfg.NowFunc,
		attr:        new(attribution.Index),
		attrSeen:    make(map[string]int64),
		leadSources: make(map[int64]string),
		fields:      fieldsCache{ttl: cfg.FieldsCacheTTL, entries: make(map[fieldsKey]fieldsEntry)},
		wake:        make(chan struct{}, 1),
		recWake:     make(chan struct{}, 1),
	}, nil
}

// Start runs the sync workers and the recovery check (CheckRecovery) until Close. Calling it twice is an error.
func (e *Engine) Start() error {
	e.startMu.Lock()
	defer e.startMu.Unlock()
	if e.closed.Load() {
		return ErrClosed
	}
	if e.started {
		return Errorf(CodeInvalid, "leadcall: start", "engine already started")
	}
	e.started = true
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan struct{})
	go func() {
		defer close(e.done)
		var wg sync.WaitGroup
		wg.Go(func() { e.recoveryLoop(ctx) })
		e.dispatch(ctx)
		wg.Wait()
	}()
	return nil
}

// Close stops the sync workers: running jobs are cancelled and their leases released, so
// another Engine (or the next start) picks them up at once. It does not close the Store. Close
// is idempotent; Engine methods return ErrClosed afterwards.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.startMu.Lock()
	defer e.startMu.Unlock()
	if e.started {
		e.cancel()
		<-e.done
	}
	return nil
}

// Wake tells idle workers to look for due jobs now.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// publish hands committed events to the Notifier in event-ID order per org.
//
// Workers commit concurrently and reach publish in any order, so a batch may arrive after a
// later one. Event IDs are assigned in commit order (a Store guarantee), so when a batch starts
// past the next expected ID the events in between are already committed: publish reads them
// from the event log and delivers them first, and skips them when their own batch arrives.
func (e *Engine) publish(ctx context.Context, evs []Event) {
	if e.notifier == nil || len(evs) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	if e.notified == nil {
		e.notified = make(map[string]int64)
	}
	for _, ev := range evs {
		last, seen := e.notified[ev.OrgID]
		if seen && ev.ID <= last {
			continue // delivered from the event log already
		}
		if seen && ev.ID > last+1 {
			last = e.fillGap(ctx, ev.OrgID, last, ev.ID)
		}
		e.notifyOne(ctx, ev)
		e.notified[ev.OrgID] = max(last, ev.ID)
	}
}

// publishGapPage bounds one read of the event log while filling a gap.
const publishGapPage = 500

// fillGap delivers the org's committed events with IDs in (after, before) from the event log
// and returns the last ID delivered. A failed read is logged and leaves the gap: a consumer
// that needs every event reads them back from the log.
func (e *Engine) fillGap(ctx context.Context, orgID string, after, before int64) int64 {
	for after < before-1 {
		page, err := e.store.Events(ctx, orgID, after, publishGapPage)
		if err != nil {
			e.log.Warn("leadcall: read events to keep the Notifier in order", "org", orgID, "after", after, "err", err)
			return after
		}
		progressed := false
		for _, ev := range page {
			if ev.ID >= before {
				return after
			}
			e.notifyOne(ctx, ev)
			after, progressed = ev.ID, true
		}
		if !progressed || len(page) < publishGapPage {
			return after
		}
	}
	return after
}

func (e *Engine) notifyOne(ctx context.Context, ev Event) {
	if err := e.notifier.Notify(ctx, ev); err != nil {
		e.log.Warn("leadcall: notifier failed", "event_id", ev.ID, "type", ev.Type, "err", err)
	}
}

// appendEvents stores events and publishes them.
func (e *Engine) appendEvents(ctx context.Context, evs ...Event) {
	stored, err := e.store.AppendEvents(ctx, evs)
	if err != nil {
		e.log.Warn("leadcall: append events", "err", err)
		return
	}
	e.publish(ctx, stored)
}

func (e *Engine) location(name string) *time.Location {
	if v, ok := e.locations.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	e.locations.Store(name, loc)
	return loc
}

// fieldsCache caches CRM field metadata per org and module.
type fieldsCache struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[fieldsKey]fieldsEntry
}

type fieldsKey struct {
	org    string
	module crm.Module
}

type fieldsEntry struct {
	fields []crm.Field
	at     time.Time
}

// crmFields returns the module's fields when the CRM can describe them (nil, nil otherwise).
func (e *Engine) crmFields(ctx context.Context, orgID string, c CRM, module crm.Module) ([]crm.Field, error) {
	fd, ok := c.(FieldDescriber)
	if !ok {
		return nil, nil
	}
	k := fieldsKey{orgID, module}
	now := e.now()
	e.fields.mu.Lock()
	ent, hit := e.fields.entries[k]
	e.fields.mu.Unlock()
	if hit && now.Sub(ent.at) < e.fields.ttl {
		return ent.fields, nil
	}
	fs, err := fd.Fields(ctx, module)
	if err != nil {
		return nil, err
	}
	e.fields.mu.Lock()
	e.fields.entries[k] = fieldsEntry{fields: fs, at: now}
	e.fields.mu.Unlock()
	return fs, nil
}

// invalidateFields drops cached field metadata of an org (after a picklist change).
func (e *Engine) invalidateFields(orgID string) {
	e.fields.mu.Lock()
	defer e.fields.mu.Unlock()
	for k := range e.fields.entries {
		if k.org == orgID {
			delete(e.fields.entries, k)
		}
	}
}

func (e *Engine) checkOpen() error {
	if e.closed.Load() {
		return ErrClosed
	}
	return nil
}

// isCode reports whether err carries code.
func isCode(err error, code Code) bool {
	var le *Error
	return errors.As(err, &le) && le.Code == code
}
