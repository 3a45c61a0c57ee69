package leadcall

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadcall/leadcall/phone"
	"github.com/leadcall/leadcall/recovery"
)

// Recovery on top of package recovery.
//
// Cases are computed from the stored calls whenever they are needed (recovery.Build is
// deterministic), so nothing about a case is stored but what leadcall did for it: the SLA
// event raised, the CRM Task completed (RecoveryStore marks). A case is named by its key, the
// ID of its first missed call.
//
// The recovery check (CheckRecovery, run every RecoveryCheckInterval by a started Engine and
// soon after each ingest) does three things:
//   - raises recovery.updated for the cases that calls ingested since the last check opened or
//     changed;
//   - raises recovery.sla_breached once per case (the mark and the event commit in one store
//     transaction, so replicas sharing the store never raise it twice);
//   - with Config.CompleteTasksOnRecovery, completes the Task leadcall created for a recovered
//     case's episode, once, retrying transient CRM errors.

// Limits of RecoveryCases.
const (
	// MaxRecoveryRange is the longest From–To range of RecoveryCases.
	MaxRecoveryRange = 366 * 24 * time.Hour
	// MaxRecoveryCalls is the most calls RecoveryCases reads to build one answer.
	MaxRecoveryCalls = 200000
	// maxTaskClaims is how many times the check tries to complete one case's Task.
	maxTaskClaims = 20
	// maxTouched bounds the callers waiting for a recovery check; past it the oldest wait for
	// the periodic scan instead.
	maxTouched = 100000
)

// RecoveryCase is a recovery case as the API and the events show it.
type RecoveryCase struct {
	Key                 int64           `json:"id"` // the case's first missed call
	NumberE164          string          `json:"number_e164"`
	Status              recovery.Status `json:"status"`
	Misses              int             `json:"miss_count"`
	MissedCallIDs       []int64         `json:"missed_call_ids"`
	FirstMissedAt       time.Time       `json:"first_missed_at"`
	LastMissedAt        time.Time       `json:"last_missed_at"`
	ExpiresAt           time.Time       `json:"expires_at"`
	SLADueAt            time.Time       `json:"sla_due_at"`
	SLABreached         bool            `json:"sla_breached"`
	Attempts            int             `json:"attempts"`
	FirstAttemptAt      *time.Time      `json:"first_attempt_at"`
	ConnectedAt         *time.Time      `json:"connected_at"`
	TimeToFirstAttemptS *float64        `json:"time_to_first_attempt_s"`
	TimeToConnectS      *float64        `json:"time_to_connect_s"`
	RecoveredByCallID   int64           `json:"recovered_by_call_id,omitempty"`
	RecoveredByDeviceID string          `json:"recovered_by_device_id"`
	RecoveredByRepID    string          `json:"recovered_by_rep_id"`
	// DeviceID is the device of the first miss, and RepID its rep then.
	DeviceID     string `json:"device_id"`
	RepID        string `json:"rep_id,omitempty"`
	AssignmentID int64  `json:"assignment_id"`
	LeadSource   string `json:"lead_source"`
	// Campaign is the "campaign" metadata of the first miss's assignment, if it has one.
	Campaign string `json:"campaign"`
	// TaskID is the CRM Task leadcall created for the episode; TaskCompleted says whether the
	// recovery check completed it.
	TaskID        string `json:"task_id,omitempty"`
	TaskCompleted bool   `json:"task_completed"`
}

// RecoveryFilter selects recovery cases. Zero fields do not filter, except as noted.
type RecoveryFilter struct {
	// Statuses keeps cases in these statuses; empty means open and attempted.
	Statuses []recovery.Status
	// From and To select cases by first miss, in [From, To). Zero To is now plus
	// Config.MaxClockSkew (device clocks drift); zero From is To minus the recovery window.
	From, To time.Time
	// DeviceIDs keeps cases whose first miss was on, or that were recovered from, one of these
	// devices.
	DeviceIDs []string
	// RepID keeps cases credited to (first miss) or recovered by this rep's devices.
	RepID string
}

