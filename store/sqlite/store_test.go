package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	msqlite "modernc.org/sqlite"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/sqlite"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func open(t testing.TB, path string, cfg *sqlite.Config) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// seed creates org "o" with campaign device "d".
func seed(t testing.TB, st *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, st.CreateOrg(ctx, &leadcall.Org{ID: "o", Name: "O", Settings: leadcall.DefaultSettings(), CreatedAt: t0}))
	require.NoError(t, st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: "d", Kind: device.KindCampaign, Active: true, CreatedAt: t0}))
}

func call(deviceID, id, e164 string, at time.Time) *leadcall.Call {
	return &leadcall.Call{
		DeviceID: deviceID, DeviceCallID: id, NumberRaw: e164, NumberE164: e164, Type: leadcall.CallMissed,
		StartedAt: at, ReceivedAt: at, DeviceKind: device.KindCampaign, Disposition: leadcall.DispositionSync,
		SyncStatus: leadcall.SyncPending,
	}
}

// rawDB opens the file read-only, bypassing the Store, to inspect what it wrote.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	c, err := msqlite.NewConnector("file://" + path + "?mode=ro&_busy_timeout=5000")
	require.NoError(t, err)
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenRefusesBadInput(t *testing.T) {
	ctx := t.Context()
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		_, err := sqlite.Open(ctx, path, nil)
		require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "path %q: %v", path, err)
	}
	dir := t.TempDir()
	for name, cfg := range map[string]*sqlite.Config{
		"negative busy":     {BusyTimeout: -time.Second},
		"sub-ms busy":       {BusyTimeout: time.Microsecond},
		"negative readers":  {ReadConns: -1},
		"negative attempts": {MaxAttempts: -1},
	} {
		_, err := sqlite.Open(ctx, filepath.Join(dir, "x.db"), cfg)
		require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), name)
	}
	_, err := sqlite.Open(ctx, filepath.Join(dir, "missing", "dir", "x.db"), nil)
	require.Error(t, err, "a directory that does not exist")

	notDB := filepath.Join(dir, "garbage.db")
	require.NoError(t, os.WriteFile(notDB, []byte(strings.Repeat("not a database ", 1000)), 0o600))
	_, err = sqlite.Open(ctx, notDB, nil)
	require.Error(t, err, "a file that is not a database")
}

func TestOpenOddPath(t *testing.T) {
	// '?', '#', '%' and spaces in a path must not be read as URI syntax.
	path := filepath.Join(t.TempDir(), "a dir?x=1#frag", "db %41 ?_txlock=deferred.sqlite")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	st := open(t, path, nil)
	seed(t, st)
	require.NoError(t, st.Close())
	_, err := os.Stat(path)
	require.NoError(t, err, "the file is where the path says")
}

func TestMigrationsFreshAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	st, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	type row struct {
		Version   int
		Name      string
		AppliedAt int64
	}
	read := func() []row {
		db := rawDB(t, path)
		rows, err := db.Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		require.NoError(t, err)
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			require.NoError(t, rows.Scan(&r.Version, &r.Name, &r.AppliedAt))
			out = append(out, r)
		}
		require.NoError(t, rows.Err())
		return out
	}
	first := read()
	require.Len(t, first, sqlite.SchemaVersion())
	for i, r := range first {
		require.Equal(t, i+1, r.Version)
	}

	// Opening again applies nothing.
	st, err = sqlite.Open(t.Context(), path, &sqlite.Config{Now: func() time.Time { return t0.Add(1000 * time.Hour) }})
	require.NoError(t, err)
	require.NoError(t, st.Close())
	if d := cmp.Diff(first, read()); d != "" {
		t.Fatalf("re-open changed schema_migrations (-before +after):\n%s", d)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.db")
	st, err := sqlite.Open(t.Context(), path, nil)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	c, err := msqlite.NewConnector("file://" + path)
	require.NoError(t, err)
	db := sql.OpenDB(c)
	_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, '9999_future.sql', 0)`, sqlite.SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = sqlite.Open(t.Context(), path, nil)
	require.ErrorIs(t, err, sqlite.ErrSchemaTooNew)
	require.Contains(t, err.Error(), "newer")
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	ctx := t.Context()
	st, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	seed(t, st)
	a := &leadcall.Assignment{OrgID: "o", DeviceID: "d", LeadSource: "Billboard", Metadata: map[string]string{"City": "Pune"}, Start: t0}
	require.NoError(t, st.SetAssignment(ctx, a))
	var batch []leadcall.NewCall
	for i := range 50 {
		batch = append(batch, leadcall.NewCall{Call: call("d", fmt.Sprintf("c%d", i), fmt.Sprintf("+9198%08d", i%7), t0.Add(time.Duration(i)*time.Second)), Enqueue: true})
	}
	batch[3].Review = &leadcall.ReviewItem{Kind: leadcall.ReviewInvalidNumber}
	_, err = st.InsertCalls(ctx, "o", batch)
	require.NoError(t, err)
	jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "w", Now: t0.Add(time.Hour), Lease: time.Hour, Limit: 3})
	require.NoError(t, err)
	require.Len(t, jobs, 3)
	_, err = st.PauseOrg(ctx, "o", time.Now().Add(time.Hour).Truncate(time.Millisecond), "rate limited")
	require.NoError(t, err)

	snapshot := func(st *sqlite.Store) map[string]any {
		org, err := st.Org(ctx, "o")
		require.NoError(t, err)
		dev, err := st.Device(ctx, "o", "d")
		require.NoError(t, err)
		as, err := st.Assignments(ctx, "o", "d")
		require.NoError(t, err)
		page, err := st.ListCalls(ctx, &leadcall.CallFilter{OrgID: "o", Limit: 1000})
		require.NoError(t, err)
		review, err := st.ListReview(ctx, &leadcall.ReviewFilter{OrgID: "o"})
		require.NoError(t, err)
		evs, err := st.Events(ctx, "o", 0, 1000)
		require.NoError(t, err)
		var js []*leadcall.Job
		for _, j := range jobs {
			got, err := st.Job(ctx, "o", j.ID)
			require.NoError(t, err)
			js = append(js, got)
		}
		counts, err := st.JobCounts(ctx)
		require.NoError(t, err)
		until, reason, err := st.OrgPause(ctx, "o")
		require.NoError(t, err)
		return map[string]any{"org": org, "device": dev, "assignments": as, "calls": page.Items, "review": review.Items,
			"events": evs, "jobs": js, "counts": counts, "pause": []any{until, reason}}
	}
	before := snapshot(st)
	require.Len(t, before["calls"], 50)
	require.NoError(t, st.Close())

	st, err = sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer st.Close()
	if d := cmp.Diff(before, snapshot(st)); d != "" {
		t.Fatalf("data changed across close/reopen (-before +after):\n%s", d)
	}
	// The leases survive too: the claimed jobs are not claimable, the rest are.
	more, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "w", Now: t0.Add(time.Hour), Lease: time.Hour, Limit: 100})
	require.NoError(t, err)
	require.Empty(t, more, "the org is paused")
}

func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	st := open(t, path, nil)
	seed(t, st)
	// A second Store on the same file, as a second process would be: writes contend for the
	// file lock and wait (busy_timeout) instead of failing.
	other := open(t, path, nil)
	ctx := t.Context()

	const (
		goroutines = 12
		batches    = 6
		perBatch   = 10
	)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*batches)
	for g := range goroutines {
		s := st
		if g%3 == 0 {
			s = other
		}
		wg.Go(func() {
			for b := range batches {
				var nc []leadcall.NewCall
				for i := range perBatch {
					// Every goroutine also re-sends the calls of goroutine 0: duplicates race.
					id := fmt.Sprintf("g%d-b%d-%d", g, b, i)
					if i%5 == 0 {
						id = fmt.Sprintf("g0-b%d-%d", b, i)
					}
					nc = append(nc, leadcall.NewCall{Call: call("d", id, fmt.Sprintf("+9198%08d", i), t0.Add(time.Duration(b*perBatch+i)*time.Second)), Enqueue: true})
				}
				if _, err := s.InsertCalls(ctx, "o", nc); err != nil {
					errs <- err
					return
				}
				if _, err := s.AppendEvents(ctx, []leadcall.Event{{OrgID: "o", Type: leadcall.EventBackfillProgress}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Distinct call IDs: goroutine 0 sends all of its own; the others send 8 own per batch.
	want := batches*perBatch + (goroutines-1)*batches*(perBatch-2)
	page, err := st.ListCalls(ctx, &leadcall.CallFilter{OrgID: "o", Limit: 1000})
	require.NoError(t, err)
	require.Len(t, page.Items, want)
	counts, err := st.JobCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, want, counts[leadcall.JobReady], "one job per stored call, none for duplicates")
	evs, err := st.Events(ctx, "o", 0, 1000)
	require.NoError(t, err)
	require.Len(t, evs, want+goroutines*batches)
	for i := 1; i < len(evs); i++ {
		require.Greater(t, evs[i].ID, evs[i-1].ID)
	}
}

func TestHostileInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := open(t, path, nil)
	ctx := t.Context()
	huge := strings.Repeat("x", 1<<20)
	weird := "a\x00b'; DROP TABLE calls; --\"\\%_\u202e\U0001F600"
	notUTF8 := "\xff\xfe\x00ok"
	orgID := "org'); DELETE FROM orgs; --"
	require.NoError(t, st.CreateOrg(ctx, &leadcall.Org{ID: orgID, Name: huge, Settings: leadcall.Settings{LeadPlaceholder: weird}, CreatedAt: t0}))
	org, err := st.Org(ctx, orgID)
	require.NoError(t, err)
	require.Equal(t, huge, org.Name)
	require.Equal(t, weird, org.Settings.LeadPlaceholder)

	devID := "dev\x00" + weird
	d := &leadcall.Device{OrgID: orgID, ID: devID, Kind: device.KindCampaign, Nickname: notUTF8, Model: huge, Active: true,
		TokenHash: weird, SIMs: []leadcall.SIM{{Number: weird, Carrier: huge}}, CreatedAt: t0}
	require.NoError(t, st.CreateDevice(ctx, d))
	got, err := st.Device(ctx, orgID, devID)
	require.NoError(t, err)
	if diff := cmp.Diff(d, got); diff != "" {
		t.Fatalf("device not stored verbatim (-want +got):\n%.2000s", diff)
	}
	_, err = st.Device(ctx, orgID, "dev") // a prefix up to the NUL is another ID
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
	byToken, err := st.DeviceByTokenHash(ctx, weird)
	require.NoError(t, err)
	require.Equal(t, devID, byToken.ID)

	meta := map[string]string{"big": huge, weird: weird, "nul": "\x00\x00"}
	a := &leadcall.Assignment{OrgID: orgID, DeviceID: devID, LeadSource: weird, Metadata: meta, Start: t0, CreatedBy: notUTF8}
	require.NoError(t, st.SetAssignment(ctx, a))
	ga, err := st.Assignment(ctx, orgID, a.ID)
	require.NoError(t, err)
	require.Equal(t, meta, ga.Metadata)
	require.Equal(t, weird, ga.LeadSource)

	c := call(devID, huge, weird, t0)
	c.NumberRaw, c.SIMNumber, c.LeadSource, c.LastError, c.RepID = notUTF8, weird, huge, weird, "' OR 1=1 --"
	want := *c
	res, err := st.InsertCalls(ctx, orgID, []leadcall.NewCall{{Call: c, Enqueue: true,
		Review: &leadcall.ReviewItem{Kind: leadcall.ReviewAmbiguous, Detail: huge, Candidates: []leadcall.Candidate{{Module: crm.ModuleLeads, ID: weird, Name: weird}}}}})
	require.NoError(t, err)
	require.Equal(t, []bool{true}, res.Inserted)
	want.ID, want.OrgID = c.ID, orgID
	gc, err := st.Call(ctx, orgID, c.ID)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(&want, gc), "call not stored verbatim")
	res, err = st.InsertCalls(ctx, orgID, []leadcall.NewCall{{Call: call(devID, huge, weird, t0)}})
	require.NoError(t, err)
	require.Equal(t, []bool{false}, res.Inserted, "a huge ID with NULs is still one ID")

	byNumber, err := st.CallsByNumber(ctx, orgID, weird, time.Time{})
	require.NoError(t, err)
	require.Len(t, byNumber, 1)
	page, err := st.ListCalls(ctx, &leadcall.CallFilter{OrgID: orgID, DeviceIDs: []string{devID, "' OR '1'='1"}, RepID: "' OR 1=1 --"})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	own, err := st.OwnNumbers(ctx, orgID)
	require.NoError(t, err)
	require.Equal(t, []string{weird}, own)

	jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: weird, Now: t0.Add(time.Hour), Lease: time.Minute, Limit: 1})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, weird, jobs[0].SerialKey)
	require.Equal(t, weird, jobs[0].LeaseOwner)
	f := leadcall.Fence{JobID: jobs[0].ID, LeaseToken: jobs[0].LeaseToken}
	att := &leadcall.SyncAttempt{Op: leadcall.OpCreateLead, EntityKey: weird, RequestHash: huge}
	require.NoError(t, st.RecordIntent(ctx, f, att, "", nil))
	att.Outcome, att.Error, att.CRMID = leadcall.AttemptPermanent, huge, weird
	require.NoError(t, st.FinishAttempt(ctx, f, att, "", nil))
	last, err := st.LastAttempt(ctx, jobs[0].ID, leadcall.OpCreateLead)
	require.NoError(t, err)
	require.Equal(t, huge, last.RequestHash)
	require.Equal(t, huge, last.Error)
	require.Equal(t, weird, last.CRMID)

	evs, err := st.Events(ctx, orgID, 0, 1000)
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	var orgs int
	require.NoError(t, rawDB(t, path).QueryRow(`SELECT COUNT(*) FROM orgs`).Scan(&orgs))
	require.Equal(t, 1, orgs, "nothing was injected")
}

func TestErrorsNeverLeakNumbersOrTokens(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "e.db"), nil)
	seed(t, st)
	ctx := t.Context()
	const secret = "+919812345678"
	require.NoError(t, st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: "d2", Kind: device.KindCampaign, TokenHash: secret}))
	errs := []error{
		st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: "d3", Kind: device.KindCampaign, TokenHash: secret}),
		func() error { _, err := st.DeviceByTokenHash(ctx, secret+"x"); return err }(),
		func() error {
			_, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: call("nope", "c", secret, t0)}})
			return err
		}(),
		func() error {
			c := call("d", "c", secret, t0)
			c.Type = "bogus"
			_, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: c}})
			return err
		}(),
		func() error {
			_, err := st.ListCalls(ctx, &leadcall.CallFilter{OrgID: "o", Cursor: secret})
			return err
		}(),
	}
	for i, err := range errs {
		require.Error(t, err, i)
		require.NotContains(t, err.Error(), secret, "error %d: %v", i, err)
		require.NotContains(t, err.Error(), "9812345678", "error %d", i)
	}
}

func TestClosedStore(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "x.db"), nil)
	seed(t, st)
	require.NoError(t, st.Close())
	require.NoError(t, st.Close(), "Close twice is fine")
	_, err := st.Org(t.Context(), "o")
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err), "%v", err)
	err = st.CreateOrg(t.Context(), &leadcall.Org{ID: "p"})
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err), "%v", err)
	require.Error(t, st.Ping(t.Context()))
}

func TestConfigNow(t *testing.T) {
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("X", 3600))
	st := open(t, filepath.Join(t.TempDir(), "n.db"), &sqlite.Config{Now: func() time.Time { return fixed }, MaxAttempts: 7})
	ctx := t.Context()
	o := &leadcall.Org{ID: "o"}
	require.NoError(t, st.CreateOrg(ctx, o))
	require.True(t, fixed.Truncate(time.Millisecond).Equal(o.CreatedAt), "CreatedAt written back")
	require.Equal(t, time.UTC, o.CreatedAt.Location())
	require.NoError(t, st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: "d", Kind: device.KindCampaign}))
	c := call("d", "c", "+919800000000", fixed.Add(-time.Hour))
	c.ReceivedAt = time.Time{}
	res, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: c, Enqueue: true}})
	require.NoError(t, err)
	require.True(t, fixed.Truncate(time.Millisecond).Equal(res.Events[0].At))
	require.True(t, fixed.Truncate(time.Millisecond).Equal(c.ReceivedAt))
	jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Now: fixed, Lease: time.Minute, Limit: 1})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, 7, jobs[0].MaxAttempts, "Config.MaxAttempts")

	// OrgPause compares against Config.Now.
	_, err = st.PauseOrg(ctx, "o", fixed.Add(time.Minute), "x")
	require.NoError(t, err)
	until, _, err := st.OrgPause(ctx, "o")
	require.NoError(t, err)
	require.False(t, until.IsZero(), "paused by the store's clock even though that is years ahead of the wall clock")
}

func TestConcurrentBatchesOfEverySize(t *testing.T) {
	// Batches of many sizes, at once: new multi-row statement shapes get prepared while other
	// batches are being written.
	st := open(t, filepath.Join(t.TempDir(), "sizes.db"), nil)
	seed(t, st)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	total := 0
	for g := range 8 {
		sizes := []int{1 + g, 3 + g*7, 37 + g*11, 129 + g*17, 2 + g*3}
		for _, n := range sizes {
			total += n
		}
		wg.Go(func() {
			for b, n := range sizes {
				var nc []leadcall.NewCall
				for i := range n {
					nc = append(nc, leadcall.NewCall{Call: call("d", fmt.Sprintf("g%d-b%d-%d", g, b, i), fmt.Sprintf("+9198%08d", i), t0), Enqueue: true})
				}
				res, err := st.InsertCalls(ctx, "o", nc)
				if err != nil {
					errs <- err
					return
				}
				for i, ok := range res.Inserted {
					if !ok || nc[i].Call.ID == 0 {
						errs <- fmt.Errorf("g%d batch %d: call %d not inserted", g, b, i)
						return
					}
				}
				if len(res.Events) != n {
					errs <- fmt.Errorf("g%d batch %d: %d events for %d calls", g, b, len(res.Events), n)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, ctx.Err(), "writers stalled")
	page, err := st.ListCalls(ctx, &leadcall.CallFilter{OrgID: "o", Limit: 1000})
	require.NoError(t, err)
	got := len(page.Items)
	for page.NextCursor != "" {
		page, err = st.ListCalls(ctx, &leadcall.CallFilter{OrgID: "o", Limit: 1000, Cursor: page.NextCursor})
		require.NoError(t, err)
		got += len(page.Items)
	}
	require.Equal(t, total, got)
}

// FuzzCallRoundTrip stores calls whose text fields are arbitrary bytes and checks that they
// come back verbatim, that a re-send is a duplicate, and that bad input is refused cleanly.
func FuzzCallRoundTrip(f *testing.F) {
	f.Add("c-1", "+919876543210", "098765 43210", "Billboard", "rep-1")
	f.Add("", "", "", "", "")
	f.Add("'; DROP TABLE calls; --", "\x00", "\xff\xfe", "%_\\", "\"")
	f.Add("\U0001F600\u202e", "+1", "PRIVATE", strings.Repeat("x", 5000), "?")
	st := open(f, filepath.Join(f.TempDir(), "fuzz.db"), nil)
	seed(f, st)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, id, e164, raw, leadSource, rep string) {
		c := call("d", id, e164, t0)
		c.NumberRaw, c.LeadSource, c.RepID = raw, leadSource, rep
		want := *c
		res, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: c, Enqueue: true}})
		if id == "" {
			require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%v", err)
			return
		}
		require.NoError(t, err)
		got, err := st.Call(ctx, "o", c.ID)
		require.NoError(t, err)
		want.ID, want.OrgID = c.ID, "o"
		if !res.Inserted[0] { // the fuzzer repeated an ID: the first version is kept
			require.Equal(t, id, got.DeviceCallID)
			return
		}
		require.Empty(t, cmp.Diff(&want, got))
		again, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: call("d", id, e164, t0)}})
		require.NoError(t, err)
		require.Equal(t, []bool{false}, again.Inserted)
	})
}
