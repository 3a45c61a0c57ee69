package sqlshared

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := LoadMigrations(fstest.MapFS{
		"migrations/0002_more.sql": {Data: []byte("SELECT 2;")},
		"migrations/0001_init.sql": {Data: []byte("SELECT 1;")},
		"other/0003_elsewhere.sql": {Data: []byte("SELECT 3;")},
	})
	require.NoError(t, err)
	require.Equal(t, []Migration{
		{Version: 1, Name: "0001_init.sql", SQL: "SELECT 1;"},
		{Version: 2, Name: "0002_more.sql", SQL: "SELECT 2;"},
	}, ms)

	ms, err = LoadMigrations(fstest.MapFS{})
	require.NoError(t, err)
	require.Empty(t, ms)

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"duplicate": {"migrations/0001_a.sql": {}, "migrations/001_b.sql": {}},
		"no number": {"migrations/init.sql": {}},
		"negative":  {"migrations/-1_a.sql": {}},
		"zero":      {"migrations/0000_a.sql": {}},
		"not first": {"migrations/0002_a.sql": {}},
		"huge":      {"migrations/" + strings.Repeat("9", 400) + "_a.sql": {}},
	} {
		_, err := LoadMigrations(fsys)
		require.Error(t, err, name)
	}
}

// fakeMigrationTx records the statements a migration runs.
type fakeMigrationTx struct {
	version int64
	execs   []string
	failOn  string
}

func (f *fakeMigrationTx) AppliedVersion(context.Context) (int64, error) { return f.version, nil }

func (f *fakeMigrationTx) Exec(_ context.Context, query string, args ...any) error {
	if query == f.failOn {
		return errBoom
	}
	f.execs = append(f.execs, fmt.Sprint(query, args))
	return nil
}

var errBoom = errors.New("boom")

func TestApplyMigration(t *testing.T) {
	ctx := t.Context()
	now := time.UnixMilli(1_700_000_000_123)
	errTooNew := errors.New("too new")
	m2 := Migration{Version: 2, Name: "0002_b.sql", SQL: "CREATE TABLE b (x INT)"}

	tx := &fakeMigrationTx{version: 1}
	applied, err := ApplyMigration(ctx, tx, op, "schema", 2, m2, now, errTooNew)
	require.NoError(t, err)
	require.True(t, applied)
	require.Equal(t, []string{"CREATE TABLE b (x INT)[]",
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)[2 0002_b.sql 1700000000123]"}, tx.execs)

	tx = &fakeMigrationTx{version: 2}
	applied, err = ApplyMigration(ctx, tx, op, "schema", 2, m2, now, errTooNew)
	require.NoError(t, err)
	require.False(t, applied, "already applied")
	require.Empty(t, tx.execs)

	tx = &fakeMigrationTx{version: 3}
	applied, err = ApplyMigration(ctx, tx, op, "database", 2, m2, now, errTooNew)
	require.False(t, applied)
	require.ErrorIs(t, err, errTooNew)
	require.Equal(t, leadcall.CodeInternal, leadcall.CodeOf(err))
	require.Contains(t, err.Error(), "the database is at version 3, this build knows versions up to 2")
	require.Empty(t, tx.execs)

	tx = &fakeMigrationTx{version: 1, failOn: m2.SQL}
	applied, err = ApplyMigration(ctx, tx, op, "schema", 2, m2, now, errTooNew)
	require.False(t, applied)
	require.ErrorIs(t, err, errBoom)
	require.Contains(t, err.Error(), "0002_b.sql")
}
