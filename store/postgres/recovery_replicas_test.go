package postgres_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
)

// TestReplicasRaiseSLAOnce: three Engines, each on its own Store (pool) of one database, run
// the recovery check at the same time, twice; every breached case raises exactly one
// recovery.sla_breached event.
func TestReplicasRaiseSLAOnce(t *testing.T) {
	t.Parallel()
	stores := replicas(t, 3)
	seed(t, stores[0], "o")
	const cases = 20
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	ncs := make([]leadcall.NewCall, cases)
	for i := range ncs {
		ncs[i] = leadcall.NewCall{Call: call("d", fmt.Sprintf("m%d", i), fmt.Sprintf("+9198765%05d", i), at.Add(time.Duration(i)*time.Second))}
	}
	_, err := stores[0].InsertCalls(t.Context(), "o", ncs)
	require.NoError(t, err)

	var engines []*leadcall.Engine
	for _, st := range stores {
		eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: leadcall.SingleCRM{C: memcrm.New(nil)}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = eng.Close() })
		engines = append(engines, eng)
	}
	for range 2 {
		var wg sync.WaitGroup
		for _, eng := range engines {
			wg.Go(func() { require.NoError(t, eng.CheckRecovery(t.Context())) })
		}
		wg.Wait()
	}

	evs, err := stores[1].Events(t.Context(), "o", 0, 1000)
	require.NoError(t, err)
	perCase := map[int64]int{}
	for _, ev := range evs {
		if ev.Type != leadcall.EventRecoverySLA {
			continue
		}
		var c leadcall.RecoveryCase
		require.NoError(t, json.Unmarshal(ev.Data, &c))
		require.True(t, c.SLABreached)
		perCase[c.Key]++
	}
	require.Len(t, perCase, cases)
	for key, n := range perCase {
		require.Equal(t, 1, n, "case %d", key)
	}
}
