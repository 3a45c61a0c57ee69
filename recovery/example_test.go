package recovery_test

import (
	"fmt"
	"log"
	"time"

	"github.com/leadcall/leadcall/recovery"
)

// A caller misses the campaign phone twice; a rep tries once without getting through and
// connects on the second try. Another caller is never called back.
func Example() {
	m, err := recovery.New(recovery.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	minute := func(n int) time.Time { return start.Add(time.Duration(n) * time.Minute) }
	campaign := func(id int64, number string, t time.Time) recovery.Call {
		return recovery.Call{ID: id, DeviceID: "camp-1", DeviceKind: recovery.DeviceCampaign,
			NumberE164: number, Type: recovery.CallMissed, StartedAt: t, AssignmentID: 7, LeadSource: "Google Ads"}
	}
	rep := func(id int64, number string, t time.Time, seconds int) recovery.Call {
		return recovery.Call{ID: id, DeviceID: "phone-ana", DeviceKind: recovery.DeviceSalesRep, RepID: "ana",
			NumberE164: number, Type: recovery.CallOutbound, StartedAt: t, DurationS: seconds}
	}
	calls := []recovery.Call{
		campaign(1, "+919876512345", minute(0)),
		campaign(2, "+919876512345", minute(4)),
		rep(3, "+919876512345", minute(9), 0),
		rep(4, "+919876512345", minute(21), 140),
		campaign(5, "+14155550123", minute(30)),
	}

	now := minute(60)
	cases, err := m.Build(calls, now)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cases {
		fmt.Printf("%s: %s, %d misses, %d attempts, credited to %s", c.NumberE164, c.Status, c.MissCount, c.Attempts, c.LeadSource)
		if d, ok := c.TimeToConnect(); ok {
			fmt.Printf(", reached by %s after %v", c.RecoveredByRepID, d)
		}
		fmt.Println()
	}

	// The SLA check runs every minute; the flag makes it raise each breach once.
	for _, i := range m.SLABreaches(cases, now) {
		fmt.Println("SLA breached:", cases[i].NumberE164)
		cases[i].SLABreached = true
	}
	fmt.Println("breaches on the next check:", len(m.SLABreaches(cases, now.Add(time.Minute))))

	s := recovery.Summarize(cases)
	fmt.Printf("recovery rate %.0f%%, median time to first attempt %v\n", 100*s.RecoveryRate, s.MedianTimeToFirstAttempt)
	// Output:
	// +919876512345: recovered, 2 misses, 2 attempts, credited to Google Ads, reached by ana after 21m0s
	// +14155550123: open, 1 misses, 0 attempts, credited to Google Ads
	// SLA breached: +14155550123
	// breaches on the next check: 0
	// recovery rate 50%, median time to first attempt 9m0s
}

// Apply keeps a stored case up to date one call at a time.
func ExampleMatcher_Apply() {
	m, err := recovery.New(recovery.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	missed := recovery.Call{ID: 1, DeviceID: "camp-1", DeviceKind: recovery.DeviceCampaign,
		NumberE164: "+919876512345", Type: recovery.CallMissed, StartedAt: start}
	answered := recovery.Call{ID: 2, DeviceID: "camp-1", DeviceKind: recovery.DeviceCampaign,
		NumberE164: "+919876512345", Type: recovery.CallInbound, StartedAt: start.Add(time.Hour), DurationS: 60}

	stored, _, err := m.Apply(nil, missed) // no case yet: the miss opens one
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stored.Status)
	_, changed, err := m.Apply(stored, answered) // the customer called back and was answered
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stored.Status, changed, stored.RecoveredByDeviceID)

	late := recovery.Call{ID: 3, DeviceID: "phone-ana", DeviceKind: recovery.DeviceSalesRep,
		NumberE164: "+919876512345", Type: recovery.CallOutbound, StartedAt: start.Add(time.Minute), DurationS: 30}
	_, _, err = m.Apply(stored, late) // uploaded late: rebuild from the calls instead
	fmt.Println(err != nil)
	// Output:
	// open
	// recovered true camp-1
	// true
}
