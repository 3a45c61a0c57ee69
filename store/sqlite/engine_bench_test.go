package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/store/sqlite"
	"github.com/leadcall/leadcall/store/storetest"
)

// newEngineBenchStore opens a fresh SQLite file for one run of an Engine benchmark.
func newEngineBenchStore(b *testing.B) *sqlite.Store {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// BenchmarkIngest measures durable ingest through the Engine (synchronous=FULL) in batches of
// 100: "sequential" is one device sending batch after batch; "devices=4" is four devices
// uploading at once, whose transactions the store commits together. The body is
// storetest.BenchEngineIngest, shared with store/postgres; compare with BenchmarkRawInsert,
// a plain batched INSERT into the same kind of file, run by the same command.
func BenchmarkIngest(b *testing.B) {
	b.Run("sequential", func(b *testing.B) {
		storetest.BenchEngineIngest(b, newEngineBenchStore(b), memcrm.New(nil), 1)
	})
	b.Run("devices=4", func(b *testing.B) {
		storetest.BenchEngineIngest(b, newEngineBenchStore(b), memcrm.New(nil), 4)
	})
}

// BenchmarkSync measures sync throughput with memcrm: b.N new callers drained by 64 Engine
// workers (storetest.BenchEngineSync, shared with store/postgres).
func BenchmarkSync(b *testing.B) {
	c := memcrm.New(nil)
	storetest.BenchEngineSync(b, newEngineBenchStore(b), c, 64)
	if got := c.Counts().Calls; got != b.N {
		b.Fatalf("CRM holds %d calls, want %d", got, b.N)
	}
}
