package recovery

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Build computes every case of calls as of the instant now. calls may hold one caller's or
// a whole org's calls, in any order; they are taken by StartedAt, then ID. Each case is
// then advanced to now (see Case.Advance), so a case whose window has passed by now is
// expired. Calls after now still count: now only decides expiry.
//
// Cases come back ordered by first miss (then first missed call ID). Build returns an error
// wrapping ErrInvalidCall, naming the call's index, for the first call that counts and is
// malformed (see Call.Validate) or repeats an ID, and ErrInvalidTime for a zero or
// out-of-range now. Calls that do not count are not checked.
func (m *Matcher) Build(calls []Call, now time.Time) ([]Case, error) {
	if err := checkNow(now); err != nil {
		return nil, err
	}
	relevant := make([]int, 0, len(calls))
	seen := make(map[int64]struct{}, len(calls))
	misses := 0 // at most one case each: room for every case up front
	for i := range calls {
		c := &calls[i]
		if !c.Counts() {
			continue
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("calls[%d]: %w", i, err)
		}
		if _, dup := seen[c.ID]; dup {
			return nil, fmt.Errorf("calls[%d]: %w: call %d: ID used twice", i, ErrInvalidCall, c.ID)
		}
		seen[c.ID] = struct{}{}
		if affectsCases(c) {
			relevant = append(relevant, i)
			if c.Type == CallMissed {
				misses++
			}
		}
	}
	// One sort groups each caller's calls and puts them in time order.
	slices.SortFunc(relevant, func(a, b int) int {
		x, y := &calls[a], &calls[b]
		return cmp.Or(strings.Compare(x.NumberE164, y.NumberE164), x.StartedAt.Compare(y.StartedAt), cmp.Compare(x.ID, y.ID))
	})

	cases := make([]Case, 0, misses)
	cur := -1 // index in cases of the current caller's latest case
	for _, i := range relevant {
		c := &calls[i]
		if cur >= 0 && cases[cur].NumberE164 != c.NumberE164 {
			cur = -1
		}
		var latest *Case
		if cur >= 0 {
			latest = &cases[cur]
		}
		if opens, _ := m.step(latest, c); opens {
			cases = append(cases, newCase(c, m.cfg.Window))
			cur = len(cases) - 1
		}
	}
	for i := range cases {
		cases[i].Advance(now)
	}
	slices.SortFunc(cases, func(a, b Case) int {
		return cmp.Or(a.FirstMissedAt.Compare(b.FirstMissedAt), cmp.Compare(a.Key(), b.Key()))
	})
	return cases, nil
}

// Apply applies one new call to cur, the latest case of the call's number (nil when the
// number has none), as Build would if the call came after every call cur has seen.
//
// First cur is advanced to the call's start (it may expire). Then a missed call on a campaign
// phone joins cur if cur is still open or attempted, and otherwise opens a new case, which
// Apply returns as opened: it is now the number's latest case. An outbound call makes cur
// attempted or recovered, and an answered inbound call recovers it, while cur is open or
// attempted. changed reports whether cur was modified. A call that does not count, and a
// missed call on a sales-rep phone, change nothing.
//
// Apply returns an error wrapping ErrInvalidCall for a malformed call that counts,
// ErrInvalidCase for a malformed cur, ErrNumberMismatch when the call is for another
// number, and ErrOutOfOrder when the call started before cur's LastCallAt (or, for an
// expired case, before its ExpiresAt): the number's cases must then be rebuilt with Build. A
// call at the same instant as LastCallAt is taken as later. On error nothing is changed.
//
// Apply can only check order against cur. When a number has no case yet (cur nil), or when a
// miss arrives dated before callbacks already applied without a case, Apply cannot know what
// it has not seen: a store whose calls may arrive late (devices upload in batches) rebuilds
// the number's cases with Build whenever a call arrives older than the newest call it holds
// for that number.
func (m *Matcher) Apply(cur *Case, call Call) (opened *Case, changed bool, err error) {
	if !call.Counts() {
		return nil, false, nil
	}
	if err := call.Validate(); err != nil {
		return nil, false, err
	}
	if !affectsCases(&call) {
		return nil, false, nil
	}
	if cur != nil {
		if err := cur.validate(); err != nil {
			return nil, false, err
		}
		if cur.NumberE164 != call.NumberE164 {
			return nil, false, fmt.Errorf("%w: call %d, case %d", ErrNumberMismatch, call.ID, cur.Key())
		}
		if call.StartedAt.Before(cur.horizon()) {
			return nil, false, fmt.Errorf("%w: call %d started at %s, case %d has seen calls up to %s",
				ErrOutOfOrder, call.ID, call.StartedAt.Format(time.RFC3339), cur.Key(), cur.horizon().Format(time.RFC3339))
		}
	}
	if cur != nil {
		// A copy of the case may share the array: appending must not write into it.
		cur.MissedCallIDs = slices.Clip(cur.MissedCallIDs)
	}
	opens, changed := m.step(cur, &call)
	if opens {
		c := newCase(&call, m.cfg.Window)
		opened = &c
	}
	return opened, changed, nil
}

// affectsCases reports whether a counting call can open, join or recover a case: any call
// but a miss on a sales-rep phone.
func affectsCases(c *Call) bool {
	return c.Type != CallMissed || c.DeviceKind == DeviceCampaign
}

// step applies a valid call that counts and affects cases (see affectsCases), and that is
// not older than anything cur has seen. opens reports that the call is a miss that opens a
// new case, which the caller makes with newCase.
func (m *Matcher) step(cur *Case, call *Call) (opens, changed bool) {
	t := call.StartedAt
	if cur != nil {
		changed = cur.Advance(t)
	}
	active := cur != nil && cur.Status.Active()
	switch call.Type {
	case CallMissed:
		if !active {
			return true, changed
		}
		cur.MissedCallIDs = append(cur.MissedCallIDs, call.ID)
		cur.MissCount++
		cur.LastMissedAt = t
		cur.ExpiresAt = t.Add(m.cfg.Window)
	case CallOutbound:
		if !active {
			return false, changed
		}
		cur.Attempts++
		if cur.FirstAttemptAt.IsZero() {
			cur.FirstAttemptAt = t
		}
		if call.DurationS >= m.cfg.ConnectedMinSeconds {
			recoverBy(cur, call)
		} else {
			cur.Status = StatusAttempted
		}
	case CallInbound:
		if !active {
			return false, changed
		}
		recoverBy(cur, call)
	default:
		return false, changed
	}
	cur.LastCallAt = t
	return false, true
}

func recoverBy(c *Case, call *Call) {
	c.Status = StatusRecovered
	c.ConnectedAt = call.StartedAt
	c.RecoveredByCallID = call.ID
	c.RecoveredByDeviceID = call.DeviceID
	c.RecoveredByRepID = call.RepID
}

func checkNow(now time.Time) error {
	if now.IsZero() || !validTime(now) {
		return fmt.Errorf("%w: now must be a time in years %d-%d", ErrInvalidTime, MinYear, MaxYear)
	}
	return nil
}
