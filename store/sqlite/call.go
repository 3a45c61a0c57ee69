package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
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

// args collects the arguments of a query built at run time and hands out their
// placeholders, which must appear in the SQL in the order add is called.
//
// SQLite-specific: the placeholders are anonymous "?" parameters. SQLite resolves "$N" as a
// name, by a linear search per parameter when preparing and again when binding, which is
// quadratic for the thousands of parameters of a multi-row insert. Fixed queries elsewhere use
// "$N"; a Postgres port changes only this method to return "$" + the argument's number.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "?"
}

// in returns "(<placeholders>)" for vs.
func in[T ~string](a *args, vs []T) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(string(v))
	}
	return "(" + strings.Join(ph, ", ") + ")"
}

// ListCalls returns calls matching f, newest first (StartedAt, then ID, descending), with a
// cursor for the next page. Limit defaults to 100 and is capped at 1000; each list in f may
// hold at most 500 values. RepID selects the calls whose RepID (the device's rep when the
// call was ingested) is that rep. A malformed cursor, a negative limit or To before From is
// CodeInvalid; an unknown org is CodeNotFound.
func (s *Store) ListCalls(ctx context.Context, f *leadcall.CallFilter) (*leadcall.CallPage, error) {
	const op = "sqlite: list calls"
	limit, after, err := sqlshared.ValidateCallFilter(op, f)
	if err != nil {
		return nil, err
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
	if after != nil {
		where = append(where, "(started_at < "+a.add(after[0])+" OR (started_at = "+a.add(after[0])+" AND id < "+a.add(after[1])+"))")
	}
	if err := requireOrg(ctx, s.r, op, f.OrgID); err != nil {
		return nil, wrap(op, err)
	}
	query := `SELECT ` + callColumns + ` FROM calls WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY started_at DESC, id DESC LIMIT ` + a.add(limit+1)
	items, err := collect(ctx, s.r, scanCall, query, a...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return sqlshared.CallPage(items, limit), nil
}

// CallsByNumbers returns the org's calls with any of numbers started at or after since, by
// number, start and ID.
func (s *Store) CallsByNumbers(ctx context.Context, orgID string, numbers []string, since time.Time) ([]leadcall.Call, error) {
	const op = "sqlite: calls by numbers"
	nums, err := sqlshared.CallerNumbers(op, numbers)
	if err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.r, op, orgID); err != nil {
		return nil, wrap(op, err)
	}
	if len(nums) == 0 {
		return []leadcall.Call{}, nil
	}
	var from int64 = -1 << 62
	if !since.IsZero() {
		from = since.UnixMilli()
	}
	args := []any{orgID, from}
	marks := make([]string, len(nums))
	for i, n := range nums {
		args = append(args, n)
		marks[i] = "$" + strconv.Itoa(i+3)
	}
	out, err := collect(ctx, s.r, scanCall,
		`SELECT `+callColumns+` FROM calls WHERE org_id = $1 AND started_at >= $2 AND number_e164 IN (`+
			strings.Join(marks, ",")+`) ORDER BY number_e164, started_at, id`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// CallsByNumber returns the org's calls with this E.164 number started at or after since
// (zero: all), oldest first. An empty number matches nothing (unparseable numbers are not a
// caller); an unknown org is CodeNotFound.
func (s *Store) CallsByNumber(ctx context.Context, orgID, e164 string, since time.Time) ([]leadcall.Call, error) {
	return s.CallsByNumbers(ctx, orgID, []string{e164}, since)
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
			JOIN sync_attempts a ON a.call_id = c.id
			WHERE c.org_id = $1 AND c.number_e164 = $2 AND a.op IN ($4, $7) AND a.outcome IN ($5, $6) AND a.crm_id <> ''
		) leads
		GROUP BY lead_id
		ORDER BY MIN(at), MIN(call_id), lead_id`,
		orgID, e164, string(leadcall.OutcomeCreatedLead), string(leadcall.OpCreateLead),
		string(leadcall.AttemptSuccess), string(leadcall.AttemptAdopt), string(leadcall.OpCreateBundle))
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
