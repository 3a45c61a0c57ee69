package export_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/export"
)

// TestExportAfterEngineSync ingests calls through the Engine, lets it sync them to an
// in-memory CRM, and checks that the export shows what the pipeline stored.
func TestExportAfterEngineSync(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	c := memcrm.New(nil)
	require.NoError(t, c.SetPicklist(crm.ModuleLeads, "Lead_Source", []crm.PicklistValue{{DisplayValue: "Hoarding", ActualValue: "hoarding"}}))
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: c}, PollInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, eng.Start())
	t.Cleanup(func() { _ = eng.Close() })

	createOrg(t, st, "acme", "Asia/Kolkata")
	createDevice(t, st, "acme", "billboard", "Billboard", device.KindCampaign)
	createDevice(t, st, "acme", "asha", "Asha", device.KindSalesRep)
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, st.SetAssignment(ctx, &leadcall.Assignment{
		OrgID: "acme", DeviceID: "billboard", LeadSource: "Hoarding", Metadata: map[string]string{"city": "Pune"}, Start: base.Add(-time.Hour),
	}))

	res, err := eng.Ingest(ctx, "acme", "billboard", []leadcall.IncomingCall{
		{ID: "m1", Number: "098765 43210", Type: "missed", StartedAt: base},
		{ID: "p1", Number: "PRIVATE", Type: "inbound", StartedAt: base.Add(time.Minute), DurationS: 30},
	})
	require.NoError(t, err)
	res2, err := eng.Ingest(ctx, "acme", "asha", []leadcall.IncomingCall{
		{ID: "o1", Number: "+91 98765 43210", Type: "outbound", StartedAt: base.Add(5 * time.Minute), DurationS: 65},
	})
	require.NoError(t, err)
	res = append(res, res2...)
	for _, r := range res {
		require.Equal(t, leadcall.IngestAccepted, r.Status, "%+v", r)
	}
	require.Eventually(t, func() bool {
		counts, err := st.JobCounts(ctx)
		require.NoError(t, err)
		return counts[leadcall.JobReady] == 0 && counts[leadcall.JobRunning] == 0
	}, 20*time.Second, 10*time.Millisecond)

	missed, err := st.Call(ctx, "acme", res[0].CallID)
	require.NoError(t, err)
	require.Equal(t, leadcall.SyncSynced, missed.SyncStatus)
	require.NotEmpty(t, missed.CRM.LeadID)
	require.NotEmpty(t, missed.CRM.TaskID)

	rows := parse(t, runExport(t, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{}))
	byID := map[string][]string{}
	for _, r := range rows {
		byID[r[0]] = r
	}
	require.Len(t, byID, 3)
	get := func(id int64, col string) string {
		for i, c := range export.Columns {
			if c == col {
				return byID[strconv.FormatInt(id, 10)][i]
			}
		}
		t.Fatalf("no column %s", col)
		return ""
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	require.Equal(t, "'+919876543210", get(res[0].CallID, "caller_number"))
	require.Equal(t, base.In(kolkata).Format(time.RFC3339), get(res[0].CallID, "started_at"))
	require.Equal(t, "Hoarding", get(res[0].CallID, "lead_source"))
	require.Equal(t, "city=Pune", get(res[0].CallID, "campaign_metadata"))
	require.Equal(t, "synced", get(res[0].CallID, "sync_status"))
	require.Equal(t, string(missed.Outcome), get(res[0].CallID, "outcome"))
	require.Equal(t, "Leads", get(res[0].CallID, "zoho_module"))
	require.Equal(t, missed.CRM.LeadID, get(res[0].CallID, "zoho_record_id"))
	require.Equal(t, missed.CRM.CallID, get(res[0].CallID, "zoho_call_id"))
	require.Equal(t, missed.CRM.TaskID, get(res[0].CallID, "zoho_task_id"))
	require.Equal(t, "recovered", get(res[0].CallID, "recovery_status"), "Asha called back for 65 s")

	require.Equal(t, "PRIVATE", get(res[1].CallID, "caller_number"))
	require.Equal(t, "ignored", get(res[1].CallID, "disposition"))
	require.Equal(t, "private_number", get(res[1].CallID, "reason"))
	require.Equal(t, "none", get(res[1].CallID, "sync_status"))

	require.Equal(t, "Asha", get(res[2].CallID, "device_nickname"))
	require.Equal(t, "sales_rep", get(res[2].CallID, "device_role"))
	require.Equal(t, "", get(res[2].CallID, "recovery_status"))
}
