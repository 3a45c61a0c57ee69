package export_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/export"
)

// seedDay stores a small realistic day in org acme (Asia/Kolkata) and returns the calls in
// the order inserted.
func seedDay(t *testing.T, st leadcall.Store) []*leadcall.Call {
	t.Helper()
	createOrg(t, st, "acme", "Asia/Kolkata")
	createDevice(t, st, "acme", "billboard", "Billboard, MG Road", device.KindCampaign)
	createDevice(t, st, "acme", "asha", `Asha "Closer"`, device.KindSalesRep)
	aid := setAssignment(t, st, "acme", "billboard", "Hoarding", map[string]string{"city": "Pune", "campaign": "Diwali; 2026"})

	missed := call("billboard", device.KindCampaign, leadcall.CallMissed, "+919876543210", t0, 0)
	missed.AssignmentID, missed.LeadSource = aid, "Hoarding"
	missed.SyncStatus, missed.Outcome = leadcall.SyncSynced, leadcall.OutcomeCreatedLead
	missed.CRM = leadcall.CRMRefs{LeadID: "L1", CallID: "C1", TaskID: "T1"}

	callback := call("asha", device.KindSalesRep, leadcall.CallOutbound, "+919876543210", t0.Add(10*time.Minute), 65)
	callback.Disposition, callback.Reason, callback.SyncStatus = leadcall.DispositionLocal, leadcall.ReasonOutbound, leadcall.SyncNone

	unanswered := call("billboard", device.KindCampaign, leadcall.CallMissed, "+919811122233", t0.Add(20*time.Minute), 0)
	unanswered.AssignmentID, unanswered.LeadSource = aid, "Hoarding"

	private := call("billboard", device.KindCampaign, leadcall.CallInbound, "PRIVATE", t0.Add(25*time.Minute), 0)
	private.NumberE164 = ""
	private.Disposition, private.Reason, private.SyncStatus = leadcall.DispositionIgnored, leadcall.ReasonPrivateNumber, leadcall.SyncNone

	answered := call("billboard", device.KindCampaign, leadcall.CallInbound, "+919822233344", t0.Add(30*time.Minute), 754)
	answered.AssignmentID, answered.LeadSource = aid, "Hoarding"
	answered.SyncStatus, answered.Outcome = leadcall.SyncSynced, leadcall.OutcomeLinkedContact
	answered.CRM = leadcall.CRMRefs{ContactID: "CT9", CallID: "C2"}

	calls := []*leadcall.Call{missed, callback, unanswered, private, answered}
	insert(t, st, "acme", calls...)
	return calls
}

func TestWriteCallsGolden(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	calls := seedDay(t, st)
	require.Equal(t, []int64{1, 2, 3, 4, 5}, []int64{calls[0].ID, calls[1].ID, calls[2].ID, calls[3].ID, calls[4].ID})

	var buf bytes.Buffer
	n, err := export.WriteCalls(context.Background(), &buf, st, leadcall.CallFilter{OrgID: "acme"},
		export.Options{Now: fixedNow(t0.Add(time.Hour))})
	require.NoError(t, err)
	require.Equal(t, 5, n)

	want := "call_id,device_id,device_nickname,device_role,caller_number,type,started_at,duration_s,disposition,reason,lead_source,campaign_metadata,sync_status,outcome,zoho_module,zoho_record_id,zoho_call_id,zoho_task_id,recovery_status\r\n" +
		`5,billboard,"Billboard, MG Road",campaign,'+919822233344,inbound,2026-03-02T10:00:00+05:30,754,sync,,Hoarding,campaign=Diwali\; 2026; city=Pune,synced,linked_contact,Contacts,CT9,C2,,` + "\r\n" +
		`4,billboard,"Billboard, MG Road",campaign,PRIVATE,inbound,2026-03-02T09:55:00+05:30,0,ignored,private_number,,,none,,,,,,` + "\r\n" +
		`3,billboard,"Billboard, MG Road",campaign,'+919811122233,missed,2026-03-02T09:50:00+05:30,0,sync,,Hoarding,campaign=Diwali\; 2026; city=Pune,pending,,,,,,open` + "\r\n" +
		`2,asha,"Asha ""Closer""",sales_rep,'+919876543210,outbound,2026-03-02T09:40:00+05:30,65,local,outbound,,,none,,,,,,` + "\r\n" +
		`1,billboard,"Billboard, MG Road",campaign,'+919876543210,missed,2026-03-02T09:30:00+05:30,0,sync,,Hoarding,campaign=Diwali\; 2026; city=Pune,synced,created_lead,Leads,L1,C1,T1,recovered` + "\r\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Fatalf("CSV (-want +got):\n%s", diff)
	}

	// Small pages give the same bytes: paging neither drops nor repeats rows.
	var paged bytes.Buffer
	n, err = export.WriteCalls(context.Background(), &paged, st, leadcall.CallFilter{OrgID: "acme"},
		export.Options{Now: fixedNow(t0.Add(time.Hour)), PageSize: 2, RecoveryCacheSize: 1})
	require.NoError(t, err)
	require.Equal(t, 5, n)
	require.Equal(t, want, paged.String())
}

