package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/postgres"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// seed creates org orgID with active campaign device "d".
func seed(t testing.TB, st *postgres.Store, orgID string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, st.CreateOrg(ctx, &leadcall.Org{ID: orgID, Name: "O", Settings: leadcall.DefaultSettings(), CreatedAt: t0}))
	require.NoError(t, st.CreateDevice(ctx, &leadcall.Device{OrgID: orgID, ID: "d", Kind: device.KindCampaign, Active: true, CreatedAt: t0}))
}

func call(deviceID, id, e164 string, at time.Time) *leadcall.Call {
	return &leadcall.Call{
		DeviceID: deviceID, DeviceCallID: id, NumberRaw: e164, NumberE164: e164, Type: leadcall.CallMissed,
		StartedAt: at, ReceivedAt: at, DeviceKind: device.KindCampaign, Disposition: leadcall.DispositionSync,
		SyncStatus: leadcall.SyncPending,
	}
}

// replicas opens n Stores on one fresh schema, each with its own pool: what n server
// replicas sharing a database look like.
func replicas(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	dsn := newSchema(t)
	out := make([]*postgres.Store, n)
	for i := range out {
		out[i] = openStore(t, dsn, &postgres.Config{MaxConns: 8})
	}
	return out
}

// TestReplicasClaimConcurrently: two Stores (two pools, like two replicas) claim from the same
// outbox with 8 goroutines each while a third keeps ingesting calls. No job is leased twice, a
// caller never has two live leases, each caller's jobs run in call-time order, and every job
// ends done.
func TestReplicasClaimConcurrently(t *testing.T) {
	t.Run("backlog", func(t *testing.T) { testReplicasClaim(t, false) })
	// Calls that arrive late, dated before every call of their caller, become the head of
	// the caller's queue while other replicas are claiming it: the race that needs the serial
	// key's lock and the re-check (see ClaimJobs).
	t.Run("late calls dated earlier", func(t *testing.T) { testReplicasClaim(t, true) })
}

