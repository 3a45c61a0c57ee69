package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Pool exposes the store's pool to the external tests, to inspect its sessions.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// WriteIsolation reports the isolation level of the store's write transactions.
func (s *Store) WriteIsolation(ctx context.Context) (string, error) {
	var level string
	err := s.write(ctx, "test", func(ctx context.Context, tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SHOW transaction_isolation").Scan(&level)
	})
	return level, err
}