func TestLocationOption(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	rows := parse(t, runExport(t, st, leadcall.CallFilter{OrgID: "acme", Types: []leadcall.CallType{leadcall.CallOutbound}},
		export.Options{Location: ny}))
	require.Equal(t, []string{"2026-03-01T23:10:00-05:00"}, column(rows, "started_at"))

	utc := leadcall.CallFilter{OrgID: "utc-org"}
	createOrg(t, st, "utc-org", "UTC")
	createDevice(t, st, "utc-org", "d", "d", device.KindCampaign)
	insert(t, st, "utc-org", call("d", device.KindCampaign, leadcall.CallInbound, "+14155550100", t0, 1))
	require.Equal(t, []string{"2026-03-02T04:00:00Z"}, column(parse(t, runExport(t, st, utc, export.Options{})), "started_at"))
}

func TestRecoveryStatus(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	createOrg(t, st, "acme", "UTC")
	createDevice(t, st, "acme", "camp", "Camp", device.KindCampaign)
	createDevice(t, st, "acme", "rep", "Rep", device.KindSalesRep)
	const a, b, c, d = "+919800000001", "+919800000002", "+919800000003", "+919800000004"
	// a: missed, short callback (attempted). b: missed twice, no callback (one case, both
	// rows share its status). c: missed on a sales-rep phone (no case). d: missed but
	// ignored (no case).
	missA := call("camp", device.KindCampaign, leadcall.CallMissed, a, t0, 0)
	tryA := call("rep", device.KindSalesRep, leadcall.CallOutbound, a, t0.Add(time.Minute), 0)
	missB1 := call("camp", device.KindCampaign, leadcall.CallMissed, b, t0.Add(2*time.Minute), 0)
	missC := call("rep", device.KindSalesRep, leadcall.CallMissed, c, t0.Add(3*time.Minute), 0)
	missD := call("camp", device.KindCampaign, leadcall.CallMissed, d, t0.Add(4*time.Minute), 0)
	missD.Disposition, missD.Reason = leadcall.DispositionIgnored, leadcall.ReasonBlocked
	missB2 := call("camp", device.KindCampaign, leadcall.CallMissed, b, t0.Add(5*time.Minute), 0)
	insert(t, st, "acme", missA, tryA, missB1, missC, missD, missB2)

	statuses := func(now time.Time, window time.Duration, f leadcall.CallFilter) map[string]string {
		f.OrgID = "acme"
		rows := parse(t, runExport(t, st, f, export.Options{Now: fixedNow(now), RecoveryWindow: window, RecoveryCacheSize: 1, PageSize: 1}))
		out := map[string]string{}
		ids, got := column(rows, "call_id"), column(rows, "recovery_status")
		for i := range ids {
			out[ids[i]] = got[i]
		}
		return out
	}
	id := func(c *leadcall.Call) string { return strconv.FormatInt(c.ID, 10) }

	soon := statuses(t0.Add(time.Hour), 0, leadcall.CallFilter{})
	require.Equal(t, map[string]string{
		id(missA): "attempted", id(tryA): "", id(missB1): "open", id(missC): "", id(missD): "", id(missB2): "open",
	}, soon)

	// A week later the unrecovered cases have expired.
	late := statuses(t0.Add(8*24*time.Hour), 0, leadcall.CallFilter{})
	require.Equal(t, "expired", late[id(missA)])
	require.Equal(t, "expired", late[id(missB1)])
	require.Equal(t, "expired", late[id(missB2)])

	// With a one-minute window, b's second miss (3 minutes after the first) opens a new
	// case; the lookback before From still sees the first miss.
	short := statuses(t0.Add(4*time.Minute), time.Minute,
		leadcall.CallFilter{From: t0.Add(2 * time.Minute), Types: []leadcall.CallType{leadcall.CallMissed}})
	require.Equal(t, map[string]string{id(missB1): "expired", id(missC): "", id(missD): "", id(missB2): "open"}, short)
}

