package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the migrations in fsys, named NNNN_name.sql, in version order.
// Versions must start at 1 and have no gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (no gaps or duplicates)", m.name, m.version, i+1)
		}
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
			var current int64
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if current > int64(len(ms)) {
				return &leadcall.Error{Code: leadcall.CodeInternal, Op: op,
					Err: fmt.Errorf("%w: the schema is at version %d, this build knows versions up to %d",
						ErrSchemaTooNew, current, len(ms))}
			}
			if current >= int64(m.version) {
				return nil // already applied
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, s.now().UnixMilli()); err != nil {
				return err
			}
			s.cfg.Logger.Info("postgres: applied migration", "version", m.version, "name", m.name)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
