package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/leadcall/leadcall"
)

// Group commit.
//
// With synchronous=FULL every commit waits for an fsync, which bounds a single writer to a few
// thousand transactions per second however small they are. So writes go through one writer
// goroutine: it takes every write call waiting at that moment (up to Config.WriteBatch), runs
// them one after the other in a single transaction, each inside its own SAVEPOINT, and
// commits once. A call whose function fails is rolled back to its savepoint and gets its own
// error; the others commit. Each caller learns its result only after the shared commit, so
// "nil means durable" holds for every call. With one caller at a time nothing changes: a batch
// of one runs without a savepoint.
//
// Cancellation: a call cancelled while it waits in the queue is never run. Once the writer
// has taken it, it runs with a context that is not cancelled (a cancelled statement would
// interrupt SQLite, which rolls back the whole shared transaction), and its caller waits for
// the result.

// errClosed is returned for writes after Close.
var errClosed = errors.New("store is closed")

// Request states.
const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

type writeReq struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx *wtx) error
	state atomic.Int32
	done  chan error // buffered: the writer never blocks on it
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on the writer connection) and returns
// once that transaction is committed, or with fn's error after fn's changes are rolled back.
// fn may share its transaction with other calls of write (group commit); it must return the
// first error it meets. Errors are classified and wrapped with op.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, tx *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return wrap(op, err)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		return wrap(op, ctx.Err())
	case <-s.closing:
		return leadcall.NewError(leadcall.CodeUnavailable, op, errClosed)
	}
	select {
	case err := <-req.done:
		return wrap(op, err)
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return wrap(op, ctx.Err())
		}
		return wrap(op, <-req.done) // the writer has it: its result is the truth
	case <-s.writerDone:
		if req.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return leadcall.NewError(leadcall.CodeUnavailable, op, errClosed)
		}
		return wrap(op, <-req.done)
	}
}

// runWriter is the writer goroutine. It exits after Close, failing the calls still queued.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*writeReq, 0, s.cfg.WriteBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.queue:
		case <-s.closing:
			for {
				select {
				case r := <-s.queue:
					if r.state.CompareAndSwap(reqQueued, reqTaken) {
						r.done <- errClosed
					}
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.cfg.WriteBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		s.wcache.prepareWanted(context.Background(), s.w)
	}
}

// runBatch runs the requests of one group commit and answers each.
func (s *Store) runBatch(batch []*writeReq) {
	live := make([]*writeReq, 0, len(batch))
	for _, r := range batch {
		if !r.state.CompareAndSwap(reqQueued, reqTaken) {
			continue // abandoned by its caller
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	s.batches.Add(1)
	s.batchedWrites.Add(int64(len(live)))

	results := make([]error, len(live))
	answer := func(shared error) {
		for i, r := range live {
			if results[i] == nil {
				results[i] = shared
			}
			r.done <- results[i]
		}
	}
	sqlTx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		answer(err)
		return
	}
	tx := &wtx{Tx: sqlTx, cache: &s.wcache}
	grouped := len(live) > 1
	var broken error // the shared transaction is unusable: nothing of the batch commits
	for i, r := range live {
		if grouped {
			if _, err := tx.ExecContext(context.Background(), `SAVEPOINT leadcall_write`); err != nil {
				broken = err
				break
			}
		}
		err := callSafely(r, tx)
		if !grouped {
			results[i] = err
			break
		}
		if err != nil {
			results[i] = err
			if _, rerr := tx.ExecContext(context.Background(), `ROLLBACK TO leadcall_write`); rerr != nil {
				broken = fmt.Errorf("roll back a failed write: %w (after: %w)", rerr, err)
				break
			}
		}
		if _, err := tx.ExecContext(context.Background(), `RELEASE leadcall_write`); err != nil {
			broken = err
			break
		}
	}
	switch {
	case broken != nil:
		// Calls that failed keep their own error; every other one gets this one.
		_ = tx.Rollback()
		answer(leadcall.NewError(leadcall.CodeUnavailable, "sqlite: group commit", broken))
	case !grouped && results[0] != nil:
		_ = tx.Rollback()
		answer(nil)
	default:
		answer(tx.Commit())
	}
}

// callSafely runs r.fn, turning a panic into an error for that call alone.
func callSafely(r *writeReq, tx *wtx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = leadcall.Errorf(leadcall.CodeInternal, "sqlite: write", "panic: %v", p)
		}
	}()
	return r.fn(context.WithoutCancel(r.ctx), tx)
}

// writeDirect runs fn in its own transaction on the writer, outside the group commit. Open
// uses it for migrations, before the writer goroutine starts.
func (s *Store) writeDirect(ctx context.Context, op string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, err)
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return wrap(op, err)
	}
	return wrap(op, tx.Commit())
}
