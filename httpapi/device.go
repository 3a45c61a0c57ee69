package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/leadcall/leadcall"
)

// Device protocol shapes (DESIGN.md §6).
type (
	// EnrollRequest is the body of POST /v1/device/enroll.
	EnrollRequest struct {
		PairingCode string `json:"pairing_code"`
		Model       string `json:"model"`
		OS          string `json:"os"`
		AppVersion  string `json:"app_version"`
	}
	// EnrollResponse answers an enrollment. Token is shown once; only its hash is stored.
	EnrollResponse struct {
		DeviceID string `json:"device_id"`
		Token    string `json:"token"`
	}
	// HeartbeatRequest is the body of POST /v1/device/heartbeat. A missing battery is unknown.
	HeartbeatRequest struct {
		AppVersion string         `json:"app_version"`
		Battery    *int           `json:"battery"`
		SIMs       []leadcall.SIM `json:"sims"`
	}
	// CallsRequest is the body of POST /v1/device/calls.
	CallsRequest struct {
		Calls []leadcall.IncomingCall `json:"calls"`
	}
	// CallsResponse has one result per posted call, in order.
	CallsResponse struct {
		Results []CallResult `json:"results"`
	}
	// CallResult is the outcome of one posted call; Error is set when it was rejected.
	CallResult struct {
		ID     string                `json:"id"`
		Status leadcall.IngestStatus `json:"status"`
		Error  *ErrorDetail          `json:"error,omitempty"`
	}
)

// Limits on the device's self-description.
const maxClientInfoLen = 64

// Token and pairing-code formats.
const (
	tokenBytes       = 32 // 256 bits
	tokenPrefix      = "lcd_"
	pairingCodeBytes = 10 // 80 bits, 16 base32 characters
)

var pairingEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newDeviceToken returns a fresh device token and its stored hash.
func newDeviceToken() (token, hash string) {
	var b [tokenBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashSecret(token)
}

// newPairingCode returns a code people can type (groups of four, base32) and its hash.
func newPairingCode() (code, hash string) {
	var b [pairingCodeBytes]byte
	_, _ = rand.Read(b[:])
	raw := pairingEncoding.EncodeToString(b[:])
	var sb strings.Builder
	for i := 0; i < len(raw); i += 4 {
		if i > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(raw[i:min(i+4, len(raw))])
	}
	return sb.String(), hashSecret(normalizePairingCode(raw))
}

// normalizePairingCode drops separators and case, so "abcd-efgh" and "ABCD EFGH" match.
func normalizePairingCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func checkClientInfo(field, v string) error {
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxClientInfoLen ||
		strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return apiError(http.StatusUnprocessableEntity, "invalid", field, "at most 64 characters of text without control characters")
	}
	return nil
}

func (s *Server) enrollDevice(w http.ResponseWriter, r *http.Request) {
	if !s.enroll.Allow() {
		writeError(w, s.log, &httpError{status: http.StatusTooManyRequests, detail: ErrorDetail{Code: "rate_limited", Message: "too many enrollment attempts; retry shortly"}, retryAfter: time.Second})
		return
	}
	var req EnrollRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		writeError(w, s.log, err)
		return
	}
	code := normalizePairingCode(req.PairingCode)
	if code == "" || len(code) > 64 {
		writeError(w, s.log, apiError(http.StatusUnprocessableEntity, "invalid", "pairing_code", "required"))
		return
	}
	for field, v := range map[string]string{"model": req.Model, "os": req.OS, "app_version": req.AppVersion} {
		if err := checkClientInfo(field, v); err != nil {
			writeError(w, s.log, err)
			return
		}
	}
	resp, err := s.enrollWith(r.Context(), code, req)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	noteDevice(w, resp.DeviceID)
	writeJSON(w, http.StatusOK, resp)
}

