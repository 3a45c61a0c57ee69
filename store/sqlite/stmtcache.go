package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// Prepared statements.
//
// modernc.org/sqlite parses a query every time database/sql runs it without a prepared
// statement, and for the store's small queries parsing costs about as much as running them.
// So the fixed queries (the ones written with $N parameters; queries built at run time use
// "?" and are not kept) are prepared once and reused:
//   - on the reader pool, on first use;
//   - on the writer, after first use: a query first runs unprepared inside its transaction,
//     and the writer goroutine prepares it between transactions (a prepare inside one would
//     wait for the single writer connection, which the transaction holds).

// maxCachedQueries bounds each cache; the store has far fewer fixed queries.
const maxCachedQueries = 256

type stmtCache struct {
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]struct{}
}

// cacheable reports whether query is a fixed one.
func cacheable(query string) bool { return !strings.Contains(query, "?") }

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// want notes a query to prepare later (writer).
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.stmts)+len(c.wanted) >= maxCachedQueries {
		return
	}
	if c.wanted == nil {
		c.wanted = map[string]struct{}{}
	}
	c.wanted[query] = struct{}{}
}

// prepareWanted prepares the wanted queries on db. A query that fails to prepare is dropped:
// it keeps running unprepared.
func (c *stmtCache) prepareWanted(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for q := range wanted {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.put(q, st)
	}
}

// prepare returns query prepared on db (reader pool), preparing it now when needed; nil when
// the cache is full or the prepare fails (the caller then runs the query unprepared).
func (c *stmtCache) prepare(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	if st := c.get(query); st != nil {
		return st
	}
	c.mu.Lock()
	full := len(c.stmts) >= maxCachedQueries
	c.mu.Unlock()
	if full {
		return nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return c.put(query, st)
}

// put stores st for query unless another goroutine stored one first, and returns the kept one.
func (c *stmtCache) put(query string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[query]; ok {
		st.Close()
		return old
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts, c.wanted = nil, nil
}

// wtx is a write transaction whose query methods reuse the writer's prepared statements.
type wtx struct {
	*sql.Tx
	cache *stmtCache
}

func (t *wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	if !cacheable(query) {
		return nil
	}
	if st := t.cache.get(query); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	t.cache.want(query)
	return nil
}

func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// readDB is the reader pool; its query methods reuse prepared statements.
type readDB struct {
	*sql.DB
	cache stmtCache
}

func (r *readDB) stmt(ctx context.Context, query string) *sql.Stmt {
	if !cacheable(query) {
		return nil
	}
	return r.cache.prepare(ctx, r.DB, query)
}

func (r *readDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.DB.ExecContext(ctx, query, args...) // readers do not write; kept for querier
}

func (r *readDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, query, args...)
}

func (r *readDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, query, args...)
}
