package device_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/leadcall/leadcall/device"
)

func Example() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	kind, err := device.ParseKind(" campaign ")
	if err != nil {
		log.Fatal(err)
	}
	nickname, err := device.NormalizeNickname("  Campaign\tLine   1 ")
	if err != nil {
		log.Fatal(err)
	}

	// Registering a fourth device on a three-seat plan is refused.
	if err := device.CheckSeat(3, 3); errors.Is(err, device.ErrSeatLimit) {
		fmt.Println("refused:", err)
	}

	info := device.Info{
		ID:         "dev_1",
		Kind:       kind,
		Nickname:   nickname,
		RepID:      "rep_7",
		Active:     true,
		LastSeenAt: now.Add(-2 * time.Minute),
	}
	ago, _ := device.SeenAgo(info.LastSeenAt, now)
	fmt.Printf("%q is %s (seen %s ago)\n", info.Nickname,
		device.Presence(info.LastSeenAt, now, device.DefaultOnlineThreshold), ago)
	fmt.Println("incomplete:", device.Incomplete(info))
	fmt.Println("syncable:", device.Syncable(info))

	// Deactivating closes the open assignment and frees the seat.
	change, err := device.Transition(info.Mode(), device.Mode{Kind: info.Kind, Active: false})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("deactivate: %+v\n", change)

	// Output:
	// refused: device: seat limit reached: 3 of 3 seats in use; deactivate an unused device or raise the plan's seat limit
	// "Campaign Line 1" is online (seen 2m0s ago)
	// incomplete: [campaign_without_assignment rep_without_crm_user]
	// syncable: true
	// deactivate: {CloseAssignment:true NeedsSeat:false FreesSeat:true}
}

func ExampleNormalizeNickname() {
	for _, in := range []string{"  Front \n Desk ", "", "Desk\u202eenoh"} {
		out, err := device.NormalizeNickname(in)
		fmt.Printf("%q %q %v\n", in, out, err)
	}
	// Output:
	// "  Front \n Desk " "Front Desk" <nil>
	// "" "" device: nickname is empty
	// "Desk\u202eenoh" "" device: invalid nickname: forbidden character U+202E at byte 4
}

func ExampleTransition() {
	from := device.Mode{Kind: device.KindCampaign, Active: true}
	to := device.Mode{Kind: device.KindSalesRep, Active: true}
	change, err := device.Transition(from, to)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("close assignment:", change.CloseAssignment)
	// Output:
	// close assignment: true
}
