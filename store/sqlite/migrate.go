package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the migrations in fsys, named migrations/NNNN_name.sql, in version
// order; see sqlshared.LoadMigrations.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	shared, err := sqlshared.LoadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(shared))
	for i, m := range shared {
		out[i] = migration{version: m.Version, name: m.Name, sql: m.SQL}
	}
	return out, nil
}

// SchemaVersion is the schema version this package writes: the number of its migrations.
func SchemaVersion() int {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the migrations the database lacks, each in its own transaction together
// with its schema_migrations row, so that a crash leaves the database at a known version.
func (s *Store) migrate(ctx context.Context) error {
	const op = "sqlite: migrate"
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return leadcall.NewError(leadcall.CodeInternal, op, err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return wrap(op, err)
	}
	for _, m := range ms {
		err := s.writeDirect(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
			applied, err := sqlshared.ApplyMigration(ctx, migrationTx{tx}, op, "database", len(ms),
				sqlshared.Migration{Version: m.version, Name: m.name, SQL: m.sql}, s.now(), ErrSchemaTooNew)
			if applied {
				s.cfg.Logger.Info("sqlite: applied migration", "version", m.version, "name", m.name)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// migrationTx runs a migration in a SQLite transaction.
type migrationTx struct{ tx *sql.Tx }

func (m migrationTx) AppliedVersion(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := m.tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return v.Int64, err
}

func (m migrationTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := m.tx.ExecContext(ctx, query, args...)
	return err
}
