package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/store/internal/sqlshared"
)

const callColumns = `id, org_id, device_id, device_call_id, number_raw, number_e164, call_type, started_at,
	duration_s, sim_slot, sim_number, received_at, device_kind, rep_id, disposition, reason, assignment_id,
	lead_source, sync_status, outcome, crm_lead_id, crm_contact_id, crm_call_id, crm_task_id, owner_id,
	owner_resolved, last_error`

func scanCall(sc pgx.Row) (leadcall.Call, error) {
	var (
		c                                 leadcall.Call
		typ, kind, disp, reason, st, outc string
		started, received                 int64
		assignment                        *int64
		lead, contact, crmCall, task      *string
	)
	err := sc.Scan(&c.ID, &c.OrgID, &c.DeviceID, &c.DeviceCallID, &c.NumberRaw, &c.NumberE164, &typ, &started,
		&c.DurationS, &c.SIMSlot, &c.SIMNumber, &received, &kind, &c.RepID, &disp, &reason, &assignment,
		&c.LeadSource, &st, &outc, &lead, &contact, &crmCall, &task, &c.OwnerID, &c.OwnerResolved, &c.LastError)
	if err != nil {
		return c, err
	}
	c.Type = leadcall.CallType(typ)
	c.StartedAt = msTime(started)
	c.ReceivedAt = msTime(received)
	c.DeviceKind = device.Kind(kind)
	c.Disposition = leadcall.Disposition(disp)
	c.Reason = leadcall.Reason(reason)
	c.AssignmentID = id(assignment)
	c.SyncStatus = leadcall.SyncStatus(st)
	c.Outcome = leadcall.SyncOutcome(outc)
	c.CRM = leadcall.CRMRefs{LeadID: str(lead), ContactID: str(contact), CallID: str(crmCall), TaskID: str(task)}
	return c, nil
}

// Call returns a call.
func (s *Store) Call(ctx context.Context, orgID string, callID int64) (*leadcall.Call, error) {
	const op = "postgres: call"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	c, err := callByID(ctx, s.pool, op, orgID, callID)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return c, nil
}

func callByID(ctx context.Context, q querier, op, orgID string, callID int64) (*leadcall.Call, error) {
	c, err := scanCall(q.QueryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE org_id = $1 AND id = $2`,
		orgID, callID))
	if noRows(err) {
		return nil, notFound(op, "call %d not found", callID)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// args collects the arguments of a query built at run time and hands out their $N
// placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// anyOf returns "= ANY($N)" for vs, passed as one text array.
func anyOf[T ~string](a *args, vs []T) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = string(v)
	}
	return "= ANY(" + a.add(ss) + ")"
}

// ListCalls returns calls matching f, newest first (StartedAt, then ID, descending), with a
// cursor for the next page. Limit defaults to 100 and is capped at 1000; each list in f may
// hold at most 500 values. RepID selects the calls whose RepID (the device's rep when the
// call was ingested) is that rep. A malformed cursor, a negative limit or To before From is
// CodeInvalid; an unknown org is CodeNotFound.
func (s *Store) ListCalls(ctx context.Context, f *leadcall.CallFilter) (*leadcall.CallPage, error) {
	const op = "postgres: list calls"
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
		where = append(where, "device_id "+anyOf(&a, f.DeviceIDs))
	}
	if f.RepID != "" {
		where = append(where, "rep_id = "+a.add(f.RepID))
	}
	if len(f.Types) > 0 {
		where = append(where, "call_type "+anyOf(&a, f.Types))
	}
	if len(f.SyncStatus) > 0 {
		where = append(where, "sync_status "+anyOf(&a, f.SyncStatus))
	}
	if len(f.Outcomes) > 0 {
		where = append(where, "outcome "+anyOf(&a, f.Outcomes))
	}
	if len(f.Disposition) > 0 {
		where = append(where, "disposition "+anyOf(&a, f.Disposition))
	}
	if after != nil {
		where = append(where, "(started_at, id) < ("+a.add(after[0])+"::bigint, "+a.add(after[1])+"::bigint)")
	}
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, f.OrgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	query := `SELECT ` + callColumns + ` FROM calls WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY started_at DESC, id DESC LIMIT ` + a.add(limit+1)
	items, err := collect(ctx, s.pool, scanCall, query, a...)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	return sqlshared.CallPage(items, limit), nil
}

// CallsByNumbers returns the org's calls with any of numbers started at or after since, by
// number, start and ID.
func (s *Store) CallsByNumbers(ctx context.Context, orgID string, numbers []string, since time.Time) ([]leadcall.Call, error) {
	const op = "postgres: calls by numbers"
	nums, err := sqlshared.CallerNumbers(op, numbers)
	if err != nil {
		return nil, err
	}
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	if len(nums) == 0 {
		return []leadcall.Call{}, nil
	}
	var from int64 = -1 << 62
	if !since.IsZero() {
		from = since.UnixMilli()
	}
	out, err := collect(ctx, s.pool, scanCall,
		`SELECT `+callColumns+` FROM calls WHERE org_id = $1 AND number_e164 = ANY($2) AND started_at >= $3
		 ORDER BY number_e164, started_at, id`, orgID, nums, from)
	if err != nil {
		return nil, s.wrap(ctx, op, err)
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
// CRM IDs of successful or adopted create_lead (or bundle) attempts of the number's jobs (a
// Lead whose creation committed before the call's outcome did). An empty number has none; an
// unknown org is CodeNotFound.
func (s *Store) LeadsCreatedFor(ctx context.Context, orgID, e164 string) ([]string, error) {
	const op = "postgres: leads created for"
	if err := s.usable(ctx, op); err != nil {
		return nil, err
	}
	if e164 == "" {
		if err := requireOrg(ctx, s.pool, op, orgID); err != nil {
			return nil, s.wrap(ctx, op, err)
		}
		return []string{}, nil
	}
	// One round trip: whether the org exists, and its Leads for the number.
	var (
		orgExists bool
		out       []string
	)
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1), ARRAY(
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
		ORDER BY MIN(at), MIN(call_id), lead_id)`,
		orgID, e164, string(leadcall.OutcomeCreatedLead), string(leadcall.OpCreateLead),
		string(leadcall.AttemptSuccess), string(leadcall.AttemptAdopt), string(leadcall.OpCreateBundle)).Scan(&orgExists, &out)
	if err == nil && !orgExists {
		err = notFound(op, "org %q not found", orgID)
	}
	if err != nil {
		return nil, s.wrap(ctx, op, err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}
