package export_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/export"
	"github.com/leadcall/leadcall/store/sqlite"
)

// Export a campaign phone's missed call and the rep's callback that recovered it.
func ExampleWriteCalls() {
	dir, err := os.MkdirTemp("", "leadcall-export")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "leadcall.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	settings := leadcall.DefaultSettings()
	settings.TimeZone = "Asia/Kolkata"
	must(st.CreateOrg(ctx, &leadcall.Org{ID: "acme", Name: "Acme", Settings: settings}))
	must(st.CreateDevice(ctx, &leadcall.Device{OrgID: "acme", ID: "billboard", Nickname: "Billboard, MG Road", Kind: device.KindCampaign, Active: true}))
	must(st.CreateDevice(ctx, &leadcall.Device{OrgID: "acme", ID: "asha", Nickname: "Asha", Kind: device.KindSalesRep, Active: true}))
	at := time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC)
	a := &leadcall.Assignment{OrgID: "acme", DeviceID: "billboard", LeadSource: "Hoarding", Metadata: map[string]string{"city": "Pune"}, Start: at.Add(-time.Hour)}
	must(st.SetAssignment(ctx, a))

	_, err = st.InsertCalls(ctx, "acme", []leadcall.NewCall{
		{Call: &leadcall.Call{DeviceID: "billboard", DeviceCallID: "m1", NumberE164: "+919876543210", Type: leadcall.CallMissed,
			StartedAt: at, DeviceKind: device.KindCampaign, Disposition: leadcall.DispositionSync, AssignmentID: a.ID,
			LeadSource: "Hoarding", SyncStatus: leadcall.SyncSynced, CRM: leadcall.CRMRefs{LeadID: "L1"}}},
		{Call: &leadcall.Call{DeviceID: "asha", DeviceCallID: "o1", NumberE164: "+919876543210", Type: leadcall.CallOutbound,
			StartedAt: at.Add(5 * time.Minute), DurationS: 42, DeviceKind: device.KindSalesRep,
			Disposition: leadcall.DispositionLocal, Reason: leadcall.ReasonOutbound}},
	})
	must(err)

	var out bytes.Buffer
	n, err := export.WriteCalls(ctx, &out, st, leadcall.CallFilter{OrgID: "acme"}, export.Options{})
	must(err)
	// The file's lines end in CRLF (RFC 4180); shown here with LF.
	fmt.Print(strings.ReplaceAll(out.String(), "\r\n", "\n"))
	fmt.Println(n, "calls")
	// Output:
	// call_id,device_id,device_nickname,device_role,caller_number,type,started_at,duration_s,disposition,reason,lead_source,campaign_metadata,sync_status,outcome,zoho_module,zoho_record_id,zoho_call_id,zoho_task_id,recovery_status
	// 2,asha,Asha,sales_rep,'+919876543210,outbound,2026-03-02T09:35:00+05:30,42,local,outbound,,,none,,,,,,
	// 1,billboard,"Billboard, MG Road",campaign,'+919876543210,missed,2026-03-02T09:30:00+05:30,0,sync,,Hoarding,city=Pune,synced,,Leads,L1,,,recovered
	// 2 calls
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
