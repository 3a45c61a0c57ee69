package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// errCompositeRefused: Zoho refused the composite request as a whole (a missing
// ZohoCRM.composite_requests.CUSTOM scope, an unsupported version, a malformed wrapper), so
// none of its sub-requests ran and plain requests may be used instead.
var errCompositeRefused = errors.New("zoho: composite request refused")

// subRequest is one sub-request of POST /crm/v8/__composite_requests (zoho-api.md §10; OAS
// composite_requests.json requires every key, so params and headers are sent empty).
type subRequest struct {
	ID      string            `json:"sub_request_id"`
	Method  string            `json:"method"`
	URI     string            `json:"uri"`
	Params  map[string]string `json:"params"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"`
}

// compositeBody is the wrapper. Sub-requests run one after another without rollback: later
// ones refer to earlier results, and each part keeps its own result. The docs name the
// sequential flag parallel_execution and the v8 OAS concurrent_execution (unconfirmed which v8
// reads), so both are sent as false: either reading runs the sub-requests in order.
type compositeBody struct {
	RollbackOnFail      bool         `json:"rollback_on_fail"`
	ParallelExecution   bool         `json:"parallel_execution"`
	ConcurrentExecution bool         `json:"concurrent_execution"`
	Requests            []subRequest `json:"__composite_requests"`
}

// subResult is the outcome of one sub-request: its response (for the caller to decode), or a
// classified error. executed says whether Zoho ran it (a wrapper-level error means it did not).
type subResult struct {
	resp     *apiResponse
	err      error
	executed bool
}

// compositeAllowed reports whether composite requests are on and not switched off after a
// refusal.
func (c *CRM) compositeAllowed() bool {
	return !c.cfg.DisableComposite && c.usable(&c.compositeOffUntil)
}

// composite sends subs in one request and returns one result per sub-request. It returns an
// error wrapping errCompositeRefused when Zoho refused the request as a whole (and switches
// composite off for a while), and another error when the request as a whole failed or its
// response cannot be mapped to the sub-requests; write says whether sub-requests write, which
// makes an unreadable response ambiguous rather than refused.
func (c *CRM) composite(ctx context.Context, op string, subs []subRequest, write bool) ([]subResult, error) {
	for i := range subs {
		if subs[i].Params == nil {
			subs[i].Params = map[string]string{}
		}
		if subs[i].Headers == nil {
			subs[i].Headers = map[string]string{}
		}
	}
	body, err := marshal(op, compositeBody{Requests: subs})
	if err != nil {
		return nil, err
	}
	units := min(compositeUnits, int64(c.cfg.Concurrency))
	resp, err := c.do(ctx, &apiRequest{op: op, method: "POST", path: "/__composite_requests", body: body, units: units, credits: 1})
	if err != nil {
		if compositeRefusal(err) {
			c.switchOff(&c.compositeOffUntil, "composite", err)
			return nil, fmt.Errorf("%w: %w", errCompositeRefused, err)
		}
		return nil, err
	}
	entries, err := decodeComposite(resp.body)
	if err != nil {
		if resp.status >= 400 && resp.status < 500 {
			c.switchOff(&c.compositeOffUntil, "composite", err)
			return nil, fmt.Errorf("%w: HTTP %d: %w", errCompositeRefused, resp.status, err)
		}
		return nil, malformed(op, resp.status, err)
	}
	if len(entries) != len(subs) {
		ran := false
		for _, e := range entries {
			ran = ran || e.response != nil
		}
		err := fmt.Errorf("%w: %d results for %d sub-requests", ErrMalformedResponse, len(entries), len(subs))
		if !ran && resp.status >= 400 {
			// A validation error of the wrapper itself (OAS response-400-compositerequesterror).
			c.switchOff(&c.compositeOffUntil, "composite", err)
			return nil, fmt.Errorf("%w: %w", errCompositeRefused, err)
		}
		if !ran && !write {
			return nil, leadcall.NewError(leadcall.CodeInvalid, op, err)
		}
		return nil, unavailable(op, err)
	}
	out := make([]subResult, len(entries))
	for i, e := range entries {
		if e.response == nil {
			ae := &APIError{HTTPStatus: resp.status, Code: e.Code, Message: e.Message, Details: e.Details}
			if ae.Code == "" {
				ae.Code, ae.Message = "PROCESSING_STOPPED", "sub-request was not run"
			}
			out[i] = subResult{err: apiErr(op, ae)}
			continue
		}
		r, err := c.interpret(op, e.response.StatusCode, e.response.header(), e.response.Body)
		out[i] = subResult{resp: r, err: err, executed: true}
	}
	return out, nil
}

