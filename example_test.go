package leadcall_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/sqlite"
)

// A missed call on a campaign phone becomes a Lead with its Call and a follow-up Task.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "leadcall-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "leadcall.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	c := memcrm.New(nil)
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: c}, PollInterval: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Start(); err != nil {
		log.Fatal(err)
	}
	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: "acme"}); err != nil {
		log.Fatal(err)
	}
	if err := eng.CreateDevice(ctx, &leadcall.Device{OrgID: "acme", ID: "ads", Nickname: "Ads line", Kind: device.KindCampaign, Active: true}); err != nil {
		log.Fatal(err)
	}

	res, err := eng.Ingest(ctx, "acme", "ads", []leadcall.IncomingCall{
		{ID: "c-1", Number: "098765 12345", Type: "missed", StartedAt: time.Now().Add(-time.Minute)},
		{ID: "c-2", Number: "PRIVATE", Type: "missed", StartedAt: time.Now().Add(-time.Minute)},
		{ID: "c-3", Number: "9876512345", Type: "ringing", StartedAt: time.Now()},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res {
		fmt.Println(r.ID, r.Status, r.Err)
	}
	for {
		call, err := st.Call(ctx, "acme", res[0].CallID)
		if err != nil {
			log.Fatal(err)
		}
		if call.SyncStatus == leadcall.SyncSynced {
			fmt.Println(call.NumberE164, call.Outcome)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	private, err := st.Call(ctx, "acme", res[1].CallID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(private.Disposition, private.Reason)
	n := c.Counts()
	fmt.Println(n.Leads, "lead,", n.Calls, "call,", n.Tasks, "task")
	// Output:
	// c-1 accepted <nil>
	// c-2 accepted <nil>
	// c-3 rejected leadcall: ingest: type: unknown call type; want inbound, missed or outbound
	// +919876512345 created_lead
	// ignored private_number
	// 1 lead, 1 call, 1 task
}
