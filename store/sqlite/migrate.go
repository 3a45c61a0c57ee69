package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

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

// loadMigrations reads the embedded migrations, named NNNN_name.sql, in version order.
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
			var current sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if int(current.Int64) > len(ms) {
				return &leadcall.Error{Code: leadcall.CodeInternal, Op: op,
					Err: fmt.Errorf("%w: the database is at version %d, this build knows versions up to %d",
						ErrSchemaTooNew, current.Int64, len(ms))}
			}
			if int(current.Int64) >= m.version {
				return nil // already applied
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, s.now().UnixMilli())
			if err == nil {
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
