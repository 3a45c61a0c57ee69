package httpapi

import (
	"net/http"

	"github.com/leadcall/leadcall/export"
)

// exportCalls streams GET /v1/calls.csv: the calls matching the /v1/calls filters (from, to,
// device, type, outcome, sync_status), all pages, as RFC 4180 CSV (see package export for the
// columns and the formula-injection rule). An error before the first byte gets the usual JSON
// error; one after it cuts the download short, so the file is visibly incomplete.
func (s *Server) exportCalls(w http.ResponseWriter, r *http.Request) {
	f, err := s.callFilter(r, r.URL.Query())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	if f.Cursor != "" || r.URL.Query().Has("limit") {
		writeError(w, s.log, badRequest("cursor", "the CSV export has every page; leave out cursor and limit"))
		return
	}
	if _, err := s.store.Org(r.Context(), s.orgID(r)); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="calls.csv"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	n, err := export.WriteCalls(r.Context(), w, s.store, *f, export.Options{Logger: s.log})
	if err != nil {
		s.log.Warn("httpapi: calls export cut short", "rows", n, "err", err)
		panic(http.ErrAbortHandler) // headers are gone: abort the response rather than end it cleanly
	}
}
