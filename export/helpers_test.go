package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/export"
	"github.com/leadcall/leadcall/store/sqlite"
)

// t0 is 09:30 in Asia/Kolkata.
var t0 = time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "leadcall.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func createOrg(t testing.TB, st leadcall.Store, id, tz string) {
	t.Helper()
	s := leadcall.DefaultSettings()
	s.TimeZone = tz
	require.NoError(t, st.CreateOrg(context.Background(), &leadcall.Org{ID: id, Name: id, Settings: s}))
}

func createDevice(t testing.TB, st leadcall.Store, org, id, nickname string, kind device.Kind) {
	t.Helper()
	require.NoError(t, st.CreateDevice(context.Background(), &leadcall.Device{
		OrgID: org, ID: id, Nickname: nickname, Kind: kind, Active: true, CreatedAt: t0.Add(-24 * time.Hour),
	}))
}

func setAssignment(t testing.TB, st leadcall.Store, org, deviceID, leadSource string, meta map[string]string) int64 {
	t.Helper()
	a := &leadcall.Assignment{OrgID: org, DeviceID: deviceID, LeadSource: leadSource, Metadata: meta, Start: t0.Add(-time.Hour)}
	require.NoError(t, st.SetAssignment(context.Background(), a))
	return a.ID
}

// insert stores calls (IDs are set on them) in one batch.
func insert(t testing.TB, st leadcall.Store, org string, calls ...*leadcall.Call) {
	t.Helper()
	ncs := make([]leadcall.NewCall, len(calls))
	for i, c := range calls {
		ncs[i] = leadcall.NewCall{Call: c}
	}
	res, err := st.InsertCalls(context.Background(), org, ncs)
	require.NoError(t, err)
	for i := range calls {
		require.True(t, res.Inserted[i], "call %d", i)
	}
}

// seq numbers device call IDs across parallel tests.
var seq atomic.Int64

// call returns a call with sensible defaults for fields the test does not care about.
func call(deviceID string, kind device.Kind, typ leadcall.CallType, number string, at time.Time, durationS int) *leadcall.Call {
	return &leadcall.Call{
		DeviceID: deviceID, DeviceCallID: "dc-" + strconv.FormatInt(seq.Add(1), 10), NumberRaw: number, NumberE164: number,
		Type: typ, StartedAt: at, ReceivedAt: at, DurationS: durationS, DeviceKind: kind,
		Disposition: leadcall.DispositionSync, SyncStatus: leadcall.SyncPending,
	}
}

// export runs WriteCalls and returns the CSV.
func runExport(t testing.TB, st leadcall.Store, f leadcall.CallFilter, opts export.Options) string {
	t.Helper()
	var buf bytes.Buffer
	_, err := export.WriteCalls(context.Background(), &buf, st, f, opts)
	require.NoError(t, err)
	return buf.String()
}

// parse reads a CSV back, strictly (every record has the header's width).
func parse(t testing.TB, s string) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader([]byte(s)))
	r.FieldsPerRecord = len(export.Columns)
	recs, err := r.ReadAll()
	require.NoError(t, err)
	require.Equal(t, export.Columns, recs[0])
	return recs[1:]
}

// column returns one column of parsed rows.
func column(rows [][]string, name string) []string {
	i := -1
	for j, c := range export.Columns {
		if c == name {
			i = j
		}
	}
	out := make([]string, len(rows))
	for k, r := range rows {
		out[k] = r[i]
	}
	return out
}

func fixedNow(at time.Time) func() time.Time { return func() time.Time { return at } }
