package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/recovery"
)

// RecoveryResponse is the body of GET /v1/recovery: a page of cases ({items, next_cursor} as
// for /v1/calls) and the summary of the whole range.
type RecoveryResponse struct {
	Items      []leadcall.RecoveryCase `json:"items"`
	NextCursor string                  `json:"next_cursor"`
	Summary    RecoverySummary         `json:"summary"`
}

// Paging of GET /v1/recovery.
const (
	defaultRecoveryLimit = 100
	maxRecoveryLimit     = 1000
)

// RecoverySummary counts the cases of the range (every status, whatever the status filter)
// and gives the recovery rate and median times in seconds (null without a case to measure).
type RecoverySummary struct {
	Cases                     int      `json:"cases"`
	Open                      int      `json:"open"`
	Attempted                 int      `json:"attempted"`
	Recovered                 int      `json:"recovered"`
	Expired                   int      `json:"expired"`
	RecoveryRate              float64  `json:"recovery_rate"`
	MedianTimeToFirstAttemptS *float64 `json:"median_time_to_first_attempt_s"`
	MedianTimeToConnectS      *float64 `json:"median_time_to_connect_s"`
}

// recoveryParams are the query parameters GET /v1/recovery reads; any other is refused.
var recoveryParams = []string{"status", "from", "to", "device_id", "limit", "cursor"}

// listRecovery answers GET /v1/recovery?status=open,attempted&from=&to=&device_id=: the
// org's recovery cases by first miss (default: open and attempted cases of the last recovery
// window) and the summary of the range.
func (s *Server) listRecovery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := recoveryFilter(q)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	limit, offset, err := recoveryPage(q)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	// A rep sees the cases credited to or recovered by their devices.
	f.RepID = s.repScope(r) // a rep sees the cases of their devices only
	cases, sum, err := s.eng.RecoveryCases(r.Context(), s.orgID(r), f)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	// The cases come in a stable order (by first miss), so a page is a window of them.
	page := cases[min(offset, len(cases)):min(offset+limit, len(cases))]
	if page == nil {
		page = []leadcall.RecoveryCase{}
	}
	next := ""
	if offset+limit < len(cases) {
		next = recoveryCursor(offset + limit)
	}
	out := RecoveryResponse{Items: page, NextCursor: next, Summary: RecoverySummary{
		Cases: sum.Cases, Open: sum.Open, Attempted: sum.Attempted, Recovered: sum.Recovered,
		Expired: sum.Expired, RecoveryRate: sum.RecoveryRate,
	}}
	if sum.WithAttempt > 0 {
		v := sum.MedianTimeToFirstAttempt.Seconds()
		out.Summary.MedianTimeToFirstAttemptS = &v
	}
	if sum.Connected > 0 {
		v := sum.MedianTimeToConnect.Seconds()
		out.Summary.MedianTimeToConnectS = &v
	}
	writeJSON(w, http.StatusOK, out)
}

// recoveryCursorPrefix versions the opaque cursor of GET /v1/recovery.
const recoveryCursorPrefix = "rc1:"

func recoveryCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(recoveryCursorPrefix + strconv.Itoa(offset)))
}

// recoveryPage reads limit (default 100, at most 1000) and cursor.
func recoveryPage(q url.Values) (limit, offset int, err error) {
	limit = defaultRecoveryLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxRecoveryLimit {
			return 0, 0, badRequest("limit", "want a whole number from 1 to %d", maxRecoveryLimit)
		}
	}
	if v := q.Get("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, ok := 0, false
		if err == nil && len(raw) <= 32 {
			if rest, found := strings.CutPrefix(string(raw), recoveryCursorPrefix); found {
				n, err = strconv.Atoi(rest)
				ok = err == nil && n > 0
			}
		}
		if !ok {
			return 0, 0, badRequest("cursor", "not a cursor this server issued; pass next_cursor back unchanged")
		}
		offset = n
	}
	return limit, offset, nil
}

func recoveryFilter(q url.Values) (leadcall.RecoveryFilter, error) {
	var f leadcall.RecoveryFilter
	for name := range q {
		if !slices.Contains(recoveryParams, name) {
			return f, badRequest(truncateParam(name), "unknown query parameter; use status, from, to, device_id, limit or cursor")
		}
	}
	statuses, err := queryList(q, "status")
	if err != nil {
		return f, err
	}
	for _, st := range statuses {
		if !recovery.Status(st).Valid() {
			return f, badRequest("status", "want open, attempted, recovered or expired")
		}
		f.Statuses = append(f.Statuses, recovery.Status(st))
	}
	if f.From, err = queryTime(q, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(q, "to"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, badRequest("to", "must be after from")
	}
	if f.DeviceIDs, err = queryList(q, "device_id"); err != nil {
		return f, err
	}
	for _, d := range f.DeviceIDs {
		if !validID(d) {
			return f, badRequest("device_id", "not a device ID: 1 to 64 letters, digits, '-', '_' or '.'")
		}
	}
	return f, nil
}

// truncateParam keeps an unknown parameter's name short enough to repeat in an error.
func truncateParam(name string) string {
	const max = 32
	if len(name) > max {
		return name[:max] + "…"
	}
	return name
}

// validID reports whether s has the shape of a leadcall ID.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
