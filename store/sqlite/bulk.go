package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

// Multi-row statements.
//
// InsertCalls writes a whole batch with a few multi-row INSERTs instead of several statements
// per call. Parsing a statement with thousands of parameters costs about as much as running
// it, so each statement shape is prepared once per Store and kept. To keep the number of
// shapes small, a batch of n rows is split into power-of-two pieces (100 = 64+32+4), and every
// piece runs a prepared statement of exactly that many rows.
//
// SQLite-specific: the statements use anonymous "?" parameters (see args), and the shapes
// are prepared on the writer *outside* the write transaction, because with one writer
// connection a prepare inside it would wait for itself.

// bulkKind is one multi-row statement: head, then maxRows or fewer copies of row joined by
// ", ", then tail.
type bulkKind struct {
	head, row, tail string
	maxRows         int // a power of two
}

var (
	bulkCalls = &bulkKind{
		head: `INSERT INTO calls (org_id, device_id, device_call_id, number_raw, number_e164, call_type, started_at,
			duration_s, sim_slot, sim_number, received_at, device_kind, rep_id, disposition, reason, assignment_id,
			lead_source, sync_status, outcome, crm_lead_id, crm_contact_id, crm_call_id, crm_task_id, owner_id,
			owner_resolved, last_error) VALUES `,
		row:     `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tail:    ` ON CONFLICT (org_id, device_id, device_call_id) DO NOTHING RETURNING id, device_id, device_call_id`,
		maxRows: 128, // 3,328 parameters
	}
	bulkJobs = &bulkKind{
		head: `INSERT INTO outbox (org_id, call_id, serial_key, order_at, state, step, mode, target_module, target_id,
			attempt, max_attempts, run_at, created_at, updated_at) VALUES `,
		row:     `(?, ?, ?, ?, 'ready', 'start', 'normal', '', '', 0, ?, ?, ?, ?)`,
		maxRows: 256,
	}
	bulkEvents = &bulkKind{
		head:    `INSERT INTO events (org_id, type, at, call_id, data) VALUES `,
		row:     `(?, ?, ?, ?, ?)`,
		tail:    ` RETURNING id`,
		maxRows: 256,
	}
)

// bulkStmts holds the prepared shapes: stmts[kind][log2(rows)].
type bulkStmts struct {
	mu    sync.Mutex
	stmts map[*bulkKind][]*sql.Stmt
}

func (b *bulkStmts) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ss := range b.stmts {
		for _, st := range ss {
			if st != nil {
				st.Close()
			}
		}
	}
	b.stmts = nil
}

// pieces splits n rows into power-of-two pieces of at most k.maxRows, largest first.
func (k *bulkKind) pieces(n int) []int {
	var out []int
	for n > 0 {
		p := min(k.maxRows, 1<<(bits.Len(uint(n))-1))
		out = append(out, p)
		n -= p
	}
	return out
}

// prepareBulk prepares, on the writer, every shape of k that a statement for up to n rows
// may use. It must not run inside a write transaction, and it holds no lock while it waits for
// the writer connection: the writer goroutine, which holds that connection during a batch,
// reads the shapes under the same lock.
func (s *Store) prepareBulk(ctx context.Context, k *bulkKind, n int) error {
	for rows := 1; rows <= min(n, k.maxRows); rows *= 2 {
		i := bits.Len(uint(rows)) - 1
		if s.bulkShape(k, i) != nil {
			continue
		}
		st, err := s.w.PrepareContext(ctx, k.head+strings.Repeat(k.row+", ", rows-1)+k.row+k.tail)
		if err != nil {
			return err
		}
		s.bulk.mu.Lock()
		if s.bulk.stmts == nil {
			s.bulk.stmts = map[*bulkKind][]*sql.Stmt{}
		}
		shapes := s.bulk.stmts[k]
		for len(shapes) <= i {
			shapes = append(shapes, nil)
		}
		if shapes[i] == nil {
			shapes[i] = st
		} else {
			st.Close() // another call prepared it meanwhile
		}
		s.bulk.stmts[k] = shapes
		s.bulk.mu.Unlock()
	}
	return nil
}

// bulkShape returns the prepared statement of k for 1<<i rows, or nil.
func (s *Store) bulkShape(k *bulkKind, i int) *sql.Stmt {
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	if shapes := s.bulk.stmts[k]; i < len(shapes) {
		return shapes[i]
	}
	return nil
}

// runBulk runs k in tx over n rows: rowArgs appends row i's arguments, and scan (when non-nil)
// reads the rows each piece returns, with the index of the piece's first row.
func (s *Store) runBulk(ctx context.Context, tx *wtx, k *bulkKind, n int,
	rowArgs func(a []any, i int) []any, scan func(r *sql.Rows, first int) error) error {
	first := 0
	var a []any
	for _, size := range k.pieces(n) {
		prepared := s.bulkShape(k, bits.Len(uint(size))-1)
		if prepared == nil {
			return leadcall.Errorf(leadcall.CodeInternal, "sqlite: bulk", "statement for %d rows not prepared", size)
		}
		a = a[:0]
		for i := first; i < first+size; i++ {
			a = rowArgs(a, i)
		}
		r, err := tx.StmtContext(ctx, prepared).QueryContext(ctx, a...)
		if err != nil {
			return err
		}
		if scan != nil {
			err = scan(r, first)
		}
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = r.Err()
		}
		if err != nil {
			return err
		}
		first += size
	}
	return nil
}

// insertCallRows inserts the calls that are not stored yet and returns the new IDs by key.
func (s *Store) insertCallRows(ctx context.Context, tx *wtx, calls []leadcall.Call) (map[sqlshared.CallKey]int64, error) {
	ids := make(map[sqlshared.CallKey]int64, len(calls))
	err := s.runBulk(ctx, tx, bulkCalls, len(calls), func(a []any, i int) []any {
		c := &calls[i]
		return append(a, c.OrgID, c.DeviceID, c.DeviceCallID, c.NumberRaw, c.NumberE164, string(c.Type),
			c.StartedAt.UnixMilli(), c.DurationS, c.SIMSlot, c.SIMNumber, c.ReceivedAt.UnixMilli(), string(c.DeviceKind),
			c.RepID, string(c.Disposition), string(c.Reason), nullID(c.AssignmentID), c.LeadSource, string(c.SyncStatus),
			string(c.Outcome), nullString(c.CRM.LeadID), nullString(c.CRM.ContactID), nullString(c.CRM.CallID),
			nullString(c.CRM.TaskID), c.OwnerID, c.OwnerResolved, c.LastError)
	}, func(r *sql.Rows, _ int) error {
		for r.Next() {
			var (
				id int64
				k  sqlshared.CallKey
			)
			if err := r.Scan(&id, &k.Device, &k.ID); err != nil {
				return err
			}
			ids[k] = id
		}
		return nil
	})
	return ids, err
}

// insertJobRows enqueues a ready normal-mode job for each call.
func (s *Store) insertJobRows(ctx context.Context, tx *wtx, orgID string, calls []*leadcall.Call, now time.Time) error {
	return s.runBulk(ctx, tx, bulkJobs, len(calls), func(a []any, i int) []any {
		c := calls[i]
		return append(a, orgID, c.ID, sqlshared.SerialKey(c), c.StartedAt.UnixMilli(), s.cfg.MaxAttempts,
			c.ReceivedAt.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	}, nil)
}

// insertEvents appends evs (At already set) in their order and sets their IDs. A piece's
// rows get increasing IDs in row order, so its sorted IDs pair up with its rows.
func (s *Store) insertEvents(ctx context.Context, tx *wtx, evs []leadcall.Event) error {
	return s.runBulk(ctx, tx, bulkEvents, len(evs), func(a []any, i int) []any {
		ev := &evs[i]
		ev.At = sqlshared.TruncMS(ev.At)
		var data any
		if len(ev.Data) > 0 {
			data = string(ev.Data)
		}
		return append(a, ev.OrgID, string(ev.Type), ev.At.UnixMilli(), nullID(ev.CallID), data)
	}, func(r *sql.Rows, first int) error {
		var ids []int64
		for r.Next() {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		slices.SortFunc(ids, cmp.Compare)
		for j, id := range ids {
			if first+j < len(evs) {
				evs[first+j].ID = id
			}
		}
		return nil
	})
}

// lookupCallIDs sets the ID of calls[i] for each i in idx from the stored calls.
func lookupCallIDs(ctx context.Context, tx *wtx, orgID string, calls []leadcall.Call, idx []int) error {
	if len(idx) == 0 {
		return nil
	}
	byDevice := sqlshared.DeviceCallIDs(calls, idx)
	found := make(map[sqlshared.CallKey]int64, len(idx))
	for dev, ids := range byDevice {
		slices.Sort(ids)
		for chunk := range slices.Chunk(slices.Compact(ids), keysPerLookup) {
			var a args
			r, err := tx.QueryContext(ctx, `SELECT id, device_call_id FROM calls
				WHERE org_id = `+a.add(orgID)+` AND device_id = `+a.add(dev)+` AND device_call_id IN `+in(&a, chunk), a...)
			if err != nil {
				return err
			}
			for r.Next() {
				var (
					id  int64
					dci string
				)
				if err := r.Scan(&id, &dci); err != nil {
					r.Close()
					return err
				}
				found[sqlshared.CallKey{Device: dev, ID: dci}] = id
			}
			if err := r.Close(); err != nil {
				return err
			}
			if err := r.Err(); err != nil {
				return err
			}
		}
	}
	return sqlshared.SetFoundIDs("sqlite: insert calls", calls, idx, found)
}
