package zohotest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// FaultKind is something that goes wrong with one request.
type FaultKind int

// Fault kinds. "Before" kinds act before the call is processed, so nothing is applied;
// "commit" kinds run the call first (a write takes effect) and then spoil the response —
// the cases research/reliability.md §3.5 calls ambiguous.
const (
	FaultNone FaultKind = iota
	// FaultTooManyRequests answers 429 TOO_MANY_REQUESTS (on the token endpoint: the 400
	// "Access Denied" body of the refresh limit). Nothing is applied.
	FaultTooManyRequests
	// FaultServerError answers FaultRule.Status (default 500 INTERNAL_ERROR JSON; 502, 503 and
	// 504 get a gateway's HTML page). Nothing is applied.
	FaultServerError
	// FaultTimeout holds the request for FaultRule.Delay and then processes it normally; with
	// no Delay it hangs until the client gives up (or the server closes) and answers nothing.
	FaultTimeout
	// FaultDropBeforeCommit closes the connection without processing the request.
	FaultDropBeforeCommit
	// FaultCommitThenDrop processes the request (the write is applied), then closes the
	// connection without a response.
	FaultCommitThenDrop
	// FaultCommitThenServerError processes the request, then answers 500 INTERNAL_ERROR.
	FaultCommitThenServerError
	// FaultCommitThenTruncate processes the request, then sends the status line, headers and
	// half of the body before closing the connection.
	FaultCommitThenTruncate
	// FaultSlowAfterCommit processes the request, then waits FaultRule.Delay (no Delay: until
	// the client gives up) before answering.
	FaultSlowAfterCommit
	// FaultExpireTokens invalidates every access token and then processes the request, which
	// therefore fails with 401 INVALID_TOKEN.
	FaultExpireTokens
	// FaultAuthenticationFailure answers 401 AUTHENTICATION_FAILURE without touching the
	// token (Zoho sometimes sends it instead of INVALID_TOKEN; zoho-api.md §12).
	FaultAuthenticationFailure
	// FaultOmitExpiresIn (token endpoint only) mints the token but leaves expires_in out of
	// the response (tristanjahier/zoho-crm-php#9).
	FaultOmitExpiresIn
	faultKindEnd
)

var faultNames = [...]string{"none", "too_many_requests", "server_error", "timeout", "drop_before_commit",
	"commit_then_drop", "commit_then_server_error", "commit_then_truncate", "slow_after_commit",
	"expire_tokens", "authentication_failure", "omit_expires_in"}

