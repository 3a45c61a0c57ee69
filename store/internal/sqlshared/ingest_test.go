package sqlshared

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func newCalls(keys ...CallKey) []leadcall.NewCall {
	out := make([]leadcall.NewCall, len(keys))
	for i, k := range keys {
		c := goodCall()
		c.DeviceID, c.DeviceCallID = k.Device, k.ID
		out[i] = leadcall.NewCall{Call: c}
	}
	return out
}

func TestValidateInsert(t *testing.T) {
	calls := newCalls(CallKey{"d1", "a"}, CallKey{"d1", "b"})
	require.NoError(t, ValidateInsert(op, "org", calls))
	require.NoError(t, ValidateInsert(op, "org", nil))
	requireInvalid(t, ValidateInsert(op, "", calls), "org_id", "required")
	calls[1].Call.DeviceCallID = ""
	requireInvalid(t, ValidateInsert(op, "org", calls), "calls[1].device_call_id", "required")
}

func TestNormalizeCalls(t *testing.T) {
	calls := newCalls(CallKey{"d1", "a"}, CallKey{"d2", "b"})
	calls[1].Enqueue = true
	stored := NormalizeCalls(calls, "org", t0)
	require.Len(t, stored, 2)
	require.Equal(t, leadcall.SyncNone, stored[0].SyncStatus)
	require.Equal(t, leadcall.SyncPending, stored[1].SyncStatus)
	require.Equal(t, "org", stored[1].OrgID)
	require.Empty(t, calls[0].Call.OrgID, "the caller's calls are not changed")
}

func TestMatchInsertedAndSetFoundIDs(t *testing.T) {
	a, b, c := CallKey{"d1", "a"}, CallKey{"d1", "b"}, CallKey{"d2", "a"}
	calls := newCalls(a, b, a, c)
	stored := NormalizeCalls(calls, "org", t0)
	inserted := make([]bool, len(stored))
	newIDs := map[CallKey]int64{a: 10, c: 11}

	dups := MatchInserted(stored, newIDs, inserted)
	require.Equal(t, []int{1, 2}, dups, "b was stored before, the second a is a duplicate in the batch")
	require.Equal(t, []bool{true, false, false, true}, inserted)
	require.Empty(t, newIDs)
	require.Equal(t, int64(10), stored[0].ID)
	require.Equal(t, int64(11), stored[3].ID)

	require.Empty(t, cmp.Diff(map[string][]string{"d1": {"b", "a"}}, DeviceCallIDs(stored, dups)))

	require.NoError(t, SetFoundIDs(op, stored, dups, map[CallKey]int64{a: 10, b: 7}))
	require.Equal(t, int64(7), stored[1].ID)
	require.Equal(t, int64(10), stored[2].ID)

	err := SetFoundIDs(op, stored, dups, map[CallKey]int64{a: 10})
	require.Equal(t, leadcall.CodeInternal, leadcall.CodeOf(err))
	require.Contains(t, err.Error(), "call 1 of the batch")
}

func TestApplyInserted(t *testing.T) {
	calls := newCalls(CallKey{"d1", "a"}, CallKey{"d1", "b"})
	calls[0].Review = &leadcall.ReviewItem{Kind: leadcall.ReviewInvalidNumber}
	calls[1].Review = &leadcall.ReviewItem{Kind: leadcall.ReviewInvalidNumber}
	stored := NormalizeCalls(calls, "org", t0)
	stored[0].ID, stored[1].ID = 5, 6
	reviews := []leadcall.ReviewItem{{ID: 50, Kind: leadcall.ReviewInvalidNumber, CallID: 5}, {}}

	ApplyInserted(calls, stored, []bool{true, false}, reviews)
	require.Equal(t, stored[0], *calls[0].Call)
	require.Equal(t, reviews[0], *calls[0].Review)
	require.Equal(t, int64(6), calls[1].Call.ID)
	require.Empty(t, calls[1].Call.OrgID, "a duplicate gets only the stored ID")
	require.Zero(t, calls[1].Review.ID)
}

func TestValidateReviewFilter(t *testing.T) {
	limit, after, err := ValidateReviewFilter(op, &leadcall.ReviewFilter{Status: leadcall.ReviewOpen, Limit: 3})
	require.NoError(t, err)
	require.Equal(t, 3, limit)
	require.Zero(t, after)

	for field, f := range map[string]*leadcall.ReviewFilter{
		"filter": nil,
		"limit":  {Limit: -1},
		"status": {Status: "closed"},
		"kinds":  {Kinds: make([]leadcall.ReviewKind, MaxFilterValues+1)},
		"cursor": {Cursor: EncodeCursor(CallCursorTag, 1, 2)},
	} {
		_, _, err := ValidateReviewFilter(op, f)
		requireInvalid(t, err, field, "")
	}
}
