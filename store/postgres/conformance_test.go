package postgres_test

import (
	"testing"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/storetest"
)

// TestConformance runs the Store conformance suite, each subtest with a store in a fresh
// schema.
func TestConformance(t *testing.T) {
	needPostgres(t)
	storetest.Run(t, func(t *testing.T) leadcall.Store {
		return openStore(t, newSchema(t), nil)
	})
}
