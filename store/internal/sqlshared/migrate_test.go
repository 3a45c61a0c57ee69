package sqlshared

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
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
