package report

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/recovery"
)

// GroupBy chooses a report's rows (see the package doc).
type GroupBy string

// The groupings.
const (
	GroupCampaign   GroupBy = "campaign"
	GroupLeadSource GroupBy = "lead_source"
	GroupDevice     GroupBy = "device"
	GroupRep        GroupBy = "rep"
	GroupDay        GroupBy = "day"
)

// DefaultGroupBy is the grouping of a Query without one.
const DefaultGroupBy = GroupDay

// Valid reports whether g is one of the groupings.
func (g GroupBy) Valid() bool {
	switch g {
	case GroupCampaign, GroupLeadSource, GroupDevice, GroupRep, GroupDay:
		return true
	}
	return false
}

// Defaults and limits.
const (
	// DefaultRepeatWindow is the org setting rules.repeat_window_minutes by default.
	DefaultRepeatWindow = leadcall.DefaultRepeatWindowMinutes * time.Minute
	// MaxRepeatWindow is the largest repeat window, as the org setting allows.
	MaxRepeatWindow = 30 * 24 * time.Hour
	// EveryCall as Query.RepeatWindow counts every call as a caller (a window of zero).
	EveryCall time.Duration = -1

	// MaxRange is the longest [From, To) a query may span.
	MaxRange = 400 * 24 * time.Hour
	// MaxDeviceIDs bounds Query.DeviceIDs.
	MaxDeviceIDs = 500

	// DefaultPageSize is how many calls one ListCalls page holds; MaxPageSize is the most
	// the stores serve.
	DefaultPageSize = 1000
	MaxPageSize     = 1000
	// DefaultFirstTimeLookback is how far before a call the first-time rule looks for an
	// earlier call; MaxFirstTimeLookback bounds it.
	DefaultFirstTimeLookback = 365 * 24 * time.Hour
	MaxFirstTimeLookback     = 10 * 366 * 24 * time.Hour
	// DefaultFirstTimeLookups is how many callers the first-time rule looks up one by one
	// (Store.CallsByNumber); with more, it scans the org's calls before the range once.
	DefaultFirstTimeLookups = 2000

	// reviewMargin is how long before the range the review scan keeps reading: a review
	// item is created when its call is ingested, after the call started, but a phone's
	// clock may run ahead of the server's.
	reviewMargin = 24 * time.Hour
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidQuery is wrapped by every *QueryError.
	ErrInvalidQuery = errors.New("report: invalid query")
	// ErrInvalidConfig is wrapped by the error of New for a Config field out of range.
	ErrInvalidConfig = errors.New("report: invalid config")
)

// QueryError is a query parameter that cannot be used. Param names it as the HTTP query
// does (from, to, group_by, repeat_window, device, org).
type QueryError struct {
	Param   string
	Message string
}

func (e *QueryError) Error() string { return "report: invalid query: " + e.Param + ": " + e.Message }

// Unwrap returns ErrInvalidQuery.
func (e *QueryError) Unwrap() error { return ErrInvalidQuery }

