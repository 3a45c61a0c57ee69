package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/examples/internal/simclient"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/internal/pgtest"
	"github.com/leadcall/leadcall/store/postgres"
)

const replicaAdminToken = "replicas-admin-token-0123456789"

// TestTwoReplicasOnePostgres runs the server binary twice on one PostgreSQL database, with one
// fake Zoho that both replicas' Zoho adapters talk to (so every CRM write is counted in one
// place), devices posting to both, and a dashboard (live stream with ?after=0) on each. It
// checks, independently of timing:
//
//   - every sync job ran exactly once: the fake holds exactly one Call per call posted and
//     one Lead per caller (its sync keys are plain fields here, so a double create would be
//     a second record rather than a DUPLICATE_DATA answer), and every job is done;
//   - every event reaches both dashboards, once and in ID order, including the events that
//     the other replica committed;
//   - SIGKILL of a replica while it holds leases loses nothing: its leases expire (the
//     replicas run with a 3 s lease) and the survivor finishes the work, with no duplicate.
func TestTwoReplicasOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary twice")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dsn := postgresDatabase(t)
	bin := buildServer(t)
	fake := sharedFake(t)
	a := startReplica(ctx, t, bin, dsn, fake, "replica-a")
	b := startReplica(ctx, t, bin, dsn, fake, "replica-b")

	st, err := postgres.Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	pool, err := pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	defer pool.Close()

	dashA, dashB := dashboard(ctx, t, a.url), dashboard(ctx, t, b.url)

	// Four phones, two posting to each replica; created through either replica.
	var devices []device
	for i := range 4 {
		r := []*replica{a, b}[i%2]
		c := r.client(t)
		d, err := c.Provision(ctx, simclient.DeviceSpec{Nickname: fmt.Sprintf("Phone %d", i), Kind: "campaign", LeadSource: SandboxLeadSource})
		require.NoError(t, err)
		devices = append(devices, device{Device: d, via: c})
	}

	// Phase 1: 40 calls from 15 callers (many ring both replicas' phones), in parallel.
	calls := postCalls(ctx, t, devices, 0, 10, 15)
	waitJobsDone(ctx, t, st, len(calls))
	last := lastEventID(ctx, t, st)
	log := eventLog(ctx, t, st, last)
	require.Equal(t, log, dashA.until(ctx, t, last), "dashboard on replica A")
	require.Equal(t, log, dashB.until(ctx, t, last), "dashboard on replica B")

	// Phase 2: every CRM request takes 400 ms, so jobs stay leased; once replica B holds
	// some, it is killed.
	slow, err := fake.AddFault(zohotest.FaultRule{Kind: zohotest.FaultTimeout, Delay: 400 * time.Millisecond})
	require.NoError(t, err)
	calls = append(calls, postCalls(ctx, t, devices, 10, 6, 30)...)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE state = 'running' AND lease_owner = 'replica-b'`).Scan(&n))
		return n > 0
	}, 30*time.Second, 10*time.Millisecond, "replica B never held a lease")
	b.kill(t)
	orphaned := jobIDs(ctx, t, pool, `SELECT id FROM outbox WHERE state = 'running' AND lease_owner = 'replica-b'`)
	t.Logf("replica B killed holding the leases of jobs %v", orphaned)
	require.NotEmpty(t, orphaned)
	fake.RemoveFault(slow)

	waitJobsDone(ctx, t, st, len(calls))
	rescued := jobIDs(ctx, t, pool, `SELECT id FROM outbox WHERE id = ANY($1) AND state = 'done' AND attempt > 1`, orphaned)
	require.Equal(t, orphaned, rescued, "the killed replica's jobs were claimed again and finished")

	// Exactly once at the CRM.
	callers := map[string]bool{}
	for _, c := range calls {
		callers[c.Number] = true
	}
	requireOnePerKey(t, fake, "Calls", len(calls))
	requireOnePerKey(t, fake, "Leads", len(callers))
	requireOnePerKey(t, fake, "Tasks", -1) // missed calls: at most one Task each
	leadsByPhone := map[string]int{}
	for _, l := range fake.Records("Leads") {
		leadsByPhone[l.String("Phone")]++
	}
	for phone, n := range leadsByPhone {
		require.Equal(t, 1, n, "Leads with phone %s", phone)
	}
	counts, err := st.JobCounts(ctx)
	require.NoError(t, err)
	require.Equal(t, len(calls), counts[leadcall.JobDone], "%v", counts)
	require.Zero(t, counts[leadcall.JobDead], "%v", counts)

	// Every event reached the surviving dashboard; the killed replica's got a gap-free prefix.
	last = lastEventID(ctx, t, st)
	log = eventLog(ctx, t, st, last)
	require.Equal(t, log, dashA.until(ctx, t, last), "dashboard on replica A after the kill")
	got := dashB.received()
	require.LessOrEqual(t, len(got), len(log))
	require.Equal(t, log[:len(got)], got, "dashboard on the killed replica: a prefix of the log, nothing twice")
}

// jobIDs returns the job IDs a query selects, in order.
func jobIDs(ctx context.Context, t *testing.T, pool *pgxpool.Pool, query string, args ...any) []int64 {
	t.Helper()
	rows, err := pool.Query(ctx, query+" ORDER BY id", args...)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return ids
}

// device is a provisioned phone and the replica it posts to.
type device struct {
	*simclient.Device
	via *simclient.Client
}

// postCalls has each device post n calls (numbered from first) in one batch, all devices at
// once; call k of device i comes from caller (i+k) mod callers + offset.
func postCalls(ctx context.Context, t *testing.T, devices []device, first, n, callers int) []leadcall.IncomingCall {
	t.Helper()
	var (
		mu  sync.Mutex
		all []leadcall.IncomingCall
		wg  sync.WaitGroup
	)
	start := time.Now().Add(2 * time.Second) // after the devices enrolled: earlier calls are ignored
	for i, d := range devices {
		batch := make([]leadcall.IncomingCall, n)
		for k := range n {
			seq := first + k
			typ, duration := string(leadcall.CallInbound), 30+k
			if seq%5 == 4 {
				typ, duration = string(leadcall.CallMissed), 0
			}
			batch[k] = leadcall.IncomingCall{
				ID:     fmt.Sprintf("%s-%d", d.ID, seq),
				Number: fmt.Sprintf("+9198765%05d", first*1000+(i+k)%callers),
				Type:   typ, DurationS: duration,
				StartedAt: start.Add(time.Duration(seq*len(devices)+i) * time.Second),
			}
		}
		wg.Go(func() {
			ack, err := d.via.PostCalls(ctx, d.Token, batch)
			if !assertNoError(t, err) {
				return
			}
			for _, r := range ack.Results {
				if r.Status != leadcall.IngestAccepted {
					t.Errorf("call %s: %s", r.ID, r.Status)
				}
			}
			mu.Lock()
			all = append(all, batch...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	require.Len(t, all, len(devices)*n)
	return all
}

func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

// waitJobsDone waits until want jobs are done and none is ready or running.
func waitJobsDone(ctx context.Context, t *testing.T, st *postgres.Store, want int) {
	t.Helper()
	var counts map[leadcall.JobState]int
	for {
		var err error
		counts, err = st.JobCounts(ctx)
		require.NoError(t, err)
		if counts[leadcall.JobReady]+counts[leadcall.JobRunning] == 0 && counts[leadcall.JobDone]+counts[leadcall.JobDead] >= want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("jobs not finished: %v", counts)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// requireOnePerKey checks that every record of module has its own sync key, and that there
// are want of them (any number when want is negative).
func requireOnePerKey(t *testing.T, fake *zohotest.Server, module string, want int) {
	t.Helper()
	keys := map[string]int{}
	for _, r := range fake.Records(module) {
		key := r.String(zohotest.SyncKeyField)
		require.NotEmpty(t, key, "%s %s has no sync key", module, r.ID)
		keys[key]++
	}
	for key, n := range keys {
		require.Equal(t, 1, n, "%s with sync key %s", module, key)
	}
	if want >= 0 {
		require.Len(t, keys, want, "%s records", module)
	}
}

func lastEventID(ctx context.Context, t *testing.T, st *postgres.Store) int64 {
	t.Helper()
	id, err := st.LastEventID(ctx, httpapi.DefaultOrgID)
	require.NoError(t, err)
	return id
}

// eventLog returns the IDs of the org's events up to last.
func eventLog(ctx context.Context, t *testing.T, st *postgres.Store, last int64) []int64 {
	t.Helper()
	var ids []int64
	var after int64
	for {
		evs, err := st.Events(ctx, httpapi.DefaultOrgID, after, 1000)
		require.NoError(t, err)
		for _, ev := range evs {
			if ev.ID > last {
				return ids
			}
			ids = append(ids, ev.ID)
		}
		if len(evs) == 0 {
			return ids
		}
		after = evs[len(evs)-1].ID
	}
}

// postgresDatabase returns the DSN of a new, empty database: on LEADCALL_TEST_POSTGRES_URL's
// server, or on a throwaway cluster.
func postgresDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv(pgtest.EnvURL)
	if admin == "" {
		c, skip, err := pgtest.Start()
		switch {
		case err != nil:
			t.Fatalf("PostgreSQL test server: %v", err)
		case skip != "" && os.Getenv(pgtest.EnvRequire) == "1":
			t.Fatalf("%s=1 but %s", pgtest.EnvRequire, skip)
		case skip != "":
			t.Skip(skip)
		}
		t.Cleanup(c.Stop)
		admin = c.DSN
	}
	conn, err := pgx.Connect(t.Context(), admin)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	name := "lc_replicas_" + pgtest.RandomHex(4)
	_, err = conn.Exec(t.Context(), "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err == nil {
			_, err = c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
		if err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	return pgtest.WithParam(admin, "dbname", name)
}

// buildServer builds this package's binary once.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// sharedFake is the fake Zoho both replicas write to, seeded like the sandbox, with plain
// (non-unique) sync-key fields so that a duplicate create would show as a second record.
func sharedFake(t *testing.T) *zohotest.Server {
	t.Helper()
	plain := map[string]zohotest.SyncKeyMode{"Leads": zohotest.SyncKeyPlain, "Calls": zohotest.SyncKeyPlain, "Tasks": zohotest.SyncKeyPlain}
	fake := zohotest.New(zohotest.Config{Addr: "127.0.0.1:0", SyncKey: plain, MaxConcurrency: -1, MaxSubConcurrency: -1})
	require.NoError(t, fake.Start())
	t.Cleanup(func() { _ = fake.Close() })
	_, err := fake.AddUser(zohotest.User{FirstName: "Demo", LastName: "Rep", Email: SandboxUserEmail, Confirmed: true})
	require.NoError(t, err)
	values, err := fake.PicklistValues("Leads", "Lead_Source")
	require.NoError(t, err)
	require.NoError(t, fake.SetPicklist("Leads", "Lead_Source", append(values, zohotest.PicklistValue{DisplayValue: SandboxLeadSource})))
	return fake
}

// replica is a running server process.
type replica struct {
	name string
	cmd  *exec.Cmd
	url  string
	logs *os.File
	done chan struct{}
}

var listening = regexp.MustCompile(`leadcall listening on (http://127\.0\.0\.1:\d+) `)

// startReplica runs the binary on a port of its own with a short lease, pointed at the
// shared database and fake Zoho; it is stopped (SIGTERM) when the test ends.
func startReplica(ctx context.Context, t *testing.T, bin, dsn string, fake *zohotest.Server, name string) *replica {
	t.Helper()
	creds := fake.Credentials()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", dsn, "-crm", "zoho", "-zoho-accounts-url", creds.AccountsURL,
		"-worker-id", name, "-lease", "3s", "-reconcile-grace", "1s", "-engine-poll", "100ms",
		"-zoho-rps", "200", "-zoho-burst", "50")
	cmd.Env = append(os.Environ(),
		"LEADCALL_ADMIN_TOKEN="+replicaAdminToken,
		"LEADCALL_ZOHO_CLIENT_ID="+creds.ClientID,
		"LEADCALL_ZOHO_CLIENT_SECRET="+creds.ClientSecret,
		"LEADCALL_ZOHO_REFRESH_TOKEN="+creds.RefreshToken,
	)
	logs, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	require.NoError(t, err)
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	r := &replica{name: name, cmd: cmd, logs: logs, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("%s log (tail):\n%s", name, tail(string(b), 3000))
		}
		_ = logs.Close()
	})
	select {
	case r.url = <-urls:
	case <-r.done:
		b, _ := os.ReadFile(logs.Name())
		t.Fatalf("%s exited at start:\n%s", name, b)
	case <-ctx.Done():
		t.Fatalf("%s did not start", name)
	}
	return r
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (r *replica) client(t *testing.T) *simclient.Client {
	t.Helper()
	c, err := simclient.New(simclient.Config{BaseURL: r.url, AdminToken: replicaAdminToken})
	require.NoError(t, err)
	return c
}

