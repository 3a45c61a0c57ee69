package export

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/phone"
	"github.com/leadcall/leadcall/recovery"
)

// Columns are the header of the CSV, in order (see the package doc).
var Columns = []string{
	"call_id", "device_id", "device_nickname", "device_role", "caller_number", "type",
	"started_at", "duration_s", "disposition", "reason", "lead_source", "campaign_metadata",
	"sync_status", "outcome", "zoho_module", "zoho_record_id", "zoho_call_id", "zoho_task_id",
	"recovery_status",
}

// Defaults and limits of Options.
const (
	// DefaultPageSize is how many calls one ListCalls page holds.
	DefaultPageSize = 500
	// MaxPageSize is the largest page the stores serve.
	MaxPageSize = 1000
	// DefaultRecoveryCacheSize is how many caller numbers' recovery statuses are cached.
	DefaultRecoveryCacheSize = 1024
	// DefaultAssignmentCacheSize is how many assignments' rendered metadata are cached.
	DefaultAssignmentCacheSize = 1024
	// MaxCacheSize bounds both caches.
	MaxCacheSize = 1 << 20
)

// ErrInvalidOptions is wrapped by the error for an Options value out of range.
var ErrInvalidOptions = errors.New("export: invalid options")

// ErrInvalidFilter is wrapped by the error for a filter without an org.
var ErrInvalidFilter = errors.New("export: invalid filter")

// Options tune WriteCalls. The zero value is ready to use.
type Options struct {
	// Location is the time zone of started_at. Nil: the org's settings time zone.
	Location *time.Location
	// PageSize is the ListCalls page size, 1 to MaxPageSize. Zero: DefaultPageSize.
	PageSize int
	// RecoveryWindow is how long a recovery case waits for a callback after its last miss,
	// as the Engine's Config.RecoveryWindow. Zero: leadcall.DefaultRecoveryWindow.
	RecoveryWindow time.Duration
	// RecoveryCacheSize is how many caller numbers' recovery statuses are kept. Zero:
	// DefaultRecoveryCacheSize.
	RecoveryCacheSize int
	// AssignmentCacheSize is how many assignments' metadata are kept. Zero:
	// DefaultAssignmentCacheSize.
	AssignmentCacheSize int
	// Now is the instant recovery cases are evaluated at (an open case past its window is
	// expired). Nil: time.Now.
	Now func() time.Time
	// Logger receives a warning when a caller's recovery status cannot be computed (the
	// column is then left empty). Nil: discard. Numbers are masked.
	Logger *slog.Logger
}

