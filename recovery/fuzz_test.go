package recovery_test

import (
	"cmp"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/recovery"
)

var fuzzNumbers = []string{customer, other, "+447700900123"}

// fuzzInput turns bytes into a config, calls and an instant now. Four bytes make a call, so
// that small inputs already mix callers, devices, types, equal instants and expiry.
func fuzzInput(data []byte) (recovery.Config, []recovery.Call, time.Time) {
	var head [3]byte
	copy(head[:], data)
	window := time.Duration(1+int(head[0])%48) * time.Hour
	cfg := recovery.Config{
		ConnectedMinSeconds: int(head[1]) % 4,
		Window:              window,
		SLA:                 min(window, time.Duration(1+int(head[2])%90)*time.Minute),
	}
	var calls []recovery.Call
	body := data[min(len(data), 3):]
	for i := 0; i+4 <= len(body); i += 4 {
		b := body[i : i+4]
		c := recovery.Call{
			ID:             int64(len(calls) + 1),
			NumberE164:     fuzzNumbers[int(b[1])%len(fuzzNumbers)],
			Type:           []recovery.CallType{recovery.CallMissed, recovery.CallOutbound, recovery.CallInbound}[int(b[0])%3],
			DeviceKind:     recovery.DeviceCampaign,
			Ignored:        b[0]&0x38 == 0x38,
			DeviceInactive: b[0]&0xc0 == 0xc0,
			StartedAt:      at(int(b[2]) * 17), // about three days in all
			DurationS:      int(b[3]) % 5,
			AssignmentID:   int64(b[3] % 3),
		}
		if b[0]&0x04 != 0 {
			c.DeviceKind = recovery.DeviceSalesRep
		}
		dev := int(b[1]>>2) % 4
		c.DeviceID = string(rune('a' + dev))
		if dev != 0 {
			c.RepID = "rep-" + c.DeviceID
		}
		c.LeadSource = string(rune('A' + c.AssignmentID))
		calls = append(calls, c)
	}
	var tail byte
	if len(data) > 0 {
		tail = data[len(data)-1]
	}
	return cfg, calls, at(int(tail) * 20)
}

func FuzzBuild(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 0, 0, 0, 1})                               // one miss
	f.Add([]byte{5, 1, 10, 0, 0, 0, 1, 1, 0, 2, 3, 2, 0, 3, 3, 255}) // miss, attempt, inbound
	f.Add([]byte{0, 1, 2, 0, 0, 5, 3, 0, 0, 10, 4, 0, 0, 200, 0, 1, 0, 201, 4, 7})
	f.Add([]byte{47, 3, 89, 0xf8, 0, 1, 0, 0xc1, 0, 2, 4, 4, 0, 2, 1, 3, 1, 100, 2, 100})
	f.Add([]byte("missed calls and callbacks from three callers over three days!"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, calls, now := fuzzInput(data)
		m := mustMatcher(t, cfg)
		cases, err := m.Build(calls, now)
		require.NoError(t, err)
		checkInvariants(t, m, calls, now, cases)

		// Input order does not matter.
		reversed := slices.Clone(calls)
		slices.Reverse(reversed)
		again, err := m.Build(reversed, now)
		require.NoError(t, err)
		requireCases(t, cases, again)

		checkIncremental(t, m, calls, now, cases)

		// A later now only moves statuses forward.
		later, err := m.Build(calls, now.Add(cfg.Window/2))
		require.NoError(t, err)
		require.Equal(t, len(cases), len(later))
		for i := range cases {
			requireForward(t, cases[i].Status, later[i].Status)
		}

		// The SLA event is raised once per case.
		due := m.SLABreaches(cases, now)
		for _, i := range due {
			cases[i].SLABreached = true
		}
		require.Empty(t, m.SLABreaches(cases, now))
	})
}

// callKey orders calls as the package does: by start, then ID.
func callKey(a, b *recovery.Call) int {
	return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.ID, b.ID))
}

