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
// response cannot be mapped to the sub-requests.
func (c *CRM) composite(ctx context.Context, op string, subs []subRequest) ([]subResult, error) {
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
		// Results that cannot be matched to sub-requests: writes among them may have run.
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
// Each part has its own result, classified like the single creates. Parts after a part that
// failed are not attempted: their Err wraps crm.ErrNotAttempted (with CodeInvalid: nothing
// was written). A Lead whose sync key exists is such a failure (CodeConflict with ExistingID);
// the Engine adopts it and goes on with single creates. One exception, to keep results true:
// Zoho runs the sub-requests of a composite request independently, so a Task may be created
// although the Call before it failed on Zoho's side; its result then says Created. A nil
// bundle or one without a Call gives CodeInvalid. The error is for the request as a whole
// (rate limit, auth, an ambiguous failure of the composite request).
func (c *CRM) CreateBundle(ctx context.Context, b *crm.Bundle) (*crm.BundleResult, error) {
	const op = "zoho: create bundle"
	if b == nil || b.Call == nil {
		return nil, invalid(op, "", "a bundle needs a call")
	}
	res, err := c.createBundle(ctx, op, b, 0)
	c.forgetFailedBundle(b, res, err)
	return res, err
}

// forgetFailedBundle drops the cached lookups a failed bundle part concerns: the Lead's
// number when the Lead failed (it may exist after all), the linked record when a Call or Task
// failed (it may be gone).
func (c *CRM) forgetFailedBundle(b *crm.Bundle, res *crm.BundleResult, err error) {
	if err != nil || res == nil {
		res = &crm.BundleResult{Lead: crm.PartResult{Err: err}, Call: crm.PartResult{Err: err}}
	}
	linkFailed := res.Call.Err != nil || res.Task.Err != nil
	switch {
	case b.Lead != nil && (res.Lead.Err != nil || res.Lead.Created == nil):
		c.phones.forgetNumber(b.Lead.Phone)
	case b.Lead != nil && linkFailed:
		c.phones.forgetRecord(crm.Ref{Module: crm.ModuleLeads, ID: res.Lead.Created.ID})
	case b.Lead == nil && linkFailed:
		c.phones.forgetRecord(b.Call.Who)
		if b.Task != nil {
			c.phones.forgetRecord(b.Task.Who)
		}
	}
}

// bundlePart is one part of a bundle on its way to Zoho.
type bundlePart struct {
	name   string // sub_request_id: lead, call, task
	module crm.Module
	key    string
	rec    record          // checked record; links to placeholderLeadID when the bundle has a Lead
	result *crm.PartResult // where the outcome goes
}

func notAttempted(op string) error {
	return &leadcall.Error{Code: leadcall.CodeInvalid, Op: op, Err: crm.ErrNotAttempted}
}

func (c *CRM) createBundle(ctx context.Context, op string, b *crm.Bundle, attempt int) (*crm.BundleResult, error) {
	res := &crm.BundleResult{}
	// With a Lead, the parts link to it: a placeholder while they are checked, replaced by a
	// reference (composite) or the new ID (plain) before sending.
	who := func(own crm.Ref) crm.Ref {
		if b.Lead != nil {
			return crm.Ref{Module: crm.ModuleLeads, ID: placeholderLeadID}
		}
		return own
	}
	type pending struct {
		part  bundlePart
		build func() (record, error)
	}
	var all []pending
	if b.Lead != nil {
		all = append(all, pending{bundlePart{"lead", crm.ModuleLeads, b.Lead.SyncKey, nil, &res.Lead},
			func() (record, error) { return c.leadRecord(ctx, op, b.Lead) }})
	}
	all = append(all, pending{bundlePart{"call", crm.ModuleCalls, b.Call.SyncKey, nil, &res.Call},
		func() (record, error) { return c.callRecord(ctx, op, withCallWho(b.Call, who(b.Call.Who))) }})
	if b.Task != nil {
		all = append(all, pending{bundlePart{"task", crm.ModuleTasks, b.Task.SyncKey, nil, &res.Task},
			func() (record, error) { return c.taskRecord(op, withTaskWho(b.Task, who(b.Task.Who))) }})
	}
	// Check the parts in order: the first that fails stops the ones after it.
	var parts []bundlePart
	for i, p := range all {
		rec, err := p.build()
		if err != nil {
			p.part.result.Err = err
			for _, rest := range all[i+1:] {
				rest.part.result.Err = notAttempted(op)
			}
			break
		}
		p.part.rec = rec
		parts = append(parts, p.part)
	}
	if len(parts) > 1 && c.compositeAllowed() {
		subs := make([]subRequest, len(parts))
		for i, p := range parts {
			rec := p.rec
			if p.module != crm.ModuleLeads && b.Lead != nil {
				rec = linkTo(rec, bundleLeadRef)
			}
			subs[i] = subRequest{ID: p.name, Method: "POST", URI: "/crm/" + apiVersion + "/" + string(p.module),
				Body: c.writeBody(withKey(rec, p.key, p.key != "" && c.syncKeyWritable(p.module)))}
		}
		results, err := c.composite(ctx, op, subs)
		if err == nil {
			return c.bundleResults(ctx, op, b, res, parts, results, attempt)
		}
		if !errors.Is(err, errCompositeRefused) {
			return nil, err
		}
	}
	c.bundlePlain(ctx, op, b, parts)
	return res, nil
}

// linkTo points a Call or Task record of a bundle at the Lead id (or reference).
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

// bundleResults maps the composite's results to the bundle's parts, in order.
func (c *CRM) bundleResults(ctx context.Context, op string, b *crm.Bundle, res *crm.BundleResult,
	parts []bundlePart, results []subResult, attempt int) (*crm.BundleResult, error) {
	leadID, failed := "", false
	for i, p := range parts {
		r := results[i]
		id, err := c.subResultID(ctx, op, p, r)
		if isSyncKeyRefused(err) && p.key != "" {
			// Zoho refused the LC_Sync_Key field, so nothing was written for this part.
			c.markSyncKey(p.module, syncKeyMissing, err)
			if p.module == crm.ModuleLeads && attempt == 0 && !anySucceeded(results[i+1:]) {
				// The parts after the Lead could not refer to it: the whole bundle again.
				return c.createBundle(ctx, op, b, attempt+1)
			}
			if !failed {
				rec := p.rec
				if p.module != crm.ModuleLeads && b.Lead != nil {
					rec = linkTo(rec, leadID)
				}
				var cr *crm.Created
				if cr, err = c.createOne(ctx, op, p.module, rec, p.key); err == nil {
					id = cr.ID
				}
			}
		}
		switch {
		case err == nil:
			p.result.Created = &crm.Created{ID: id}
			if p.module == crm.ModuleLeads {
				leadID = id
				c.rememberLead(b.Lead, id)
			}
		case failed && !maybeWritten(err):
			// After a failed part, one that wrote nothing counts as not attempted.
			p.result.Err = notAttempted(op)
		default:
			p.result.Err = err
			failed = true
		}
	}
	return res, nil
}

// subResultID interprets one sub-request's result as a created record's ID.
func (c *CRM) subResultID(ctx context.Context, op string, p bundlePart, r subResult) (string, error) {
	if r.err != nil {
		return c.duplicateEnvelope(ctx, op, p.module, p.key, r.err)
	}
	items, err := decodeRecordResponse(r.resp.body, "data")
	if err == nil && len(items) != 1 {
		err = fmt.Errorf("%d results for 1 record", len(items))
	}
	if err != nil {
		return "", malformed(op, r.resp.status, err)
	}
	id, err := c.resultID(ctx, op, p.module, r.resp.status, items[0], p.key)
	if err == nil && p.key != "" && c.syncKeyWritable(p.module) {
		c.rememberKey(p.module, p.key, id)
	}
	return id, err
}

// maybeWritten reports whether a failed write may have been applied (reliability.md §3.5).
func maybeWritten(err error) bool {
	switch leadcall.CodeOf(err) {
	case leadcall.CodeUnavailable, leadcall.CodeUnknown, leadcall.CodeInternal:
		return true
	}
	return false
}

// anySucceeded reports whether a sub-request among results ran and wrote its record.
func anySucceeded(results []subResult) bool {
	for _, r := range results {
		if r.executed && r.err == nil {
			if items, err := decodeRecordResponse(r.resp.body, "data"); err == nil && len(items) == 1 && items[0].ok() {
				return true
			}
		}
	}
	return false
}

// bundlePlain creates the parts one request at a time, stopping at the first failure.
func (c *CRM) bundlePlain(ctx context.Context, op string, b *crm.Bundle, parts []bundlePart) {
	leadID := ""
	for i, p := range parts {
		rec := p.rec
		if p.module != crm.ModuleLeads && b.Lead != nil {
			rec = linkTo(rec, leadID)
		}
		cr, err := c.createOne(ctx, op, p.module, rec, p.key)
		if err != nil {
			p.result.Err = err
			for _, rest := range parts[i+1:] {
				rest.result.Err = notAttempted(op)
			}
			return
		}
		p.result.Created = cr
		if p.module == crm.ModuleLeads {
			leadID = cr.ID
			c.rememberLead(b.Lead, cr.ID)
		}
	}
}
