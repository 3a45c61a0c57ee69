package leadcall_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/crm/memcrm/memcrmhttp"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/sqlite"
)

// The crash workload: every child process sends the whole of it (devices re-send what was not
// acknowledged, and re-sending is idempotent).
const (
	crashCalls   = 480
	crashBatch   = 8
	crashNumbers = 30
	crashRounds  = 20 // kills; each round brings 3 new batches
)

var crashStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func crashWorkload() [][]leadcall.IncomingCall {
	var batches [][]leadcall.IncomingCall
	for i := 0; i < crashCalls; i += crashBatch {
		var b []leadcall.IncomingCall
		for j := i; j < i+crashBatch; j++ {
			typ, dur := "missed", 0
			if j%3 == 0 {
				typ, dur = "inbound", 30+j%50
			}
			b = append(b, leadcall.IncomingCall{
				ID:        fmt.Sprintf("call-%04d", j),
				Number:    fmt.Sprintf("98%08d", (j*7)%crashNumbers),
				Type:      typ,
				StartedAt: crashStart.Add(time.Duration(j) * time.Minute),
				DurationS: dur,
			})
		}
		batches = append(batches, b)
	}
	return batches
}

func crashDevice(batch int) string { return []string{"line-a", "line-b"}[batch%2] }

// TestCrashChild is the process that TestCrashSafety kills. It does nothing unless run by it.
func TestCrashChild(t *testing.T) {
	dbPath, crmURL := os.Getenv("LEADCALL_CRASH_DB"), os.Getenv("LEADCALL_CRASH_CRM")
	if dbPath == "" {
		t.Skip("run by TestCrashSafety")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dbPath, nil)
	require.NoError(t, err)
	client := memcrmhttp.NewClient(crmURL, &http.Client{Timeout: 2 * time.Second})
	eng, err := leadcall.New(leadcall.Config{
		Store: st, CRMs: leadcall.SingleCRM{C: client},
		Workers: 4, CRMTimeout: 300 * time.Millisecond, Lease: time.Second,
		PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		ReconcileGrace: 150 * time.Millisecond, RateLimitPause: 50 * time.Millisecond, MaxAttempts: 10000,
		NowFunc: func() time.Time { return crashStart.Add(crashCalls*time.Minute + time.Since(processStart)) },
	})
	require.NoError(t, err)
	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: "crash"}); err != nil {
		require.ErrorIs(t, err, leadcall.ErrConflict)
	}
	for _, id := range []string{"line-a", "line-b"} {
		if err := eng.CreateDevice(ctx, &leadcall.Device{OrgID: "crash", ID: id, Nickname: id, Kind: device.KindCampaign, Active: true}); err != nil {
			require.ErrorIs(t, err, leadcall.ErrConflict)
		}
	}
	require.NoError(t, eng.Start())
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "READY")
	require.NoError(t, out.Flush())
	upTo, err := strconv.Atoi(os.Getenv("LEADCALL_CRASH_UPTO"))
	require.NoError(t, err)
	for i, b := range crashWorkload()[:upTo] {
		res, err := eng.Ingest(ctx, "crash", crashDevice(i), b)
		require.NoError(t, err)
		for _, r := range res {
			require.NotEqual(t, leadcall.IngestRejected, r.Status)
			fmt.Fprintf(out, "ACK %s\n", r.ID)
		}
		require.NoError(t, out.Flush()) // acknowledged only after the commit
	}
	fmt.Fprintln(out, "INGESTED")
	require.NoError(t, out.Flush())
	for {
		counts, err := st.JobCounts(ctx)
		require.NoError(t, err)
		if counts[leadcall.JobReady] == 0 && counts[leadcall.JobRunning] == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintln(out, "IDLE")
	require.NoError(t, out.Flush())
	require.NoError(t, eng.Close())
	require.NoError(t, st.Close())
}

var processStart = time.Now()

