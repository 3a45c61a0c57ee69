package httpapi

import (
	"net/http"
	"time"

	"github.com/leadcall/leadcall"
)

// maxBackfillBody bounds the body of POST /v1/backfill: a range and up to 100 device IDs.
const maxBackfillBody = 16 << 10

// BackfillRequest is the body of POST /v1/backfill.
type BackfillRequest struct {
	From      *time.Time `json:"from"`
	To        *time.Time `json:"to"`
	DeviceIDs []string   `json:"device_ids"`
	DryRun    *bool      `json:"dry_run"`
}

// postBackfill answers POST /v1/backfill {"from","to","device_ids","dry_run"}: a dry run
// answers 200 with the writes the sync would make; a real run enqueues the calls and answers
// 202 with its backfill_id, its progress following as backfill.progress and backfill.done
// events. dry_run is required, so that a real run is never started by omission.
func (s *Server) postBackfill(w http.ResponseWriter, r *http.Request) {
	var req BackfillRequest
	if err := decodeJSON(w, r, min(s.cfg.MaxBodyBytes, maxBackfillBody), &req); err != nil {
		writeError(w, s.log, err)
		return
	}
	switch {
	case req.From == nil:
		writeError(w, s.log, badRequest("from", "required: an RFC 3339 time"))
		return
	case req.To == nil:
		writeError(w, s.log, badRequest("to", "required: an RFC 3339 time"))
		return
	case req.DryRun == nil:
		writeError(w, s.log, badRequest("dry_run", "required: true to preview, false to run"))
		return
	case !req.From.Before(*req.To):
		writeError(w, s.log, badRequest("to", "must be after from"))
		return
	case len(req.DeviceIDs) > leadcall.MaxBackfillDevices:
		writeError(w, s.log, badRequest("device_ids", "at most %d devices", leadcall.MaxBackfillDevices))
		return
	}
	res, err := s.eng.Backfill(r.Context(), leadcall.BackfillParams{
		OrgID: s.orgID(r), From: *req.From, To: *req.To, DeviceIDs: req.DeviceIDs, DryRun: *req.DryRun,
	})
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	status := http.StatusOK
	if !res.DryRun {
		status = http.StatusAccepted
		s.log.Info("httpapi: backfill started", "backfill_id", res.ID, "calls", res.Calls, "by", s.actor(r))
	}
	writeJSON(w, status, res)
}
