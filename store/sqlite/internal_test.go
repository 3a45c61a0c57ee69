package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

func openTest(t *testing.T, cfg *Config) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "t.db"), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLoadMigrations(t *testing.T) {
	ok := fstest.MapFS{
		"migrations/0002_more.sql": {Data: []byte("SELECT 2;")},
		"migrations/0001_init.sql": {Data: []byte("SELECT 1;")},
	}
	ms, err := loadMigrations(ok)
	require.NoError(t, err)
	require.Len(t, ms, 2)
	require.Equal(t, 1, ms[0].version)
	require.Equal(t, "0002_more.sql", ms[1].name)

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"duplicate": {"migrations/0001_a.sql": {}, "migrations/001_b.sql": {}},
		"no number": {"migrations/init.sql": {}},
		"zero":      {"migrations/0000_a.sql": {}},
		"not first": {"migrations/0002_a.sql": {}},
	} {
		_, err := loadMigrations(fsys)
		require.Error(t, err, name)
	}

	// The embedded ones are valid.
	ms, err = loadMigrations(migrationFiles)
	require.NoError(t, err)
	require.Equal(t, len(ms), SchemaVersion())
	require.Positive(t, SchemaVersion())
}

func TestConnectionSettings(t *testing.T) {
	s := openTest(t, &Config{BusyTimeout: 1234 * time.Millisecond})
	ctx := t.Context()
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "1234",
	} {
		var got string
		require.NoError(t, s.w.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got), pragma)
		require.Equal(t, want, strings.ToLower(got), "writer %s", pragma)
	}
	var qo, bt string
	require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo))
	require.Equal(t, "1", qo, "readers are query_only")
	require.NoError(t, s.r.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&bt))
	require.Equal(t, "1234", bt)
	_, err := s.r.ExecContext(ctx, `INSERT INTO orgs (id, name, settings, created_at) VALUES ('x', '', '{}', 0)`)
	require.Error(t, err, "a reader cannot write")
	require.Equal(t, 1, s.w.Stats().MaxOpenConnections, "one writer connection")
	require.Equal(t, DefaultReadConns, s.r.Stats().MaxOpenConnections)
}

func TestSchemaTooNewDirect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := Open(t.Context(), path, nil)
	require.NoError(t, err)
	_, err = s.w.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`,
		SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(t.Context(), path, nil)
	require.ErrorIs(t, err, ErrSchemaTooNew)
	require.Equal(t, leadcall.CodeInternal, leadcall.CodeOf(err))
	require.Contains(t, err.Error(), fmt.Sprintf("version %d", SchemaVersion()+1))
}

func TestCorrectionAudit(t *testing.T) {
	s := openTest(t, nil)
	ctx := t.Context()
	require.NoError(t, s.CreateOrg(ctx, &leadcall.Org{ID: "o"}))
	require.NoError(t, s.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: "d", Kind: device.KindCampaign}))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &leadcall.Assignment{OrgID: "o", DeviceID: "d", LeadSource: "Old", Metadata: map[string]string{"k": "v1"}, Start: start}
	require.NoError(t, s.SetAssignment(ctx, a))
	require.NoError(t, s.CloseAssignment(ctx, "o", "d", start.Add(time.Hour)))
	at := start.Add(2 * time.Hour)
	require.NoError(t, s.CorrectAssignment(ctx, &leadcall.AssignmentCorrection{OrgID: "o", AssignmentID: a.ID,
		LeadSource: "New", Metadata: map[string]string{"k": "v2"}, By: "boss", Reason: "wrong campaign", At: at}))

	var (
		orgID, before, after, by, reason string
		assignmentID, correctedAt        int64
	)
	require.NoError(t, s.r.QueryRowContext(ctx,
		`SELECT org_id, assignment_id, before_json, after_json, corrected_by, reason, corrected_at FROM assignment_corrections`).
		Scan(&orgID, &assignmentID, &before, &after, &by, &reason, &correctedAt))
	require.Equal(t, "o", orgID)
	require.Equal(t, a.ID, assignmentID)
	require.JSONEq(t, `{"lead_source":"Old","metadata":{"k":"v1"}}`, before)
	require.JSONEq(t, `{"lead_source":"New","metadata":{"k":"v2"}}`, after)
	require.Equal(t, "boss", by)
	require.Equal(t, "wrong campaign", reason)
	require.Equal(t, at.UnixMilli(), correctedAt)

	// A refused correction leaves no audit row.
	err := s.CorrectAssignment(ctx, &leadcall.AssignmentCorrection{OrgID: "o", AssignmentID: a.ID, Reason: " "})
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))
	var n int
	require.NoError(t, s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignment_corrections`).Scan(&n))
	require.Equal(t, 1, n)
}

