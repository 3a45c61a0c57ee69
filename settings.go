package leadcall

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadcall/leadcall/phone"
)

// Limits on settings values.
const (
	maxSettingText     = 100
	maxNumberListLen   = 10000
	maxTaskDueOffset   = 60 * 24 * 365 // a year, in minutes
	maxSecondsSetting  = 24 * 60 * 60
	maxRepeatWindowMin = 60 * 24 * 30
)

// Validate checks s and returns a copy with its region canonicalised and its number lists
// normalised to E.164 (deduplicated, sorted). The error is an *Error with CodeInvalid naming the
// first offending field in JSON terms (e.g. "rules.blocked_numbers[2]").
func (s Settings) Validate() (Settings, error) {
	const op = "leadcall: settings"
	bad := func(field, format string, args ...any) (Settings, error) {
		return Settings{}, &Error{Code: CodeInvalid, Op: op, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	region, err := phone.CanonicalRegion(s.DefaultRegion)
	if err != nil {
		return bad("default_region", "not a known region code (ISO 3166 alpha-2, e.g. IN)")
	}
	s.DefaultRegion = region
	if s.TimeZone == "" || len(s.TimeZone) > 64 {
		return bad("time_zone", "an IANA time zone name is required, e.g. Asia/Kolkata")
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		return bad("time_zone", "unknown IANA time zone")
	}
	for _, f := range []struct{ name, v string }{
		{"lead_placeholder", s.LeadPlaceholder}, {"task_prefix", s.TaskPrefix},
		{"call_result_map.inbound", s.CallResultMap.Inbound}, {"call_result_map.missed", s.CallResultMap.Missed},
	} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > maxSettingText || strings.ContainsFunc(f.v, isControl) {
			return bad(f.name, "must be valid text of at most %d characters without control characters", maxSettingText)
		}
	}
	if strings.TrimSpace(s.LeadPlaceholder) == "" {
		return bad("lead_placeholder", "must not be empty (it becomes the Lead's Last_Name)")
	}
	if strings.TrimSpace(s.TaskPrefix) == "" {
		return bad("task_prefix", "must not be empty")
	}
	if s.TaskDueOffsetMinutes < 0 || s.TaskDueOffsetMinutes > maxTaskDueOffset {
		return bad("task_due_offset_minutes", "must be between 0 and %d", maxTaskDueOffset)
	}
	r := &s.Rules
	if r.MinAnsweredSeconds < 0 || r.MinAnsweredSeconds > maxSecondsSetting {
		return bad("rules.min_answered_seconds", "must be between 0 and %d", maxSecondsSetting)
	}
	if r.ConnectedMinSeconds < 0 || r.ConnectedMinSeconds > maxSecondsSetting {
		return bad("rules.connected_min_seconds", "must be between 0 and %d", maxSecondsSetting)
	}
	if r.RepeatWindowMinutes < 0 || r.RepeatWindowMinutes > maxRepeatWindowMin {
		return bad("rules.repeat_window_minutes", "must be between 0 and %d", maxRepeatWindowMin)
	}
	for _, list := range []struct {
		name string
		v    *[]string
	}{{"rules.blocked_numbers", &r.BlockedNumbers}, {"rules.internal_numbers", &r.InternalNumbers}} {
		if len(*list.v) > maxNumberListLen {
			return bad(list.name, "at most %d numbers", maxNumberListLen)
		}
		out := make([]string, 0, len(*list.v))
		for i, raw := range *list.v {
			n, err := phone.Normalize(raw, region)
			if err != nil {
				return bad(fmt.Sprintf("%s[%d]", list.name, i), "not a valid phone number")
			}
			out = append(out, n.E164)
		}
		slices.Sort(out)
		*list.v = slices.Compact(out)
	}
	return s, nil
}

// Location returns the org's time zone, UTC when it cannot be loaded.
func (s Settings) Location() *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
