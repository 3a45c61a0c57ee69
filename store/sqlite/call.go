package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

// Call list limits.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
	// maxFilterValues bounds each list in a filter (device IDs, types, ...).
	maxFilterValues = 500
)

const callColumns = `id, org_id, device_id, device_call_id, number_raw, number_e164, call_type, started_at,
	duration_s, sim_slot, sim_number, received_at, device_kind, rep_id, disposition, reason, assignment_id,
	lead_source, sync_status, outcome, crm_lead_id, crm_contact_id, crm_call_id, crm_task_id, owner_id,
	owner_resolved, last_error`

func scanCall(sc interface{ Scan(...any) error }) (leadcall.Call, error) {
	var (
		c                                 leadcall.Call
		typ, kind, disp, reason, st, outc string
		started, received                 int64
		assignment                        sql.NullInt64
		lead, contact, crmCall, task      sql.NullString
	)
	err := sc.Scan(&c.ID, &c.OrgID, &c.DeviceID, &c.DeviceCallID, &c.NumberRaw, &c.NumberE164, &typ, &started,
		&c.DurationS, &c.SIMSlot, &c.SIMNumber, &received, &kind, &c.RepID, &disp, &reason, &assignment,
		&c.LeadSource, &st, &outc, &lead, &contact, &crmCall, &task, &c.OwnerID, &c.OwnerResolved, &c.LastError)
	if err != nil {
		return c, err
	}
	c.Type = leadcall.CallType(typ)
	c.StartedAt = time.UnixMilli(started).UTC()
	c.ReceivedAt = time.UnixMilli(received).UTC()
	c.DeviceKind = device.Kind(kind)
	c.Disposition = leadcall.Disposition(disp)
	c.Reason = leadcall.Reason(reason)
	c.AssignmentID = assignment.Int64
	c.SyncStatus = leadcall.SyncStatus(st)
	c.Outcome = leadcall.SyncOutcome(outc)
	c.CRM = leadcall.CRMRefs{LeadID: lead.String, ContactID: contact.String, CallID: crmCall.String, TaskID: task.String}
	return c, nil
}

var (
	validDispositions = set(leadcall.DispositionSync, leadcall.DispositionLocal, leadcall.DispositionIgnored)
	validSyncStatuses = set(leadcall.SyncNone, leadcall.SyncPending, leadcall.SyncSynced, leadcall.SyncReview, leadcall.SyncFailed)
	validReviewKinds  = set(leadcall.ReviewDuplicateLead, leadcall.ReviewAmbiguous, leadcall.ReviewInvalidNumber, leadcall.ReviewFailed)
)