// compositeRefusal reports whether a composite request failed as a whole because Zoho refused
// the composite API (any 4xx envelope but rate limits and token errors, which the plain
// requests would meet too).
func compositeRefusal(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.HTTPStatus < 400 || ae.HTTPStatus >= 500 || ae.HTTPStatus == http.StatusTooManyRequests {
		return false
	}
	switch ae.Code {
	case "INVALID_TOKEN", "AUTHENTICATION_FAILURE", "TOO_MANY_REQUESTS":
		return false
	}
	return true
}

// compositeEntry is one item of a composite response.
type compositeEntry struct {
	Code     string
	Message  string
	Status   string
	Details  map[string]any
	response *subResponse // set when the sub-request ran
}

// subResponse is details.response of an entry: the sub-request's own HTTP response.
type subResponse struct {
	StatusCode int             `json:"status_code"`
	Headers    map[string]any  `json:"headers"`
	Body       json.RawMessage `json:"body"`
}

func (r *subResponse) header() http.Header {
	h := make(http.Header, len(r.Headers))
	for k, v := range r.Headers {
		if s, ok := v.(string); ok {
			h.Set(k, s)
		}
	}
	return h
}

// decodeComposite decodes {"__composite_requests":[{code, message, status, details:
// {response:{status_code, headers, body}}}]} (D-COMP7; OAS). An entry without
// details.response did not run; its code says why. It never panics.
func decodeComposite(body []byte) ([]compositeEntry, error) {
	var top struct {
		Requests []json.RawMessage `json:"__composite_requests"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("composite response: %s", describeBody(body))
	}
	if top.Requests == nil {
		return nil, errors.New("composite response without __composite_requests")
	}
	out := make([]compositeEntry, 0, len(top.Requests))
	for i, raw := range top.Requests {
		var w struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Status  string          `json:"status"`
			Details json.RawMessage `json:"details"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("__composite_requests[%d] is not a result object", i)
		}
		e := compositeEntry{Code: w.Code, Message: w.Message, Status: w.Status}
		var d struct {
			Response *subResponse `json:"response"`
		}
		if json.Unmarshal(w.Details, &d) == nil && d.Response != nil {
			e.response = d.Response
		} else if len(w.Details) > 0 {
			_ = json.Unmarshal(w.Details, &e.Details)
		}
		out = append(out, e)
	}
	return out, nil
}

// bundleLeadRef is how a Call or Task of a bundle refers to the Lead created by the first
// sub-request (D-COMP7 reference syntax, used inside a body).
const bundleLeadRef = "@{lead:$.data[0].details.id}"

// placeholderLeadID stands in for the bundle's Lead while its records are built and checked.
const placeholderLeadID = "0"

// CreateBundle creates b.Lead (if set), then b.Call and b.Task (if set) linked to it, or to
// their own Who without a Lead. With the composite API this is one request (1 credit): the
// Call and Task refer to the new Lead's ID with @{lead:$.data[0].details.id}. Without it, or
// when Zoho refuses it, the parts are created one by one.
//
// Each part has its own result, classified like the single creates. Parts after a Lead that
// failed are "not attempted" (CodeInvalid), except when the Lead failed because a Lead with
// the same sync key exists (CodeConflict with ExistingID): then the Call and Task are created
// linked to that Lead, which the Engine adopts. A nil bundle or one without a Call gives
// CodeInvalid. The error is for the request as a whole (rate limit, auth, an ambiguous
// failure of the composite request).
func (c *CRM) CreateBundle(ctx context.Context, b *crm.Bundle) (*crm.BundleResult, error) {
	const op = "zoho: create bundle"
	if b == nil || b.Call == nil {
		return nil, invalid(op, "", "a bundle needs a call")
	}
	return c.createBundle(ctx, op, b, 0)
}