// TestCrashSafety kills a process running the Engine with SIGKILL at random points of ingest
// and sync, 20 times, while the CRM lives in this process and loses some responses after
// committing. Afterwards every acknowledged call exists exactly once, every job finished, and
// the CRM holds no duplicate.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	t.Parallel()
	c := memcrm.New(&memcrm.Config{Seed: 7})
	for _, op := range []memcrm.Op{memcrm.OpCreateLead, memcrm.OpCreateCall, memcrm.OpCreateTask, memcrm.OpCreateBundle} {
		c.FailRandomly(op, 0.1, memcrm.Fault{Code: leadcall.CodeUnavailable, Commit: true})
	}
	srv := httptest.NewServer(memcrmhttp.Handler(c))
	t.Cleanup(srv.Close)
	dbPath := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(1, 2))

	acked := map[string]bool{}
	// run starts a child that sends the first upTo batches. killAt sees each line the child
	// prints (with the number of lines so far) and says when to SIGKILL it; nil never kills.
	run := func(upTo int, killAt func(line string, n int) bool) (ingested, idle bool) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LEADCALL_CRASH_DB="+dbPath, "LEADCALL_CRASH_CRM="+srv.URL,
			"LEADCALL_CRASH_UPTO="+strconv.Itoa(upTo))
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if id, ok := strings.CutPrefix(line, "ACK "); ok {
				acked[id] = true
			}
			ingested = ingested || line == "INGESTED"
			idle = idle || line == "IDLE"
			if killAt != nil && killAt(line, n) {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killAt = nil
			}
		}
		_ = cmd.Wait()
		return ingested, idle
	}
	batches := crashCalls / crashBatch
	duringIngest, duringSync := 0, 0
	for round := range crashRounds {
		upTo := (round + 1) * batches / crashRounds
		var killAt func(string, int) bool
		if round%2 == 0 {
			// Kill among this round's acknowledgements: mid-ingest.
			target := 2 + rng.IntN(upTo*crashBatch)
			killAt = func(_ string, n int) bool { return n >= target }
		} else {
			// Kill shortly after the last batch was acknowledged: mid-sync.
			delay := time.Duration(rng.IntN(20)) * time.Millisecond
			killAt = func(line string, _ int) bool {
				if line != "INGESTED" {
					return false
				}
				time.Sleep(delay)
				return true
			}
		}
		ingested, idle := run(upTo, killAt)
		switch {
		case !ingested:
			duringIngest++
		case !idle:
			duringSync++
		}
	}
	t.Logf("of %d kills, %d landed during ingest and %d during sync", crashRounds, duringIngest, duringSync)
	require.Positive(t, duringIngest, "no kill landed during ingest")
	require.Positive(t, duringSync, "no kill landed during sync")
	_, idle := run(batches, nil)
	require.True(t, idle, "the final run drains every job")

	st, err := sqlite.Open(t.Context(), dbPath, nil)
	require.NoError(t, err)
	defer st.Close()
	calls := map[string]leadcall.Call{}
	f := &leadcall.CallFilter{OrgID: "crash", Limit: 1000}
	for {
		page, err := st.ListCalls(t.Context(), f)
		require.NoError(t, err)
		for _, c := range page.Items {
			_, dup := calls[c.DeviceCallID]
			require.False(t, dup, "call %s stored twice", c.DeviceCallID)
			calls[c.DeviceCallID] = c
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	require.Len(t, acked, crashCalls)
	for id := range acked {
		c, ok := calls[id]
		require.True(t, ok, "acknowledged call %s lost", id)
		require.Equal(t, leadcall.SyncSynced, c.SyncStatus, "call %s: %s", id, c.LastError)
	}
	counts, err := st.JobCounts(t.Context())
	require.NoError(t, err)
	require.Zero(t, counts[leadcall.JobReady]+counts[leadcall.JobRunning]+counts[leadcall.JobDead], "jobs: %v", counts)

	got := c.Counts()
	require.Equal(t, crashNumbers, got.Leads, "one Lead per caller number")
	require.Equal(t, crashCalls, got.Calls, "one Call per call")
	// Numbers divisible by 3 only ever call when answered; the other 20 miss calls and, with no
	// callback, get one Task each.
	require.Equal(t, 20, got.Tasks, "one Task per open episode")
	keys := map[string]bool{}
	for _, cl := range c.Calls() {
		require.False(t, keys[cl.SyncKey], "duplicate Call")
		keys[cl.SyncKey] = true
	}
	for _, tk := range c.Tasks() {
		require.False(t, keys[tk.SyncKey], "duplicate Task")
		keys[tk.SyncKey] = true
	}
	phones := map[string]bool{}
	for _, l := range c.Leads() {
		require.False(t, phones[l.Phones[0].Value], "duplicate Lead")
		phones[l.Phones[0].Value] = true
	}
	t.Logf("acknowledged %d calls; CRM holds %d leads, %d calls, %d tasks", len(acked), got.Leads, got.Calls, got.Tasks)
}