// RecoveryCases returns the org's recovery cases matching f, by first miss, and the summary of
// every case in f's range, devices and rep (all statuses, so the recovery rate means
// something). CodeInvalid for a bad filter or a range holding more than MaxRecoveryCalls calls.
func (e *Engine) RecoveryCases(ctx context.Context, orgID string, f RecoveryFilter) ([]RecoveryCase, recovery.Summary, error) {
	const op = "leadcall: recovery cases"
	if err := e.checkOpen(); err != nil {
		return nil, recovery.Summary{}, err
	}
	now := e.now().UTC()
	if f.To.IsZero() {
		f.To = now.Add(e.cfg.MaxClockSkew) // calls may start a little in the future
	}
	if f.From.IsZero() {
		f.From = f.To.Add(-e.cfg.RecoveryWindow)
	}
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = []recovery.Status{recovery.StatusOpen, recovery.StatusAttempted}
	}
	if err := checkRecoveryFilter(&f, statuses); err != nil {
		return nil, recovery.Summary{}, err
	}
	org, err := e.store.Org(ctx, orgID)
	if err != nil {
		return nil, recovery.Summary{}, fmt.Errorf("%s: %w", op, err)
	}
	m, err := e.matcher(org)
	if err != nil {
		return nil, recovery.Summary{}, err
	}
	// Calls before From matter when a case began earlier and goes on into the range.
	calls, err := e.orgCalls(ctx, orgID, f.From.Add(-2*e.cfg.RecoveryWindow))
	if err != nil {
		return nil, recovery.Summary{}, fmt.Errorf("%s: %w", op, err)
	}
	cases, byID, err := buildCases(m, calls, now)
	if err != nil {
		return nil, recovery.Summary{}, err
	}
	devices := make(map[string]bool, len(f.DeviceIDs))
	for _, d := range f.DeviceIDs {
		devices[d] = true
	}
	var kept []recovery.Case
	for _, c := range cases {
		if c.FirstMissedAt.Before(f.From) || !c.FirstMissedAt.Before(f.To) {
			continue
		}
		first := byID[c.Key()]
		if len(devices) > 0 && !devices[first.DeviceID] && !devices[c.RecoveredByDeviceID] {
			continue
		}
		if f.RepID != "" && first.RepID != f.RepID && c.RecoveredByRepID != f.RepID {
			continue
		}
		kept = append(kept, c)
	}
	summary := recovery.Summarize(kept)
	views, _, err := e.caseViews(ctx, m, orgID, kept, byID, nil)
	if err != nil {
		return nil, recovery.Summary{}, fmt.Errorf("%s: %w", op, err)
	}
	out := make([]RecoveryCase, 0, len(views))
	for _, v := range views {
		if slices.Contains(statuses, v.Status) {
			out = append(out, v)
		}
	}
	return out, summary, nil
}

