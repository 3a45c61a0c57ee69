package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// Readiness is the body of GET /readyz. Status is "ok" when the store and the CRM answer;
// SyncKey is "ok", "missing" (some module lacks the LC_Sync_Key field: the residual duplicate
// risk of the README's guarantee 3) or "not_unique", and is omitted when the CRM has no
// notion of it.
type Readiness struct {
	Status  string `json:"status"`
	Store   string `json:"store"`
	CRM     string `json:"crm"`
	SyncKey string `json:"sync_key,omitempty"`
}

type readyCache struct {
	at      time.Time
	crm     string
	syncKey string
}

// readyTimeout bounds each readiness check.
const readyTimeout = 5 * time.Second

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	out := Readiness{Status: "ok", Store: "ok"}
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("httpapi: store not ready", "err", err)
		out.Store, out.Status = "unavailable", "unavailable"
	}
	out.CRM, out.SyncKey = s.crmReadiness(ctx)
	if out.CRM != "ok" {
		out.Status = "unavailable"
	}
	status := http.StatusOK
	if out.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
}

// crmReadiness checks the CRM at most once per ReadyCacheTTL: SyncKeyStatus when the CRM
// implements it (it also reports the sync key), else Users.
func (s *Server) crmReadiness(ctx context.Context) (state, syncKey string) {
	now := s.cfg.Now()
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if !s.ready.at.IsZero() && now.Sub(s.ready.at) < s.cfg.ReadyCacheTTL {
		return s.ready.crm, s.ready.syncKey
	}
	state, syncKey = s.checkCRM(ctx)
	s.ready = readyCache{at: now, crm: state, syncKey: syncKey}
	return state, syncKey
}

func (s *Server) checkCRM(ctx context.Context) (state, syncKey string) {
	c, err := s.crms.CRM(ctx, s.cfg.OrgID)
	if err != nil {
		return crmState(err), ""
	}
	checker, ok := c.(leadcall.SyncKeyChecker)
	if !ok {
		if _, err := c.Users(ctx); err != nil {
			s.log.Warn("httpapi: CRM not ready", "err", err)
			return crmState(err), ""
		}
		return "ok", ""
	}
	status, err := checker.SyncKeyStatus(ctx)
	if err != nil {
		s.log.Warn("httpapi: CRM not ready", "err", err)
		return crmState(err), ""
	}
	syncKey = "ok"
	for _, m := range []crm.Module{crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks} {
		f := status[m]
		switch {
		case !f.Exists:
			return "ok", "missing"
		case !f.Unique:
			syncKey = "not_unique"
		}
	}
	return "ok", syncKey
}

func crmState(err error) string {
	switch leadcall.CodeOf(err) {
	case leadcall.CodeNotFound:
		return "not_connected"
	case leadcall.CodeUnauthorized, leadcall.CodeReconnectRequired:
		return "unauthorized"
	default:
		return "unavailable"
	}
}
