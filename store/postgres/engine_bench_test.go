package postgres_test

import (
	"testing"

	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/store/postgres"
	"github.com/leadcall/leadcall/store/storetest"
)

// BenchmarkIngest measures durable ingest through the Engine in batches of 100: "sequential"
// is one device sending batch after batch; "devices=4" is four devices uploading at once.
// The body is storetest.BenchEngineIngest, shared with store/sqlite, so one command compares
// the two stores; each run gets a fresh schema.
func BenchmarkIngest(b *testing.B) {
	b.Run("sequential", func(b *testing.B) {
		storetest.BenchEngineIngest(b, benchStore(b), memcrm.New(nil), 1)
	})
	b.Run("devices=4", func(b *testing.B) {
		storetest.BenchEngineIngest(b, benchStore(b), memcrm.New(nil), 4)
	})
}

// BenchmarkSync measures sync throughput with memcrm: b.N new callers drained by 64 Engine
// workers (storetest.BenchEngineSync, shared with store/sqlite). The pool is sized for that
// many workers as the package doc advises (16 connections: with the default of
// max(4, NumCPU) the workers queue for connections while one commit waits for its flush;
// beyond 16 they mostly queue for the org's event lock instead).
func BenchmarkSync(b *testing.B) {
	c := memcrm.New(nil)
	st := openStore(b, newSchema(b), &postgres.Config{MaxConns: 16})
	seed(b, st, "o")
	storetest.BenchEngineSync(b, st, c, 64)
	if got := c.Counts().Calls; got != b.N {
		b.Fatalf("CRM holds %d calls, want %d", got, b.N)
	}
}
