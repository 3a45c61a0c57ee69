package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/leadcall/leadcall/report"
)

// ReportSummaryResponse is the body of GET /v1/reports/summary (see package report for what
// each figure means). From and To are in the org's time zone.
type ReportSummaryResponse struct {
	GroupBy  string    `json:"group_by"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	TimeZone string    `json:"time_zone"`
	// RepeatWindowS is the repeat-caller window the callers were counted with, in seconds.
	RepeatWindowS int64       `json:"repeat_window_s"`
	Rows          []ReportRow `json:"rows"`
	Totals        ReportRow   `json:"totals"`
}

// ReportRow is one row of a report, or its totals (key "", label "Total"). The medians are
// null when no case had an attempt (or a connection); rates are 0 without calls or cases.
type ReportRow struct {
	Key                       string   `json:"key"`
	Label                     string   `json:"label"`
	Calls                     int      `json:"calls"`
	Answered                  int      `json:"answered"`
	Missed                    int      `json:"missed"`
	FirstTime                 int      `json:"first_time"`
	Repeat                    int      `json:"repeat"`
	Callers                   int      `json:"callers"`
	Ignored                   int      `json:"ignored"`
	MissedRate                float64  `json:"missed_rate"`
	Cases                     int      `json:"cases"`
	Recovered                 int      `json:"recovered"`
	RecoveryRate              float64  `json:"recovery_rate"`
	MedianTimeToFirstAttemptS *float64 `json:"median_time_to_first_attempt_s"`
	MedianTimeToConnectS      *float64 `json:"median_time_to_connect_s"`
	NewLeads                  int      `json:"new_leads"`
	ContactLinks              int      `json:"contact_links"`
	ReviewItems               int      `json:"review_items"`
	Failures                  int      `json:"failures"`
}

func reportRow(key, label string, m *report.Metrics) ReportRow {
	r := ReportRow{
		Key: key, Label: label, Calls: m.Calls, Answered: m.Answered, Missed: m.Missed,
		FirstTime: m.FirstTime, Repeat: m.Repeat, Callers: m.Callers, Ignored: m.Ignored,
		MissedRate: m.MissedRate, Cases: m.Cases, Recovered: m.Recovered, RecoveryRate: m.RecoveryRate,
		NewLeads: m.NewLeads, ContactLinks: m.ContactLinks, ReviewItems: m.ReviewItems, Failures: m.Failures,
	}
	if m.HasFirstAttempt {
		s := m.MedianTimeToFirstAttempt.Seconds()
		r.MedianTimeToFirstAttemptS = &s
	}
	if m.HasConnect {
		s := m.MedianTimeToConnect.Seconds()
		r.MedianTimeToConnectS = &s
	}
	return r
}

// reportSummary answers GET /v1/reports/summary?from=&to=&group_by=&repeat_window=&device=
// (parameters as report.ParseQuery reads them; dates are days in the org's time zone). A
// parameter that cannot be used is 400 with its name in the error's field.
func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) {
	org, err := s.store.Org(r.Context(), s.orgID(r))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	loc := org.Settings.Location()
	q, err := report.ParseQuery(r.URL.Query(), s.cfg.Now(), loc)
	if err != nil {
		writeError(w, s.log, reportError(err))
		return
	}
	q.OrgID = org.ID
	if rep := s.repScope(r); rep != "" {
		if q.DeviceIDs, err = s.repDevices(r.Context(), q.OrgID, rep, q.DeviceIDs); err != nil {
			writeError(w, s.log, err)
			return
		}
	}
	rep, err := report.New(s.store, report.Config{Now: s.cfg.Now, RecoveryWindow: s.eng.RecoveryWindow(), Logger: s.log})
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	sum, err := rep.Summary(r.Context(), q)
	if err != nil {
		writeError(w, s.log, reportError(err))
		return
	}
	out := ReportSummaryResponse{
		GroupBy: string(sum.GroupBy), From: sum.From.In(loc), To: sum.To.In(loc), TimeZone: sum.TimeZone,
		RepeatWindowS: int64(sum.RepeatWindow / time.Second), Rows: make([]ReportRow, len(sum.Rows)),
		Totals: reportRow("", "Total", &sum.Totals),
	}
	for i := range sum.Rows {
		out.Rows[i] = reportRow(sum.Rows[i].Key, sum.Rows[i].Label, &sum.Rows[i].Metrics)
	}
	writeJSON(w, http.StatusOK, out)
}

// reportError turns a query the report package refused into a 400 naming the parameter.
func reportError(err error) error {
	var qe *report.QueryError
	if errors.As(err, &qe) {
		return badRequest(qe.Param, "%s", qe.Message)
	}
	return err
}