// kill sends SIGKILL: no shutdown, no lease released.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGKILL))
	<-r.done
}

// dash is a dashboard client: the live stream from ?after=0, recording every event ID.
type dash struct {
	mu   sync.Mutex
	ids  []int64
	more chan struct{} // signalled on every event
}

func dashboard(ctx context.Context, t *testing.T, base string) *dash {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + httpapi.StreamPath + "?after=0"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + replicaAdminToken}},
	})
	require.NoError(t, err)
	conn.SetReadLimit(1 << 20)
	d := &dash{more: make(chan struct{}, 1)}
	readCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := conn.Read(readCtx)
			if err != nil {
				return // the test ended, or the replica died
			}
			var ev struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Errorf("dashboard %s: bad event %q", base, data)
				return
			}
			d.mu.Lock()
			d.ids = append(d.ids, ev.ID)
			d.mu.Unlock()
			select {
			case d.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		stop()
		_ = conn.CloseNow()
		<-done
	})
	return d
}

func (d *dash) received() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.ids)
}

// until waits for the event with ID last (or a later one) and returns every ID received up
// to last (events committed after the test read last are not compared).
func (d *dash) until(ctx context.Context, t *testing.T, last int64) []int64 {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		ids := d.received()
		if len(ids) > 0 && ids[len(ids)-1] >= last {
			return slices.DeleteFunc(ids, func(id int64) bool { return id > last })
		}
		select {
		case <-d.more:
		case <-wait.Done():
			t.Fatalf("dashboard: last event %s of %d", lastOf(ids), last)
		}
	}
}

func lastOf(ids []int64) string {
	if len(ids) == 0 {
		return "none"
	}
	return strconv.FormatInt(ids[len(ids)-1], 10)
}