func testReplicasClaim(t *testing.T, lateCalls bool) {
	stores := replicas(t, 3)
	ctx := t.Context()
	seed(t, stores[0], "o")
	const (
		callers        = 10
		callsPerCaller = 8
		late           = 120
		workersPer     = 8
	)
	total := callers * callsPerCaller
	number := func(k int) string { return fmt.Sprintf("+9198%08d", k) }
	var batch []leadcall.NewCall
	for k := range callers {
		for i := range callsPerCaller {
			// A caller's calls interleave with others' and arrive out of order.
			at := t0.Add(time.Duration((callsPerCaller-i)*callers+k) * time.Second)
			batch = append(batch, leadcall.NewCall{Call: call("d", fmt.Sprintf("k%d-%d", k, i), number(k), at), Enqueue: true})
		}
	}
	_, err := stores[2].InsertCalls(ctx, "o", batch)
	require.NoError(t, err)

	now := t0.Add(24 * time.Hour)
	var (
		mu        sync.Mutex
		claimed   = map[int64]int{}
		inFlight  = map[string]int64{}
		order     = map[string][]time.Time{}
		problems  []string
		done      atomic.Int64
		expected  atomic.Int64
		inserting = make(chan struct{})
		wg        sync.WaitGroup
	)
	expected.Store(int64(total))
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	if lateCalls {
		expected.Add(late)
		go func() {
			defer close(inserting)
			for i := range late {
				k := i % callers
				c := call("d", fmt.Sprintf("late-%d", i), number(k), t0.Add(-time.Duration(i+1)*time.Second))
				if _, err := stores[2].InsertCalls(ctx, "o", []leadcall.NewCall{{Call: c, Enqueue: true}}); err != nil {
					report("insert late call: %v", err)
					return
				}
				time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
			}
		}()
	} else {
		close(inserting)
	}
	finished := func() bool {
		select {
		case <-inserting:
			return done.Load() >= expected.Load()
		default:
			return false
		}
	}
	for r, st := range stores[:2] {
		for w := range workersPer {
			wg.Go(func() {
				owner := fmt.Sprintf("r%d-w%d", r, w)
				for iter := 0; !finished() && iter < 100*total; iter++ {
					jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: owner, Now: now, Lease: time.Hour, Limit: 3})
					if err != nil {
						report("%s claim: %v", owner, err)
						return
					}
					if len(jobs) == 0 {
						time.Sleep(time.Millisecond)
						continue
					}
					mu.Lock()
					for _, j := range jobs {
						if claimed[j.ID]++; claimed[j.ID] > 1 {
							problems = append(problems, fmt.Sprintf("job %d claimed %d times", j.ID, claimed[j.ID]))
						}
						if other, busy := inFlight[j.SerialKey]; busy {
							problems = append(problems, fmt.Sprintf("jobs %d and %d of one caller leased at once", other, j.ID))
						}
						inFlight[j.SerialKey] = j.ID
						order[j.SerialKey] = append(order[j.SerialKey], j.OrderAt)
					}
					mu.Unlock()
					for _, j := range jobs {
						// Hold the lease a little, as a sync worker would, so that leases overlap.
						time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
						// Leave the in-flight set before the job ends: the caller's next job can
						// only be claimed once CompleteJob has committed.
						mu.Lock()
						delete(inFlight, j.SerialKey)
						mu.Unlock()
						if _, err := st.CompleteJob(ctx, leadcall.Fence{JobID: j.ID, LeaseToken: j.LeaseToken},
							&leadcall.CompleteJobParams{Now: now}); err != nil {
							report("%s complete %d: %v", owner, j.ID, err)
							return
						}
						done.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	<-inserting
	require.Empty(t, problems)
	require.Len(t, claimed, int(expected.Load()), "every job claimed")
	if !lateCalls {
		// (A late call dated earlier runs after the caller's later calls that already ran.)
		for key, ts := range order {
			require.Len(t, ts, callsPerCaller)
			require.Truef(t, slices.IsSortedFunc(ts, time.Time.Compare), "caller %s's jobs ran out of call-time order: %v", key, ts)
		}
	}
	counts, err := stores[0].JobCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, int(expected.Load()), counts[leadcall.JobDone])
}

// TestReplicasRescueConcurrently: a replica "crashes" holding leases; the others rescue the
// expired jobs concurrently, and each is rescued exactly once.
func TestReplicasRescueConcurrently(t *testing.T) {
	stores := replicas(t, 3)
	ctx := t.Context()
	seed(t, stores[0], "o")
	const n = 60
	var batch []leadcall.NewCall
	for i := range n {
		batch = append(batch, leadcall.NewCall{Call: call("d", fmt.Sprintf("c%d", i), fmt.Sprintf("+9198%08d", i), t0), Enqueue: true})
	}
	_, err := stores[0].InsertCalls(ctx, "o", batch)
	require.NoError(t, err)
	crashed, err := stores[0].ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "crashed", Now: t0, Lease: time.Minute, Limit: n})
	require.NoError(t, err)
	require.Len(t, crashed, n)

	later := t0.Add(2 * time.Minute)
	var (
		mu      sync.Mutex
		rescued = map[int64]int{}
		wg      sync.WaitGroup
		errs    = make(chan error, 16)
	)
	for _, st := range stores[1:] {
		for range 8 {
			wg.Go(func() {
				for range 20 {
					jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "rescuer", Now: later, Lease: time.Hour, Limit: 4})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, j := range jobs {
						rescued[j.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, rescued, n, "every expired job rescued")
	for id, times := range rescued {
		require.Equalf(t, 1, times, "job %d rescued %d times", id, times)
	}
	for _, j := range crashed {
		err := stores[0].AdvanceJob(ctx, leadcall.Fence{JobID: j.ID, LeaseToken: j.LeaseToken}, leadcall.StepWhoResolved, nil)
		require.ErrorIs(t, err, leadcall.ErrLeaseLost, "the crashed replica's tokens are dead")
	}
}

// TestReplicasEventStreamNeverSkips: writers on two Stores append events to one org while a
// reader tails the log the way the live stream does (Events after the last ID seen). Event
// IDs are handed out in commit order, so the reader sees every event exactly once; with IDs
// from a plain sequence, one committing late behind a higher ID would be skipped.
func TestReplicasEventStreamNeverSkips(t *testing.T) {
	stores := replicas(t, 2)
	ctx := t.Context()
	seed(t, stores[0], "o")
	const (
		writers = 8
		each    = 25
	)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		st := stores[w%2]
		wg.Go(func() {
			for i := range each {
				evs := []leadcall.Event{{OrgID: "o", Type: leadcall.EventBackfillProgress,
					Data: json.RawMessage(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))}}
				if i%5 == 0 { // some batches carry more than one event
					evs = append(evs, evs[0])
				}
				if _, err := st.AppendEvents(ctx, evs); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()

	var (
		seen  []int64
		after int64
	)
	for finished := false; ; {
		select {
		case <-writing:
			finished = true
		default:
		}
		page, err := stores[1].Events(ctx, "o", after, 7)
		require.NoError(t, err)
		for _, ev := range page {
			seen = append(seen, ev.ID)
			after = ev.ID
		}
		if finished && len(page) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all, err := stores[0].Events(ctx, "o", 0, 1000)
	require.NoError(t, err)
	require.Len(t, all, writers*(each+each/5))
	want := make([]int64, len(all))
	for i, ev := range all {
		want[i] = ev.ID
	}
	require.Equal(t, want, seen, "the tailing reader saw every event once, in order")
}

// TestReplicasSeatLimit: two replicas registering devices of one org at once never exceed its
// seat limit.
func TestReplicasSeatLimit(t *testing.T) {
	stores := replicas(t, 2)
	ctx := t.Context()
	require.NoError(t, stores[0].CreateOrg(ctx, &leadcall.Org{ID: "o", Settings: leadcall.DefaultSettings(), SeatLimit: 3}))
	var (
		wg       sync.WaitGroup
		ok, full atomic.Int64
		errs     = make(chan error, 20)
	)
	for i := range 20 {
		st := stores[i%2]
		wg.Go(func() {
			err := st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: fmt.Sprintf("d%d", i), Kind: device.KindCampaign, Active: true})
			switch leadcall.CodeOf(err) {
			case leadcall.CodeUnknown:
				ok.Add(1)
			case leadcall.CodeSeatLimit:
				full.Add(1)
			default:
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(3), ok.Load())
	require.Equal(t, int64(17), full.Load())
	devs, err := stores[1].Devices(ctx, "o")
	require.NoError(t, err)
	require.Len(t, devs, 3)
}

// TestListenAcrossStores: a notification for events appended through one Store reaches a
// subscriber of another Store (another pool, as on another replica) after the commit, naming
// the org and the last event ID; payloads on the channel that this package did not write are
// skipped.
func TestListenAcrossStores(t *testing.T) {
	stores := replicas(t, 2)
	ctx := t.Context()
	org := "listen-" + randomHex(6) // the channel is shared by every schema of the database
	seed(t, stores[0], org)

	sub, err := stores[0].Subscribe(ctx)
	require.NoError(t, err)
	defer sub.Close()

	// Someone else's traffic on the channel, then ours.
	for _, p := range []string{"", "not json", `{"org_id":"x"}`, `{"event_id":-4}`, string(make([]byte, 100))} {
		_, err := testPG.admin.Exec(ctx, "SELECT pg_notify($1, $2)", postgres.EventChannel, p)
		if err != nil { // a NUL payload is refused by the server: nothing to skip then
			continue
		}
	}
	evs, err := stores[1].AppendEvents(ctx, []leadcall.Event{
		{OrgID: org, Type: leadcall.EventBackfillProgress},
		{OrgID: org, Type: leadcall.EventBackfillProgress},
	})
	require.NoError(t, err)

	n := nextFor(t, sub, org)
	require.Equal(t, evs[1].ID, n.EventID, "one notification per org and transaction, with its last event")
	got, err := stores[0].Events(ctx, org, evs[0].ID-1, 10)
	require.NoError(t, err)
	require.Len(t, got, 2, "the events are readable once notified")

	// Events appended by other methods notify too.
	_, err = stores[1].PauseOrg(ctx, org, time.Now().Add(time.Hour), "test")
	require.NoError(t, err)
	n = nextFor(t, sub, org)
	require.Greater(t, n.EventID, evs[1].ID)

	// Next honours its context and the subscription survives it.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = sub.Next(short)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, err = stores[1].AppendEvents(ctx, []leadcall.Event{{OrgID: org, Type: leadcall.EventBackfillProgress}})
	require.NoError(t, err)
	nextFor(t, sub, org)
}

// nextFor returns the next notification for org, skipping other tests' orgs.
func nextFor(t *testing.T, sub *postgres.Subscription, org string) postgres.Notification {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		n, err := sub.Next(ctx)
		require.NoError(t, err)
		if n.OrgID == org {
			return n
		}
	}
}

// TestListen: Listen hands notifications to its callback and returns nil once its context
// is done.
func TestListen(t *testing.T) {
	stores := replicas(t, 2)
	org := "listen-" + randomHex(6)
	seed(t, stores[0], org)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan int64, 100)
	listening := make(chan error, 1)
	go func() {
		listening <- stores[0].Listen(ctx, func(orgID string, eventID int64) {
			if orgID == org {
				got <- eventID
			}
		})
	}()
	// Listen has no "ready" signal (Subscribe has): append until a notification arrives.
	deadline := time.After(10 * time.Second)
	var last int64
	for ok := false; !ok; {
		evs, err := stores[1].AppendEvents(t.Context(), []leadcall.Event{{OrgID: org, Type: leadcall.EventBackfillProgress}})
		require.NoError(t, err)
		last = evs[0].ID
		select {
		case id := <-got:
			require.LessOrEqual(t, id, last)
			ok = true
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification within 10s")
		}
	}
	cancel()
	select {
	case err := <-listening:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen did not return after its context was cancelled")
	}
}

// TestReplicasIngestSameBatch: a device re-sends a batch to two replicas at once, once in
// reverse order (which can deadlock the two inserts; the loser is retried). Each call is
// stored once, with one job and one call.ingested event, and both replies agree on the IDs.
func TestReplicasIngestSameBatch(t *testing.T) {
	stores := replicas(t, 2)
	ctx := t.Context()
	seed(t, stores[0], "o")
	const rounds, size = 10, 50
	for r := range rounds {
		mk := func(reverse bool) []leadcall.NewCall {
			out := make([]leadcall.NewCall, size)
			for i := range out {
				k := i
				if reverse {
					k = size - 1 - i
				}
				out[i] = leadcall.NewCall{Call: call("d", fmt.Sprintf("r%d-c%d", r, k), fmt.Sprintf("+9198%08d", k), t0), Enqueue: true}
			}
			return out
		}
		batches := [][]leadcall.NewCall{mk(false), mk(r%2 == 1)}
		results := make([]*leadcall.InsertCallsResult, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, st := range stores {
			wg.Go(func() { results[i], errs[i] = st.InsertCalls(ctx, "o", batches[i]) })
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		ids := map[string]int64{}
		inserted := 0
		for i := range batches {
			for j, nc := range batches[i] {
				if results[i].Inserted[j] {
					inserted++
				}
				if prev, ok := ids[nc.Call.DeviceCallID]; ok {
					require.Equal(t, prev, nc.Call.ID, "both replies name the same stored call")
				}
				ids[nc.Call.DeviceCallID] = nc.Call.ID
			}
		}
		require.Equal(t, size, inserted, "round %d: each call inserted exactly once", r)
		require.Equal(t, size, len(results[0].Events)+len(results[1].Events), "one call.ingested per stored call")
	}
	counts, err := stores[0].JobCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, rounds*size, counts[leadcall.JobReady], "one job per call")
	evs, err := stores[1].Events(ctx, "o", 0, 1000)
	require.NoError(t, err)
	require.Len(t, evs, rounds*size)
}
