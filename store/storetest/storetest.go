// Package storetest is the conformance suite for leadcall.Store implementations: every store
// (store/sqlite, store/postgres, an embedder's own) runs it from a test and must pass it.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) leadcall.Store {
//			st, err := mystore.Open(t.Context(), ...)
//			require.NoError(t, err)
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// Import it only from _test.go files: it depends on package testing and on testify.
//
// # What the suite assumes
//
// newStore must return a new, empty store each time it is called (the suite calls it once per
// subtest, and subtests run in parallel) and must close it through t.Cleanup. The store's
// clock must be the real clock: OrgPause compares against it. Times are compared after
// truncation to the millisecond, the precision both reference stores keep.
//
// # Contract details the suite pins down
//
// Where the doc comments of leadcall.Store leave a choice, the suite fixes one so that every
// store behaves the same:
//   - Lists keyed by an org (Reps, Devices, OwnNumbers, ListCalls, ListReview,
//     CallsByNumber, LeadsCreatedFor, Assignments by device) are CodeNotFound for an unknown
//     org or device, like single records.
//   - Serial keys are per org: another org's jobs for the same number never block a claim.
//   - A job enqueued by InsertCalls runs from the call's ReceivedAt; one enqueued by
//     EnqueueJob from EnqueueParams.Now.
//   - SetAssignment refuses a start before the end of the device's last closed assignment,
//     not only before the open one's start (history is never rewritten).
//   - Fenced methods return ErrLeaseLost for a job that is done, dead, or unknown.
//   - OrgPause reports the zero time once the pause has ended.
//
// # Engine benchmarks
//
// BenchEngineIngest and BenchEngineSync run the Engine on a store the caller opens, so every
// store measures ingest and sync with the same code and reports calls/s under the same
// benchmark names (BenchmarkIngest/sequential, BenchmarkIngest/devices=4, BenchmarkSync).
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

// base is the suite's reference time; every time it uses has millisecond precision.
var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// claimTime is late enough to claim every job the fixtures enqueue.
var claimTime = base.Add(30 * 24 * time.Hour)

// test is one named conformance test.
type test struct {
	name string
	fn   func(t *testing.T, e *env)
}

// Run runs every conformance test against stores made by newStore, each as a parallel
// subtest with its own store.
func Run(t *testing.T, newStore func(t *testing.T) leadcall.Store) {
	groups := [][]test{orgTests(), deviceTests(), assignmentTests(), callTests(), jobTests(), reviewTests(), eventTests(), recoveryTests(),
		userTests()}
	for _, g := range groups {
		for _, tc := range g {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, newEnv(t, newStore))
			})
		}
	}
}

// env is a subtest's fixture: a fresh store with org "org-a" and its active campaign device
// "dev-1".
type env struct {
	t   *testing.T
	ctx context.Context
	st  leadcall.Store
	org string
	dev string
}

func newEnv(t *testing.T, newStore func(t *testing.T) leadcall.Store) *env {
	t.Helper()
	st := newStore(t)
	require.NotNil(t, st, "newStore returned nil")
	e := &env{t: t, ctx: t.Context(), st: st, org: "org-a", dev: "dev-1"}
	e.createOrg(e.org, 0)
	e.createDevice(e.org, e.dev)
	return e
}

func (e *env) createOrg(id string, seatLimit int) *leadcall.Org {
	e.t.Helper()
	o := &leadcall.Org{ID: id, Name: "Org " + id, Settings: leadcall.DefaultSettings(), SeatLimit: seatLimit, CreatedAt: base}
	require.NoError(e.t, e.st.CreateOrg(e.ctx, o))
	return o
}

func (e *env) newDevice(orgID, id string) *leadcall.Device {
	return &leadcall.Device{
		OrgID: orgID, ID: id, Kind: device.KindCampaign, Nickname: "Phone " + id, Active: true,
		Battery: -1, CreatedAt: base,
	}
}

func (e *env) createDevice(orgID, id string, mutate ...func(*leadcall.Device)) *leadcall.Device {
	e.t.Helper()
	d := e.newDevice(orgID, id)
	for _, m := range mutate {
		m(d)
	}
	require.NoError(e.t, e.st.CreateDevice(e.ctx, d))
	return d
}

// number returns a distinct E.164 number for i.
func number(i int) string { return fmt.Sprintf("+9198%08d", i) }

