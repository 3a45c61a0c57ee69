package postgres_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/postgres"
)

// Open a store with a bounded pool, then follow the event log of an org from another
// replica: subscribe first, read the log from the cursor, then wake up on notifications.
// (Not run: it needs a server.)
func ExampleOpen() {
	ctx := context.Background()
	st, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), &postgres.Config{
		MaxConns:        20,
		MaxConnLifetime: 30 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	sub, err := st.Subscribe(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	var cursor int64
	for {
		evs, err := st.Events(ctx, "org-a", cursor, 100)
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range evs {
			fmt.Println(ev.ID, ev.Type)
			cursor = ev.ID
		}
		if len(evs) == 100 {
			continue // more to read before waiting
		}
		for {
			n, err := sub.Next(ctx)
			if err != nil {
				log.Fatal(err) // reconnect and re-read from cursor in a real program
			}
			if n.OrgID == "org-a" || n.OrgID == "" {
				break
			}
		}
	}
}

// SchemaVersion tells which schema this build writes (the number of its migrations); Open
// refuses a newer one.
func ExampleSchemaVersion() {
	fmt.Println(postgres.SchemaVersion() >= 2) // 0002 added the shared rate-limit buckets
	// Output: true
}

// Errors carry leadcall codes: callers branch on them, not on SQLSTATEs.
func ExampleOpen_errors() {
	_, err := postgres.Open(context.Background(), "", nil)
	fmt.Println(leadcall.CodeOf(err))
	// Output: invalid
}
