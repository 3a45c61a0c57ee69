// Package pgtest starts a throwaway PostgreSQL server for tests: store/postgres's tests and the
// reference server's multi-replica test use it. It is plumbing for tests only.
//
// How a test finds PostgreSQL:
//
//   - EnvURL (LEADCALL_TEST_POSTGRES_URL) names a server: the test uses it.
//   - Otherwise Start initialises a cluster from the server binaries (initdb, pg_ctl: in PATH
//     or /usr/lib/postgresql/*/bin, as Debian's postgresql package installs them) in a
//     temporary directory, listening on a free port of 127.0.0.1 only, with the server's
//     default durability settings; Stop stops and deletes it. As root it runs them as the
//     postgres user (initdb refuses root).
//   - Without either the tests skip, saying why; with EnvRequire=1 (CI) they fail instead.
package pgtest

import (
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
)

// Environment variables the tests read.
const (
	// EnvURL names an existing server (a DSN whose user may create schemas and databases).
	EnvURL = "LEADCALL_TEST_POSTGRES_URL"
	// EnvRequire set to 1 turns "no PostgreSQL here" from a skip into a failure.
	EnvRequire = "LEADCALL_REQUIRE_POSTGRES"
)

// Cluster is a throwaway PostgreSQL server.
type Cluster struct {
	// DSN connects as the superuser to its postgres database.
	DSN  string
	stop func()
}

// Stop stops the server and deletes its files.
func (c *Cluster) Stop() { c.stop() }

// Start initialises and starts a cluster. It returns a reason to skip when there are no
// server binaries or no way to run them, and an error when they failed.
func Start() (*Cluster, string, error) {
	bin, err := findServerBin()
	if err != nil {
		return nil, fmt.Sprintf("no PostgreSQL server binaries (%v): install the Debian package postgresql, or set %s", err, EnvURL), nil
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
	password := RandomHex(16)
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
		if port, err = FreePort(); err != nil {
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
	return &Cluster{DSN: dsn, stop: stop}, "", nil
}

// WithParam adds a connection parameter to a DSN in either form (URL or keyword/value).
func WithParam(dsn, key, value string) string {
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

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
