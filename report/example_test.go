package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/report"
	"github.com/leadcall/leadcall/store/sqlite"
)

// A caller misses the campaign phone twice within the repeat window, and a rep calls back
// ten minutes after the first miss.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "report-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "leadcall.db"), nil)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	_ = st.CreateOrg(ctx, &leadcall.Org{ID: "acme", Name: "Acme", Settings: leadcall.DefaultSettings()})
	_ = st.CreateDevice(ctx, &leadcall.Device{OrgID: "acme", ID: "ads", Nickname: "Ads line", Kind: device.KindCampaign, Active: true})
	_ = st.CreateDevice(ctx, &leadcall.Device{OrgID: "acme", ID: "rep", Nickname: "Asha", Kind: device.KindSalesRep, Active: true})
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	call := func(id, dev string, typ leadcall.CallType, kind device.Kind, at time.Duration, dur int) leadcall.NewCall {
		return leadcall.NewCall{Call: &leadcall.Call{DeviceID: dev, DeviceCallID: id, NumberE164: "+919876543210",
			Type: typ, StartedAt: day.Add(at), DurationS: dur, DeviceKind: kind, Disposition: leadcall.DispositionSync}}
	}
	_, err = st.InsertCalls(ctx, "acme", []leadcall.NewCall{
		call("1", "ads", leadcall.CallMissed, device.KindCampaign, 9*time.Hour, 0),
		call("2", "ads", leadcall.CallMissed, device.KindCampaign, 9*time.Hour+5*time.Minute, 0),
		call("3", "rep", leadcall.CallOutbound, device.KindSalesRep, 9*time.Hour+10*time.Minute, 75),
	})
	if err != nil {
		panic(err)
	}

	r, err := report.New(st, report.Config{Now: func() time.Time { return day.Add(24 * time.Hour) }})
	if err != nil {
		panic(err)
	}
	s, err := r.Summary(ctx, report.Query{OrgID: "acme", From: day, To: day.Add(24 * time.Hour), GroupBy: report.GroupDevice})
	if err != nil {
		panic(err)
	}
	for _, row := range s.Rows {
		fmt.Printf("%s: %d calls, %d missed, %d first-time, %d repeat, %d caller(s)\n",
			row.Label, row.Calls, row.Missed, row.FirstTime, row.Repeat, row.Callers)
		fmt.Printf("recovered %d of %d, first attempt after %v\n", row.Recovered, row.Cases, row.MedianTimeToFirstAttempt)
	}
	// Output:
	// Ads line: 2 calls, 2 missed, 1 first-time, 1 repeat, 1 caller(s)
	// recovered 1 of 1, first attempt after 10m0s
}
