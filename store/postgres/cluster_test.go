package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/store/postgres"
)

// How the tests find PostgreSQL:
//
//   - LEADCALL_TEST_POSTGRES_URL names a server (a DSN whose user may CREATE SCHEMA in its
//     database): the tests use it, each in a schema of its own.
//   - Otherwise TestMain starts a throwaway cluster from the server binaries (initdb, pg_ctl:
//     in PATH or /usr/lib/postgresql/*/bin, as Debian's postgresql package installs them) in a
//     temporary directory, listening on a free port of 127.0.0.1 only, with the server's
//     default durability settings, and stops and deletes it at the end. As root it runs them as
//     the postgres user (initdb refuses root).
//   - Without either the tests skip, saying why; with LEADCALL_REQUIRE_POSTGRES=1 (CI) they
//     fail instead.
const (
	envURL     = "LEADCALL_TEST_POSTGRES_URL"
	envRequire = "LEADCALL_REQUIRE_POSTGRES"
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
		c, skip, err := startCluster()
		switch {
		case skip != "":
			testPG.skip = skip
		case err != nil:
			testPG.fail = err.Error()
		default:
			testPG.adminDSN = c.dsn
			stop = c.stop
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

// withParam adds a connection parameter to a DSN in either form.
func withParam(dsn, key, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set(key, value)
			u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads + literally
			return u.String()
		}
	}
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value)
	return dsn + " " + key + "='" + quoted + "'"
}

// openStore opens a Store on dsn and closes it when the test ends.
func openStore(t testing.TB, dsn string, cfg *postgres.Config) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cluster is a throwaway PostgreSQL server.
type cluster struct {
	dsn  string
	stop func()
}

// startCluster initialises and starts a cluster. It returns a reason to skip when there are
// no server binaries or no way to run them, and an error when they failed.
func startCluster() (*cluster, string, error) {
	bin, err := findServerBin()
	if err != nil {
		return nil, fmt.Sprintf("no PostgreSQL server binaries (%v): install the Debian package postgresql, or set %s", err, envURL), nil
	}
	as, skip := runAs()
	if skip != "" {
		return nil, skip, nil
	}
	dir, err := os.MkdirTemp("", "leadcall-pg-")
	if err != nil {
		return nil, "", err
	}
	cleanupDir := func() { _ = os.RemoveAll(dir) }
	if as != nil {
		if err := os.Chown(dir, as.uid, as.gid); err != nil {
			cleanupDir()
			return nil, "", err
		}
	}
	password := randomHex(16)
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		cleanupDir()
		return nil, "", err
	}
	if as != nil {
		if err := os.Chown(pwfile, as.uid, as.gid); err != nil {
			cleanupDir()
			return nil, "", err
		}
	}
	data := filepath.Join(dir, "data")
	logFile := filepath.Join(dir, "server.log")
	out, err := as.command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--pwfile", pwfile,
		"-A", "scram-sha-256", "-E", "UTF8", "--locale", "C").CombinedOutput()
	if err != nil {
		cleanupDir()
		return nil, "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	pgctl := filepath.Join(bin, "pg_ctl")
	var port int
	for attempt := 1; ; attempt++ {
		if port, err = freePort(); err != nil {
			cleanupDir()
			return nil, "", err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c max_connections=200",
			port, dir)
		out, err = as.command(pgctl, "-D", data, "-l", logFile, "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
		if err == nil {
			break
		}
		if attempt == 3 {
			logText, _ := os.ReadFile(logFile)
			cleanupDir()
			return nil, "", fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, logText)
		}
	}
	stop := func() {
		if out, err := as.command(pgctl, "-D", data, "-m", "fast", "-w", "stop").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "pg_ctl stop: %v\n%s", err, out)
		}
		cleanupDir()
	}
	dsn := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", password, port)
	return &cluster{dsn: dsn, stop: stop}, "", nil
}

// findServerBin returns the directory holding initdb and pg_ctl: from PATH, else the newest
// /usr/lib/postgresql/<version>/bin.
func findServerBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb and pg_ctl are neither in PATH nor in /usr/lib/postgresql/*/bin")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// osUser is the user the server binaries run as; nil means the current user.
type osUser struct{ uid, gid int }

// runAs returns the user to run the server as: the postgres user when running as root.
func runAs() (*osUser, string) {
	if os.Geteuid() != 0 {
		return nil, ""
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, "running as root and there is no postgres user to run the PostgreSQL server as"
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, "the postgres user has a non-numeric uid or gid"
	}
	return &osUser{uid: uid, gid: gid}, ""
}

// command returns an exec.Cmd that runs as u (see asUser).
func (u *osUser) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if u != nil {
		asUser(cmd, u.uid, u.gid)
	}
	return cmd
}
