package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/postgres"
)

// rawConn opens a plain connection on dsn, bypassing the Store, closed when the test ends.
func rawConn(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestOpenRefusesBadInput(t *testing.T) {
	ctx := t.Context()
	for name, dsn := range map[string]string{
		"empty":        "",
		"garbage":      "::not a dsn::",
		"bad pool arg": "postgres://u:secret-password@127.0.0.1:1/db?pool_max_conns=lots",
		"bad port":     "postgres://u:secret-password@127.0.0.1:notaport/db",
	} {
		_, err := postgres.Open(ctx, dsn, nil)
		require.Equalf(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%s: %v", name, err)
		require.NotContains(t, err.Error(), "secret-password", "a DSN error must not echo the password")
	}
	for name, cfg := range map[string]*postgres.Config{
		"negative max conns": {MaxConns: -1},
		"negative min conns": {MinConns: -1},
		"min above max":      {MaxConns: 2, MinConns: 3},
		"negative lifetime":  {MaxConnLifetime: -time.Second},
		"negative idle":      {MaxConnIdleTime: -time.Second},
		"negative health":    {HealthCheckPeriod: -time.Second},
		"negative connect":   {ConnectTimeout: -time.Second},
		"negative attempts":  {MaxAttempts: -1},
	} {
		_, err := postgres.Open(ctx, "postgres://127.0.0.1:1/x", cfg)
		require.Equalf(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%s: %v", name, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// Nothing listens on the port of a listener that was just closed.
	port := mustFreePort(t)
	_, err := postgres.Open(t.Context(), fmt.Sprintf("postgres://u:p@127.0.0.1:%d/db?sslmode=disable", port),
		&postgres.Config{ConnectTimeout: 2 * time.Second})
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err), "%v", err)
}

// TestOpenBadCredentials: a wrong password is CodeUnauthorized and the error does not show it;
// a database that does not exist is CodeInvalid.
func TestOpenBadCredentials(t *testing.T) {
	needPostgres(t)
	if os.Getenv(envURL) != "" {
		t.Skip("needs the test cluster, whose password the test knows")
	}
	cc, err := pgx.ParseConfig(testPG.adminDSN)
	require.NoError(t, err)
	wrong := fmt.Sprintf("postgres://%s:not-the-password-%s@%s:%d/postgres?sslmode=disable", cc.User, randomHex(4), cc.Host, cc.Port)
	_, err = postgres.Open(t.Context(), wrong, nil)
	require.Equal(t, leadcall.CodeUnauthorized, leadcall.CodeOf(err), "%v", err)
	require.NotContains(t, err.Error(), "not-the-password")

	_, err = postgres.Open(t.Context(), withParam(testPG.adminDSN, "dbname", "lc_missing_"+randomHex(4)), nil)
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%v", err)
}

func mustFreePort(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	require.NoError(t, err)
	return p
}

func TestOpenNeedsASchema(t *testing.T) {
	needPostgres(t)
	_, err := postgres.Open(t.Context(), withParam(testPG.adminDSN, "search_path", "lc_no_such_schema_"+randomHex(4)), nil)
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%v", err)
}

func TestMigrationsFreshAndReopen(t *testing.T) {
	dsn := newSchema(t)
	st := openStore(t, dsn, nil)
	seed(t, st, "o")
	require.NoError(t, st.Close())

	again := openStore(t, dsn, nil)
	_, err := again.Org(t.Context(), "o")
	require.NoError(t, err, "reopening keeps the data")
	conn := rawConn(t, dsn)
	var versions []int64
	rows, err := conn.Query(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	want := make([]int64, postgres.SchemaVersion())
	for i := range want {
		want[i] = int64(i + 1)
	}
	require.Equal(t, want, versions, "each migration recorded once")
}

// TestConcurrentOpens: replicas starting together on an empty schema migrate it once.
func TestConcurrentOpens(t *testing.T) {
	dsn := newSchema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			st, err := postgres.Open(t.Context(), dsn, nil)
			if err != nil {
				errs <- err
				return
			}
			errs <- st.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := newSchema(t)
	st := openStore(t, dsn, nil)
	require.NoError(t, st.Close())
	_, err := rawConn(t, dsn).Exec(t.Context(),
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', 0)`, postgres.SchemaVersion()+1)
	require.NoError(t, err)
	_, err = postgres.Open(t.Context(), dsn, nil)
	require.ErrorIs(t, err, postgres.ErrSchemaTooNew)
}

// TestSessionSettings: the store's sessions commit synchronously (nil error means durable)
// even when the DSN's options turn that off for the session, unless the DSN names the
// setting itself; application_name defaults to leadcall.
func TestSessionSettings(t *testing.T) {
	dsn := newSchema(t)
	show := func(st *postgres.Store, name string) string {
		t.Helper()
		var v string
		require.NoError(t, st.Pool().QueryRow(t.Context(), "SELECT current_setting($1)", name).Scan(&v))
		return v
	}
	st := openStore(t, withParam(dsn, "options", "-c synchronous_commit=off"), nil)
	require.Equal(t, "on", show(st, "synchronous_commit"))
	require.Equal(t, postgres.DefaultApplicationName, show(st, "application_name"))

	explicit := openStore(t, withParam(withParam(dsn, "synchronous_commit", "remote_apply"), "application_name", "mine"), nil)
	require.Equal(t, "remote_apply", show(explicit, "synchronous_commit"))
	require.Equal(t, "mine", show(explicit, "application_name"))

	// Writes pin read committed, whatever the session's default (research/reliability.md §1.3:
	// the claim at serializable turns contention into serialization failures).
	hardened := openStore(t, withParam(dsn, "default_transaction_isolation", "serializable"), nil)
	require.Equal(t, "serializable", show(hardened, "default_transaction_isolation"))
	level, err := hardened.WriteIsolation(t.Context())
	require.NoError(t, err)
	require.Equal(t, "read committed", level)
}

func TestClosedStore(t *testing.T) {
	st := openStore(t, newSchema(t), nil)
	require.NoError(t, st.Close())
	require.NoError(t, st.Close(), "Close twice")
	_, err := st.Org(t.Context(), "o")
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err))
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(st.CreateOrg(t.Context(), &leadcall.Org{ID: "o"})))
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(st.Ping(t.Context())))
	_, err = st.Subscribe(t.Context())
	require.Equal(t, leadcall.CodeUnavailable, leadcall.CodeOf(err))
}

