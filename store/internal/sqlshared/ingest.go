package sqlshared

import (
	"time"

	"github.com/leadcall/leadcall"
)

// CallKey is what ingest is idempotent on, within an org.
type CallKey struct{ Device, ID string }

// KeyOf returns c's idempotency key.
func KeyOf(c *leadcall.Call) CallKey { return CallKey{c.DeviceID, c.DeviceCallID} }

// ValidateInsert checks InsertCalls' arguments: an org, and every call (see ValidateNewCall),
// before anything of the batch is written.
func ValidateInsert(op, orgID string, calls []leadcall.NewCall) error {
	if orgID == "" {
		return Invalid(op, "org_id", "required")
	}
	for i := range calls {
		if err := ValidateNewCall(op, orgID, i, &calls[i]); err != nil {
			return err
		}
	}
	return nil
}

// NormalizeCalls returns the calls as InsertCalls stores them (see NormalizeCall).
func NormalizeCalls(calls []leadcall.NewCall, orgID string, now time.Time) []leadcall.Call {
	stored := make([]leadcall.Call, len(calls))
	for i, nc := range calls {
		stored[i] = NormalizeCall(*nc.Call, orgID, nc.Enqueue, now)
	}
	return stored
}

// MatchInserted gives the calls that an insert stored their new IDs (from newIDs, which it
// empties) and marks them in inserted. The first occurrence of a key that got an ID is the
// new call; every other call is a duplicate, of a stored call or of an earlier one in the
// batch, and its index is returned for LookupCallIDs' query.
func MatchInserted(stored []leadcall.Call, newIDs map[CallKey]int64, inserted []bool) (dups []int) {
	for i := range stored {
		k := KeyOf(&stored[i])
		if id, ok := newIDs[k]; ok {
			stored[i].ID = id
			inserted[i] = true
			delete(newIDs, k)
			continue
		}
		dups = append(dups, i)
	}
	return dups
}

// DeviceCallIDs groups the device call IDs of calls[i], i in idx, by device.
func DeviceCallIDs(calls []leadcall.Call, idx []int) map[string][]string {
	byDevice := map[string][]string{}
	for _, i := range idx {
		byDevice[calls[i].DeviceID] = append(byDevice[calls[i].DeviceID], calls[i].DeviceCallID)
	}
	return byDevice
}

// SetFoundIDs sets the ID of calls[i], i in idx, from the stored calls found by key. A call
// neither inserted nor found is CodeInternal: the insert and the lookup disagree.
func SetFoundIDs(op string, calls []leadcall.Call, idx []int, found map[CallKey]int64) error {
	for _, i := range idx {
		id, ok := found[KeyOf(&calls[i])]
		if !ok {
			return leadcall.Errorf(leadcall.CodeInternal, op, "call %d of the batch was neither inserted nor found", i)
		}
		calls[i].ID = id
	}
	return nil
}

// ApplyInserted hands InsertCalls' results back to the caller's calls: a new call becomes
// the stored call (and its review the stored review), a duplicate gets the stored call's ID.
func ApplyInserted(calls []leadcall.NewCall, stored []leadcall.Call, inserted []bool, reviews []leadcall.ReviewItem) {
	for i, nc := range calls {
		if !inserted[i] {
			nc.Call.ID = stored[i].ID
			continue
		}
		*nc.Call = stored[i]
		if nc.Review != nil {
			*nc.Review = reviews[i]
		}
	}
}
