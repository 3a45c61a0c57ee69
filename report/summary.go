package report

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/phone"
	"github.com/leadcall/leadcall/recovery"
)

// Summary computes the report q asks for. The error is a *QueryError for a bad query, and
// wraps the store's error (a *leadcall.Error) when a read fails, e.g. CodeNotFound for an
// unknown org.
func (r *Reporter) Summary(ctx context.Context, q Query) (*Summary, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	org, err := r.st.Org(ctx, q.OrgID)
	if err != nil {
		return nil, fmt.Errorf("report: org: %w", err)
	}
	window := q.RepeatWindow
	switch window {
	case 0:
		window = time.Duration(org.Settings.Rules.RepeatWindowMinutes) * time.Minute
	case EveryCall:
		window = 0
	}
	matcher, err := recovery.New(recovery.Config{
		ConnectedMinSeconds: org.Settings.Rules.ConnectedMinSeconds,
		Window:              r.cfg.RecoveryWindow,
		SLA:                 min(recovery.DefaultSLA, r.cfg.RecoveryWindow), // unused: reports have no SLA
	})
	if err != nil {
		return nil, fmt.Errorf("report: recovery rules of org %s: %w", q.OrgID, err)
	}
	b := newBuilder(q, org.Settings.Location(), window, r.cfg.Logger)
	if b.reviewed, err = r.reviewedCalls(ctx, q.OrgID, q.From.Add(-reviewMargin)); err != nil {
		return nil, err
	}

	// The range itself: every metric but recovery, and the calls recovery may need.
	err = r.scan(ctx, leadcall.CallFilter{OrgID: q.OrgID, From: q.From, To: q.To}, func(c *leadcall.Call) bool {
		b.add(c)
		return false
	})
	if err != nil {
		return nil, err
	}
	b.finishCallers()
	if err := r.findEarlierCalls(ctx, b); err != nil {
		return nil, err
	}
	b.keepRecoveryCallsOfMissedCallers()
	// Misses before the range that a miss in it joins, and callbacks after the range.
	for _, span := range [][2]time.Time{{q.From.Add(-r.cfg.RecoveryWindow), q.From}, {q.To, q.To.Add(r.cfg.RecoveryWindow)}} {
		if len(b.missedCallers) == 0 {
			break // no case can start in the range
		}
		err := r.scan(ctx, leadcall.CallFilter{OrgID: q.OrgID, From: span[0], To: span[1]}, func(c *leadcall.Call) bool {
			if _, ok := b.missedCallers[c.NumberE164]; ok {
				if rc, ok := b.recoveryCall(c); ok {
					b.recoveryCalls = append(b.recoveryCalls, rc)
				}
			}
			return false
		})
		if err != nil {
			return nil, err
		}
	}
	cases, err := matcher.Build(b.recoveryCalls, r.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("report: recovery cases: %w", err)
	}
	b.recoveryCalls = nil
	for i := range cases {
		if g := b.missRow[cases[i].Key()]; g != nil {
			g.cases = append(g.cases, cases[i])
			b.totals.cases = append(b.totals.cases, cases[i])
		}
	}

	out := &Summary{GroupBy: b.groupBy, From: q.From, To: q.To, TimeZone: b.loc.String(),
		RepeatWindow: window, Totals: b.totals.metrics()}
	labels, err := r.labeler(ctx, q.OrgID, b.loc)
	if err != nil {
		return nil, err
	}
	for _, g := range b.rows {
		m := g.metrics()
		if m == (Metrics{}) {
			continue // e.g. a phone that only called back
		}
		label, err := labels.label(ctx, b.groupBy, g.key)
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, Row{Key: g.key, Label: label, Metrics: m})
	}
	sortRows(out.Rows, b.groupBy)
	return out, nil
}

// scan pages through the calls matching f, newest first, until fn returns true.
func (r *Reporter) scan(ctx context.Context, f leadcall.CallFilter, fn func(*leadcall.Call) (stop bool)) error {
	f.Limit = r.cfg.PageSize
	err := leadcall.EachCall(ctx, r.st, f, func(c *leadcall.Call) (bool, error) { return !fn(c), nil }, nil)
	if err != nil {
		return fmt.Errorf("report: calls: %w", err)
	}
	return nil
}

