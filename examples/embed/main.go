// Command embed shows leadcall embedded in another program: a SQLite store, an in-memory CRM
// standing in for Zoho, one campaign phone, and a missed call that becomes a Lead, a Call and
// a follow-up Task.
package main

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

func main() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "leadcall-embed")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	st, err := sqlite.Open(ctx, filepath.Join(dir, "leadcall.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	zoho := memcrm.New(nil) // crm/zoho in production
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: zoho}, PollInterval: 50 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := eng.Start(); err != nil {
		log.Fatal(err)
	}

	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: "acme", Name: "Acme"}); err != nil {
		log.Fatal(err)
	}
	line := &leadcall.Device{OrgID: "acme", ID: "ads", Nickname: "Ads line", Kind: device.KindCampaign, Active: true}
	if err := eng.CreateDevice(ctx, line); err != nil {
		log.Fatal(err)
	}
	if _, _, err := eng.SetAssignment(ctx, leadcall.SetAssignmentParams{OrgID: "acme", DeviceID: "ads", LeadSource: "Advertisement"}); err != nil {
		log.Fatal(err)
	}

	results, err := eng.Ingest(ctx, "acme", "ads", []leadcall.IncomingCall{
		{ID: "call-1", Number: "098765 12345", Type: "missed", StartedAt: time.Now().Add(-time.Minute)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ingest:", results[0].Status)

	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := st.Call(ctx, "acme", results[0].CallID)
		if err != nil {
			log.Fatal(err)
		}
		if c.SyncStatus == leadcall.SyncSynced {
			fmt.Println("outcome:", c.Outcome)
			counts := zoho.Counts()
			fmt.Printf("CRM: %d lead, %d call, %d task\n", counts.Leads, counts.Calls, counts.Tasks)
			return
		}
	}
	log.Fatal("the call did not sync in time")
}