func (c *CRM) createBundle(ctx context.Context, op string, b *crm.Bundle, attempt int) (*crm.BundleResult, error) {
	res := &crm.BundleResult{}
	var leadRec record
	if b.Lead != nil {
		var err error
		if leadRec, err = c.leadRecord(op, b.Lead); err != nil {
			res.Lead.Err = err
			c.notAttempted(op, res, b)
			return res, nil
		}
	}
	// With a Lead, the parts link to it; the placeholder is replaced by the reference or the
	// real ID before sending.
	who := func(own crm.Ref) crm.Ref {
		if b.Lead != nil {
			return crm.Ref{Module: crm.ModuleLeads, ID: placeholderLeadID}
		}
		return own
	}
	callRec, callErr := c.callRecord(op, withCallWho(b.Call, who(b.Call.Who)))
	var taskRec record
	var taskErr error
	if b.Task != nil {
		taskRec, taskErr = c.taskRecord(op, withTaskWho(b.Task, who(b.Task.Who)))
	}
	res.Call.Err = callErr
	res.Task.Err = taskErr

	var subs []subRequest
	var parts []string
	add := func(id string, m crm.Module, rec record, key string) {
		subs = append(subs, subRequest{ID: id, Method: "POST", URI: "/crm/" + apiVersion + "/" + string(m),
			Body: c.writeBody(withKey(rec, key, key != "" && c.syncKeyWritable(m)))})
		parts = append(parts, id)
	}
	if leadRec != nil {
		add("lead", crm.ModuleLeads, leadRec, b.Lead.SyncKey)
	}
	if callErr == nil {
		add("call", crm.ModuleCalls, relink(callRec, b.Lead != nil), b.Call.SyncKey)
	}
	if b.Task != nil && taskErr == nil {
		add("task", crm.ModuleTasks, relink(taskRec, b.Lead != nil), b.Task.SyncKey)
	}
	if len(subs) > 1 && c.compositeAllowed() {
		results, err := c.composite(ctx, op, subs, true)
		if err == nil {
			return c.bundleResults(ctx, op, b, res, parts, results, callRec, taskRec, attempt)
		}
		if !errors.Is(err, errCompositeRefused) {
			return nil, err
		}
	}
	return c.bundlePlain(ctx, op, b, res, leadRec, callRec, taskRec)
}

// relink replaces the placeholder Lead link with the composite reference.
func relink(rec record, toBundleLead bool) record {
	if !toBundleLead {
		return rec
	}
	out := make(record, len(rec))
	for k, v := range rec {
		out[k] = v
	}
	out[fieldWhatID] = map[string]string{"id": bundleLeadRef}
	return out
}

// linkTo points a Call or Task record at the Lead id instead of the placeholder.
func linkTo(rec record, id string) record {
	out := make(record, len(rec))
	for k, v := range rec {
		out[k] = v
	}
	out[fieldWhatID] = map[string]string{"id": id}
	out[fieldSEModule] = string(crm.ModuleLeads)
	delete(out, fieldWhoID)
	return out
}

func withCallWho(c *crm.Call, who crm.Ref) *crm.Call { cp := *c; cp.Who = who; return &cp }
func withTaskWho(t *crm.Task, who crm.Ref) *crm.Task { cp := *t; cp.Who = who; return &cp }

// notAttempted marks the Call and Task of a bundle whose Lead failed.
func (c *CRM) notAttempted(op string, res *crm.BundleResult, b *crm.Bundle) {
	res.Call = crm.PartResult{Err: leadcall.Errorf(leadcall.CodeInvalid, op, "not attempted")}
	if b.Task != nil {
		res.Task = crm.PartResult{Err: leadcall.Errorf(leadcall.CodeInvalid, op, "not attempted")}
	}
}