// withDefaults validates o and fills its zero fields.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...))
	}
	if o.PageSize < 0 || o.PageSize > MaxPageSize {
		bad("PageSize must be between 0 (default) and %d, got %d", MaxPageSize, o.PageSize)
	}
	if o.RecoveryWindow < 0 || o.RecoveryWindow > recovery.MaxWindow {
		bad("RecoveryWindow must be between 0 (default) and %v, got %v", recovery.MaxWindow, o.RecoveryWindow)
	}
	if o.RecoveryCacheSize < 0 || o.RecoveryCacheSize > MaxCacheSize {
		bad("RecoveryCacheSize must be between 0 (default) and %d, got %d", MaxCacheSize, o.RecoveryCacheSize)
	}
	if o.AssignmentCacheSize < 0 || o.AssignmentCacheSize > MaxCacheSize {
		bad("AssignmentCacheSize must be between 0 (default) and %d, got %d", MaxCacheSize, o.AssignmentCacheSize)
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	if o.PageSize == 0 {
		o.PageSize = DefaultPageSize
	}
	if o.RecoveryWindow == 0 {
		o.RecoveryWindow = leadcall.DefaultRecoveryWindow
	}
	if o.RecoveryCacheSize == 0 {
		o.RecoveryCacheSize = DefaultRecoveryCacheSize
	}
	if o.AssignmentCacheSize == 0 {
		o.AssignmentCacheSize = DefaultAssignmentCacheSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// WriteCalls writes the calls of f.OrgID that match f as CSV to w: a header row
// ([Columns]), then one row per call, newest first, with CRLF line endings (RFC 4180). The
// filter's From/To, DeviceIDs, RepID, Types, SyncStatus, Outcomes, Disposition and Cursor
// are passed to Store.ListCalls; its Limit is replaced by Options.PageSize.
//
// Output is flushed to w after every page. n is the number of calls whose rows were flushed
// to w. On an error (a store error, ctx done, or w failing) WriteCalls stops and returns it;
// the rows already written stay written, so a caller serving HTTP should treat a non-nil
// error as a truncated file. Errors from the store keep their leadcall.Code (CodeNotFound for
// an unknown org); bad options wrap ErrInvalidOptions, a filter without an org
// ErrInvalidFilter.
func WriteCalls(ctx context.Context, w io.Writer, st leadcall.Store, f leadcall.CallFilter, opts Options) (n int, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return 0, err
	}
	if f.OrgID == "" {
		return 0, fmt.Errorf("%w: org ID is required", ErrInvalidFilter)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	org, err := st.Org(ctx, f.OrgID)
	if err != nil {
		return 0, fmt.Errorf("export: org: %w", err)
	}
	loc := opts.Location
	if loc == nil {
		if loc, err = time.LoadLocation(cmp.Or(org.Settings.TimeZone, leadcall.DefaultTimeZone)); err != nil {
			return 0, fmt.Errorf("export: org time zone: %w", err)
		}
	}
	matcher, err := recovery.New(recovery.Config{
		ConnectedMinSeconds: org.Settings.Rules.ConnectedMinSeconds, Window: opts.RecoveryWindow,
		SLA: min(recovery.DefaultSLA, opts.RecoveryWindow), // unused here; only kept within the window
	})
	if err != nil {
		return 0, fmt.Errorf("export: recovery rules: %w", err)
	}
	devices, err := st.Devices(ctx, f.OrgID)
	if err != nil {
		return 0, fmt.Errorf("export: devices: %w", err)
	}
	x := &exporter{
		st: st, orgID: f.OrgID, loc: loc, matcher: matcher, opts: opts,
		nicknames:   make(map[string]string, len(devices)),
		assignments: newLRU[int64, string](opts.AssignmentCacheSize),
		statuses:    newLRU[string, map[int64]recovery.Status](opts.RecoveryCacheSize),
		record:      make([]string, len(Columns)),
	}
	for _, d := range devices {
		x.nicknames[d.ID] = cell(d.Nickname)
	}
	if !f.From.IsZero() {
		x.recoverySince = f.From.Add(-opts.RecoveryWindow)
	}

	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Columns); err != nil {
		return 0, fmt.Errorf("export: write: %w", err)
	}
	f.Limit = opts.PageSize
	var failed error // the row's or the write's error, as opposed to the store's
	err = leadcall.EachCall(ctx, st, f, func(c *leadcall.Call) (bool, error) {
		rec, err := x.row(ctx, c)
		if err != nil {
			failed = err
			return false, err
		}
		if err := cw.Write(rec); err != nil {
			failed = fmt.Errorf("export: write: %w", err)
			return false, failed
		}
		n++
		return true, nil
	}, func() error {
		cw.Flush() // a page at a time reaches the client
		if err := cw.Error(); err != nil {
			failed = fmt.Errorf("export: write: %w", err)
			return failed
		}
		return nil
	})
	switch {
	case failed != nil:
		return n, failed
	case err == nil || ctx.Err() != nil:
		return n, err
	default:
		return n, fmt.Errorf("export: list calls: %w", err)
	}
}

// exporter holds one export's lookups and caches.
type exporter struct {
	st            leadcall.Store
	orgID         string
	loc           *time.Location
	matcher       *recovery.Matcher
	opts          Options
	recoverySince time.Time // zero: all of a caller's calls

	nicknames   map[string]string // device ID → sanitised nickname
	assignments *lru[int64, string]
	statuses    *lru[string, map[int64]recovery.Status] // caller → missed call ID → status
	record      []string                                // reused for every row
	timeBuf     []byte
}

// row renders one call into x.record, which stays valid until the next call.
func (x *exporter) row(ctx context.Context, c *leadcall.Call) ([]string, error) {
	meta, err := x.metadata(ctx, c.AssignmentID)
	if err != nil {
		return nil, err
	}
	status, err := x.recoveryStatus(ctx, c)
	if err != nil {
		return nil, err
	}
	number := c.NumberE164
	if number == "" {
		number = c.NumberRaw
	}
	who := c.CRM.Who()
	x.timeBuf = c.StartedAt.In(x.loc).AppendFormat(x.timeBuf[:0], time.RFC3339)
	r := x.record
	r[0] = strconv.FormatInt(c.ID, 10)
	r[1] = cell(c.DeviceID)
	r[2] = x.nicknames[c.DeviceID]
	r[3] = cell(string(c.DeviceKind))
	r[4] = cell(number)
	r[5] = cell(string(c.Type))
	r[6] = string(x.timeBuf)
	r[7] = strconv.Itoa(c.DurationS)
	r[8] = cell(string(c.Disposition))
	r[9] = cell(string(c.Reason))
	r[10] = cell(c.LeadSource)
	r[11] = meta
	r[12] = cell(string(c.SyncStatus))
	r[13] = cell(string(c.Outcome))
	r[14] = cell(string(who.Module))
	r[15] = cell(who.ID)
	r[16] = cell(c.CRM.CallID)
	r[17] = cell(c.CRM.TaskID)
	r[18] = string(status)
	return r, nil
}

// metadata returns the rendered campaign metadata of an assignment ("" for none).
func (x *exporter) metadata(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	if s, ok := x.assignments.get(id); ok {
		return s, nil
	}
	a, err := x.st.Assignment(ctx, x.orgID, id)
	var s string
	switch {
	case err == nil:
		s = cell(renderMetadata(a.Metadata))
	case leadcall.CodeOf(err) == leadcall.CodeNotFound:
		// The call keeps its lead source; an assignment that is gone has no metadata to show.
	default:
		return "", fmt.Errorf("export: assignment %d: %w", id, err)
	}
	x.assignments.put(id, s)
	return s, nil
}

// renderMetadata renders metadata as "key=value; key=value", sorted by key, escaping the
// separators so that the cell can be split back unambiguously.
func renderMetadata(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString("; ")
		}
		metaEscaper.WriteString(&b, k)
		b.WriteByte('=')
		metaEscaper.WriteString(&b, m[k])
	}
	return b.String()
}

