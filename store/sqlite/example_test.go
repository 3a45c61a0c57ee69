package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/sqlite"
)

// Open a store, ingest a call idempotently, and run its sync job under a lease.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "leadcall-example")
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

	if err := st.CreateOrg(ctx, &leadcall.Org{ID: "acme", Name: "Acme", Settings: leadcall.DefaultSettings()}); err != nil {
		log.Fatal(err)
	}
	if err := st.CreateDevice(ctx, &leadcall.Device{OrgID: "acme", ID: "billboard", Kind: device.KindCampaign, Active: true}); err != nil {
		log.Fatal(err)
	}

	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	newCall := func() leadcall.NewCall {
		return leadcall.NewCall{Enqueue: true, Call: &leadcall.Call{
			DeviceID: "billboard", DeviceCallID: "7f3c", NumberRaw: "098765 43210", NumberE164: "+919876543210",
			Type: leadcall.CallMissed, StartedAt: at, ReceivedAt: at, DeviceKind: device.KindCampaign,
			Disposition: leadcall.DispositionSync,
		}}
	}
	for range 2 { // the device sends the call twice
		res, err := st.InsertCalls(ctx, "acme", []leadcall.NewCall{newCall()})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("inserted:", res.Inserted[0], "events:", len(res.Events))
	}

	jobs, err := st.ClaimJobs(ctx, &leadcall.ClaimParams{Owner: "worker-1", Now: at.Add(time.Second), Lease: time.Minute, Limit: 10})
	if err != nil {
		log.Fatal(err)
	}
	fence := leadcall.Fence{JobID: jobs[0].ID, LeaseToken: jobs[0].LeaseToken}
	evs, err := st.CompleteJob(ctx, fence, &leadcall.CompleteJobParams{
		Now: at.Add(2 * time.Second), Outcome: leadcall.OutcomeCreatedLead,
		State: leadcall.CallSyncState{CRM: leadcall.CRMRefs{LeadID: "L-1", CallID: "C-1"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("claimed:", len(jobs), "attempt:", jobs[0].Attempt, "then:", evs[0].Type)

	// The lease is spent: a second completion is fenced off.
	_, err = st.CompleteJob(ctx, fence, &leadcall.CompleteJobParams{})
	fmt.Println("again:", err != nil)

	leads, err := st.LeadsCreatedFor(ctx, "acme", "+919876543210")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("leads:", leads)
	// Output:
	// inserted: true events: 1
	// inserted: false events: 0
	// claimed: 1 attempt: 1 then: call.synced
	// again: true
	// leads: [L-1]
}
