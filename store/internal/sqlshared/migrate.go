package sqlshared

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string // the file's base name, NNNN_name.sql
	SQL     string
}

// LoadMigrations reads the migrations in fsys, named migrations/NNNN_name.sql, in version
// order. Versions must start at 1 and have no gaps or duplicates.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
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
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (no gaps or duplicates)", m.Name, m.Version, i+1)
		}
	}
	return out, nil
}

// MigrationTx is the transaction one migration runs in, in the store's dialect. The
// schema_migrations table (version, name, applied_at) exists in it.
type MigrationTx interface {
	// AppliedVersion returns the highest version in schema_migrations, 0 when there is none.
	AppliedVersion(ctx context.Context) (int64, error)
	// Exec runs a statement with $N parameters.
	Exec(ctx context.Context, query string, args ...any) error
}

// ApplyMigration applies m in tx with its schema_migrations row, unless the schema already
// has it, and reports whether it did. known is the number of migrations of this build: a
// schema at a higher version is refused with a CodeInternal error wrapping tooNew, since it
// may hold data this build would corrupt. what names the migrated thing in that error
// ("database", "schema").
func ApplyMigration(ctx context.Context, tx MigrationTx, op, what string, known int, m Migration, now time.Time, tooNew error) (applied bool, err error) {
	current, err := tx.AppliedVersion(ctx)
	if err != nil {
		return false, err
	}
	if current > int64(known) {
		return false, &leadcall.Error{Code: leadcall.CodeInternal, Op: op,
			Err: fmt.Errorf("%w: the %s is at version %d, this build knows versions up to %d",
				tooNew, what, current, known)}
	}
	if current >= int64(m.Version) {
		return false, nil
	}
	if err := tx.Exec(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	if err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, now.UnixMilli()); err != nil {
		return false, err
	}
	return true, nil
}