func checkRecoveryFilter(f *RecoveryFilter, statuses []recovery.Status) error {
	const op = "leadcall: recovery cases"
	bad := func(field, format string, args ...any) error {
		return &Error{Code: CodeInvalid, Op: op, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	for _, s := range statuses {
		if !s.Valid() {
			return bad("status", "unknown status %q (open, attempted, recovered, expired)", truncate(string(s), 32))
		}
	}
	switch {
	case !f.From.Before(f.To):
		return bad("from", "must be before to")
	case f.To.Sub(f.From) > MaxRecoveryRange:
		return bad("from", "the range is longer than %d days", int(MaxRecoveryRange.Hours()/24))
	case f.From.Year() < recovery.MinYear || f.To.Year() > recovery.MaxYear:
		return bad("from", "times must lie between years %d and %d", recovery.MinYear, recovery.MaxYear)
	case len(f.DeviceIDs) > 100:
		return bad("device_id", "at most 100 devices")
	}
	for _, d := range f.DeviceIDs {
		if err := checkID("device_id", d); err != nil {
			return err
		}
	}
	if f.RepID != "" {
		return checkID("rep_id", f.RepID)
	}
	return nil
}

// matcher returns the recovery rules of an org.
func (e *Engine) matcher(org *Org) (*recovery.Matcher, error) {
	m, err := recovery.New(recovery.Config{
		ConnectedMinSeconds: org.Settings.Rules.ConnectedMinSeconds,
		Window:              e.cfg.RecoveryWindow,
		SLA:                 e.cfg.RecoverySLA,
	})
	if err != nil {
		return nil, NewError(CodeInternal, "leadcall: recovery config", err)
	}
	return m, nil
}

// orgCalls reads every call of the org started at or after since, page by page.
func (e *Engine) orgCalls(ctx context.Context, orgID string, since time.Time) ([]Call, error) {
	var out []Call
	err := EachCall(ctx, e.store, CallFilter{OrgID: orgID, From: since}, func(c *Call) (bool, error) {
		if len(out) == MaxRecoveryCalls {
			return false, Errorf(CodeInvalid, "leadcall: recovery cases",
				"more than %d calls in the range; narrow it", MaxRecoveryCalls)
		}
		out = append(out, *c)
		return true, nil
	}, nil)
	return out, err
}

// buildCases computes the cases of calls as of now; byID indexes the calls.
func buildCases(m *recovery.Matcher, calls []Call, now time.Time) ([]recovery.Case, map[int64]*Call, error) {
	in := make([]recovery.Call, 0, len(calls))
	byID := make(map[int64]*Call, len(calls))
	for i := range calls {
		c := &calls[i]
		if _, dup := byID[c.ID]; dup || c.NumberE164 == "" {
			continue
		}
		rc := RecoveryCall(c)
		if rc.Validate() != nil {
			continue // a stored call recovery cannot read must not hide every other case
		}
		byID[c.ID] = c
		in = append(in, rc)
	}
	cases, err := m.Build(in, now)
	if err != nil {
		return nil, nil, NewError(CodeInternal, "leadcall: recovery cases", err)
	}
	return cases, byID, nil
}

// caseViews renders cases with their marks, first-miss device and campaign.
// It also returns the cases' marks: from known when it is not nil (the marks of at least these
// cases, read beforehand), else read from the store.
func (e *Engine) caseViews(ctx context.Context, m *recovery.Matcher, orgID string, cases []recovery.Case, byID map[int64]*Call,
	known map[int64][]RecoveryMark) ([]RecoveryCase, []RecoveryMark, error) {
	marks := map[int64][]RecoveryMarkKind{}
	var all []RecoveryMark
	add := func(ms []RecoveryMark) {
		all = append(all, ms...)
		for _, mk := range ms {
			marks[mk.CaseKey] = append(marks[mk.CaseKey], mk.Kind)
		}
	}
	if known != nil {
		for _, k := range caseKeys(cases) {
			add(known[k])
		}
	} else {
		for chunk := range slices.Chunk(caseKeys(cases), MaxRecoveryMarkKeys) {
			ms, err := e.store.RecoveryMarks(ctx, orgID, chunk)
			if err != nil {
				return nil, nil, err
			}
			add(ms)
		}
	}
	now := e.now()
	out := make([]RecoveryCase, len(cases))
	for i := range cases {
		c := &cases[i]
		c.SLABreached = slices.Contains(marks[c.Key()], MarkSLABreached)
		v := caseView(m, c, byID)
		v.TaskCompleted = slices.Contains(marks[c.Key()], MarkTaskCompleted)
		if v.AssignmentID != 0 {
			// A check looks at many callers of the same few campaigns: share the reads.
			name, err := e.campaigns.get(orgID+"\x00"+strconv.FormatInt(v.AssignmentID, 10), now, func() (string, error) {
				a, err := e.store.Assignment(ctx, orgID, v.AssignmentID)
				if isCode(err, CodeNotFound) {
					return "", nil
				}
				if err != nil {
					return "", err
				}
				return campaignOf(a.Metadata), nil
			})
			if err != nil {
				return nil, nil, err
			}
			v.Campaign = name
		}
		out[i] = v
	}
	return out, all, nil
}

func caseKeys(cases []recovery.Case) []int64 {
	keys := make([]int64, len(cases))
	for i := range cases {
		keys[i] = cases[i].Key()
	}
	return keys
}

// campaignOf returns the campaign named in assignment metadata (key "campaign", any case).
func campaignOf(md map[string]string) string {
	for _, k := range slices.Sorted(maps.Keys(md)) {
		if strings.EqualFold(k, "campaign") || strings.EqualFold(k, "campaign_name") {
			return md[k]
		}
	}
	return ""
}

// caseView renders one case (without its campaign and task mark).
func caseView(m *recovery.Matcher, c *recovery.Case, byID map[int64]*Call) RecoveryCase {
	v := RecoveryCase{
		Key: c.Key(), NumberE164: c.NumberE164, Status: c.Status, Misses: c.MissCount,
		MissedCallIDs: slices.Clone(c.MissedCallIDs), FirstMissedAt: c.FirstMissedAt,
		LastMissedAt: c.LastMissedAt, ExpiresAt: c.ExpiresAt, SLADueAt: m.SLADeadline(c),
		SLABreached: c.SLABreached, Attempts: c.Attempts, RecoveredByCallID: c.RecoveredByCallID,
		RecoveredByDeviceID: c.RecoveredByDeviceID, RecoveredByRepID: c.RecoveredByRepID,
		AssignmentID: c.AssignmentID, LeadSource: c.LeadSource,
	}
	if d, ok := c.TimeToFirstAttempt(); ok {
		t, s := c.FirstAttemptAt, d.Seconds()
		v.FirstAttemptAt, v.TimeToFirstAttemptS = &t, &s
	}
	if d, ok := c.TimeToConnect(); ok {
		t, s := c.ConnectedAt, d.Seconds()
		v.ConnectedAt, v.TimeToConnectS = &t, &s
	}
	if first := byID[c.Key()]; first != nil {
		v.DeviceID, v.RepID = first.DeviceID, first.RepID
	}
	v.TaskID, _ = episodeTask(c, byID)
	return v
}

// episodeTask returns the Task leadcall created for the case's episode (the first missed
// call of the case that got one), and whether some missed call of the case is still waiting
// for its sync (its Task may yet come).
func episodeTask(c *recovery.Case, byID map[int64]*Call) (taskID string, waiting bool) {
	for _, id := range c.MissedCallIDs {
		call := byID[id]
		if call == nil {
			continue
		}
		if call.CRM.TaskID != "" && taskID == "" {
			taskID = call.CRM.TaskID
		}
		if call.SyncStatus == SyncPending {
			waiting = true
		}
	}
	return taskID, waiting
}

// recoveryState is the Engine's memory between recovery checks. Nothing in it is needed for
// correctness after a restart: it only saves work.
type recoveryState struct {
	mu sync.Mutex
	// touched holds callers with calls ingested since the last check, with the earliest start.
	touched map[callerKey]time.Time
	// settled holds missed calls whose case needs nothing more from the check (SLA decided,
	// no Task to complete), with their start, so the periodic scan skips them.
	settled map[int64]time.Time
}

type callerKey struct{ org, number string }

// touchRecovery notes calls just ingested, for the next recovery check, and wakes it.
func (e *Engine) touchRecovery(orgID string, calls []NewCall, inserted []bool) {
	e.rec.mu.Lock()
	n := 0
	for i, nc := range calls {
		c := nc.Call
		if !inserted[i] || c.NumberE164 == "" || c.Disposition == DispositionIgnored {
			continue
		}
		if e.rec.touched == nil {
			e.rec.touched = make(map[callerKey]time.Time)
		}
		if len(e.rec.touched) >= maxTouched {
			break // the periodic scan finds the rest
		}
		k := callerKey{orgID, c.NumberE164}
		if t, ok := e.rec.touched[k]; !ok || c.StartedAt.Before(t) {
			e.rec.touched[k] = c.StartedAt
		}
		n++
	}
	e.rec.mu.Unlock()
	if n > 0 {
		select {
		case e.recWake <- struct{}{}:
		default:
		}
	}
}

// recoveryLoop runs CheckRecovery every RecoveryCheckInterval and after ingests, until ctx
// is done.
func (e *Engine) recoveryLoop(ctx context.Context) {
	ticker := time.NewTicker(e.cfg.RecoveryCheckInterval)
	defer ticker.Stop()
	for {
		if err := e.CheckRecovery(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("leadcall: recovery check", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-e.recWake:
		}
	}
}

// CheckRecovery runs the recovery check once (see the comment at the top of recovery.go): a
// started Engine runs it by itself; embedders without Start, and tests, may call it. Errors
// of single callers are logged and retried by the next check; the error returned is for the
// check as a whole.
func (e *Engine) CheckRecovery(ctx context.Context) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	e.recMu.Lock() // one check at a time per Engine
	defer e.recMu.Unlock()
	now := e.now().UTC()

	e.rec.mu.Lock()
	touched := e.rec.touched
	e.rec.touched = nil
	e.rec.mu.Unlock()
	round := &checkRound{}
	e.checkCallers(ctx, slices.Collect(maps.Keys(touched)), now, func(k callerKey) time.Time { return touched[k] }, round)
	if err := ctx.Err(); err != nil {
		return err
	}

	// The periodic scan: callers with recent misses whose cases may still need something.
	from := now.Add(-e.cfg.RecoveryLookback)
	q := &MissQuery{From: from, To: now.Add(e.cfg.MaxClockSkew), Limit: 1000}
	due := map[callerKey]bool{}
	e.rec.mu.Lock()
	settled := maps.Clone(e.rec.settled)
	e.rec.mu.Unlock()
	for {
		misses, err := e.store.RecentMisses(ctx, q)
		if err != nil {
			return err
		}
		for _, ms := range misses {
			if _, ok := settled[ms.CallID]; !ok {
				due[callerKey{ms.OrgID, ms.NumberE164}] = true
			}
		}
		if len(misses) < q.Limit {
			break
		}
		last := misses[len(misses)-1]
		q.AfterStartedAt, q.AfterID = last.StartedAt, last.CallID
	}
	var scan []callerKey
	for k := range due {
		if _, seen := touched[k]; !seen {
			scan = append(scan, k)
		}
	}
	e.checkCallers(ctx, scan, now, func(callerKey) time.Time { return time.Time{} }, round)
	if err := ctx.Err(); err != nil {
		return err
	}
	round.finish(ctx, e)
	e.rec.mu.Lock()
	for id, at := range e.rec.settled {
		if at.Before(from) {
			delete(e.rec.settled, id)
		}
	}
	e.rec.mu.Unlock()
	return nil
}

func compareCallers(a, b callerKey) int {
	return cmp.Or(strings.Compare(a.org, b.org), strings.Compare(a.number, b.number))
}

// recoveryCheckWorkers is how many callers one check looks at concurrently: their reads
// overlap, and their SLA marks share commits (SQLite's group commit).
const recoveryCheckWorkers = 8

// checkRound collects the events of one check.
type checkRound struct {
	mu sync.Mutex
	// updates are recovery.updated events, appended together at the end (one commit for
	// many cases); raised are the stored SLA and Task events, published in ID order.
	updates, raised []Event
}

func (r *checkRound) add(updates, raised []Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, updates...)
	r.raised = append(r.raised, raised...)
}

// finish publishes the raised events and appends the updates.
func (r *checkRound) finish(ctx context.Context, e *Engine) {
	slices.SortFunc(r.raised, func(a, b Event) int { return cmp.Compare(a.ID, b.ID) })
	e.publish(ctx, r.raised)
	slices.SortFunc(r.updates, func(a, b Event) int {
		return cmp.Or(strings.Compare(a.OrgID, b.OrgID), cmp.Compare(a.CallID, b.CallID))
	})
	for chunk := range slices.Chunk(r.updates, 500) {
		e.appendEvents(ctx, chunk...)
	}
}

// checkCallers runs checkCaller for keys on recoveryCheckWorkers goroutines, reading the calls
// of many callers at once; the errors of single callers (or of a read) are logged, and the
// next check retries them.
func (e *Engine) checkCallers(ctx context.Context, keys []callerKey, now time.Time, since func(callerKey) time.Time, round *checkRound) {
	slices.SortFunc(keys, compareCallers)
	type work struct {
		k     callerKey
		calls []Call
		known map[int64][]RecoveryMark
	}
	next := make(chan work)
	var wg sync.WaitGroup
	for range min(recoveryCheckWorkers, len(keys)) {
		wg.Go(func() {
			for w := range next {
				if err := e.checkCaller(ctx, w.k, w.calls, w.known, now, since(w.k), round); err != nil && ctx.Err() == nil {
					e.log.Warn("leadcall: recovery check of a caller", "org_id", w.k.org, "number", phone.Mask(w.k.number), "err", err)
				}
			}
		})
	}
	defer func() {
		close(next)
		wg.Wait()
	}()
	for len(keys) > 0 && ctx.Err() == nil {
		// One read for a run of callers of one org (keys are sorted by org).
		n := 1
		for n < len(keys) && n < recoveryReadBatch && keys[n].org == keys[0].org {
			n++
		}
		batch := keys[:n]
		keys = keys[n:]
		numbers := make([]string, len(batch))
		for i, k := range batch {
			numbers[i] = k.number
		}
		calls, err := e.store.CallsByNumbers(ctx, batch[0].org, numbers, time.Time{})
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("leadcall: recovery check: read calls", "org_id", batch[0].org, "callers", len(batch), "err", err)
			}
			continue
		}
		byNumber := make(map[string][]Call, len(batch))
		var missed []int64 // every case's key is one of its missed calls
		for _, c := range calls {
			byNumber[c.NumberE164] = append(byNumber[c.NumberE164], c)
			if c.Type == CallMissed {
				missed = append(missed, c.ID)
			}
		}
		// The marks of those cases, in the same few reads (shared by the batch's callers).
		known := make(map[int64][]RecoveryMark)
		for chunk := range slices.Chunk(missed, MaxRecoveryMarkKeys) {
			ms, rerr := e.store.RecoveryMarks(ctx, batch[0].org, chunk)
			if rerr != nil {
				err = rerr
				break
			}
			for _, mk := range ms {
				known[mk.CaseKey] = append(known[mk.CaseKey], mk)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("leadcall: recovery check: read marks", "org_id", batch[0].org, "callers", len(batch), "err", err)
			}
			continue
		}
		for _, k := range batch {
			select {
			case next <- work{k, byNumber[k.number], known}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// recoveryReadBatch is how many callers' calls one read of the recovery check fetches.
const recoveryReadBatch = 200

// checkCaller checks one caller's cases (from calls, all the caller's calls): recovery.updated for the cases changed by calls
// started at or after touchedSince (none when zero), the SLA event, the Task completion. Its
// events go to round.
func (e *Engine) checkCaller(ctx context.Context, k callerKey, calls []Call, known map[int64][]RecoveryMark, now time.Time, touchedSince time.Time, round *checkRound) error {
	org, err := e.orgs.get(k.org, now, func() (*Org, error) { return e.store.Org(ctx, k.org) })
	if err != nil {
		return err
	}
	m, err := e.matcher(org)
	if err != nil {
		return err
	}
	cases, byID, err := buildCases(m, calls, now)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return nil
	}
	views, marks, err := e.caseViews(ctx, m, k.org, cases, byID, known)
	if err != nil {
		return err
	}
	var errs []error
	for i := range cases {
		c, v := &cases[i], &views[i]
		if !touchedSince.IsZero() && !c.LastCallAt.Before(touchedSince) {
			data, err := json.Marshal(v)
			if err != nil {
				return err
			}
			round.add([]Event{{OrgID: k.org, Type: EventRecoveryUpdated, At: now, CallID: v.Key, Data: data}}, nil)
		}
		deadline := m.SLADeadline(c)
		if !c.SLABreached && m.SLABreachedBy(c, now) && !deadline.Before(now.Add(-e.cfg.RecoveryLookback)) {
			v.SLABreached = true
			data, err := json.Marshal(v)
			if err != nil {
				return err
			}
			evs, marked, err := e.store.MarkRecovery(ctx, &RecoveryMark{OrgID: k.org, CaseKey: c.Key(), Kind: MarkSLABreached, At: now},
				[]Event{{OrgID: k.org, Type: EventRecoverySLA, At: now, CallID: c.Key(), Data: data}})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if marked {
				round.add(nil, evs)
			}
		}
		pending := false
		if e.cfg.CompleteTasksOnRecovery && c.Status == recovery.StatusRecovered && !v.TaskCompleted {
			taskID, waiting := episodeTask(c, byID)
			switch {
			case taskID != "":
				var err error
				if pending, err = e.completeCaseTask(ctx, org, c, v, byID, marksOf(marks, c.Key()), now); err != nil {
					errs = append(errs, err)
				}
			case waiting:
				pending = true // the Task may still be created
			}
		}
		// A settled case needs nothing more unless new calls change it (ingest touches it
		// again); an unsettled one is looked at by every periodic scan.
		settle := !pending && !now.Before(deadline)
		e.rec.mu.Lock()
		if e.rec.settled == nil {
			e.rec.settled = make(map[int64]time.Time)
		}
		for _, id := range c.MissedCallIDs {
			if call := byID[id]; call != nil && settle {
				e.rec.settled[id] = call.StartedAt
			} else {
				delete(e.rec.settled, id)
			}
		}
		e.rec.mu.Unlock()
	}
	return errors.Join(errs...)
}

func marksOf(marks []RecoveryMark, key int64) []RecoveryMark {
	var out []RecoveryMark
	for _, m := range marks {
		if m.CaseKey == key {
			out = append(out, m)
		}
	}
	return out
}

// completeCaseTask completes the episode's Task in the CRM, once: a numbered claim mark
// (task_claim.N, unique) gives one replica the right to call the CRM; a claim older than the
// claim lease may be taken over by the next number, which is how transient errors are
// retried. pending reports that the Task is still to be completed.
func (e *Engine) completeCaseTask(ctx context.Context, org *Org, c *recovery.Case, v *RecoveryCase,
	byID map[int64]*Call, marks []RecoveryMark, now time.Time) (pending bool, err error) {
	claims, lastClaim := 0, time.Time{}
	for _, mk := range marks {
		if strings.HasPrefix(string(mk.Kind), taskClaimPrefix) {
			claims++
			if mk.At.After(lastClaim) {
				lastClaim = mk.At
			}
		}
	}
	if claims > 0 && now.Before(lastClaim.Add(e.taskClaimLease())) {
		return true, nil // another attempt owns it, or failed too recently
	}
	taskID := v.TaskID
	if claims >= maxTaskClaims {
		return false, e.markTask(ctx, org.ID, v, now, fmt.Sprintf("task %s: gave up after %d attempts", taskID, claims))
	}
	kind := RecoveryMarkKind(fmt.Sprintf("%s%d", taskClaimPrefix, claims+1))
	if _, won, err := e.store.MarkRecovery(ctx, &RecoveryMark{OrgID: org.ID, CaseKey: c.Key(), Kind: kind, At: now}, nil); err != nil || !won {
		return true, err
	}
	crmc, err := e.crms.CRM(ctx, org.ID)
	if err != nil {
		return true, err
	}
	tc, ok := crmc.(TaskCompleter)
	if !ok {
		return false, e.markTask(ctx, org.ID, v, now, fmt.Sprintf("task %s: the CRM cannot complete tasks", taskID))
	}
	note := e.recoveryNote(ctx, org, c, byID)
	cctx, cancel := context.WithTimeout(ctx, e.cfg.CRMTimeout)
	err = tc.CompleteTask(cctx, taskID, note)
	cancel()
	switch {
	case err == nil:
		return false, e.markTask(ctx, org.ID, v, now, truncate(fmt.Sprintf("task %s: %s", taskID, note), MaxRecoveryMarkDetail-4))
	case isCode(err, CodeNotFound), isCode(err, CodeInvalid):
		return false, e.markTask(ctx, org.ID, v, now, truncate(fmt.Sprintf("task %s not completed: %v", taskID, err), MaxRecoveryMarkDetail-4))
	default:
		return true, fmt.Errorf("leadcall: complete task of recovery case %d: %w", c.Key(), err)
	}
}

const taskClaimPrefix = "task_claim."

// taskClaimLease is how long a Task-completion attempt owns its claim: longer than one CRM
// request.
func (e *Engine) taskClaimLease() time.Duration { return 2 * e.cfg.CRMTimeout }

// markTask records that the case's Task is done with, and raises recovery.updated with it.
func (e *Engine) markTask(ctx context.Context, orgID string, v *RecoveryCase, now time.Time, detail string) error {
	v.TaskCompleted = true
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	evs, _, err := e.store.MarkRecovery(ctx, &RecoveryMark{OrgID: orgID, CaseKey: v.Key, Kind: MarkTaskCompleted, At: now, Detail: detail},
		[]Event{{OrgID: orgID, Type: EventRecoveryUpdated, At: now, CallID: v.Key, Data: data}})
	if err != nil {
		return err
	}
	e.publish(ctx, evs)
	return nil
}

// recoveryNote says how and when the caller was reached, for the completed Task.
func (e *Engine) recoveryNote(ctx context.Context, org *Org, c *recovery.Case, byID map[int64]*Call) string {
	delay, _ := c.TimeToConnect()
	who := c.RecoveredByDeviceID
	if d, err := e.store.Device(ctx, org.ID, c.RecoveredByDeviceID); err == nil && d.Nickname != "" {
		who = d.Nickname
	}
	if c.RecoveredByRepID != "" {
		if r, err := e.store.Rep(ctx, org.ID, c.RecoveredByRepID); err == nil && r.Name != "" {
			who += " (" + r.Name + ")"
		}
	}
	how := "Called back"
	if by := byID[c.RecoveredByCallID]; by != nil && by.Type == CallInbound {
		how = "Caller reached on an answered call"
	}
	return fmt.Sprintf("%s after %s by %s. Logged by leadcall.", how, formatDelay(delay), who)
}

// formatDelay renders a delay as 1h02m03s, 12m30s or 45s.
func formatDelay(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm%02ds", s/3600, s%3600/60, s%60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%ds", s)
	}
}