// enrollWith trades a pairing code for a device token. The code is cleared in the same store
// write that sets the token, under enrollMu, so it works once.
func (s *Server) enrollWith(ctx context.Context, code string, req EnrollRequest) (*EnrollResponse, error) {
	refused := apiError(http.StatusUnauthorized, "unauthorized", "pairing_code", "unknown, used or expired pairing code")
	s.enrollMu.Lock()
	defer s.enrollMu.Unlock()
	d, err := s.store.DeviceByPairingCodeHash(ctx, hashSecret(code))
	if leadcall.CodeOf(err) == leadcall.CodeNotFound {
		return nil, refused
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	if d.PairingCodeHash == "" || !now.Before(d.PairingExpiresAt) {
		return nil, refused
	}
	token, hash := newDeviceToken()
	d.TokenHash = hash
	d.PairingCodeHash, d.PairingExpiresAt = "", time.Time{}
	d.EnrolledAt = now
	d.Model, d.OS, d.AppVersion = req.Model, req.OS, req.AppVersion
	if err := s.store.UpdateDevice(ctx, d, time.Time{}); err != nil {
		return nil, err
	}
	return &EnrollResponse{DeviceID: d.ID, Token: token}, nil
}

// deviceHandler handles a request of an authenticated device.
type deviceHandler func(w http.ResponseWriter, r *http.Request, d *leadcall.Device)

// device wraps a device-protocol handler with the token check and the device's rate limit.
func (s *Server) device(h deviceHandler) http.Handler {
	return &guarded{access: AccessDevice, h: func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok || !strings.HasPrefix(tok, tokenPrefix) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leadcall-device"`)
			writeError(w, s.log, apiError(http.StatusUnauthorized, "unauthorized", "", "a device token is required (Authorization: Bearer <token>)"))
			return
		}
		d, err := s.store.DeviceByTokenHash(r.Context(), hashSecret(tok))
		if leadcall.CodeOf(err) == leadcall.CodeNotFound {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leadcall-device"`)
			writeError(w, s.log, apiError(http.StatusUnauthorized, "unauthorized", "", "unknown or revoked device token"))
			return
		}
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		noteDevice(w, d.ID)
		if !s.limiter(d).Allow() {
			writeError(w, s.log, &httpError{status: http.StatusTooManyRequests,
				detail: ErrorDetail{Code: "rate_limited", Message: "too many requests from this device; retry later"}, retryAfter: time.Second})
			return
		}
		h(w, r, d)
	}}
}

func (s *Server) limiter(d *leadcall.Device) *rate.Limiter {
	key := d.OrgID + "\x00" + d.ID
	s.limitersMu.Lock()
	defer s.limitersMu.Unlock()
	l, ok := s.limiters[key]
	if !ok {
		l = rate.NewLimiter(s.cfg.DeviceRate, s.cfg.DeviceBurst)
		s.limiters[key] = l
	}
	return l
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, d *leadcall.Device) {
	var req HeartbeatRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		writeError(w, s.log, err)
		return
	}
	battery := -1
	if req.Battery != nil {
		battery = *req.Battery
	}
	hb := &leadcall.Heartbeat{OrgID: d.OrgID, DeviceID: d.ID, AppVersion: req.AppVersion, Battery: battery, SIMs: req.SIMs}
	if err := s.eng.Heartbeat(r.Context(), hb); err != nil {
		writeError(w, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) postCalls(w http.ResponseWriter, r *http.Request, d *leadcall.Device) {
	var req CallsRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		writeError(w, s.log, err)
		return
	}
	if req.Calls == nil {
		writeError(w, s.log, badRequest("calls", "required (an array of calls)"))
		return
	}
	results, err := s.eng.Ingest(r.Context(), d.OrgID, d.ID, req.Calls)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	out := CallsResponse{Results: make([]CallResult, len(results))}
	for i, res := range results {
		out.Results[i] = CallResult{ID: res.ID, Status: res.Status}
		s.metrics.ingested.WithLabelValues(string(res.Status)).Inc()
		if res.Err != nil {
			out.Results[i].Error = &ErrorDetail{Code: res.Err.Code.String(), Field: res.Err.Field, Message: res.Err.Message}
			s.log.Debug("httpapi: call rejected", "device_id", d.ID, "field", res.Err.Field, "number", MaskPhone(req.Calls[i].Number))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// noteDevice tells the request log which device made the request.
func noteDevice(w http.ResponseWriter, id string) {
	if sw, ok := w.(*statusWriter); ok {
		sw.deviceID = id
	}
}