// checkInvariants checks cases against calls without replaying the matcher.
func checkInvariants(t *testing.T, m *recovery.Matcher, calls []recovery.Call, now time.Time, cases []recovery.Case) {
	t.Helper()
	cfg := m.Config()
	byID := map[int64]*recovery.Call{}
	for i := range calls {
		byID[calls[i].ID] = &calls[i]
	}
	opens := func(c *recovery.Call) bool {
		return c.Counts() && c.Type == recovery.CallMissed && c.DeviceKind == recovery.DeviceCampaign
	}

	// Every missed campaign call that counts belongs to exactly one case, and nothing else does.
	owner := map[int64]int{}
	for i := range cases {
		for _, id := range cases[i].MissedCallIDs {
			_, dup := owner[id]
			require.False(t, dup, "call %d in two cases", id)
			owner[id] = i
			require.True(t, opens(byID[id]), "call %d cannot open a case", id)
			require.Equal(t, byID[id].NumberE164, cases[i].NumberE164)
		}
	}
	for i := range calls {
		if opens(&calls[i]) {
			require.Contains(t, owner, calls[i].ID, "missed call %d belongs to no case", calls[i].ID)
		}
	}

	perNumber := map[string][]*recovery.Case{}
	for i := range cases {
		c := &cases[i]
		perNumber[c.NumberE164] = append(perNumber[c.NumberE164], c)
		require.True(t, c.Status.Valid())
		require.Positive(t, c.MissCount)
		require.Equal(t, len(c.MissedCallIDs), c.MissCount)
		misses := make([]*recovery.Call, len(c.MissedCallIDs))
		for j, id := range c.MissedCallIDs {
			misses[j] = byID[id]
		}
		require.True(t, slices.IsSortedFunc(misses, callKey), "misses in time order")
		first, last := misses[0], misses[len(misses)-1]
		require.True(t, c.FirstMissedAt.Equal(first.StartedAt))
		require.True(t, c.LastMissedAt.Equal(last.StartedAt))
		require.True(t, c.ExpiresAt.Equal(c.LastMissedAt.Add(cfg.Window)))
		require.Equal(t, first.AssignmentID, c.AssignmentID, "credited to the first miss")
		require.Equal(t, first.LeadSource, c.LeadSource)
		for j := 1; j < len(misses); j++ {
			require.True(t, misses[j].StartedAt.Before(misses[j-1].StartedAt.Add(cfg.Window)), "a miss joins only within the window")
		}

		// Recount the attempts: outbound calls that count, after the first miss, up to the
		// recovering call or the end of the window.
		var recoveredBy *recovery.Call
		if c.Status == recovery.StatusRecovered {
			recoveredBy = byID[c.RecoveredByCallID]
			require.NotNil(t, recoveredBy)
			require.True(t, recoveredBy.Counts())
			require.Equal(t, c.NumberE164, recoveredBy.NumberE164)
			require.True(t, c.ConnectedAt.Equal(recoveredBy.StartedAt))
			require.Equal(t, recoveredBy.DeviceID, c.RecoveredByDeviceID)
			require.Equal(t, recoveredBy.RepID, c.RecoveredByRepID)
			require.Positive(t, callKey(recoveredBy, first), "recovered after the first miss")
			require.True(t, c.ConnectedAt.Before(c.ExpiresAt), "recovered within the window")
			switch recoveredBy.Type {
			case recovery.CallOutbound:
				require.GreaterOrEqual(t, recoveredBy.DurationS, cfg.ConnectedMinSeconds)
			case recovery.CallInbound:
			default:
				t.Fatalf("case recovered by a %s call", recoveredBy.Type)
			}
		} else {
			require.True(t, c.ConnectedAt.IsZero())
			require.Zero(t, c.RecoveredByCallID)
			require.Empty(t, c.RecoveredByDeviceID)
		}
		attempts := 0
		var firstAttempt *recovery.Call
		for j := range calls {
			a := &calls[j]
			if !a.Counts() || a.Type != recovery.CallOutbound || a.NumberE164 != c.NumberE164 || callKey(a, first) <= 0 {
				continue
			}
			if recoveredBy != nil && callKey(a, recoveredBy) > 0 || recoveredBy == nil && !a.StartedAt.Before(c.ExpiresAt) {
				continue
			}
			attempts++
			if firstAttempt == nil || callKey(a, firstAttempt) < 0 {
				firstAttempt = a
			}
		}
		require.Equal(t, attempts, c.Attempts, "case %d attempts", c.Key())

		// The case was recovered by the first connection after its first miss, if any came
		// within the window.
		for j := range calls {
			a := &calls[j]
			connects := a.Type == recovery.CallInbound || a.Type == recovery.CallOutbound && a.DurationS >= cfg.ConnectedMinSeconds
			if !a.Counts() || !connects || a.NumberE164 != c.NumberE164 || callKey(a, first) <= 0 || !a.StartedAt.Before(c.ExpiresAt) {
				continue
			}
			require.NotNil(t, recoveredBy, "call %d connected within the window of case %d", a.ID, c.Key())
			require.GreaterOrEqual(t, callKey(a, recoveredBy), 0, "call %d connected before the one that recovered case %d", a.ID, c.Key())
		}
		if firstAttempt == nil {
			require.True(t, c.FirstAttemptAt.IsZero())
		} else {
			require.True(t, c.FirstAttemptAt.Equal(firstAttempt.StartedAt))
		}

		switch c.Status {
		case recovery.StatusOpen:
			require.Zero(t, c.Attempts)
		case recovery.StatusAttempted:
			require.Positive(t, c.Attempts)
		}
	}

	// One caller's cases follow each other: only the latest may be active, and each starts
	// at or after the end of the one before.
	for _, cs := range perNumber {
		for j, c := range cs {
			latest := j == len(cs)-1
			if c.Status.Active() {
				require.True(t, latest, "only the latest case is active")
				require.True(t, now.Before(c.ExpiresAt), "an active case has not expired by now")
			}
			if c.Status == recovery.StatusExpired && latest {
				// Time passed the window: by now, or by a later call of the caller (calls
				// after now count too).
				witness := !now.Before(c.ExpiresAt)
				for j := range calls {
					a := &calls[j]
					witness = witness || a.Counts() && a.NumberE164 == c.NumberE164 && !a.StartedAt.Before(c.ExpiresAt) &&
						(a.Type != recovery.CallMissed || a.DeviceKind == recovery.DeviceCampaign)
				}
				require.True(t, witness, "the latest case expired with its window still running")
			}
			if !latest {
				next := cs[j+1]
				end := c.ExpiresAt
				if c.Status == recovery.StatusRecovered {
					end = c.ConnectedAt
				}
				require.False(t, next.FirstMissedAt.Before(end), "cases of one caller do not overlap")
			}
		}
	}
}