// newCall returns a valid missed call on deviceID, pending sync, received a minute after it
// started.
func newCall(deviceID, deviceCallID, e164 string, at time.Time) *leadcall.Call {
	return &leadcall.Call{
		DeviceID: deviceID, DeviceCallID: deviceCallID, NumberRaw: e164, NumberE164: e164,
		Type: leadcall.CallMissed, StartedAt: at, SIMSlot: 1, ReceivedAt: at.Add(time.Minute),
		DeviceKind: device.KindCampaign, Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncPending,
	}
}

// insert stores calls in org and requires success.
func (e *env) insert(orgID string, ncs ...leadcall.NewCall) *leadcall.InsertCallsResult {
	e.t.Helper()
	res, err := e.st.InsertCalls(e.ctx, orgID, ncs)
	require.NoError(e.t, err)
	require.Len(e.t, res.Inserted, len(ncs))
	return res
}

// enqueued inserts one call from e164 at `at` on e.dev, enqueued for sync, and returns it.
func (e *env) enqueued(deviceCallID, e164 string, at time.Time) *leadcall.Call {
	e.t.Helper()
	c := newCall(e.dev, deviceCallID, e164, at)
	res := e.insert(e.org, leadcall.NewCall{Call: c, Enqueue: true})
	require.True(e.t, res.Inserted[0])
	return c
}

// claim claims up to limit jobs at now with a one-minute lease.
func (e *env) claim(now time.Time, limit int) []leadcall.Job {
	e.t.Helper()
	jobs, err := e.st.ClaimJobs(e.ctx, &leadcall.ClaimParams{Owner: "w1", Now: now, Lease: time.Minute, Limit: limit})
	require.NoError(e.t, err)
	return jobs
}

// claimOne claims exactly one job.
func (e *env) claimOne(now time.Time) leadcall.Job {
	e.t.Helper()
	jobs := e.claim(now, 10)
	require.Len(e.t, jobs, 1, "claimed jobs")
	return jobs[0]
}

// jobFor returns the job of a call, found through the suite's own bookkeeping: it claims
// nothing, so it reads the job by the ID that a claim returned or an EnqueueJob gave.
func (e *env) job(orgID string, id int64) *leadcall.Job {
	e.t.Helper()
	j, err := e.st.Job(e.ctx, orgID, id)
	require.NoError(e.t, err)
	return j
}

func (e *env) call(orgID string, id int64) *leadcall.Call {
	e.t.Helper()
	c, err := e.st.Call(e.ctx, orgID, id)
	require.NoError(e.t, err)
	return c
}

// events returns every event of org.
func (e *env) events(orgID string) []leadcall.Event {
	e.t.Helper()
	evs, err := e.st.Events(e.ctx, orgID, 0, 1000)
	require.NoError(e.t, err)
	return evs
}

func fence(j leadcall.Job) leadcall.Fence {
	return leadcall.Fence{JobID: j.ID, LeaseToken: j.LeaseToken}
}

// requireCode fails unless err carries code.
func requireCode(t *testing.T, err error, want leadcall.Code, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equalf(t, want, leadcall.CodeOf(err), "error %q: want code %s, got %s", err, want, leadcall.CodeOf(err))
}

// requireDiff fails with a go-cmp diff when want and got differ.
func requireDiff(t *testing.T, want, got any, what string, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// Comparison options.
var (
	// ignoreOwnerResolved: Call.OwnerResolved is not part of a call's JSON.
	ignoreOwnerResolved = cmpopts.IgnoreFields(leadcall.Call{}, "OwnerResolved")
	// eventData compares JSON by meaning, since a store may keep it re-encoded (jsonb).
	eventData = cmp.Comparer(func(a, b json.RawMessage) bool {
		var x, y any
		if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
			return string(a) == string(b)
		}
		return cmp.Equal(x, y)
	})
)

// decode unmarshals an event's Data into a new T.
func decode[T any](t *testing.T, ev leadcall.Event) T {
	t.Helper()
	var v T
	require.NoErrorf(t, json.Unmarshal(ev.Data, &v), "event %d (%s) data", ev.ID, ev.Type)
	return v
}

// eventTypes lists the types of evs.
func eventTypes(evs []leadcall.Event) []leadcall.EventType {
	out := make([]leadcall.EventType, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// requireIncreasing fails unless the event IDs increase strictly.
func requireIncreasing(t *testing.T, evs []leadcall.Event) {
	t.Helper()
	for i := 1; i < len(evs); i++ {
		require.Greaterf(t, evs[i].ID, evs[i-1].ID, "event IDs must increase strictly: %d then %d", evs[i-1].ID, evs[i].ID)
	}
}
