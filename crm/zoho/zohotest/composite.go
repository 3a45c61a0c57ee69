package zohotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Composite API limits and patterns (D-COMP7; OAS v8 composite_requests).
const maxSubRequests = 5

var (
	subRequestIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_]*$`)
	subURIPattern       = regexp.MustCompile(`^/crm(/.*)?/v[0-9]+([.][0-9]+)?/.*$`)
	plainURIPattern     = regexp.MustCompile(`^/crm/v([0-9]+)(?:[.][0-9]+)?(/[^?]*)(?:\?(.*))?$`)
	referencePattern    = regexp.MustCompile(`@\{([a-zA-Z0-9][a-zA-Z0-9_]*):(\$[^}]*)\}`)
	restrictedHeaders   = []string{"authorization", "x-crm-org"}
	subMethods          = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}
)

type subRequest struct {
	index          int
	id             string
	method         string
	uri            string
	params, body   map[string]any
	hasBody        bool
	deps           []int
	done, failed   bool
	result         map[string]any
	responseObject any // JSON form of the wrapped body, for references
}

func subErr(code, message string, details map[string]any) map[string]any {
	if details == nil {
		details = map[string]any{}
	}
	return map[string]any{"code": code, "details": details, "message": message, "status": "error"}
}

// handleComposite implements POST /crm/v8/__composite_requests. Sub-requests run one at a
// time in dependency order (a valid serialisation of "parallel_execution"); results come
// back in request order. Only the top-level call is charged credits and counted against
// concurrency; faults are never injected into sub-requests.
func (s *Server) handleComposite(req *apiRequest) apiResponse {
	if req.composite {
		return errResp(http.StatusBadRequest, "NOT_SUPPORTED", "composite requests cannot be nested", nil)
	}
	obj, err := decodeObject(req.body)
	if err != nil {
		return badBody()
	}
	flag := func(names ...string) (value, set bool, bad *apiResponse) {
		for _, n := range names {
			v, ok := obj[n]
			if !ok {
				continue
			}
			b, isBool := v.(bool)
			if !isBool {
				r := errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
					map[string]any{"api_name": n, "json_path": "$." + n, "expected_data_type": "boolean"})
				return false, false, &r
			}
			return b, true, nil
		}
		return false, false, nil
	}
	rollback, _, bad := flag("rollback_on_fail")
	if bad != nil {
		return *bad
	}
	// v3 docs and the v8 OAS call it concurrent_execution; v7/v8 docs parallel_execution.
	parallel, parallelSet, bad := flag("parallel_execution", "concurrent_execution")
	if bad != nil {
		return *bad
	}
	if !parallelSet {
		parallel = !rollback
	}
	if rollback && parallel {
		return errResp(http.StatusBadRequest, "AMBIGUITY_DURING_PROCESSING", "ambiguity during processing",
			map[string]any{"ambiguity_due_to": []any{
				map[string]any{"api_name": "rollback_on_fail", "json_path": "$.rollback_on_fail"},
				map[string]any{"api_name": "parallel_execution", "json_path": "$.parallel_execution"}}})
	}
	rawList, ok := obj["__composite_requests"]
	if !ok || rawList == nil {
		return errResp(http.StatusBadRequest, "MANDATORY_NOT_FOUND", "required field not found",
			map[string]any{"api_name": "__composite_requests", "json_path": "$.__composite_requests"})
	}
	list, ok := rawList.([]any)
	if !ok || len(list) == 0 || len(list) > maxSubRequests {
		return errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
			map[string]any{"api_name": "__composite_requests", "json_path": "$.__composite_requests",
				"maximum_length": maxSubRequests})
	}
	subs, invalid := parseSubRequests(list)
	if len(invalid) > 0 {
		return apiResponse{status: http.StatusBadRequest, body: map[string]any{"__composite_requests": invalid}}
	}
	order, loop := executionOrder(subs)
	if loop != nil {
		return errResp(http.StatusBadRequest, "LOOPING_FOUND", "looping found among sub requests",
			map[string]any{"api_name": "__composite_requests", "json_path": "$.__composite_requests",
				"sub_request_indexes": loop})
	}

	var undo *undoLog
	if rollback {
		undo = &undoLog{}
	}
	failedAt := -1
	for _, i := range order {
		sub := subs[i]
		if rollback && failedAt >= 0 {
			sub.result, sub.failed = subErr("PROCESSING_STOPPED", "processing stopped", nil), true
			continue
		}
		s.runSubRequest(req, sub, subs, undo)
		if sub.failed && failedAt < 0 {
			failedAt = i
		}
	}
	rolledBack := rollback && failedAt >= 0
	if rolledBack {
		s.mu.Lock()
		s.rollbackLocked(undo)
		s.mu.Unlock()
		for _, sub := range subs {
			if !sub.failed {
				sub.result, sub.failed = subErr("ROLLBACK_PERFORMED", "rollback performed",
					map[string]any{"rollbacked_by_sub_request_index": failedAt}), true
			}
		}
	}
	results := make([]any, len(subs))
	okCount := 0
	for i, sub := range subs {
		results[i] = sub.result
		if !sub.failed {
			okCount++
		}
	}
	status := http.StatusMultiStatus
	switch okCount {
	case len(subs):
		status = http.StatusOK
	case 0:
		status = http.StatusBadRequest
	}
	credits := 1 // D-COMP7: 1 credit; with rollback_on_fail, 2 when everything succeeded
	if rollback && !rolledBack {
		credits = 2
	}
	return apiResponse{status: status, credits: credits, applied: okCount > 0 && !rolledBack,
		body: map[string]any{"__composite_requests": results}}
}

// parseSubRequests validates the sub-request objects; invalid holds one error per bad one.
func parseSubRequests(list []any) (subs []*subRequest, invalid []any) {
	seen := map[string]bool{}
	for i, raw := range list {
		path := fmt.Sprintf("$.__composite_requests[%d]", i)
		bad := func(code, key string, extra ...any) {
			d := map[string]any{"api_name": key, "json_path": path + "." + key}
			for j := 0; j+1 < len(extra); j += 2 {
				d[extra[j].(string)] = extra[j+1]
			}
			msg := "invalid data"
			if code == "MANDATORY_NOT_FOUND" {
				msg = "required field not found"
			}
			invalid = append(invalid, subErr(code, msg, d))
		}
		obj, ok := raw.(map[string]any)
		if !ok {
			bad("INVALID_DATA", "__composite_requests", "expected_data_type", "jsonobject")
			continue
		}
		sub := &subRequest{index: i}
		subs = append(subs, sub)
		sub.method, _ = obj["method"].(string)
		if !slices.Contains(subMethods, sub.method) {
			bad("INVALID_DATA", "method", "expected_data_type", "text")
		}
		sub.uri, _ = obj["uri"].(string)
		switch {
		case obj["uri"] == nil:
			bad("MANDATORY_NOT_FOUND", "uri")
		case len(sub.uri) > 2048 || !subURIPattern.MatchString(sub.uri):
			bad("INVALID_DATA", "uri", "expected_data_type", "text", "regex", "/crm(/.*)?/v[0-9]+([.][0-9]+)?/.*")
		}
		if v, present := obj["sub_request_id"]; present {
			sub.id, _ = v.(string)
			switch {
			case !subRequestIDPattern.MatchString(sub.id) || len(sub.id) > 100:
				bad("INVALID_DATA", "sub_request_id", "expected_data_type", "text", "regex", "[a-zA-Z0-9][a-zA-Z0-9_]*")
			case seen[sub.id]:
				bad("DUPLICATE_DATA", "sub_request_id")
			}
			seen[sub.id] = true
		}
		if h, present := obj["headers"]; present && h != nil {
			headers, ok := h.(map[string]any)
			if !ok {
				bad("INVALID_DATA", "headers", "expected_data_type", "jsonobject")
			}
			var restricted []string
			for k := range headers {
				if slices.Contains(restrictedHeaders, strings.ToLower(k)) {
					restricted = append(restricted, k)
				}
			}
			if len(restricted) > 0 {
				slices.Sort(restricted)
				bad("INVALID_DATA", "headers", "restricted_headers", restricted)
			}
		}
		for _, key := range []string{"params", "body"} {
			v, present := obj[key]
			if !present || v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				bad("INVALID_DATA", key, "expected_data_type", "jsonobject")
				continue
			}
			if key == "params" {
				sub.params = m
			} else {
				sub.body, sub.hasBody = m, true
			}
		}
	}
	if invalid != nil {
		return nil, invalid
	}
	ids := map[string]int{}
	for _, sub := range subs {
		if sub.id != "" {
			ids[sub.id] = sub.index
		}
	}
	for _, sub := range subs {
		raw, _ := json.Marshal([]any{sub.uri, sub.params, sub.body})
		for _, m := range referencePattern.FindAllStringSubmatch(string(raw), -1) {
			if dep, ok := ids[m[1]]; ok && !slices.Contains(sub.deps, dep) {
				sub.deps = append(sub.deps, dep)
			}
		}
	}
	return subs, nil
}

// executionOrder sorts sub-requests so each runs after those it references (stable by
// index); a cycle returns the indexes involved (LOOPING_FOUND).
func executionOrder(subs []*subRequest) (order []int, loop []int) {
	placed := make([]bool, len(subs))
	for len(order) < len(subs) {
		progress := false
		for _, sub := range subs {
			if placed[sub.index] {
				continue
			}
			ready := !slices.ContainsFunc(sub.deps, func(d int) bool { return !placed[d] })
			if ready {
				placed[sub.index], progress = true, true
				order = append(order, sub.index)
				break
			}
		}
		if !progress {
			for _, sub := range subs {
				if !placed[sub.index] {
					loop = append(loop, sub.index)
				}
			}
			return nil, loop
		}
	}
	return order, nil
}

// runSubRequest resolves references, routes and runs one sub-request, storing its result.
func (s *Server) runSubRequest(parent *apiRequest, sub *subRequest, all []*subRequest, undo *undoLog) {
	sub.done = true
	fail := func(item map[string]any) { sub.result, sub.failed = item, true }
	for _, d := range sub.deps {
		if all[d].failed {
			fail(subErr("PROCESSING_STOPPED", "processing stopped", map[string]any{"sub_request_id": all[d].id}))
			return
		}
	}
	byID := map[string]*subRequest{}
	for _, o := range all {
		if o.id != "" {
			byID[o.id] = o
		}
	}
	jsonPath := fmt.Sprintf("$.__composite_requests[%d]", sub.index)
	uriV, refErr := resolveRefs(sub.uri, byID, jsonPath+".uri")
	if refErr != nil {
		fail(refErr)
		return
	}
	params, refErr := resolveRefs(anyMap(sub.params), byID, jsonPath+".params")
	if refErr != nil {
		fail(refErr)
		return
	}
	body, refErr := resolveRefs(anyMap(sub.body), byID, jsonPath+".body")
	if refErr != nil {
		fail(refErr)
		return
	}
	uri, _ := uriV.(string)
	m := plainURIPattern.FindStringSubmatch(uri)
	if m == nil {
		fail(subErr("NOT_SUPPORTED", "the given API is not supported in composite requests",
			map[string]any{"api_name": "uri", "json_path": jsonPath + ".uri"}))
		return
	}
	if v, _ := strconv.Atoi(m[1]); v < 3 {
		fail(subErr("API_NOT_SUPPORTED", "composite requests need version 3 or later",
			map[string]any{"supported_version": 3}))
		return
	}
	query, err := url.ParseQuery(m[3])
	if err != nil {
		query = url.Values{}
	}
	if pm, ok := params.(map[string]any); ok {
		for k, v := range pm {
			query.Set(k, fmt.Sprint(v))
		}
	}
	var rawBody []byte
	if sub.hasBody {
		rawBody, _ = json.Marshal(body)
	}
	// Every emulated version is served with v8 semantics (D-COMP7 and the OAS samples mix
	// versions inside one composite call).
	path := "/crm/v8" + m[2]
	rt, routeErr := resolve(sub.method, path, s.schema)
	rec := Request{Time: s.now(), Method: sub.method, Path: path, RawQuery: query.Encode(), Endpoint: rt.endpoint,
		Module: rt.module, Body: truncate(rawBody, maxLoggedBody), Delivered: true}
	defer func() {
		rec.Status, _ = sub.result["__status"].(int)
		delete(sub.result, "__status")
		*parent.sub = append(*parent.sub, rec)
	}()
	var resp apiResponse
	req := &apiRequest{ctx: parent.ctx, method: sub.method, path: path, query: query, body: rawBody, route: rt,
		token: parent.token, composite: true, undo: undo, sub: parent.sub}
	switch {
	case routeErr != nil:
		resp = *routeErr
	case rt.endpoint == EndpointComposite:
		resp = errResp(http.StatusBadRequest, "NOT_SUPPORTED", "composite requests cannot be nested", nil)
	default:
		if denied := s.checkScopes(req); denied != nil {
			resp = *denied
		} else {
			resp = rt.handler(s, req)
		}
	}
	var generic any
	if resp.body != nil {
		_ = json.Unmarshal(encodeBody(resp.body), &generic)
	}
	sub.responseObject = generic
	if resp.status >= 400 {
		item := wrappedError(generic)
		item["__status"] = resp.status
		fail(item)
		return
	}
	headers := map[string]any{}
	respBody := any(map[string]any{}) // a 204 has no body; the OAS marks body as a required object
	if generic != nil {
		headers["content-type"] = "application/json;charset=UTF-8"
		respBody = generic
	}
	sub.result = map[string]any{"code": "SUCCESS", "message": "composite sub request executed successfully",
		"status": "success", "__status": resp.status,
		"details": map[string]any{"response": map[string]any{"status_code": resp.status, "headers": headers, "body": respBody}}}
}

// wrappedError lifts the error of a failed sub-request (a top-level envelope or the first
// error item of data[]) into the sub-request result. How Zoho reports a wrapped API's error
// is unconfirmed; the codes it lists (DUPLICATE_DATA, INVALID_DATA, MANDATORY_NOT_FOUND)
// suggest this shape, and the details keep e.g. the existing id of a DUPLICATE_DATA.
func wrappedError(body any) map[string]any {
	obj, _ := body.(map[string]any)
	pickFrom := obj
	if _, hasCode := obj["code"]; !hasCode {
		if data, ok := obj["data"].([]any); ok {
			for _, d := range data {
				if item, ok := d.(map[string]any); ok && item["status"] == "error" {
					pickFrom = item
					break
				}
			}
		}
	}
	code, _ := pickFrom["code"].(string)
	msg, _ := pickFrom["message"].(string)
	details, _ := pickFrom["details"].(map[string]any)
	if code == "" {
		code, msg = "INTERNAL_ERROR", "Internal Server Error"
	}
	return subErr(code, msg, details)
}

func anyMap(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// resolveRefs replaces @{id:$.path} references in strings inside v. A string that is exactly
// one reference takes the referenced JSON value; otherwise references are spliced as text.
func resolveRefs(v any, byID map[string]*subRequest, path string) (any, map[string]any) {
	switch x := v.(type) {
	case string:
		matches := referencePattern.FindAllStringSubmatchIndex(x, -1)
		if len(matches) == 0 {
			return x, nil
		}
		lookup := func(id, jp string) (any, map[string]any) {
			bad := subErr("INVALID_REFERENCE", "invalid reference",
				map[string]any{"api_name": "reference", "json_path": path, "reference": "@{" + id + ":" + jp + "}"})
			ref, ok := byID[id]
			if !ok || !ref.done || ref.failed {
				return nil, bad
			}
			val, ok := evalJSONPath(ref.responseObject, jp)
			if !ok {
				return nil, bad
			}
			return val, nil
		}
		if len(matches) == 1 && matches[0][0] == 0 && matches[0][1] == len(x) {
			return lookup(x[matches[0][2]:matches[0][3]], x[matches[0][4]:matches[0][5]])
		}
		var b strings.Builder
		last := 0
		for _, m := range matches {
			val, err := lookup(x[m[2]:m[3]], x[m[4]:m[5]])
			if err != nil {
				return nil, err
			}
			b.WriteString(x[last:m[0]])
			switch t := val.(type) {
			case string:
				b.WriteString(t)
			case nil:
				b.WriteString("null")
			default:
				enc, _ := json.Marshal(t)
				b.Write(enc)
			}
			last = m[1]
		}
		b.WriteString(x[last:])
		return b.String(), nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := resolveRefs(e, byID, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := resolveRefs(e, byID, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// evalJSONPath follows "$.a.b[0]['c']" through decoded JSON.
func evalJSONPath(doc any, path string) (any, bool) {
	if !strings.HasPrefix(path, "$") {
		return nil, false
	}
	cur, rest := doc, path[1:]
	for rest != "" {
		switch {
		case rest[0] == '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			key := rest[1 : end+1]
			obj, ok := cur.(map[string]any)
			if key == "" || !ok {
				return nil, false
			}
			if cur, ok = obj[key]; !ok {
				return nil, false
			}
			rest = rest[end+1:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				obj, ok := cur.(map[string]any)
				if !ok {
					return nil, false
				}
				if cur, ok = obj[inner[1:len(inner)-1]]; !ok {
					return nil, false
				}
				continue
			}
			i, err := strconv.Atoi(inner)
			arr, ok := cur.([]any)
			if err != nil || !ok || i < 0 || i >= len(arr) {
				return nil, false
			}
			cur = arr[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
