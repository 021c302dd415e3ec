package ledger

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache prepares each distinct query once: SQLite's parser costs more
// than a tap's inserts, and a tap runs a dozen statements.
type stmtCache struct {
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)
	mu      sync.Mutex
	m       map[string]*sql.Stmt
}

func newStmtCache(prepare func(ctx context.Context, query string) (*sql.Stmt, error)) *stmtCache {
	return &stmtCache{prepare: prepare, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// cachedQ runs queries through a stmtCache: directly (the writer's own
// connection, or the reader pool), or inside a read transaction.
type cachedQ struct {
	c  *stmtCache
	tx *sql.Tx // nil: run on the cache's own connection or pool
	// direct answers when preparing fails, so the error surfaces from Scan.
	direct interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (q cachedQ) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if q.tx != nil {
		st = q.tx.StmtContext(ctx, st)
	}
	return st, nil
}

func (q cachedQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (q cachedQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return q.direct.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (q cachedQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// read returns a querier on the reader pool with cached statements.
func (l *Ledger) read() cachedQ { return cachedQ{c: l.rcache, direct: l.r} }

// readTx returns a querier inside a read transaction.
func (l *Ledger) readTx(tx *sql.Tx) cachedQ { return cachedQ{c: l.rcache, tx: tx, direct: tx} }