var metaEscaper = strings.NewReplacer(`\`, `\\`, `;`, `\;`, `=`, `\=`)

// recoveryStatus returns the status of the recovery case a missed call belongs to, or "".
func (x *exporter) recoveryStatus(ctx context.Context, c *leadcall.Call) (recovery.Status, error) {
	// Only a counted miss on a campaign phone opens or joins a case: skip the lookup otherwise.
	rc := leadcall.RecoveryCall(c)
	if rc.Type != recovery.CallMissed || rc.DeviceKind != recovery.DeviceCampaign || !rc.Counts() || rc.NumberE164 == "" {
		return "", nil
	}
	byCall, ok := x.statuses.get(c.NumberE164)
	if !ok {
		var err error
		if byCall, err = x.buildStatuses(ctx, c.NumberE164); err != nil {
			return "", err
		}
		x.statuses.put(c.NumberE164, byCall)
	}
	return byCall[c.ID], nil
}

// buildStatuses computes the recovery cases of one caller and maps each missed call to its
// case's status.
func (x *exporter) buildStatuses(ctx context.Context, e164 string) (map[int64]recovery.Status, error) {
	calls, err := x.st.CallsByNumber(ctx, x.orgID, e164, x.recoverySince)
	if err != nil {
		return nil, fmt.Errorf("export: calls of %s: %w", phone.Mask(e164), err)
	}
	in := make([]recovery.Call, len(calls))
	for i := range calls {
		in[i] = leadcall.RecoveryCall(&calls[i])
	}
	cases, err := x.matcher.Build(in, x.opts.Now())
	if err != nil {
		// A malformed stored call must not sink the whole export: leave the column empty.
		x.opts.Logger.WarnContext(ctx, "export: recovery status unavailable",
			"org", x.orgID, "number", phone.Mask(e164), "err", err)
		return map[int64]recovery.Status{}, nil
	}
	out := make(map[int64]recovery.Status)
	for _, k := range cases {
		for _, id := range k.MissedCallIDs {
			out[id] = k.Status
		}
	}
	return out, nil
}