// TestClaimSkipsLockedHead is the deterministic half of the claim's concurrency argument:
// a job whose row another transaction holds (a concurrent claim or a fenced write) is
// skipped without waiting, and its caller's later jobs stay behind it; a caller whose serial
// key lock another claim holds is skipped too.
func TestClaimSkipsLockedHead(t *testing.T) {
	dsn := newSchema(t)
	st := openStore(t, dsn, nil)
	ctx := t.Context()
	seed(t, st, "o")
	a1 := call("d", "a1", "+919800000001", t0)
	a2 := call("d", "a2", "+919800000001", t0.Add(time.Minute))
	b1 := call("d", "b1", "+919800000002", t0)
	c1 := call("d", "c1", "+919800000003", t0)
	_, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: a1, Enqueue: true}, {Call: a2, Enqueue: true},
		{Call: b1, Enqueue: true}, {Call: c1, Enqueue: true}})
	require.NoError(t, err)

	conn := rawConn(t, dsn)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(context.Background())
	_, err = tx.Exec(ctx, `SELECT 1 FROM outbox WHERE call_id = $1 FOR UPDATE`, a1.ID)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('leadcall serial ' || current_schema() || ' o ' || $1, 0))`,
		b1.NumberE164)
	require.NoError(t, err)

	claimCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	jobs, err := st.ClaimJobs(claimCtx, &leadcall.ClaimParams{Owner: "w", Now: t0.Add(time.Hour), Lease: time.Minute, Limit: 10})
	require.NoError(t, err, "the claim must not wait for the locks")
	require.Len(t, jobs, 1)
	require.Equal(t, c1.ID, jobs[0].CallID, "only the caller with nothing locked")

	require.NoError(t, tx.Rollback(ctx))
	jobs, err = st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "w", Now: t0.Add(time.Hour), Lease: time.Minute, Limit: 10})
	require.NoError(t, err)
	got := map[int64]bool{}
	for _, j := range jobs {
		got[j.CallID] = true
	}
	require.Equal(t, map[int64]bool{a1.ID: true, b1.ID: true}, got, "released, the heads are claimed; a2 waits behind a1")
}

// TestHostileInput: what PostgreSQL cannot store (NUL bytes, invalid UTF-8, values too large
// for an index) is CodeInvalid with a message that does not quote the value; a refused batch
// stores nothing; other odd input round-trips.
func TestHostileInput(t *testing.T) {
	st := openStore(t, newSchema(t), nil)
	ctx := t.Context()
	seed(t, st, "o")
	const secret = "+919812345678"
	bad := map[string]func(c *leadcall.Call){
		"NUL in number":      func(c *leadcall.Call) { c.NumberRaw = secret + "\x00" },
		"invalid UTF-8":      func(c *leadcall.Call) { c.NumberRaw = secret + "\xff\xfe" },
		"NUL in call ID":     func(c *leadcall.Call) { c.DeviceCallID = "id\x00" + secret },
		"huge call ID":       func(c *leadcall.Call) { c.DeviceCallID = secret + randomHex(50_000) },
		"NUL in lead source": func(c *leadcall.Call) { c.LeadSource = "\x00" },
	}
	for name, mod := range bad {
		c := call("d", "bad", secret, t0)
		mod(c)
		_, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: call("d", "ok", secret, t0), Enqueue: true}, {Call: c, Enqueue: true}})
		require.Equalf(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "%s: %v", name, err)
		require.NotContainsf(t, err.Error(), secret, "%s: the error quotes the number", name)
	}
	page, err := st.ListCalls(ctx, &leadcall.CallFilter{OrgID: "o"})
	require.NoError(t, err)
	require.Empty(t, page.Items, "refused batches store nothing")

	err = st.CreateOrg(ctx, &leadcall.Org{ID: "org\x00x", Settings: leadcall.DefaultSettings()})
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))
	err = st.CreateRep(ctx, &leadcall.Rep{OrgID: "o", ID: "r", Name: "bad \xc3\x28"})
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))

	// SQL in values is data, and Unicode and long values that fit round-trip.
	odd := call("d", "'; DROP TABLE calls; --", "+919800000009", t0)
	odd.NumberRaw = "☎️ " + strings.Repeat("9", 10_000)
	odd.LeadSource = `Robert'); DROP TABLE orgs;--`
	res, err := st.InsertCalls(ctx, "o", []leadcall.NewCall{{Call: odd}})
	require.NoError(t, err)
	got, err := st.Call(ctx, "o", odd.ID)
	require.NoError(t, err)
	require.Equal(t, odd.NumberRaw, got.NumberRaw)
	require.Equal(t, odd.LeadSource, got.LeadSource)
	require.Equal(t, odd.DeviceCallID, got.DeviceCallID)
	require.True(t, res.Inserted[0])
}