// reviewedCalls returns the IDs of the calls with a review item created at or after since.
func (r *Reporter) reviewedCalls(ctx context.Context, orgID string, since time.Time) (map[int64]struct{}, error) {
	out := make(map[int64]struct{})
	f := leadcall.ReviewFilter{OrgID: orgID, Limit: r.cfg.PageSize}
	for {
		page, err := r.st.ListReview(ctx, &f)
		if err != nil {
			return nil, fmt.Errorf("report: review items: %w", err)
		}
		for i := range page.Items {
			it := &page.Items[i]
			if it.CreatedAt.Before(since) {
				return out, nil // newest first: the rest are older still
			}
			out[it.CallID] = struct{}{}
		}
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

// findEarlierCalls marks the callers of the range who called within the lookback before it.
func (r *Reporter) findEarlierCalls(ctx context.Context, b *builder) error {
	unresolved := len(b.first)
	if unresolved == 0 {
		return nil
	}
	since := b.q.From.Add(-r.cfg.FirstTimeLookback)
	if unresolved <= r.cfg.FirstTimeLookups {
		// Few callers: their own histories are cheaper to read than the org's.
		for number, fc := range b.first {
			calls, err := r.st.CallsByNumber(ctx, b.q.OrgID, number, since)
			if err != nil {
				return fmt.Errorf("report: calls of %s: %w", phone.Mask(number), err)
			}
			for i := range calls { // oldest first
				c := &calls[i]
				if !c.StartedAt.Before(b.q.From) {
					break
				}
				if countedInbound(c) {
					fc.before = true
					break
				}
			}
		}
		b.countFirstTime()
		return nil
	}
	f := leadcall.CallFilter{
		OrgID: b.q.OrgID, From: since, To: b.q.From,
		Types:       []leadcall.CallType{leadcall.CallInbound, leadcall.CallMissed},
		Disposition: []leadcall.Disposition{leadcall.DispositionSync, leadcall.DispositionLocal},
	}
	err := r.scan(ctx, f, func(c *leadcall.Call) bool {
		if fc := b.first[c.NumberE164]; fc != nil && !fc.before {
			fc.before = true
			unresolved--
		}
		return unresolved == 0
	})
	if err != nil {
		return err
	}
	b.countFirstTime()
	return nil
}

// countFirstTime credits each caller who had not called before the range to the row of
// their first call in it.
func (b *builder) countFirstTime() {
	for _, fc := range b.first {
		if !fc.before {
			fc.row.firstTime++
			b.totals.firstTime++
		}
	}
	b.first = nil
}

// countedInbound reports whether c counts as a call in reports: inbound or missed, and not
// ignored.
func countedInbound(c *leadcall.Call) bool {
	return (c.Type == leadcall.CallInbound || c.Type == leadcall.CallMissed) && c.Disposition != leadcall.DispositionIgnored
}

// agg accumulates one row (or the totals).
type agg struct {
	key                                           string
	calls, answered, missed, ignored              int
	withNumber, firstTime, callers                int
	newLeads, contactLinks, reviewItems, failures int
	cases                                         []recovery.Case
}

func (g *agg) metrics() Metrics {
	m := Metrics{
		Calls: g.calls, Answered: g.answered, Missed: g.missed, Ignored: g.ignored,
		FirstTime: g.firstTime, Repeat: g.withNumber - g.firstTime, Callers: g.callers,
		NewLeads: g.newLeads, ContactLinks: g.contactLinks, ReviewItems: g.reviewItems, Failures: g.failures,
	}
	if g.calls > 0 {
		m.MissedRate = float64(g.missed) / float64(g.calls)
	}
	s := recovery.Summarize(g.cases)
	m.Cases, m.Recovered, m.RecoveryRate = s.Cases, s.Recovered, s.RecoveryRate
	m.HasFirstAttempt, m.MedianTimeToFirstAttempt = s.WithAttempt > 0, s.MedianTimeToFirstAttempt
	m.HasConnect, m.MedianTimeToConnect = s.Connected > 0, s.MedianTimeToConnect
	return m
}

// callerKey is a caller within a row (or the totals).
type callerKey struct {
	row    *agg
	number string
}

// firstCall is the earliest counted call of a caller in the range.
type firstCall struct {
	at     time.Time
	id     int64
	row    *agg
	before bool // the caller called before the range
}

// builder holds the state of one report while the calls stream past.
type builder struct {
	q       Query
	groupBy GroupBy
	loc     *time.Location
	window  time.Duration
	scope   map[string]bool // nil: every device
	log     *slog.Logger

	reviewed map[int64]struct{}
	rows     map[string]*agg
	totals   *agg

	// lastSeen is the oldest call so far of each caller in each row: calls come newest
	// first, so a call decides whether the newer one seen before it starts a new window.
	lastSeen map[callerKey]time.Time
	first    map[string]*firstCall

	missRow       map[int64]*agg      // in-range misses on campaign phones → their row
	missedCallers map[string]struct{} // numbers of those misses
	chunks        [][]recovery.Call   // calls of the range that may take part in recovery
	recoveryCalls []recovery.Call     // those of missed callers, and of the windows around
}

func newBuilder(q Query, loc *time.Location, window time.Duration, log *slog.Logger) *builder {
	b := &builder{
		q: q, log: log, groupBy: cmp.Or(q.GroupBy, DefaultGroupBy), loc: loc, window: window,
		rows: make(map[string]*agg), totals: &agg{},
		lastSeen: make(map[callerKey]time.Time), first: make(map[string]*firstCall),
		missRow: make(map[int64]*agg), missedCallers: make(map[string]struct{}),
	}
	if len(q.DeviceIDs) > 0 {
		b.scope = make(map[string]bool, len(q.DeviceIDs))
		for _, id := range q.DeviceIDs {
			b.scope[id] = true
		}
	}
	return b
}

func (b *builder) key(c *leadcall.Call) string {
	switch b.groupBy {
	case GroupCampaign:
		if c.AssignmentID == 0 {
			return ""
		}
		return strconv.FormatInt(c.AssignmentID, 10)
	case GroupLeadSource:
		return c.LeadSource
	case GroupDevice:
		return c.DeviceID
	case GroupRep:
		return c.RepID
	default:
		return c.StartedAt.In(b.loc).Format(time.DateOnly)
	}
}

// add takes one call of the range.
func (b *builder) add(c *leadcall.Call) {
	b.addRecoveryCall(c)
	if b.scope != nil && !b.scope[c.DeviceID] {
		return // its callbacks still count above, for cases of devices in scope
	}
	k := b.key(c)
	row := b.rows[k]
	if row == nil {
		row = &agg{key: k}
		b.rows[k] = row
	}
	inbound := c.Type == leadcall.CallInbound || c.Type == leadcall.CallMissed
	counted := countedInbound(c)
	for _, g := range []*agg{row, b.totals} {
		if _, ok := b.reviewed[c.ID]; ok {
			g.reviewItems++
		}
		switch {
		case c.SyncStatus == leadcall.SyncFailed:
			g.failures++
		case c.Outcome == leadcall.OutcomeCreatedLead:
			g.newLeads++
		case c.Outcome == leadcall.OutcomeLinkedContact:
			g.contactLinks++
		}
		switch {
		case inbound && !counted:
			g.ignored++
		case counted:
			g.calls++
			if c.Type == leadcall.CallInbound {
				g.answered++
			} else {
				g.missed++
			}
			if c.NumberE164 != "" {
				g.withNumber++
				b.seeCaller(callerKey{g, c.NumberE164}, c.StartedAt)
			}
		}
	}
	if !counted || c.NumberE164 == "" {
		return
	}
	if fc := b.first[c.NumberE164]; fc == nil {
		b.first[c.NumberE164] = &firstCall{at: c.StartedAt, id: c.ID, row: row}
	} else if c.StartedAt.Before(fc.at) || c.StartedAt.Equal(fc.at) && c.ID < fc.id {
		fc.at, fc.id, fc.row = c.StartedAt, c.ID, row
	}
	if c.Type == leadcall.CallMissed && c.DeviceKind == device.KindCampaign && c.Reason != leadcall.ReasonDeviceInactive {
		b.missRow[c.ID] = row
		b.missedCallers[c.NumberE164] = struct{}{}
	}
}

// seeCaller counts the newer call of a caller when at, an older one, is at least a window
// before it.
func (b *builder) seeCaller(k callerKey, at time.Time) {
	newer, ok := b.lastSeen[k]
	if !ok {
		b.lastSeen[k] = at
		return
	}
	if newer.Sub(at) >= b.window {
		k.row.callers++
	}
	if at.Before(newer) {
		b.lastSeen[k] = at
	}
}

// finishCallers counts each caller's oldest call of each row, which nothing before it
// could absorb.
func (b *builder) finishCallers() {
	for k := range b.lastSeen {
		k.row.callers++
	}
	b.lastSeen = nil
}

// addRecoveryCall keeps a call of the range that may take part in recovery.
func (b *builder) addRecoveryCall(c *leadcall.Call) {
	rc, ok := b.recoveryCall(c)
	if !ok {
		return
	}
	if n := len(b.chunks); n == 0 || len(b.chunks[n-1]) == cap(b.chunks[n-1]) {
		b.chunks = append(b.chunks, make([]recovery.Call, 0, chunkLen))
	}
	last := &b.chunks[len(b.chunks)-1]
	*last = append(*last, rc)
}

// chunkLen is the size of the blocks the calls for recovery are kept in while the range
// streams past: growing one slice would copy it over and over.
const chunkLen = 4096

// recoveryCall maps a call that may take part in recovery.
func (b *builder) recoveryCall(c *leadcall.Call) (recovery.Call, bool) {
	rc := leadcall.RecoveryCall(c)
	if !rc.Counts() || rc.NumberE164 == "" || rc.Type == recovery.CallMissed && rc.DeviceKind != recovery.DeviceCampaign {
		return rc, false
	}
	if err := rc.Validate(); err != nil {
		// A malformed stored call must not sink the report: it counts for nothing in recovery.
		b.log.Warn("report: call left out of recovery", "org", b.q.OrgID, "call_id", c.ID,
			"number", phone.Mask(c.NumberE164), "err", err)
		return rc, false
	}
	return rc, true
}

// keepRecoveryCallsOfMissedCallers drops the kept calls of callers without a miss in the
// range: they cannot belong to a reported case.
func (b *builder) keepRecoveryCallsOfMissedCallers() {
	n := 0
	for _, chunk := range b.chunks {
		for i := range chunk {
			if _, ok := b.missedCallers[chunk[i].NumberE164]; ok {
				n++
			}
		}
	}
	b.recoveryCalls = make([]recovery.Call, 0, n)
	for _, chunk := range b.chunks {
		for i := range chunk {
			if _, ok := b.missedCallers[chunk[i].NumberE164]; ok {
				b.recoveryCalls = append(b.recoveryCalls, chunk[i])
			}
		}
	}
	b.chunks = nil
}

// labeler names rows.
type labeler struct {
	st      leadcall.Store
	orgID   string
	loc     *time.Location
	devices map[string]string // ID → nickname
	reps    map[string]string // ID → name
}

func (r *Reporter) labeler(ctx context.Context, orgID string, loc *time.Location) (*labeler, error) {
	l := &labeler{st: r.st, orgID: orgID, loc: loc, devices: map[string]string{}, reps: map[string]string{}}
	devices, err := r.st.Devices(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("report: devices: %w", err)
	}
	for _, d := range devices {
		l.devices[d.ID] = d.Nickname
	}
	reps, err := r.st.Reps(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("report: reps: %w", err)
	}
	for _, rp := range reps {
		l.reps[rp.ID] = rp.Name
	}
	return l, nil
}

// Labels of the rows without a group.
const (
	NoCampaignLabel   = "No campaign"
	NoLeadSourceLabel = "No Lead Source"
	NoRepLabel        = "No rep"
)

func (l *labeler) label(ctx context.Context, g GroupBy, key string) (string, error) {
	switch g {
	case GroupCampaign:
		if key == "" {
			return NoCampaignLabel, nil
		}
		id, _ := strconv.ParseInt(key, 10, 64)
		a, err := l.st.Assignment(ctx, l.orgID, id)
		if leadcall.CodeOf(err) == leadcall.CodeNotFound {
			return "Campaign " + key, nil
		}
		if err != nil {
			return "", fmt.Errorf("report: assignment %d: %w", id, err)
		}
		name := a.LeadSource
		if c := campaignOf(a.Metadata); c != "" {
			name += " – " + c
		}
		return fmt.Sprintf("%s (%s, from %s)", name, cmp.Or(l.devices[a.DeviceID], a.DeviceID),
			a.Start.In(l.loc).Format("2006-01-02 15:04")), nil
	case GroupLeadSource:
		return cmp.Or(key, NoLeadSourceLabel), nil
	case GroupDevice:
		return cmp.Or(l.devices[key], key), nil
	case GroupRep:
		if key == "" {
			return NoRepLabel, nil
		}
		return cmp.Or(l.reps[key], key), nil
	default:
		d, err := time.ParseInLocation(time.DateOnly, key, l.loc)
		if err != nil {
			return key, nil
		}
		return d.Format("Mon 2 Jan 2006"), nil
	}
}

// campaignOf returns the value of the metadata key "campaign" in any letter case (the
// first in key order when several spell it differently), "" when there is none.
func campaignOf(md map[string]string) string {
	keys := slices.Sorted(maps.Keys(md))
	for _, k := range keys {
		if strings.EqualFold(k, "campaign") && md[k] != "" {
			return md[k]
		}
	}
	return ""
}

func sortRows(rows []Row, g GroupBy) {
	slices.SortFunc(rows, func(a, b Row) int {
		if g == GroupDay {
			return cmp.Compare(a.Key, b.Key)
		}
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), cmp.Compare(a.Label, b.Label), cmp.Compare(a.Key, b.Key))
	})
}
