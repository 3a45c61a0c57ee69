package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/internal/pgtest"
	"github.com/leadcall/leadcall/store/postgres"
)

// How the tests find PostgreSQL (see internal/pgtest):
//
//   - LEADCALL_TEST_POSTGRES_URL names a server (a DSN whose user may CREATE SCHEMA in its
//     database): the tests use it, each in a schema of its own.
//   - Otherwise TestMain starts a throwaway cluster (pgtest.Start) and stops and deletes it at
//     the end.
//   - Without either the tests skip, saying why; with LEADCALL_REQUIRE_POSTGRES=1 (CI) they
//     fail instead.
const (
	envURL     = pgtest.EnvURL
	envRequire = pgtest.EnvRequire
)

// testPG is the server the tests use.
var testPG struct {
	adminDSN string
	admin    *pgxpool.Pool
	skip     string // why the tests skip; empty when a server is up
	fail     string // why the tests fail: the server could not be started
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var stop func()
	if dsn := os.Getenv(envURL); dsn != "" {
		testPG.adminDSN = dsn
	} else {
		c, skip, err := pgtest.Start()
		switch {
		case skip != "":
			testPG.skip = skip
		case err != nil:
			testPG.fail = err.Error()
		default:
			testPG.adminDSN = c.DSN
			stop = c.Stop
		}
	}
	if testPG.adminDSN != "" {
		pool, err := pgxpool.New(context.Background(), testPG.adminDSN)
		if err == nil {
			err = pool.Ping(context.Background())
		}
		if err != nil {
			testPG.fail = fmt.Sprintf("connecting to the test server: %v", err)
		} else {
			testPG.admin = pool
		}
	}
	code := m.Run()
	if testPG.admin != nil {
		testPG.admin.Close()
	}
	if stop != nil {
		stop()
	}
	return code
}

// needPostgres skips the test (or fails it under LEADCALL_REQUIRE_POSTGRES=1) when there is
// no server.
func needPostgres(t testing.TB) {
	t.Helper()
	switch {
	case testPG.fail != "":
		t.Fatalf("PostgreSQL test server: %s", testPG.fail)
	case testPG.skip != "" && os.Getenv(envRequire) == "1":
		t.Fatalf("%s=1 but %s", envRequire, testPG.skip)
	case testPG.skip != "":
		t.Skip(testPG.skip)
	}
}

var schemaSeq atomic.Int64

// newSchema creates an empty schema, dropped when the test ends, and returns a DSN whose
// search_path is that schema: each test gets a database of its own, at the cost of a CREATE
// SCHEMA.
func newSchema(t testing.TB) string {
	t.Helper()
	needPostgres(t)
	name := fmt.Sprintf("lc_test_%d_%s", schemaSeq.Add(1), randomHex(4))
	ident := pgx.Identifier{name}.Sanitize()
	_, err := testPG.admin.Exec(context.Background(), "CREATE SCHEMA "+ident)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := testPG.admin.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Errorf("dropping test schema %s: %v", name, err)
		}
	})
	return withParam(testPG.adminDSN, "search_path", name)
}

// openStore opens a Store on dsn and closes it when the test ends.
func openStore(t testing.TB, dsn string, cfg *postgres.Config) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}

func randomHex(n int) string { return pgtest.RandomHex(n) }

func withParam(dsn, key, value string) string { return pgtest.WithParam(dsn, key, value) }

func freePort() (int, error) { return pgtest.FreePort() }
