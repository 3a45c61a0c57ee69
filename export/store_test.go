package export_test

import (
	"bytes"
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/export"
)

// countingStore counts the lookups WriteCalls makes and can fail them.
type countingStore struct {
	leadcall.Store
	devices, device, assignment, byNumber, pages atomic.Int64
	failByNumber, failAssignment, failPage2      error
}

func (s *countingStore) Devices(ctx context.Context, orgID string) ([]leadcall.Device, error) {
	s.devices.Add(1)
	return s.Store.Devices(ctx, orgID)
}

func (s *countingStore) Device(ctx context.Context, orgID, id string) (*leadcall.Device, error) {
	s.device.Add(1)
	return s.Store.Device(ctx, orgID, id)
}

func (s *countingStore) Assignment(ctx context.Context, orgID string, id int64) (*leadcall.Assignment, error) {
	s.assignment.Add(1)
	if s.failAssignment != nil {
		return nil, s.failAssignment
	}
	return s.Store.Assignment(ctx, orgID, id)
}

func (s *countingStore) CallsByNumber(ctx context.Context, orgID, e164 string, since time.Time) ([]leadcall.Call, error) {
	s.byNumber.Add(1)
	if s.failByNumber != nil {
		return nil, s.failByNumber
	}
	return s.Store.CallsByNumber(ctx, orgID, e164, since)
}

func (s *countingStore) ListCalls(ctx context.Context, f *leadcall.CallFilter) (*leadcall.CallPage, error) {
	if s.pages.Add(1) == 2 && s.failPage2 != nil {
		return nil, s.failPage2
	}
	return s.Store.ListCalls(ctx, f)
}

func TestLookupsAreCached(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	cs := &countingStore{Store: st}
	out := runExport(t, cs, leadcall.CallFilter{OrgID: "acme"}, export.Options{PageSize: 1, Now: fixedNow(t0.Add(time.Hour))})
	require.Len(t, parse(t, out), 5)
	require.EqualValues(t, 1, cs.devices.Load(), "the device list is read once")
	require.EqualValues(t, 0, cs.device.Load())
	require.EqualValues(t, 1, cs.assignment.Load(), "three calls share one assignment")
	require.EqualValues(t, 2, cs.byNumber.Load(), "two callers missed a campaign phone")
	require.EqualValues(t, 5, cs.pages.Load(), "five pages of one call")
}

func TestAssignmentCacheEviction(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	createOrg(t, st, "acme", "UTC")
	createDevice(t, st, "acme", "a", "A", device.KindCampaign)
	createDevice(t, st, "acme", "b", "B", device.KindCampaign)
	aa := setAssignment(t, st, "acme", "a", "Radio", map[string]string{"k": "a"})
	ab := setAssignment(t, st, "acme", "b", "TV", map[string]string{"k": "b"})
	var calls []*leadcall.Call
	for i := range 6 {
		dev, aid := "a", aa
		if i%2 == 1 {
			dev, aid = "b", ab
		}
		c := call(dev, device.KindCampaign, leadcall.CallInbound, "+919876543210", t0.Add(time.Duration(i)*time.Minute), 5)
		c.AssignmentID = aid
		calls = append(calls, c)
	}
	insert(t, st, "acme", calls...)
	cs := &countingStore{Store: st}
	rows := parse(t, runExport(t, cs, leadcall.CallFilter{OrgID: "acme"}, export.Options{AssignmentCacheSize: 1}))
	require.Equal(t, []string{"k=b", "k=a", "k=b", "k=a", "k=b", "k=a"}, column(rows, "campaign_metadata"))
	require.EqualValues(t, 6, cs.assignment.Load(), "alternating assignments evict each other from a cache of one")
}

func TestStoreErrorsStopTheExport(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	errStore := errors.New("store down")
	cases := []struct {
		name  string
		store *countingStore
		rows  int
	}{
		{"calls by number", &countingStore{Store: st, failByNumber: errStore}, 2}, // the first page has no miss
		{"assignment", &countingStore{Store: st, failAssignment: leadcall.NewError(leadcall.CodeUnavailable, "test", errStore)}, 0},
		{"second page", &countingStore{Store: st, failPage2: errStore}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := export.WriteCalls(context.Background(), &buf, tc.store, leadcall.CallFilter{OrgID: "acme"}, export.Options{PageSize: 2})
			require.ErrorIs(t, err, errStore)
			require.Equal(t, tc.rows, n)
		})
	}
	// An assignment that is gone is not an error: the row keeps its lead source.
	gone := &countingStore{Store: st, failAssignment: leadcall.Errorf(leadcall.CodeNotFound, "test", "gone")}
	rows := parse(t, runExport(t, gone, leadcall.CallFilter{OrgID: "acme"}, export.Options{}))
	require.Equal(t, []string{"", "", "", "", ""}, column(rows, "campaign_metadata"))
	require.Equal(t, []string{"Hoarding", "", "Hoarding", "", "Hoarding"}, column(rows, "lead_source"))
}