func queryError(param, format string, args ...any) *QueryError {
	return &QueryError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// Query asks for one report.
type Query struct {
	// OrgID is the org. Required.
	OrgID string
	// From and To bound the calls' start times: [From, To). Both required, From before To,
	// at most MaxRange apart.
	From, To time.Time
	// GroupBy chooses the rows. Empty: DefaultGroupBy.
	GroupBy GroupBy
	// RepeatWindow is the repeat-caller window, up to MaxRepeatWindow. Zero: the org's
	// rules.repeat_window_minutes; EveryCall: no window, every call is a caller.
	RepeatWindow time.Duration
	// DeviceIDs, when set, restricts the report to calls on these devices (at most
	// MaxDeviceIDs).
	DeviceIDs []string
}

// Validate checks q; the error is a *QueryError.
func (q *Query) Validate() error {
	switch {
	case q.OrgID == "":
		return queryError("org", "required")
	case q.From.IsZero():
		return queryError("from", "required")
	case q.To.IsZero():
		return queryError("to", "required")
	case q.From.Year() < recovery.MinYear || q.From.Year() > recovery.MaxYear:
		return queryError("from", "the year must be between %d and %d", recovery.MinYear, recovery.MaxYear)
	case q.To.Year() < recovery.MinYear || q.To.Year() > recovery.MaxYear:
		return queryError("to", "the year must be between %d and %d", recovery.MinYear, recovery.MaxYear)
	case !q.From.Before(q.To):
		return queryError("to", "must be after from")
	case q.To.Sub(q.From) > MaxRange:
		return queryError("to", "the range may span at most %d days", MaxRange/(24*time.Hour))
	case q.GroupBy != "" && !q.GroupBy.Valid():
		return queryError("group_by", "want campaign, lead_source, device, rep or day")
	case q.RepeatWindow != EveryCall && (q.RepeatWindow < 0 || q.RepeatWindow > MaxRepeatWindow):
		return queryError("repeat_window", "must be between 0 and %v", MaxRepeatWindow)
	case len(q.DeviceIDs) > MaxDeviceIDs:
		return queryError("device", "at most %d devices", MaxDeviceIDs)
	}
	return nil
}

// Config tunes a Reporter. The zero value is ready to use.
type Config struct {
	// PageSize is the ListCalls page size, 1 to MaxPageSize. Zero: DefaultPageSize.
	PageSize int
	// RecoveryWindow is how long a recovery case waits for a callback after its last miss,
	// as the Engine's Config.RecoveryWindow; up to recovery.MaxWindow. Zero:
	// leadcall.DefaultRecoveryWindow.
	RecoveryWindow time.Duration
	// FirstTimeLookback is how far before a call the first-time rule looks for an earlier
	// call from the same number, up to MaxFirstTimeLookback. Zero: DefaultFirstTimeLookback.
	FirstTimeLookback time.Duration
	// FirstTimeLookups is the most callers of a report whose earlier calls are looked up one
	// by one; a report with more callers scans the lookback once instead. The figures are
	// the same either way. Zero: DefaultFirstTimeLookups; negative: always scan.
	FirstTimeLookups int
	// Now is the instant recovery cases are evaluated at. Nil: time.Now.
	Now func() time.Time
	// Logger receives a warning for a stored call recovery cannot use (it is left out of
	// recovery). Nil: discard. Numbers are masked.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		bad("PageSize must be between 0 (default) and %d, got %d", MaxPageSize, c.PageSize)
	}
	if c.RecoveryWindow < 0 || c.RecoveryWindow > recovery.MaxWindow {
		bad("RecoveryWindow must be between 0 (default) and %v, got %v", recovery.MaxWindow, c.RecoveryWindow)
	}
	if c.FirstTimeLookback < 0 || c.FirstTimeLookback > MaxFirstTimeLookback {
		bad("FirstTimeLookback must be between 0 (default) and %v, got %v", MaxFirstTimeLookback, c.FirstTimeLookback)
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.RecoveryWindow == 0 {
		c.RecoveryWindow = leadcall.DefaultRecoveryWindow
	}
	if c.FirstTimeLookback == 0 {
		c.FirstTimeLookback = DefaultFirstTimeLookback
	}
	if c.FirstTimeLookups == 0 {
		c.FirstTimeLookups = DefaultFirstTimeLookups
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Reporter computes reports from a store. It is safe for concurrent use.
type Reporter struct {
	st  leadcall.Store
	cfg Config
}

// New returns a Reporter reading st. The error wraps ErrInvalidConfig.
func New(st leadcall.Store, cfg Config) (*Reporter, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: a store is required", ErrInvalidConfig)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Reporter{st: st, cfg: cfg}, nil
}

// Summary is a report: one Row per group and the totals.
type Summary struct {
	GroupBy GroupBy
	From    time.Time
	To      time.Time
	// TimeZone is the org's time zone (IANA name), in which days are counted.
	TimeZone string
	// RepeatWindow is the window callers were counted with (0: every call).
	RepeatWindow time.Duration
	Rows         []Row
	Totals       Metrics
}

// Row is one group of a report.
type Row struct {
	// Key identifies the group (see the package doc); Label names it for people.
	Key   string
	Label string
	Metrics
}

// Metrics are the figures of a row or of the totals (see the package doc for definitions).
type Metrics struct {
	Calls, Answered, Missed int
	FirstTime, Repeat       int
	Callers                 int
	// Ignored counts the inbound calls left out of Calls (spam, own numbers, private...).
	Ignored    int
	MissedRate float64

	Cases, Recovered         int
	RecoveryRate             float64
	HasFirstAttempt          bool
	MedianTimeToFirstAttempt time.Duration
	HasConnect               bool
	MedianTimeToConnect      time.Duration

	NewLeads, ContactLinks, ReviewItems, Failures int
}
