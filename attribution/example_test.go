package attribution_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/leadcall/leadcall/attribution"
)

// A device runs a Google Ads campaign, switches to a flyer campaign, then becomes a
// sales-rep phone. Each call is attributed by its own timestamp.
func Example() {
	// The payload of each assignment stays with the caller, keyed by the interval ID.
	leadSources := map[int64]string{1: "Google Ads", 2: "Flyer"}
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

	var ix attribution.Index
	if err := ix.Set("org-1/dev-7", 1, day.Add(9*time.Hour)); err != nil {
		log.Fatal(err)
	}
	if err := ix.Set("org-1/dev-7", 2, day.Add(13*time.Hour)); err != nil {
		log.Fatal(err)
	}
	if _, err := ix.Close("org-1/dev-7", day.Add(18*time.Hour)); err != nil {
		log.Fatal(err)
	}

	for _, hour := range []time.Duration{8, 9, 12, 13, 17, 18} {
		call := day.Add(hour*time.Hour + 30*time.Minute)
		if iv, ok := ix.Resolve("org-1/dev-7", call); ok {
			fmt.Printf("%s call: %s\n", call.Format("15:04"), leadSources[iv.ID])
		} else {
			fmt.Printf("%s call: no campaign\n", call.Format("15:04"))
		}
	}

	// Changing the past needs a correction, with who and why.
	err := ix.Set("org-1/dev-7", 3, day.Add(10*time.Hour))
	fmt.Println(errors.Is(err, attribution.ErrRewritesHistory))
	leadSources[4] = "Google Ads - Brand"
	rec, err := ix.Correct("org-1/dev-7", attribution.Correction{
		ID:        1,
		Corrected: attribution.Interval{ID: 4, Start: day.Add(9 * time.Hour), End: day.Add(13 * time.Hour)},
		Actor:     "manager@example.com",
		Reason:    "campaign was the brand one",
		At:        day.Add(20 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d -> %d (%s)\n", rec.Actor, rec.Before.ID, rec.After.ID, rec.Reason)
	iv, _ := ix.Resolve("org-1/dev-7", day.Add(9*time.Hour+30*time.Minute))
	fmt.Println("09:30 call:", leadSources[iv.ID])
	// Output:
	// 08:30 call: no campaign
	// 09:30 call: Google Ads
	// 12:30 call: Google Ads
	// 13:30 call: Flyer
	// 17:30 call: Flyer
	// 18:30 call: no campaign
	// true
	// manager@example.com: 1 -> 4 (campaign was the brand one)
	// 09:30 call: Google Ads - Brand
}

// Setting twice at the same instant keeps the first assignment as a zero-length interval,
// for the audit trail; it never attributes a call.
func ExampleTimeline_Set() {
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var tl attribution.Timeline
	for _, id := range []int64{1, 2} {
		if err := tl.Set(id, start); err != nil {
			log.Fatal(err)
		}
	}
	for _, iv := range tl.Intervals() {
		fmt.Printf("id %d open=%t zero-length=%t\n", iv.ID, iv.Open(), iv.Start.Equal(iv.End))
	}
	iv, _ := tl.At(start)
	fmt.Println("at start:", iv.ID)
	// Output:
	// id 1 open=false zero-length=true
	// id 2 open=true zero-length=false
	// at start: 2
}