// TestSortOrderIsBytewise: lists sort by bytes, as on SQLite, also in a database whose
// collation sorts otherwise (ICU en-US puts "b" before "C" and ignores case first).
func TestSortOrderIsBytewise(t *testing.T) {
	needPostgres(t)
	ctx := t.Context()
	name := "lc_icu_" + randomHex(4)
	_, err := testPG.admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")
	if err != nil && os.Getenv(envURL) != "" {
		t.Skipf("cannot create a database with an ICU collation on %s: %v", envURL, err)
	}
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := testPG.admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
		require.NoError(t, err)
	})
	dsn := withParam(testPG.adminDSN, "dbname", name)
	conn := rawConn(t, dsn)
	var icuOrder []string
	rows, err := conn.Query(ctx, `SELECT x FROM unnest(ARRAY['b', 'C', 'a', 'B']) x ORDER BY x`)
	require.NoError(t, err)
	icuOrder, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "B", "C"}, icuOrder, "the database's own collation is not bytewise")

	st := openStore(t, dsn, nil)
	require.NoError(t, st.CreateOrg(ctx, &leadcall.Org{ID: "o", Settings: leadcall.DefaultSettings()}))
	for _, n := range []string{"b", "C", "a", "B"} {
		require.NoError(t, st.CreateRep(ctx, &leadcall.Rep{OrgID: "o", ID: "r" + n, Name: n}))
		require.NoError(t, st.CreateDevice(ctx, &leadcall.Device{OrgID: "o", ID: n, Kind: device.KindSalesRep, Nickname: n}))
	}
	reps, err := st.Reps(ctx, "o")
	require.NoError(t, err)
	devs, err := st.Devices(ctx, "o")
	require.NoError(t, err)
	var repNames, devNames []string
	for i := range reps {
		repNames = append(repNames, reps[i].Name)
		devNames = append(devNames, devs[i].Nickname)
	}
	require.Equal(t, []string{"B", "C", "a", "b"}, repNames)
	require.Equal(t, []string{"B", "C", "a", "b"}, devNames)
}