// checkIncremental applies calls one at a time, in time order, checks that statuses only
// move forward, and that the result is what Build gave.
func checkIncremental(t *testing.T, m *recovery.Matcher, calls []recovery.Call, now time.Time, want []recovery.Case) {
	t.Helper()
	sorted := slices.Clone(calls)
	slices.SortFunc(sorted, func(a, b recovery.Call) int { return callKey(&a, &b) })
	var all []*recovery.Case
	latest := map[string]*recovery.Case{}
	seen := map[int64]recovery.Status{}
	for _, call := range sorted {
		opened, _, err := m.Apply(latest[call.NumberE164], call)
		require.NoError(t, err)
		if opened != nil {
			require.Equal(t, recovery.StatusOpen, opened.Status)
			if prev := latest[call.NumberE164]; prev != nil {
				require.False(t, prev.Status.Active(), "a new case opens only after the last one ended")
			}
			all = append(all, opened)
			latest[call.NumberE164] = opened
		}
		for _, c := range all {
			if before, ok := seen[c.Key()]; ok {
				requireForward(t, before, c.Status)
			}
			seen[c.Key()] = c.Status
		}
	}
	got := make([]recovery.Case, len(all))
	for i, c := range all {
		before := c.Status
		c.Advance(now)
		requireForward(t, before, c.Status)
		got[i] = *c
	}
	slices.SortFunc(got, func(a, b recovery.Case) int {
		return cmp.Or(a.FirstMissedAt.Compare(b.FirstMissedAt), cmp.Compare(a.Key(), b.Key()))
	})
	if diff := gocmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Apply one by one differs from Build (-build +apply):\n%s", diff)
	}
}

// requireForward fails unless status to is from or follows it.
func requireForward(t *testing.T, from, to recovery.Status) {
	t.Helper()
	if from == to {
		return
	}
	rank := map[recovery.Status]int{recovery.StatusOpen: 0, recovery.StatusAttempted: 1, recovery.StatusRecovered: 2, recovery.StatusExpired: 2}
	require.False(t, !from.Active(), "status moved from %s to %s", from, to)
	require.Less(t, rank[from], rank[to], "status moved from %s to %s", from, to)
}