func TestQuotingRoundTrips(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	createOrg(t, st, "acme", "UTC")
	nick := "Lobby, \"front\" desk\nline 2\r\nline 3"
	createDevice(t, st, "acme", "lobby", nick, device.KindCampaign)
	meta := map[string]string{"note": "a,b \"c\"\nd", "k=1": "x;y\\z"}
	aid := setAssignment(t, st, "acme", "lobby", "Walk-in, \"VIP\"", meta)
	c := call("lobby", device.KindCampaign, leadcall.CallInbound, "+919876543210", t0, 5)
	c.AssignmentID, c.LeadSource = aid, "Walk-in, \"VIP\""
	insert(t, st, "acme", c)

	out := runExport(t, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{})
	// RFC 4180: quoted, quotes doubled, and every line break inside a cell written as CRLF.
	require.Contains(t, out, "\"Lobby, \"\"front\"\" desk\r\nline 2\r\nline 3\"")
	require.True(t, strings.HasSuffix(out, "\r\n"))
	rows := parse(t, out)
	require.Len(t, rows, 1)
	// encoding/csv reads a quoted \r\n as \n, as RFC 4180 readers do.
	require.Equal(t, "Lobby, \"front\" desk\nline 2\nline 3", column(rows, "device_nickname")[0])
	require.Equal(t, "Walk-in, \"VIP\"", column(rows, "lead_source")[0])
	require.Equal(t, "k\\=1=x\\;y\\\\z; note=a,b \"c\"\nd", column(rows, "campaign_metadata")[0])
}

func TestFormulaInjection(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	createOrg(t, st, "acme", "UTC")
	createDevice(t, st, "acme", "evil", "=HYPERLINK(\"http://x\",\"y\")", device.KindCampaign)
	aid := setAssignment(t, st, "acme", "evil", "@SUM(A1)", map[string]string{"-k": "v"})
	raw := "=cmd|' /C calc'!A0"
	c := call("evil", device.KindCampaign, leadcall.CallInbound, raw, t0, 5)
	c.NumberE164 = ""
	c.AssignmentID, c.LeadSource = aid, "+1+1"
	c.CRM.LeadID = "\tX"
	c.CRM.CallID = "\rY"
	c.Disposition, c.Reason, c.SyncStatus = leadcall.DispositionIgnored, leadcall.ReasonInvalidNumber, leadcall.SyncNone
	insert(t, st, "acme", c)

	out := runExport(t, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{})
	require.Contains(t, out, ",\"'Y\",", "encoding/csv with CRLF line endings drops a lone CR inside a cell")
	rows := parse(t, out)
	require.Len(t, rows, 1)
	got := map[string]string{}
	for _, name := range []string{"device_nickname", "caller_number", "lead_source", "campaign_metadata", "zoho_record_id", "zoho_call_id"} {
		got[name] = column(rows, name)[0]
	}
	require.Equal(t, map[string]string{
		"device_nickname":   "'=HYPERLINK(\"http://x\",\"y\")",
		"caller_number":     "'" + raw,
		"lead_source":       "'+1+1",
		"campaign_metadata": "'-k=v",
		"zoho_record_id":    "'\tX",
		"zoho_call_id":      "'Y",
	}, got)
	for _, r := range rows {
		for i, v := range r {
			if v != "" {
				require.NotContains(t, "=+-@\t\r", v[:1], "column %s starts like a formula: %q", export.Columns[i], v)
			}
		}
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	calls := seedDay(t, st)
	ids := func(cs ...*leadcall.Call) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, strconv.FormatInt(c.ID, 10))
		}
		return out
	}
	missed, callback, unanswered, private, answered := calls[0], calls[1], calls[2], calls[3], calls[4]
	cases := []struct {
		name string
		f    leadcall.CallFilter
		want []string
	}{
		{"all", leadcall.CallFilter{}, ids(answered, private, unanswered, callback, missed)},
		{"from is inclusive, to exclusive", leadcall.CallFilter{From: t0.Add(10 * time.Minute), To: t0.Add(25 * time.Minute)}, ids(unanswered, callback)},
		{"device", leadcall.CallFilter{DeviceIDs: []string{"asha"}}, ids(callback)},
		{"types", leadcall.CallFilter{Types: []leadcall.CallType{leadcall.CallMissed, leadcall.CallOutbound}}, ids(unanswered, callback, missed)},
		{"outcome", leadcall.CallFilter{Outcomes: []leadcall.SyncOutcome{leadcall.OutcomeCreatedLead}}, ids(missed)},
		{"sync status", leadcall.CallFilter{SyncStatus: []leadcall.SyncStatus{leadcall.SyncNone}}, ids(private, callback)},
		{"disposition", leadcall.CallFilter{Disposition: []leadcall.Disposition{leadcall.DispositionIgnored}}, ids(private)},
		{"nothing matches", leadcall.CallFilter{DeviceIDs: []string{"nope"}}, ids()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.OrgID = "acme"
			var buf bytes.Buffer
			n, err := export.WriteCalls(context.Background(), &buf, st, tc.f, export.Options{PageSize: 1})
			require.NoError(t, err)
			require.Equal(t, len(tc.want), n)
			require.Equal(t, tc.want, column(parse(t, buf.String()), "call_id"))
		})
	}
}

