package report

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultDays is how many days, today included, a query without from covers.
const DefaultDays = 7

// Limits of ParseQuery's input.
const (
	maxParamLen    = 64  // from, to, group_by, repeat_window
	maxDeviceIDLen = 128 // one device ID
)

// ParseQuery reads a report query from URL parameters, as GET /v1/reports/summary takes
// them. now and loc (the org's time zone) resolve dates and defaults; the returned Query has
// no OrgID.
//
//	from           RFC 3339 time, or a date YYYY-MM-DD meaning its midnight in loc.
//	               Default: the DefaultDays days up to to, today included (to's day
//	               excluded when to is a midnight).
//	to             RFC 3339 time (exclusive), or a date YYYY-MM-DD meaning the end of that
//	               day in loc (the date is included). Default: now.
//	group_by       campaign, lead_source, device, rep or day. Default: day.
//	repeat_window  a Go duration ("2h", "90m"); "0" counts every call. Default: the org's
//	               rules.repeat_window_minutes.
//	device         device IDs, comma-separated or repeated: only calls on these devices.
//
// Unknown parameters are ignored, as HTTP APIs usually do. A parameter given twice (other
// than device), a value longer than 64 bytes, or one that does not parse is a *QueryError
// naming the parameter; so is every rule of Query.Validate except OrgID.
func ParseQuery(v url.Values, now time.Time, loc *time.Location) (Query, error) {
	if loc == nil {
		loc = time.UTC
	}
	var q Query
	for _, name := range []string{"from", "to", "group_by", "repeat_window"} {
		vals := v[name]
		if len(vals) > 1 {
			return Query{}, queryError(name, "given %d times; give it once", len(vals))
		}
		if len(vals) == 1 && (len(vals[0]) > maxParamLen || !utf8.ValidString(vals[0])) {
			return Query{}, queryError(name, "at most %d bytes of text", maxParamLen)
		}
	}
	var err error
	if s := v.Get("to"); s != "" {
		if q.To, err = parseBound(s, loc, true); err != nil {
			return Query{}, queryError("to", "%s", err.Error())
		}
	} else {
		q.To = now
	}
	if s := v.Get("from"); s != "" {
		if q.From, err = parseBound(s, loc, false); err != nil {
			return Query{}, queryError("from", "%s", err.Error())
		}
	} else {
		y, m, d := q.To.In(loc).Date()
		days := DefaultDays - 1 // today counts
		if q.To.Equal(time.Date(y, m, d, 0, 0, 0, 0, loc)) {
			days = DefaultDays // to at a midnight: the whole days before it
		}
		q.From = time.Date(y, m, d-days, 0, 0, 0, 0, loc)
	}
	if s := v.Get("group_by"); s != "" {
		q.GroupBy = GroupBy(s)
		if !q.GroupBy.Valid() {
			return Query{}, queryError("group_by", "want campaign, lead_source, device, rep or day")
		}
	}
	if s := v.Get("repeat_window"); s != "" {
		w, err := time.ParseDuration(s)
		if err != nil || w < 0 || w > MaxRepeatWindow {
			return Query{}, queryError("repeat_window", "want a duration from 0 to %s, e.g. 2h or 90m", "720h")
		}
		q.RepeatWindow = w
		if w == 0 {
			q.RepeatWindow = EveryCall
		}
	}
	for _, val := range v["device"] {
		for id := range strings.SplitSeq(val, ",") {
			if id = strings.TrimSpace(id); id == "" {
				continue
			}
			if len(id) > maxDeviceIDLen || !utf8.ValidString(id) {
				return Query{}, queryError("device", "a device ID is at most %d bytes of text", maxDeviceIDLen)
			}
			if len(q.DeviceIDs) == MaxDeviceIDs {
				return Query{}, queryError("device", "at most %d devices", MaxDeviceIDs)
			}
			q.DeviceIDs = append(q.DeviceIDs, id)
		}
	}
	q.OrgID = "-" // checked by the caller; lets Validate check the rest
	err = q.Validate()
	q.OrgID = ""
	if err != nil {
		return Query{}, err
	}
	return q, nil
}

type boundError string

func (e boundError) Error() string { return string(e) }

// parseBound reads an RFC 3339 time or a date in loc; a date as an end bound means the
// midnight after it.
func parseBound(s string, loc *time.Location, end bool) (time.Time, error) {
	if len(s) == len(time.DateOnly) {
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return time.Time{}, boundError("want a date YYYY-MM-DD or an RFC 3339 time")
		}
		if end {
			y, m, dd := d.Date()
			d = time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, boundError("want an RFC 3339 time (e.g. 2026-11-22T00:00:00+05:30) or a date YYYY-MM-DD")
	}
	return t, nil
}
