package leadcall_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/sqlite"
)

// recoveryBenchEngine returns an Engine (not started) on a SQLite store holding an org "o1"
// with `callers` callers over the last six days: each missed twice on the campaign line, and
// every other caller called back from a rep's phone an hour later (3 calls in 2 of 4 cases).
func recoveryBenchEngine(b *testing.B, callers int) *leadcall.Engine {
	b.Helper()
	ctx := b.Context()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "leadcall.db"), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: memcrm.New(nil)}, MaxBatch: 1000})
	require.NoError(b, err)
	b.Cleanup(func() { _ = eng.Close() })
	require.NoError(b, eng.CreateOrg(ctx, &leadcall.Org{ID: "o1", Name: "One"}))
	require.NoError(b, eng.CreateDevice(ctx, &leadcall.Device{OrgID: "o1", ID: "line", Nickname: "Line", Kind: device.KindCampaign, Active: true}))
	require.NoError(b, eng.CreateDevice(ctx, &leadcall.Device{OrgID: "o1", ID: "rep", Nickname: "Rep", Kind: device.KindSalesRep, Active: true}))
	now := time.Now().UTC()
	step := 6 * 24 * time.Hour / time.Duration(callers)
	var line, rep []leadcall.IncomingCall
	for i := range callers {
		at := now.Add(-6*24*time.Hour - 2*time.Hour + time.Duration(i)*step)
		num := fmt.Sprintf("98%08d", i)
		line = append(line,
			leadcall.IncomingCall{ID: fmt.Sprintf("m%d-a", i), Number: num, Type: "missed", StartedAt: at},
			leadcall.IncomingCall{ID: fmt.Sprintf("m%d-b", i), Number: num, Type: "missed", StartedAt: at.Add(time.Minute)})
		if i%2 == 0 {
			rep = append(rep, leadcall.IncomingCall{ID: fmt.Sprintf("cb%d", i), Number: num, Type: "outbound", StartedAt: at.Add(time.Hour), DurationS: 30})
		}
	}
	for dev, calls := range map[string][]leadcall.IncomingCall{"line": line, "rep": rep} {
		for i := 0; i < len(calls); i += 1000 {
			_, err := eng.Ingest(ctx, "o1", dev, calls[i:min(i+1000, len(calls))])
			require.NoError(b, err)
		}
	}
	return eng
}

// BenchmarkRecoveryCases: every case of an org with 10,000 callers (25,000 calls) over six
// days, as GET /v1/recovery computes them; reported per call read.
func BenchmarkRecoveryCases(b *testing.B) {
	const callers = 10000
	eng := recoveryBenchEngine(b, callers)
	f := leadcall.RecoveryFilter{Statuses: allStatuses, From: time.Now().Add(-7 * 24 * time.Hour)}
	b.ReportAllocs()
	for b.Loop() {
		cases, sum, err := eng.RecoveryCases(b.Context(), "o1", f)
		if err != nil || len(cases) != callers || sum.Recovered != callers/2 {
			b.Fatalf("%d cases, %d recovered, err %v", len(cases), sum.Recovered, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(callers*5/2), "ns/call")
}

// BenchmarkCheckRecovery: one recovery check of an org with 2,000 recent callers, in the
// steady state (every case already checked and marked), and the first check after a start
// (every case looked at, the SLA breaches raised).
func BenchmarkCheckRecovery(b *testing.B) {
	b.Run("steady", func(b *testing.B) {
		eng := recoveryBenchEngine(b, 2000)
		require.NoError(b, eng.CheckRecovery(b.Context()))
		for b.Loop() {
			require.NoError(b, eng.CheckRecovery(b.Context()))
		}
	})
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			eng := recoveryBenchEngine(b, 2000)
			b.StartTimer()
			require.NoError(b, eng.CheckRecovery(b.Context()))
		}
	})
}