func TestClassify(t *testing.T) {
	s := openTest(t, nil)
	ctx := t.Context()
	sqlErr := func(query string) error {
		_, err := s.w.ExecContext(ctx, query)
		require.Error(t, err, query)
		return err
	}
	require.NoError(t, s.CreateOrg(ctx, &leadcall.Org{ID: "o"}))
	for name, tc := range map[string]struct {
		err  error
		want leadcall.Code
	}{
		"unique":      {sqlErr(`INSERT INTO orgs (id, name, settings, created_at) VALUES ('o', '', '{}', 0)`), leadcall.CodeConflict},
		"foreign key": {sqlErr(`INSERT INTO reps (org_id, id, name, email, crm_user_id, created_at) VALUES ('nope', 'r', '', '', '', 0)`), leadcall.CodeNotFound},
		"not null":    {sqlErr(`INSERT INTO orgs (id, name, settings, created_at) VALUES ('p', NULL, '{}', 0)`), leadcall.CodeInvalid},
		"syntax":      {sqlErr(`SELEKT 1`), leadcall.CodeInternal},
		"no rows":     {sql.ErrNoRows, leadcall.CodeNotFound},
		"canceled":    {context.Canceled, leadcall.CodeUnavailable},
		"deadline":    {fmt.Errorf("x: %w", context.DeadlineExceeded), leadcall.CodeUnavailable},
		"tx done":     {sql.ErrTxDone, leadcall.CodeUnavailable},
		"other":       {errors.New("boom"), leadcall.CodeInternal},
	} {
		require.Equal(t, tc.want, classify(tc.err), "%s: %v", name, tc.err)
		wrapped := wrap("op", tc.err)
		require.Equal(t, tc.want, leadcall.CodeOf(wrapped), name)
		require.ErrorIs(t, wrapped, tc.err, "%s: the native error stays reachable", name)
	}
	// Classified errors and ErrLeaseLost pass through unchanged.
	lost := leaseLost("op", 1)
	require.Same(t, lost, wrap("other op", lost))
	inv := invalid("op", "f", "bad")
	require.Same(t, inv, wrap("other op", inv))
}

func TestCursorRoundTrip(t *testing.T) {
	for _, parts := range [][]int64{{0, 0}, {-62135596800000, 1}, {1 << 62, 1<<63 - 1}} {
		c := encodeCursor(callCursorTag, parts...)
		got, err := decodeCursor(c, callCursorTag, 2)
		require.NoError(t, err)
		require.Equal(t, parts, got)
		_, err = decodeCursor(c, reviewCursorTag, 2)
		require.Error(t, err, "a cursor is bound to its list")
		_, err = decodeCursor(c, callCursorTag, 1)
		require.Error(t, err)
	}
}

// FuzzDecodeCursor checks that any cursor text either decodes into values that encode back
// to the same cursor or is refused, and never panics.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(callCursorTag, 1772442000000, 42))
	f.Add(encodeCursor(reviewCursorTag, 7))
	f.Add("")
	f.Add("!!!")
	f.Add("Y2FsbHMxOjE6Mg")
	f.Add("Y2FsbHMxOi0xOi0x")
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, tc := range []struct {
			tag string
			n   int
		}{{callCursorTag, 2}, {reviewCursorTag, 1}} {
			parts, err := decodeCursor(cursor, tc.tag, tc.n)
			if err != nil {
				require.EqualError(t, err, "malformed cursor", "errors never echo the input")
				continue
			}
			require.Len(t, parts, tc.n)
			// Equivalent spellings (a leading +, zeros) may decode; they must mean the same.
			again, err := decodeCursor(encodeCursor(tc.tag, parts...), tc.tag, tc.n)
			require.NoError(t, err)
			require.Equal(t, parts, again)
		}
	})
}

func TestPortableSQL(t *testing.T) {
	// The store's SQL uses $N parameters only: no '?' placeholders that Postgres would refuse.
	for _, q := range []string{insertJobSQL, claimEligible, callColumns, jobColumns} {
		require.NotContains(t, q, "?", q)
	}
	b, err := migrationFiles.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)
	require.NotContains(t, strings.ToUpper(string(b)), "WITHOUT ROWID", "keep the DDL close to Postgres")
}

