package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/sqlite"
	"github.com/leadcall/leadcall/store/storetest"
)

// TestConformance runs the Store conformance suite against real SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) leadcall.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "leadcall.db"), nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		return st
	})
}