func TestOrgIsolation(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	createOrg(t, st, "other", "UTC")
	// Same device ID and caller number in another org, with its own nickname and a miss
	// that the acme callback must not recover.
	createDevice(t, st, "other", "billboard", "Other billboard", device.KindCampaign)
	aid := setAssignment(t, st, "other", "billboard", "Radio", map[string]string{"secret": "other-org"})
	c := call("billboard", device.KindCampaign, leadcall.CallMissed, "+919876543210", t0.Add(-time.Minute), 0)
	c.AssignmentID, c.LeadSource = aid, "Radio"
	insert(t, st, "other", c)

	out := runExport(t, st, leadcall.CallFilter{OrgID: "other"}, export.Options{Now: fixedNow(t0.Add(time.Hour))})
	rows := parse(t, out)
	require.Equal(t, []string{strconv.FormatInt(c.ID, 10)}, column(rows, "call_id"))
	require.Equal(t, []string{"Other billboard"}, column(rows, "device_nickname"))
	require.Equal(t, []string{"secret=other-org"}, column(rows, "campaign_metadata"))
	require.Equal(t, []string{"open"}, column(rows, "recovery_status"), "acme's callback must not count")

	acme := runExport(t, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{})
	require.NotContains(t, acme, "Other billboard")
	require.NotContains(t, acme, "other-org")
	require.Len(t, parse(t, acme), 5)

	var buf bytes.Buffer
	_, err := export.WriteCalls(context.Background(), &buf, st, leadcall.CallFilter{OrgID: "ghost"}, export.Options{})
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err), "err: %v", err)
	require.Zero(t, buf.Len(), "nothing is written for an unknown org")
}

func TestHostileData(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	createOrg(t, st, "acme", "UTC")
	huge := strings.Repeat("é", 600_000) // 1.2 MB
	createDevice(t, st, "acme", "nul", "a\x00b\x01c\x7fd\xffe", device.KindCampaign)
	createDevice(t, st, "acme", "huge", huge, device.KindCampaign)
	aid := setAssignment(t, st, "acme", "huge", strings.Repeat("x", 100_000), map[string]string{"k\x00": huge})
	c1 := call("nul", device.KindCampaign, leadcall.CallInbound, "+919876543210", t0, 5)
	c1.NumberE164, c1.NumberRaw = "", "\x00\x00=1"
	c1.Disposition, c1.Reason, c1.SyncStatus = leadcall.DispositionIgnored, leadcall.ReasonInvalidNumber, leadcall.SyncNone
	c2 := call("huge", device.KindCampaign, leadcall.CallInbound, "+919876543210", t0.Add(time.Second), 5)
	c2.AssignmentID, c2.LeadSource = aid, strings.Repeat("x", 100_000)
	insert(t, st, "acme", c1, c2)

	out := runExport(t, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{})
	require.NotContains(t, out, "\x00")
	require.Less(t, len(out), 5*export.MaxCellBytes, "huge values are cut")
	rows := parse(t, out)
	require.Len(t, rows, 2)
	require.Equal(t, "abcd\uFFFDe", column(rows, "device_nickname")[1], "NUL and controls dropped, bad UTF-8 replaced")
	require.Equal(t, "'=1", column(rows, "caller_number")[1], "dropping NULs must not unmask a formula")
	for _, name := range []string{"device_nickname", "lead_source", "campaign_metadata"} {
		v := column(rows, name)[0]
		require.LessOrEqual(t, len(v), export.MaxCellBytes, name)
		require.True(t, strings.HasSuffix(v, "…"), name)
		require.True(t, utf8.ValidString(v), name)
	}
}

