package postgres

import (
	"context"
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5"

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

// migrationLock is the advisory lock that serialises migrations of one schema: replicas that
// start together take turns, and the later ones find nothing to do. It hashes the schema's
// name, so stores in other schemas of the database do not wait.
const migrationLock = `SELECT pg_advisory_xact_lock(hashtextextended('leadcall migrate ' || current_schema(), 0))`

// migrate applies the migrations the schema lacks, each in its own transaction together
// with its schema_migrations row, so that a crash leaves the schema at a known version.
func (s *Store) migrate(ctx context.Context) error {
	const op = "postgres: migrate"
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return leadcall.NewError(leadcall.CodeInternal, op, err)
	}
	return s.applyMigrations(ctx, op, ms)
}

func (s *Store) applyMigrations(ctx context.Context, op string, ms []migration) error {
	for _, m := range ms {
		err := s.write(ctx, op, func(ctx context.Context, tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrationLock); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    BIGINT NOT NULL PRIMARY KEY,
				name       TEXT   NOT NULL,
				applied_at BIGINT NOT NULL
			)`); err != nil {
				return err
			}
			applied, err := sqlshared.ApplyMigration(ctx, migrationTx{tx}, op, "schema", len(ms),
				sqlshared.Migration{Version: m.version, Name: m.name, SQL: m.sql}, s.now(), ErrSchemaTooNew)
			if applied {
				s.cfg.Logger.Info("postgres: applied migration", "version", m.version, "name", m.name)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// migrationTx runs a migration in a PostgreSQL transaction.
type migrationTx struct{ tx pgx.Tx }

func (m migrationTx) AppliedVersion(ctx context.Context) (int64, error) {
	var v int64
	err := m.tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

func (m migrationTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := m.tx.Exec(ctx, query, args...)
	return err
}