func set[T comparable](vs ...T) map[T]bool {
	m := make(map[T]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// validateNewCall checks calls[i] and fills the defaults InsertCalls documents.
func (s *Store) validateNewCall(op, orgID string, i int, nc *leadcall.NewCall) error {
	c := nc.Call
	field := func(name string) string { return fmt.Sprintf("calls[%d].%s", i, name) }
	switch {
	case c == nil:
		return invalid(op, fmt.Sprintf("calls[%d]", i), "call is nil")
	case c.OrgID != "" && c.OrgID != orgID:
		return invalid(op, field("org_id"), "does not match the batch's org")
	case c.DeviceID == "":
		return invalid(op, field("device_id"), "required")
	case c.DeviceCallID == "":
		return invalid(op, field("device_call_id"), "required")
	case !c.Type.Valid():
		return invalid(op, field("type"), "unknown call type")
	case c.StartedAt.IsZero():
		return invalid(op, field("started_at"), "required")
	case c.DurationS < 0:
		return invalid(op, field("duration_s"), "must not be negative")
	case !c.DeviceKind.Valid():
		return invalid(op, field("device_kind"), "unknown device kind")
	case !validDispositions[c.Disposition]:
		return invalid(op, field("disposition"), "unknown disposition")
	case c.SyncStatus != "" && !validSyncStatuses[c.SyncStatus]:
		return invalid(op, field("sync_status"), "unknown sync status")
	case nc.Enqueue && c.SyncStatus != "" && c.SyncStatus != leadcall.SyncPending:
		return invalid(op, field("sync_status"), "a call enqueued for sync must be pending")
	}
	if r := nc.Review; r != nil {
		switch {
		case !validReviewKinds[r.Kind]:
			return invalid(op, fmt.Sprintf("calls[%d].review.kind", i), "unknown review kind")
		case r.Status != "" && r.Status != leadcall.ReviewOpen:
			return invalid(op, fmt.Sprintf("calls[%d].review.status", i), "a new review item is open")
		}
	}
	return nil
}

// InsertCalls stores calls in one transaction, idempotently on (org, device, device call
// ID). For each call that was new it also, in the same transaction: sets Call.ID, enqueues a
// sync job when Enqueue is set (SerialKey = NumberE164, or "call:<id>" when that is empty;
// OrderAt = StartedAt; RunAt = ReceivedAt), stores Review (with OrgID and CallID set), records
// the call's SIM number as an own number, and appends a call.ingested event (Data: the stored
// Call) and, with a review, a review.created event (Data: the ReviewItem). Inserted[i] tells
// whether calls[i] was new; for a duplicate (already stored, or earlier in the same batch)
// Calls[i].Call.ID is set to the stored call's ID and nothing else happens.
//
// For a new call, *Call becomes the stored call: OrgID set, times truncated to the
// millisecond, a zero ReceivedAt set to the store's clock, an empty SyncStatus set to pending
// (Enqueue) or none. Every call is checked before anything is written; one invalid call
// rejects the batch with CodeInvalid naming its index. CodeNotFound when a device is not in
// the org.
func (s *Store) InsertCalls(ctx context.Context, orgID string, calls []leadcall.NewCall) (*leadcall.InsertCallsResult, error) {
	const op = "sqlite: insert calls"
	if orgID == "" {
		return nil, invalid(op, "org_id", "required")
	}
	for i := range calls {
		if err := s.validateNewCall(op, orgID, i, &calls[i]); err != nil {
			return nil, err
		}
	}
	res := &leadcall.InsertCallsResult{Inserted: make([]bool, len(calls)), Events: []leadcall.Event{}}
	if len(calls) == 0 {
		return res, nil
	}
	now := s.now()
	stored := make([]leadcall.Call, len(calls))
	reviews := make([]leadcall.ReviewItem, len(calls))
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		res.Events = res.Events[:0]
		devices := map[string]bool{}
		for _, nc := range calls {
			if !devices[nc.Call.DeviceID] {
				if err := requireDevice(ctx, tx, op, orgID, nc.Call.DeviceID); err != nil {
					return err
				}
				devices[nc.Call.DeviceID] = true
			}
		}
		st, err := prepareIngest(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		for i, nc := range calls {
			c := normalizeCall(*nc.Call, orgID, nc.Enqueue, now)
			err := st.insCall.QueryRowContext(ctx,
				c.OrgID, c.DeviceID, c.DeviceCallID, c.NumberRaw, c.NumberE164, string(c.Type), c.StartedAt.UnixMilli(),
				c.DurationS, c.SIMSlot, c.SIMNumber, c.ReceivedAt.UnixMilli(), string(c.DeviceKind), c.RepID,
				string(c.Disposition), string(c.Reason), nullID(c.AssignmentID), c.LeadSource, string(c.SyncStatus),
				string(c.Outcome), nullString(c.CRM.LeadID), nullString(c.CRM.ContactID), nullString(c.CRM.CallID),
				nullString(c.CRM.TaskID), c.OwnerID, c.OwnerResolved, c.LastError,
			).Scan(&c.ID)
			if errors.Is(err, sql.ErrNoRows) { // a duplicate
				if err := st.selCall.QueryRowContext(ctx, orgID, c.DeviceID, c.DeviceCallID).Scan(&c.ID); err != nil {
					return err
				}
				stored[i] = leadcall.Call{ID: c.ID}
				res.Inserted[i] = false
				continue
			}
			if err != nil {
				return err
			}
			res.Inserted[i] = true
			stored[i] = c
			if c.SIMNumber != "" {
				if _, err := st.insOwn.ExecContext(ctx, orgID, c.SIMNumber); err != nil {
					return err
				}
			}
			if nc.Enqueue {
				if _, err := st.insJob.ExecContext(ctx, orgID, c.ID, serialKey(&c), c.StartedAt.UnixMilli(),
					string(leadcall.ModeNormal), "", "", s.cfg.MaxAttempts, c.ReceivedAt.UnixMilli(), now.UnixMilli()); err != nil {
					return err
				}
			}
			ev, err := s.newEvent(orgID, leadcall.EventCallIngested, now, c.ID, &c)
			if err != nil {
				return err
			}
			if err := st.event(ctx, &ev); err != nil {
				return err
			}
			res.Events = append(res.Events, ev)
			if nc.Review == nil {
				continue
			}
			r := *nc.Review
			r.OrgID, r.CallID, r.Status = orgID, c.ID, leadcall.ReviewOpen
			r.CreatedAt = truncMS(s.orNow(r.CreatedAt))
			if err := insertReview(ctx, tx, &r); err != nil {
				return err
			}
			reviews[i] = r
			ev, err = s.newEvent(orgID, leadcall.EventReviewCreated, now, c.ID, &r)
			if err != nil {
				return err
			}
			if err := st.event(ctx, &ev); err != nil {
				return err
			}
			res.Events = append(res.Events, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, nc := range calls {
		if !res.Inserted[i] {
			nc.Call.ID = stored[i].ID
			continue
		}
		*nc.Call = stored[i]
		if nc.Review != nil {
			*nc.Review = reviews[i]
		}
	}
	return res, nil
}

// normalizeCall returns the call as InsertCalls stores it.
func normalizeCall(c leadcall.Call, orgID string, enqueue bool, now time.Time) leadcall.Call {
	c.OrgID = orgID
	c.ID = 0
	c.StartedAt = truncMS(c.StartedAt)
	if c.ReceivedAt.IsZero() {
		c.ReceivedAt = now
	}
	c.ReceivedAt = truncMS(c.ReceivedAt)
	if c.SyncStatus == "" {
		c.SyncStatus = leadcall.SyncNone
		if enqueue {
			c.SyncStatus = leadcall.SyncPending
		}
	}
	return c
}

// serialKey is the key that serialises a caller's jobs: the E.164 number, or the call's own
// key when the number could not be parsed (such calls share no caller).
func serialKey(c *leadcall.Call) string {
	if c.NumberE164 != "" {
		return c.NumberE164
	}
	return "call:" + strconv.FormatInt(c.ID, 10)
}

// ingestStmts are the statements InsertCalls runs per call, prepared once per batch.
type ingestStmts struct {
	insCall, selCall, insJob, insEvent, insOwn *sql.Stmt
}

func prepareIngest(ctx context.Context, tx *sql.Tx) (*ingestStmts, error) {
	st := &ingestStmts{}
	var err error
	prep := func(dst **sql.Stmt, query string) {
		if err == nil {
			*dst, err = tx.PrepareContext(ctx, query)
		}
	}
	prep(&st.insCall, `INSERT INTO calls (org_id, device_id, device_call_id, number_raw, number_e164, call_type,
			started_at, duration_s, sim_slot, sim_number, received_at, device_kind, rep_id, disposition, reason,
			assignment_id, lead_source, sync_status, outcome, crm_lead_id, crm_contact_id, crm_call_id, crm_task_id,
			owner_id, owner_resolved, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
			$22, $23, $24, $25, $26)
		ON CONFLICT (org_id, device_id, device_call_id) DO NOTHING
		RETURNING id`)
	prep(&st.selCall, `SELECT id FROM calls WHERE org_id = $1 AND device_id = $2 AND device_call_id = $3`)
	prep(&st.insJob, insertJobSQL)
	prep(&st.insEvent, `INSERT INTO events (org_id, type, at, call_id, data) VALUES ($1, $2, $3, $4, $5) RETURNING id`)
	prep(&st.insOwn, `INSERT INTO own_numbers (org_id, number) VALUES ($1, $2) ON CONFLICT (org_id, number) DO NOTHING`)
	if err != nil {
		st.close()
		return nil, err
	}
	return st, nil
}

func (st *ingestStmts) close() {
	for _, s := range []*sql.Stmt{st.insCall, st.selCall, st.insJob, st.insEvent, st.insOwn} {
		if s != nil {
			s.Close()
		}
	}
}

func (st *ingestStmts) event(ctx context.Context, ev *leadcall.Event) error {
	ev.At = truncMS(ev.At)
	return st.insEvent.QueryRowContext(ctx, ev.OrgID, string(ev.Type), ev.At.UnixMilli(), nullID(ev.CallID),
		string(ev.Data)).Scan(&ev.ID)
}

// Call returns a call.
func (s *Store) Call(ctx context.Context, orgID string, callID int64) (*leadcall.Call, error) {
	const op = "sqlite: call"
	c, err := callByID(ctx, s.r, op, orgID, callID)
	if err != nil {
		return nil, wrap(op, err)
	}
	return c, nil
}

func callByID(ctx context.Context, q querier, op, orgID string, callID int64) (*leadcall.Call, error) {
	c, err := scanCall(q.QueryRowContext(ctx, `SELECT `+callColumns+` FROM calls WHERE org_id = $1 AND id = $2`,
		orgID, callID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op, "call %d not found", callID)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// args collects query arguments and hands out their $N placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// in returns "(<placeholders>)" for vs.
func in[T ~string](a *args, vs []T) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(string(v))
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

// listLimit applies the default and the cap; negative is CodeInvalid.
func listLimit(op string, limit int) (int, error) {
	if limit < 0 {
		return 0, invalid(op, "limit", "must not be negative")
	}
	if limit == 0 {
		return defaultListLimit, nil
	}
	return min(limit, maxListLimit), nil
}

// ListCalls returns calls matching f, newest first (StartedAt, then ID, descending), with a
// cursor for the next page. Limit defaults to 100 and is capped at 1000; each list in f may
// hold at most 500 values. RepID selects the calls whose RepID (the device's rep when the
// call was ingested) is that rep. A malformed cursor, a negative limit or To before From is
// CodeInvalid; an unknown org is CodeNotFound.
func (s *Store) ListCalls(ctx context.Context, f *leadcall.CallFilter) (*leadcall.CallPage, error) {
	const op = "sqlite: list calls"
	if f == nil {
		return nil, invalid(op, "filter", "required")
	}
	limit, err := listLimit(op, f.Limit)
	if err != nil {
		return nil, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return nil, invalid(op, "to", "before from")
	}
	for name, n := range map[string]int{"device_ids": len(f.DeviceIDs), "types": len(f.Types),
		"sync_status": len(f.SyncStatus), "outcomes": len(f.Outcomes), "disposition": len(f.Disposition)} {
		if n > maxFilterValues {
			return nil, invalid(op, name, "at most %d values", maxFilterValues)
		}
	}
	var a args
	where := []string{"org_id = " + a.add(f.OrgID)}
	if !f.From.IsZero() {
		where = append(where, "started_at >= "+a.add(f.From.UnixMilli()))
	}
	if !f.To.IsZero() {
		where = append(where, "started_at < "+a.add(f.To.UnixMilli()))
	}
	if len(f.DeviceIDs) > 0 {
		where = append(where, "device_id IN "+in(&a, f.DeviceIDs))
	}
	if f.RepID != "" {
		where = append(where, "rep_id = "+a.add(f.RepID))
	}
	if len(f.Types) > 0 {
		where = append(where, "call_type IN "+in(&a, f.Types))
	}
	if len(f.SyncStatus) > 0 {
		where = append(where, "sync_status IN "+in(&a, f.SyncStatus))
	}
	if len(f.Outcomes) > 0 {
		where = append(where, "outcome IN "+in(&a, f.Outcomes))
	}
	if len(f.Disposition) > 0 {
		where = append(where, "disposition IN "+in(&a, f.Disposition))
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, callCursorTag, 2)
		if err != nil {
			return nil, invalid(op, "cursor", "%v", err)
		}
		at, id := a.add(c[0]), a.add(c[1])
		where = append(where, fmt.Sprintf("(started_at < %s OR (started_at = %s AND id < %s))", at, at, id))
	}
	if err := requireOrg(ctx, s.r, op, f.OrgID); err != nil {
		return nil, wrap(op, err)
	}
	query := `SELECT ` + callColumns + ` FROM calls WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY started_at DESC, id DESC LIMIT ` + a.add(limit+1)
	rows, err := s.r.QueryContext(ctx, query, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	page := &leadcall.CallPage{Items: []leadcall.Call{}}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		page.Items = append(page.Items, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(callCursorTag, last.StartedAt.UnixMilli(), last.ID)
	}
	return page, nil
}

// CallsByNumber returns the org's calls with this E.164 number started at or after since
// (zero: all), oldest first. An empty number matches nothing (unparseable numbers are not a
// caller); an unknown org is CodeNotFound.
func (s *Store) CallsByNumber(ctx context.Context, orgID, e164 string, since time.Time) ([]leadcall.Call, error) {
	const op = "sqlite: calls by number"
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	out := []leadcall.Call{}
	if e164 == "" {
		return out, nil
	}
	var from int64 = -1 << 62
	if !since.IsZero() {
		from = since.UnixMilli()
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+callColumns+` FROM calls WHERE org_id = $1 AND number_e164 = $2 AND started_at >= $3
		 ORDER BY started_at, id`, orgID, e164, from)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// LeadsCreatedFor returns the IDs of CRM Leads that leadcall created for this number, oldest
// first, each once: the Lead IDs of the number's calls whose outcome is created_lead, and the
// CRM IDs of successful or adopted create_lead attempts of the number's jobs (a Lead whose
// creation committed before the call's outcome did). An empty number has none; an unknown org
// is CodeNotFound.
func (s *Store) LeadsCreatedFor(ctx context.Context, orgID, e164 string) ([]string, error) {
	const op = "sqlite: leads created for"
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	out := []string{}
	if e164 == "" {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT lead_id FROM (
			SELECT c.crm_lead_id AS lead_id, c.started_at AS at, c.id AS call_id
			FROM calls c
			WHERE c.org_id = $1 AND c.number_e164 = $2 AND c.outcome = $3 AND c.crm_lead_id IS NOT NULL
			UNION ALL
			SELECT a.crm_id, c.started_at, c.id
			FROM calls c
			JOIN outbox o ON o.call_id = c.id
			JOIN sync_attempts a ON a.job_id = o.id
			WHERE c.org_id = $1 AND c.number_e164 = $2 AND a.op = $4 AND a.outcome IN ($5, $6) AND a.crm_id <> ''
		) leads
		GROUP BY lead_id
		ORDER BY MIN(at), MIN(call_id), lead_id`,
		orgID, e164, string(leadcall.OutcomeCreatedLead), string(leadcall.OpCreateLead),
		string(leadcall.AttemptSuccess), string(leadcall.AttemptAdopt))
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