// cancelWriter cancels its context on the first write.
type cancelWriter struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.cancel()
	return w.Buffer.Write(p)
}

func TestContextCancelledMidStream(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	n, err := export.WriteCalls(ctx, w, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{PageSize: 2})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 2, n, "the first page was flushed, then the export stopped")
	require.Len(t, parse(t, w.String()), 2)

	_, err = export.WriteCalls(ctx, &bytes.Buffer{}, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{})
	require.ErrorIs(t, err, context.Canceled, "a done context writes nothing")
}

var errDiskFull = errors.New("disk full")

// failingWriter accepts limit bytes, then fails.
type failingWriter struct{ limit int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, errDiskFull
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestFailingWriter(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	for _, limit := range []int{0, 10, 300, 700} {
		n, err := export.WriteCalls(context.Background(), &failingWriter{limit: limit}, st,
			leadcall.CallFilter{OrgID: "acme"}, export.Options{PageSize: 2})
		require.ErrorIs(t, err, errDiskFull, "limit %d", limit)
		require.Less(t, n, 5, "limit %d", limit)
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	seedDay(t, st)
	cases := []struct {
		name string
		f    leadcall.CallFilter
		o    export.Options
		is   error
		code leadcall.Code
	}{
		{"no org", leadcall.CallFilter{}, export.Options{}, export.ErrInvalidFilter, 0},
		{"negative page", leadcall.CallFilter{OrgID: "acme"}, export.Options{PageSize: -1}, export.ErrInvalidOptions, 0},
		{"huge page", leadcall.CallFilter{OrgID: "acme"}, export.Options{PageSize: export.MaxPageSize + 1}, export.ErrInvalidOptions, 0},
		{"window", leadcall.CallFilter{OrgID: "acme"}, export.Options{RecoveryWindow: -time.Second}, export.ErrInvalidOptions, 0},
		{"cache", leadcall.CallFilter{OrgID: "acme"}, export.Options{RecoveryCacheSize: export.MaxCacheSize + 1}, export.ErrInvalidOptions, 0},
		{"assignment cache", leadcall.CallFilter{OrgID: "acme"}, export.Options{AssignmentCacheSize: -1}, export.ErrInvalidOptions, 0},
		{"to before from", leadcall.CallFilter{OrgID: "acme", From: t0, To: t0.Add(-time.Hour)}, export.Options{}, nil, leadcall.CodeInvalid},
		{"bad cursor", leadcall.CallFilter{OrgID: "acme", Cursor: "!!"}, export.Options{}, nil, leadcall.CodeInvalid},
		{"too many devices", leadcall.CallFilter{OrgID: "acme", DeviceIDs: make([]string, 10_000)}, export.Options{}, nil, leadcall.CodeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := export.WriteCalls(context.Background(), &bytes.Buffer{}, st, tc.f, tc.o)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			} else {
				require.Equal(t, tc.code, leadcall.CodeOf(err), "err: %v", err)
			}
		})
	}
}

func TestPagingThroughCallsAtOneInstant(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	createOrg(t, st, "acme", "UTC")
	createDevice(t, st, "acme", "d", "d", device.KindCampaign)
	var calls []*leadcall.Call
	for range 7 {
		calls = append(calls, call("d", device.KindCampaign, leadcall.CallInbound, "+919876543210", t0, 1))
	}
	calls = append(calls, call("d", device.KindCampaign, leadcall.CallInbound, "+919876543210", t0.Add(-time.Millisecond), 1))
	insert(t, st, "acme", calls...)
	for _, to := range []time.Time{{}, t0.Add(time.Millisecond)} {
		for _, size := range []int{1, 2, 3, 1000} {
			var buf bytes.Buffer
			n, err := export.WriteCalls(context.Background(), &buf, st, leadcall.CallFilter{OrgID: "acme", To: to}, export.Options{PageSize: size})
			require.NoError(t, err)
			require.Equal(t, 8, n)
			require.Equal(t, []string{"7", "6", "5", "4", "3", "2", "1", "8"}, column(parse(t, buf.String()), "call_id"), "page size %d", size)
		}
	}
}
