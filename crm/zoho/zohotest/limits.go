package zohotest

import (
	"net/http"
	"slices"
	"time"
)

// maxLoggedRequests bounds the request log of a long-running server; older entries go first.
const maxLoggedRequests = 10_000

type creditEntry struct {
	at time.Time
	n  int
}

// concurrencyCost: a composite call uses 5 concurrency units and one sub-concurrency unit
// (D-COMP7); COQL is a sub-concurrency "complex" API (K203); everything else uses 1 unit.
func concurrencyCost(e Endpoint) (units int, complexCall bool) {
	switch e {
	case EndpointComposite:
		return 5, true
	case EndpointCOQL:
		return 1, true
	}
	return 1, false
}

// acquire takes concurrency units, or reports that the caps are reached (K35: no time-based
// quota, only calls in flight).
func (s *Server) acquire(units int, complexCall bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxConcurrency > 0 && s.inFlight+units > s.cfg.MaxConcurrency {
		return false
	}
	if complexCall && s.cfg.MaxSubConcurrency > 0 && s.subFlight+1 > s.cfg.MaxSubConcurrency {
		return false
	}
	s.inFlight += units
	if complexCall {
		s.subFlight++
	}
	s.peakFlight = max(s.peakFlight, s.inFlight)
	return true
}

func (s *Server) release(units int, complexCall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight -= units
	if complexCall {
		s.subFlight--
	}
}

// charge records credits spent by a call.
func (s *Server) charge(e Endpoint, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.pruneCreditsLocked(now)
	s.credits = append(s.credits, creditEntry{at: now, n: n})
	s.creditsBy[e] += n
}

func (s *Server) pruneCreditsLocked(now time.Time) {
	s.credits = slices.DeleteFunc(s.credits, func(c creditEntry) bool { return now.Sub(c.at) >= 24*time.Hour })
}

// checkCredits refuses calls once the rolling 24-hour allowance is spent (K93). The code
// for exhausted credits is unconfirmed (zoho-api.md §9); LIMIT_REACHED is used.
func (s *Server) checkCredits() *apiResponse {
	if s.cfg.DailyCredits <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneCreditsLocked(s.now())
	used := 0
	for _, c := range s.credits {
		used += c.n
	}
	if used < s.cfg.DailyCredits {
		return nil
	}
	r := errResp(http.StatusBadRequest, "LIMIT_REACHED", "API credits exhausted",
		map[string]any{"limit": s.cfg.DailyCredits})
	return &r
}

func (s *Server) logRequest(rec Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqSeq++
	rec.Seq = s.reqSeq
	if len(s.requests) >= maxLoggedRequests {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)-maxLoggedRequests+1)
	}
	s.requests = append(s.requests, rec)
}
