// Package crmconn holds the reference server's CRM connection: a CRM provider whose client
// can be swapped while the server runs (the Zoho connect flow switches it without a restart),
// the refresh-token file that keeps a connection across restarts, and GET /v1/crm/status.
package crmconn

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"

	"github.com/leadcall/leadcall"
)

// Modes of Status.
const (
	ModeSandbox = "sandbox"
	ModeZoho    = "zoho"
)

// Status is the body of GET /v1/crm/status.
type Status struct {
	// Mode is ModeSandbox (the bundled fake Zoho) or ModeZoho.
	Mode string `json:"mode"`
	// Connected says whether sync has a CRM to write to.
	Connected bool `json:"connected"`
	// DataCentre is the Zoho data centre of the connection ("com", "eu", "ca", ...), empty
	// when unknown (not connected, or a non-Zoho accounts server such as the sandbox).
	DataCentre string `json:"data_centre"`
	// CanConnect says whether POST /v1/crm/zoho/connect is mounted (Zoho mode).
	CanConnect bool `json:"can_connect"`
}

// Switch is a leadcall.CRMProvider serving one CRM to every org, which may be absent at
// first ("not connected": CodeNotFound, so sync waits and readiness says not_connected) and
// may be replaced at any time; callers in flight keep the client they got.
type Switch struct {
	mode       string
	canConnect bool
	cur        atomic.Pointer[conn]
}

type conn struct {
	crm leadcall.CRM
	dc  string
}

// NewSwitch returns a Switch in mode with no CRM; canConnect is reported by Status.
func NewSwitch(mode string, canConnect bool) *Switch {
	return &Switch{mode: mode, canConnect: canConnect}
}

// Set makes c the CRM (nil: not connected); dataCentre is reported by Status.
func (s *Switch) Set(c leadcall.CRM, dataCentre string) {
	if c == nil {
		s.cur.Store(nil)
		return
	}
	s.cur.Store(&conn{crm: c, dc: dataCentre})
}

// CRM returns the current CRM, or CodeNotFound when none is connected.
func (s *Switch) CRM(context.Context, string) (leadcall.CRM, error) {
	if c := s.cur.Load(); c != nil {
		return c.crm, nil
	}
	return nil, leadcall.Errorf(leadcall.CodeNotFound, "crmconn",
		"Zoho is not connected: an admin connects it on the dashboard's settings screen")
}

// Status reports the connection.
func (s *Switch) Status() Status {
	st := Status{Mode: s.mode, CanConnect: s.canConnect}
	if c := s.cur.Load(); c != nil {
		st.Connected, st.DataCentre = true, c.dc
	}
	return st
}

// ServeStatus answers GET /v1/crm/status with Status as JSON.
func (s *Switch) ServeStatus(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.Status())
}