// bundleResults maps the composite's results to the bundle's parts.
func (c *CRM) bundleResults(ctx context.Context, op string, b *crm.Bundle, res *crm.BundleResult,
	parts []string, results []subResult, callRec, taskRec record, attempt int) (*crm.BundleResult, error) {
	byPart := make(map[string]subResult, len(parts))
	for i, p := range parts {
		byPart[p] = results[i]
	}
	partID := func(name string, m crm.Module, key string) (string, error) {
		r := byPart[name]
		if r.err != nil {
			return "", r.err
		}
		items, err := decodeRecordResponse(r.resp.body, "data")
		if err != nil || len(items) != 1 {
			if err == nil {
				err = fmt.Errorf("%d results for 1 record", len(items))
			}
			return "", malformed(op, r.resp.status, err)
		}
		return c.resultID(ctx, op, m, r.resp.status, items[0], key)
	}
	created := func(p *crm.PartResult, m crm.Module, key, id string, err error) {
		if err != nil {
			p.Err = err
			return
		}
		p.Created = &crm.Created{ID: id}
		if key != "" && c.syncKeyWritable(m) {
			c.rememberKey(m, key, id)
		}
	}

	leadID := ""
	if b.Lead != nil {
		id, err := partID("lead", crm.ModuleLeads, b.Lead.SyncKey)
		if isSyncKeyRefused(err) && attempt == 0 && !byPart["call"].executed && !byPart["task"].executed {
			// The org has no usable LC_Sync_Key on Leads and nothing was written: again without it.
			c.markSyncKey(crm.ModuleLeads, syncKeyMissing, err)
			return c.createBundle(ctx, op, b, attempt+1)
		}
		created(&res.Lead, crm.ModuleLeads, b.Lead.SyncKey, id, err)
		if err == nil {
			leadID = id
			c.rememberLead(b.Lead, id)
		} else {
			var le *leadcall.Error
			if errors.As(err, &le) && le.Code == leadcall.CodeConflict && le.ExistingID != "" {
				leadID = le.ExistingID
			}
		}
	}
	finish := func(name string, p *crm.PartResult, m crm.Module, rec record, key string) {
		if _, sent := byPart[name]; !sent {
			return // refused before sending; its error is set
		}
		r := byPart[name]
		if b.Lead != nil && res.Lead.Err != nil && !r.executed {
			if leadID == "" {
				p.Err = leadcall.Errorf(leadcall.CodeInvalid, op, "not attempted")
				return
			}
			// The Lead exists already (sync-key conflict): link to it instead.
			p.Created, p.Err = c.createOne(ctx, op, m, linkTo(rec, leadID), key)
			return
		}
		id, err := partID(name, m, key)
		if isSyncKeyRefused(err) && key != "" {
			// Nothing was written for this part: write it again without the key.
			c.markSyncKey(m, syncKeyMissing, err)
			if b.Lead != nil {
				rec = linkTo(rec, leadID)
			}
			p.Created, p.Err = c.createOne(ctx, op, m, rec, key)
			return
		}
		created(p, m, key, id, err)
	}
	finish("call", &res.Call, crm.ModuleCalls, callRec, b.Call.SyncKey)
	if b.Task != nil {
		finish("task", &res.Task, crm.ModuleTasks, taskRec, b.Task.SyncKey)
	}
	return res, nil
}

// bundlePlain creates the parts one request at a time.
func (c *CRM) bundlePlain(ctx context.Context, op string, b *crm.Bundle, res *crm.BundleResult,
	leadRec, callRec, taskRec record) (*crm.BundleResult, error) {
	leadID := ""
	if b.Lead != nil {
		cr, err := c.createOne(ctx, op, crm.ModuleLeads, leadRec, b.Lead.SyncKey)
		if err != nil {
			res.Lead.Err = err
			var le *leadcall.Error
			if !errors.As(err, &le) || le.Code != leadcall.CodeConflict || le.ExistingID == "" {
				c.notAttempted(op, res, b)
				return res, nil
			}
			leadID = le.ExistingID
		} else {
			res.Lead.Created = cr
			leadID = cr.ID
			c.rememberLead(b.Lead, cr.ID)
		}
	}
	one := func(p *crm.PartResult, m crm.Module, rec record, key string) {
		if p.Err != nil {
			return
		}
		if b.Lead != nil {
			rec = linkTo(rec, leadID)
		}
		p.Created, p.Err = c.createOne(ctx, op, m, rec, key)
	}
	one(&res.Call, crm.ModuleCalls, callRec, b.Call.SyncKey)
	if b.Task != nil {
		one(&res.Task, crm.ModuleTasks, taskRec, b.Task.SyncKey)
	}
	return res, nil
}
