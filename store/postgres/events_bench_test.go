package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/postgres"
)

// BenchmarkAppendEventOrgs measures durable single-event transactions (what each synced call's
// completion costs in commits) from 8 goroutines at once, spread over 1 org or over 8 orgs
// (one each), reported as events/s. Within one org such commits take turns (the org's event
// lock keeps IDs in commit order); across orgs they may share WAL flushes.
func BenchmarkAppendEventOrgs(b *testing.B) {
	for _, orgs := range []int{1, 8} {
		b.Run(fmt.Sprintf("orgs=%d", orgs), func(b *testing.B) {
			st := openStore(b, newSchema(b), &postgres.Config{MaxConns: 8})
			for o := range orgs {
				seed(b, st, fmt.Sprintf("o%d", o))
			}
			const workers = 8
			next := make(chan struct{}, b.N)
			for range b.N {
				next <- struct{}{}
			}
			close(next)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range workers {
				org := fmt.Sprintf("o%d", w%orgs)
				wg.Go(func() {
					for range next {
						if _, err := st.AppendEvents(ctx, []leadcall.Event{{OrgID: org, Type: leadcall.EventBackfillProgress}}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}
