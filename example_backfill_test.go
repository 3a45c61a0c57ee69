package leadcall_test

import (
	"fmt"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// A dry-run backfill lists each planned record as DescribeWrite describes it; a test (or an
// audit) can describe the records a CRM actually received the same way and compare.
func ExampleDescribeWrite() {
	w := leadcall.DescribeWrite(&crm.Task{
		SyncKey:  "lc:acme:task:front-desk:c-1",
		Subject:  "Call back +919876512345",
		Due:      time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		Status:   "Not Started",
		Priority: "High",
		Who:      crm.Ref{Module: crm.ModuleLeads, ID: "5001"},
	})
	fmt.Println(w.Op, w.Module)
	fmt.Println(w.Summary)
	// Output:
	// create_task Tasks
	// Task "Call back +919876512345" due 2026-11-22, Not Started, High priority, owner "", on Leads
}