func TestEventDataIsStoredVerbatim(t *testing.T) {
	s := openTest(t, nil)
	ctx := t.Context()
	require.NoError(t, s.CreateOrg(ctx, &leadcall.Org{ID: "o"}))
	raw := json.RawMessage(`{"b": 1,   "a": [true, null]}`)
	out, err := s.AppendEvents(ctx, []leadcall.Event{{OrgID: "o", Type: leadcall.EventBackfillProgress, Data: raw}})
	require.NoError(t, err)
	evs, err := s.Events(ctx, "o", 0, 10)
	require.NoError(t, err)
	require.Equal(t, string(raw), string(evs[0].Data))
	require.Equal(t, out[0].ID, evs[0].ID)
}

// blockWriter makes the writer goroutine wait inside a write until release is closed, and
// returns once it is waiting, so that the test can queue calls behind it.
func blockWriter(t *testing.T, s *Store) (release chan struct{}, wait func()) {
	t.Helper()
	release = make(chan struct{})
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), "block", func(context.Context, *wtx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	return release, func() { require.NoError(t, <-done) }
}

// queued waits until n calls wait in the writer's queue.
func queued(t *testing.T, s *Store, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(s.queue) == n }, 5*time.Second, time.Millisecond)
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := openTest(t, nil)
	ctx := t.Context()
	release, wait := blockWriter(t, s)
	batchesBefore := s.batches.Load()

	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.write(ctx, "test", func(ctx context.Context, tx *wtx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, settings, created_at) VALUES ($1, '', '{}', 0)`,
					fmt.Sprintf("org-%d", i)); err != nil {
					return err
				}
				switch i % 4 {
				case 1: // fails after writing: its row must go
					return leadcall.Errorf(leadcall.CodeInvalid, "test", "refused %d", i)
				case 2: // a constraint error mid-way
					_, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, settings, created_at) VALUES ('org-0', '', '{}', 0)`)
					return err
				case 3:
					panic("boom")
				}
				return nil
			})
		})
		queued(t, s, i+1) // queue them in order
	}
	close(release)
	wait()
	wg.Wait()

	require.Equal(t, batchesBefore+1, s.batches.Load(), "one transaction for all %d queued calls", n)
	for i, err := range errs {
		var exists int
		require.NoError(t, s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs WHERE id = $1`, fmt.Sprintf("org-%d", i)).Scan(&exists))
		switch i % 4 {
		case 0:
			require.NoError(t, err, i)
			require.Equal(t, 1, exists, "call %d committed", i)
		case 1:
			require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), i)
		case 2:
			require.Equal(t, leadcall.CodeConflict, leadcall.CodeOf(err), "%d: %v", i, err)
		case 3:
			require.Equal(t, leadcall.CodeInternal, leadcall.CodeOf(err), i)
			require.Contains(t, err.Error(), "panic: boom")
		}
		if i%4 != 0 {
			require.Equal(t, 0, exists, "call %d failed: its writes are rolled back", i)
		}
	}
	require.NoError(t, s.Ping(ctx), "the store survives a panicking write")
}

func TestGroupCommitCancelledWhileQueued(t *testing.T) {
	s := openTest(t, nil)
	release, wait := blockWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	errc := make(chan error, 1)
	go func() {
		errc <- s.write(ctx, "test", func(context.Context, *wtx) error { ran = true; return nil })
	}()
	queued(t, s, 1)
	cancel()
	err := <-errc
	require.ErrorIs(t, err, context.Canceled)
	close(release)
	wait()
	require.NoError(t, s.write(t.Context(), "after", func(context.Context, *wtx) error { return nil }))
	require.False(t, ran, "a call cancelled in the queue never runs")
}

func TestGroupCommitCancelledWhileRunning(t *testing.T) {
	s := openTest(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	started, release := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.write(ctx, "test", func(ctx context.Context, tx *wtx) error {
			close(started)
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO orgs (id, name, settings, created_at) VALUES ('late', '', '{}', 0)`)
			return err
		})
	}()
	<-started
	cancel()
	close(release)
	require.NoError(t, <-errc, "a call cancelled after it started reports its real, committed result")
	var n int
	require.NoError(t, s.r.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM orgs WHERE id = 'late'`).Scan(&n))
	require.Equal(t, 1, n)
}

func TestGroupCommitClose(t *testing.T) {
	s := openTest(t, nil)
	release, wait := blockWriter(t, s)
	errc := make(chan error, 1)
	go func() {
		errc <- s.write(t.Context(), "test", func(context.Context, *wtx) error { return nil })
	}()
	queued(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	close(release)
	wait()
	require.NoError(t, <-closed)
	err := <-errc
	if err != nil { // it either ran before the writer saw Close, or was refused
		require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err), "%v", err)
	}
	err = s.write(t.Context(), "late", func(context.Context, *wtx) error { return nil })
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err))
}