func (k FaultKind) String() string {
	if k >= 0 && k < faultKindEnd {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// FaultRule programs a fault. Rules are checked in the order they were added; every rule
// whose Endpoint and Module match counts the request, and the first one that is due fires.
// With the same Config.Seed and the same sequence of requests, the same requests fault.
type FaultRule struct {
	// Endpoint selects requests; empty matches every CRM API endpoint (not the OAuth ones).
	// Composite sub-requests are never matched: only HTTP requests are.
	Endpoint Endpoint
	// Module restricts the rule to one module ("Leads"); empty matches any.
	Module string
	// Kind is the fault to inject.
	Kind FaultKind
	// After lets this many matching requests through before the rule may fire.
	After int
	// Times is how often the rule fires; 0 means without end.
	Times int
	// Probability in (0, 1] fires the rule on each due request with that probability, drawn
	// from the server's seeded source; 0 means always.
	Probability float64
	// Delay is the hold time of FaultTimeout and FaultSlowAfterCommit; 0 means until the client
	// gives up.
	Delay time.Duration
	// Status is the status of FaultServerError: 500 (default), 502, 503 or 504.
	Status int
}

// FaultID identifies an added rule.
type FaultID int

// FaultEvent records one fired fault.
type FaultEvent struct {
	Rule     FaultID
	Kind     FaultKind
	Endpoint Endpoint
	Module   string
	Time     time.Time
}

type faultState struct {
	id          FaultID
	rule        FaultRule
	seen, fired int
}

// AddFault adds a rule and returns its id.
func (s *Server) AddFault(r FaultRule) (FaultID, error) {
	var errs []error
	if r.Kind <= FaultNone || r.Kind >= faultKindEnd {
		errs = append(errs, fmt.Errorf("unknown kind %d", r.Kind))
	}
	if r.Probability < 0 || r.Probability > 1 {
		errs = append(errs, fmt.Errorf("probability %v outside [0, 1]", r.Probability))
	}
	if r.After < 0 || r.Times < 0 || r.Delay < 0 {
		errs = append(errs, errors.New("After, Times and Delay must not be negative"))
	}
	switch r.Status {
	case 0, 500, 502, 503, 504:
	default:
		errs = append(errs, fmt.Errorf("status %d: want 500, 502, 503 or 504", r.Status))
	}
	if r.Kind == FaultOmitExpiresIn && r.Endpoint != EndpointToken {
		errs = append(errs, errors.New("FaultOmitExpiresIn applies to EndpointToken only"))
	}
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("zohotest: AddFault: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultSeq++
	s.faults = append(s.faults, &faultState{id: FaultID(s.faultSeq), rule: r})
	return FaultID(s.faultSeq), nil
}

// RemoveFault deletes a rule and reports whether it existed.
func (s *Server) RemoveFault(id FaultID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.id == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults deletes every rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FaultEvents returns the faults fired so far, in order.
func (s *Server) FaultEvents() []FaultEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]FaultEvent(nil), s.faultLog...)
}

type pickedFault struct {
	Kind FaultKind
	rule FaultRule
}

func (s *Server) pickFault(e Endpoint, module string) pickedFault {
	if e == "" {
		return pickedFault{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var picked *faultState
	for _, f := range s.faults {
		r := f.rule
		oauth := e == EndpointToken || e == EndpointRevoke
		if (r.Endpoint == "" && oauth) || (r.Endpoint != "" && r.Endpoint != e) ||
			(r.Module != "" && !strings.EqualFold(r.Module, module)) {
			continue
		}
		f.seen++
		if picked != nil || f.seen <= r.After || (r.Times > 0 && f.fired >= r.Times) {
			continue
		}
		if r.Probability > 0 && s.rng.Float64() >= r.Probability {
			continue
		}
		f.fired++
		picked = f
	}
	if picked == nil {
		return pickedFault{}
	}
	s.faultLog = append(s.faultLog, FaultEvent{Rule: picked.id, Kind: picked.rule.Kind, Endpoint: e,
		Module: module, Time: s.now()})
	return pickedFault{Kind: picked.rule.Kind, rule: picked.rule}
}

// wait holds until d elapses (d > 0), the client leaves or the server closes. It reports
// whether the request should go on.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// dropConnection closes the client connection without a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // not hijackable (e.g. HTTP/2): net/http aborts the response
}

func serverErrorResp(status int) (apiResponse, bool) {
	if status == 0 || status == http.StatusInternalServerError {
		return errResp(http.StatusInternalServerError, "INTERNAL_ERROR", "Internal Server Error", nil), true
	}
	return apiResponse{status: status}, false
}

func writeServerError(w http.ResponseWriter, status int) int {
	resp, isJSON := serverErrorResp(status)
	if isJSON {
		writeJSON(w, resp.status, resp.body)
		return resp.status
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status))
	return status
}

// preFault acts on faults that strike before processing. It reports whether the request is
// finished (answered, dropped or abandoned).
func (s *Server) preFault(w http.ResponseWriter, r *http.Request, f pickedFault, finish func(apiResponse, bool)) bool {
	switch f.Kind {
	case FaultTooManyRequests:
		resp := tooManyRequests()
		if r.URL.Path == "/oauth/v2/token" {
			resp = accessDenied()
		}
		writeJSON(w, resp.status, resp.body)
		finish(resp, true)
	case FaultServerError:
		finish(apiResponse{status: writeServerError(w, f.rule.Status)}, true)
	case FaultTimeout:
		if s.wait(r, f.rule.Delay) {
			return false
		}
		finish(apiResponse{}, false)
		dropConnection(w) // the client left or the server is closing: answer nothing
	case FaultDropBeforeCommit:
		finish(apiResponse{}, false)
		dropConnection(w)
	case FaultExpireTokens:
		s.ExpireAccessTokens()
		return false
	case FaultAuthenticationFailure:
		resp := errResp(http.StatusUnauthorized, "AUTHENTICATION_FAILURE", "Authentication failed", nil)
		writeJSON(w, resp.status, resp.body)
		finish(resp, true)
	default:
		return false
	}
	return true
}

// postFault delivers (or spoils) the response of a processed request and logs it through
// finish, always before the connection can close so the log is complete when the client
// notices.
func (s *Server) postFault(w http.ResponseWriter, r *http.Request, f pickedFault, resp apiResponse, finish func(apiResponse, bool)) {
	switch f.Kind {
	case FaultCommitThenDrop:
		finish(resp, false)
		dropConnection(w)
		return
	case FaultCommitThenServerError:
		finish(resp, false) // the client gets a 500 instead
		writeServerError(w, http.StatusInternalServerError)
		return
	case FaultCommitThenTruncate:
		finish(resp, false)
		body := encodeBody(resp.body)
		hj, ok := w.(http.Hijacker)
		if !ok {
			dropConnection(w)
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\n\r\n",
			resp.status, http.StatusText(resp.status), len(body))
		_, _ = buf.Write(body[:len(body)/2])
		_ = buf.Flush()
		_ = conn.Close()
		return
	case FaultSlowAfterCommit:
		if !s.wait(r, f.rule.Delay) {
			finish(resp, false)
			dropConnection(w)
			return
		}
	}
	finish(resp, true)
	writeJSON(w, resp.status, resp.body)
}
