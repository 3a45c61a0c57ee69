package zoho

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/phone"
)

// Search limits (zoho-api.md §3, §10).
const (
	searchMaxCriteria = 10  // conditions per criteria expression
	searchMaxInValues = 100 // values of one "in" condition
	searchPerPage     = 200 // rows per plain search: the maximum
	searchSubPerPage  = 25  // rows a search sub-request of a composite returns at most
)

// FindByPhone returns every Lead (converted ones excluded) and Contact whose phone fields hold
// one of variants, each record once. All variants are searched in every phone field of both
// modules, so two records stored in different formats are both found (DESIGN.md §10).
//
// A lookup is the union of two halves, because neither alone is safe (zoho-api.md §3, §11):
//   - COQL '=' on every (phone field, variant) pair: reads without index lag, so it finds a
//     record created a moment ago, but compares strings exactly;
//   - a criteria search per module, (Phone:in:v1,v2,...)or(Mobile:in:...)...: finds values a
//     person typed with spaces or dashes if Zoho's search ignores them (undocumented; the
//     fake does), but its index may lag behind recent writes.
//
// Both halves of both modules go in one composite request when the composite API is allowed
// (1 request, 1 credit), else one request each (4). Search rows are kept only when one of
// their phone values is the caller's number (see phoneMatcher), because Zoho's criteria
// "equals" behaves like "contains". When Zoho refuses a half (a missing scope) the other half
// answers alone and the refused one is not tried for DefaultFallbackCooldown; when it refuses
// the criteria form, ?phone= searches replace it (one per variant and module). No variants,
// or no match, give an empty slice; more than 16 variants, or one that is not an optional '+'
// and 2 to 20 digits, give CodeInvalid (Zoho refuses search values under 2 characters).
//
// Lookups that found records are cached for Config.PhoneCacheTTL (see the package doc).
func (c *CRM) FindByPhone(ctx context.Context, variants []string) ([]crm.Record, error) {
	const op = "zoho: find by phone"
	vs, err := cleanVariants(op, variants)
	if err != nil || len(vs) == 0 {
		return []crm.Record{}, err
	}
	if recs, ok := c.phones.get(vs, c.cfg.Now()); ok {
		return recs, nil
	}
	ticket := c.phones.begin(vs)
	recs, err := c.lookupPhone(ctx, op, vs)
	c.phones.finish(ticket, recs, err, c.cfg.Now())
	if err != nil {
		return nil, err
	}
	c.cfg.Logger.Debug("zoho: lookup by phone", "number", phone.Mask(vs[0]), "variants", len(vs), "matches", len(recs))
	return recs, nil
}

// cleanVariants checks and de-duplicates the variants, keeping their order.
func cleanVariants(op string, variants []string) ([]string, error) {
	if len(variants) > maxVariants {
		return nil, invalid(op, "variants", "%d variants, at most %d", len(variants), maxVariants)
	}
	out := make([]string, 0, len(variants))
	for i, v := range variants {
		digits := strings.TrimPrefix(v, "+")
		ok := len(digits) >= minVariantDigits && len(digits) <= maxVariantDigits
		for j := 0; ok && j < len(digits); j++ {
			ok = digits[j] >= '0' && digits[j] <= '9'
		}
		if !ok {
			return nil, invalid(op, "variants", "variant %d is not a phone number (want an optional + and %d to %d digits)",
				i, minVariantDigits, maxVariantDigits)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// distinct keeps the first record of each module and ID.
func distinct(recs []crm.Record) []crm.Record {
	seen := make(map[string]bool, len(recs))
	out := make([]crm.Record, 0, len(recs))
	for _, r := range recs {
		k := string(r.Module) + "/" + r.ID
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// lookupHalf is one of the two ways a lookup reads Zoho.
type lookupHalf uint8

const (
	halfCOQL   lookupHalf = iota // COQL '=': exact, fresh
	halfSearch                   // search on phone fields: tolerant of formatting, indexed
)

// lookupPart is what one or more reads cover: a half in one module. A part is done when
// all its reads have answered, or when its half was given up.
type lookupPart struct {
	half   lookupHalf
	module crm.Module
}

// phoneRead is one request of a phone lookup.
type phoneRead struct {
	part   lookupPart
	phones []string   // the module's phone fields, read back from the rows
	query  string     // halfCOQL: the query without LIMIT
	params url.Values // halfSearch: the search parameters without per_page
}

// readResult is the answer to one read: its rows, or the error of that read alone.
type readResult struct {
	rows []map[string]json.RawMessage
	err  error
}

// lookupModules are the modules a phone lookup reads, in the order records are returned.
var lookupModules = []crm.Module{crm.ModuleLeads, crm.ModuleContacts}

// maxLookupRounds bounds the rounds of one lookup: the first, one per unknown COQL column
// (LC_Sync_Key, Converted__s) and one for the ?phone= searches after a refused criteria.
const maxLookupRounds = 4

// lookupPhone runs the reads of a lookup and returns the union of their records. A round
// sends the reads of every part not done yet; what Zoho refuses is learnt (a column dropped,
// a half given up or replaced) and the parts concerned are read again in the next round, so a
// lookup never reports a part it did not read. Errors other than refusals fail the lookup:
// half an answer could make the decision table create a duplicate Lead.
func (c *CRM) lookupPhone(ctx context.Context, op string, vs []string) ([]crm.Record, error) {
	match := newPhoneMatcher(vs)
	found := make(map[lookupPart][]crm.Record)
	tried := make(map[lookupPart]bool)
	done := make(map[lookupPart]bool)
	answered := false
	var refusal error
	for range maxLookupRounds {
		reads := c.phoneReads(vs, done)
		if len(reads) == 0 {
			break
		}
		results, err := c.runReads(ctx, op, reads)
		if err != nil {
			return nil, err
		}
		failed := make(map[lookupPart]phoneRead)
		errs := make(map[lookupPart]error)
		recs := make(map[lookupPart][]crm.Record)
		for i, res := range results {
			p := reads[i].part
			if res.err != nil {
				if errs[p] == nil {
					failed[p], errs[p] = reads[i], res.err
				}
				continue
			}
			rs := c.rowsToRecords(p.module, reads[i].phones, res.rows)
			if p.half == halfSearch {
				rs = slices.DeleteFunc(rs, func(r crm.Record) bool { return !slices.ContainsFunc(r.Phones, match.is) })
			}
			recs[p] = append(recs[p], rs...)
		}
		for _, p := range partsOf(reads) {
			tried[p] = true
			err := errs[p]
			if err == nil {
				done[p], found[p], answered = true, recs[p], true
				continue
			}
			if done[p] {
				continue // its half was given up for the other module
			}
			switch c.learnRefusal(failed[p], err) {
			case refusalRetry:
			case refusalGiveUp:
				for _, m := range lookupModules {
					done[lookupPart{p.half, m}] = true
				}
				refusal = err
			default:
				return nil, err
			}
		}
	}
	for p := range tried {
		if !done[p] {
			return nil, unavailable(op, fmt.Errorf("zoho: the lookup did not settle in %d rounds", maxLookupRounds))
		}
	}
	if !answered {
		if refusal == nil {
			refusal = unavailable(op, errors.New("zoho: the lookup read nothing"))
		}
		return nil, refusal // Zoho refused every half
	}
	var out []crm.Record
	for _, m := range lookupModules {
		for _, h := range []lookupHalf{halfCOQL, halfSearch} {
			out = append(out, found[lookupPart{h, m}]...)
		}
	}
	return distinct(out), nil
}

// partsOf returns the parts reads cover, once each, in order.
func partsOf(reads []phoneRead) []lookupPart {
	var out []lookupPart
	for _, r := range reads {
		if !slices.Contains(out, r.part) {
			out = append(out, r.part)
		}
	}
	return out
}

// refusalAction is what a lookup does after a part's read failed.
type refusalAction int

const (
	refusalFail   refusalAction = iota // a real failure: the lookup fails
	refusalRetry                       // learnt something: read the part again
	refusalGiveUp                      // Zoho refuses the half: the other half answers alone
)

// learnRefusal classifies the failure of read and remembers what Zoho refused.
func (c *CRM) learnRefusal(read phoneRead, err error) refusalAction {
	if read.part.half == halfCOQL {
		switch col := unknownColumn(err); {
		case strings.EqualFold(col, SyncKeyFieldName) && c.syncKeyReadable(crm.ModuleLeads):
			c.markSyncKey(crm.ModuleLeads, syncKeyMissing, err)
			return refusalRetry
		case strings.EqualFold(col, convertedField) && !c.noConvertedColumn.Load():
			// COQL without the column: Zoho's COQL then shows no converted Leads, or
			// rowsToRecords drops those that carry $converted.
			c.noConvertedColumn.Store(true)
			c.cfg.Logger.Info("zoho: COQL does not know Converted__s; querying Leads without it")
			return refusalRetry
		}
		if isRefusal(err) {
			c.switchOff(&c.coqlOffUntil, "coql", err)
			return refusalGiveUp
		}
		return refusalFail
	}
	var ae *APIError
	scope := errors.As(err, &ae) && ae.Code == "OAUTH_SCOPE_MISMATCH"
	if !scope && criteriaRefused(err) && read.params.Has("criteria") {
		if c.usable(&c.criteriaOffUntil) {
			c.switchOff(&c.criteriaOffUntil, "criteria search on phone fields", err)
		}
		return refusalRetry
	}
	if scope || isRefusal(err) || criteriaRefused(err) {
		c.switchOff(&c.searchOffUntil, "search (numbers typed with spaces or dashes are not found)", err)
		return refusalGiveUp
	}
	return refusalFail
}

// criteriaRefused reports whether Zoho refused the form of a search (an operator or value it
// does not take on phone fields), so that another form may still work.
func criteriaRefused(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case "INVALID_QUERY", "SYNTAX_ERROR", "INVALID_DATA", "NOT_SUPPORTED", "LIMIT_EXCEEDED", "FEATURE_NOT_SUPPORTED":
		return true
	}
	return false
}

// phoneReads builds the reads of the parts not done yet: the COQL queries and the searches of
// each module, for the halves Zoho has not refused. When it has refused both, both are tried
// again rather than nothing.
func (c *CRM) phoneReads(vs []string, done map[lookupPart]bool) []phoneRead {
	coqlOn, searchOn := c.usable(&c.coqlOffUntil), c.usable(&c.searchOffUntil)
	if !coqlOn && !searchOn {
		coqlOn, searchOn = true, true
	}
	var reads []phoneRead
	for _, m := range lookupModules {
		if p := (lookupPart{halfCOQL, m}); coqlOn && !done[p] {
			for _, q := range c.phoneQueries(m, vs) {
				reads = append(reads, phoneRead{part: p, phones: q.phones, query: q.query})
			}
		}
		if p := (lookupPart{halfSearch, m}); searchOn && !done[p] {
			reads = append(reads, c.searchReads(m, vs)...)
		}
	}
	return reads
}

// searchReads builds the searches of module: criteria with one "in" condition per phone
// field holding every variant, at most searchMaxCriteria conditions per search, nested in
// pairs as COQL needs (((a)or(b))or(c)), so the form is valid whether Zoho allows flat chains
// or not. After Zoho refused the criteria form: one ?phone= search per variant, which covers
// every phone field. Leads exclude converted ones (converted=false, the default anyway).
func (c *CRM) searchReads(m crm.Module, vs []string) []phoneRead {
	p := lookupPart{halfSearch, m}
	phones := c.phoneFields(m)
	var reads []phoneRead
	add := func(q url.Values) {
		if m == crm.ModuleLeads {
			q.Set("converted", "false")
		}
		reads = append(reads, phoneRead{part: p, phones: phones, params: q})
	}
	if !c.usable(&c.criteriaOffUntil) {
		for _, v := range vs {
			add(url.Values{"phone": {v}})
		}
		return reads
	}
	// Variants are an optional '+' and digits, which criteria need not escape.
	values := strings.Join(vs[:min(len(vs), searchMaxInValues)], ",")
	conds := make([]string, len(phones))
	for i, f := range phones {
		conds[i] = fmt.Sprintf("(%s:in:%s)", f, values)
	}
	for chunk := range slices.Chunk(conds, searchMaxCriteria) {
		expr := chunk[0]
		for _, cond := range chunk[1:] {
			expr = "(" + expr + "or" + cond + ")"
		}
		add(url.Values{"criteria": {expr}})
	}
	return reads
}

// runReads sends reads in as few composite requests as allowed (5 sub-requests each), else
// one plain request per read, and returns one result per read. The error is for the lookup as
// a whole: a composite request that failed, or a plain read that failed in a way no fallback
// helps with (later reads are then not sent). Refusals come back in the read's result.
func (c *CRM) runReads(ctx context.Context, op string, reads []phoneRead) ([]readResult, error) {
	out := make([]readResult, len(reads))
	next := 0
	for len(reads)-next > 1 && c.compositeAllowed() {
		chunk := reads[next:min(next+compositeMaxSubs, len(reads))]
		subs := make([]subRequest, len(chunk))
		for i, r := range chunk {
			subs[i] = r.subRequest(next + i)
		}
		parts, err := c.composite(ctx, op, subs)
		if errors.Is(err, errCompositeRefused) {
			break
		}
		if err != nil {
			return nil, err
		}
		for i, p := range parts {
			out[next+i] = readAnswer(op, p.resp, p.err)
		}
		next += len(chunk)
	}
	for ; next < len(reads); next++ {
		resp, err := c.do(ctx, reads[next].plainRequest(op))
		res := readAnswer(op, resp, err)
		if res.err != nil && !isRefusal(res.err) && !criteriaRefused(res.err) {
			return nil, res.err
		}
		out[next] = res
	}
	return out, nil
}

// readAnswer decodes the rows of a COQL or search response.
func readAnswer(op string, resp *apiResponse, err error) readResult {
	if err != nil {
		return readResult{err: err}
	}
	rows, err := decodeRows(resp.status, resp.body)
	if err != nil {
		return readResult{err: malformed(op, resp.status, err)}
	}
	return readResult{rows: rows}
}

// subRequest is the read as sub-request i of a composite request.
func (r phoneRead) subRequest(i int) subRequest {
	id := "r" + strconv.Itoa(i+1)
	if r.part.half == halfCOQL {
		return subRequest{ID: id, Method: "POST", URI: "/crm/" + apiVersion + "/coql",
			Body: map[string]any{"select_query": coqlQuery{query: r.query}.withLimit(coqlSubLimit)}}
	}
	// Parameter values go as they are: a composite sub-request is JSON, not a query string.
	params := map[string]string{"per_page": strconv.Itoa(searchSubPerPage)}
	for k := range r.params {
		params[k] = r.params.Get(k)
	}
	return subRequest{ID: id, Method: "GET", URI: "/crm/" + apiVersion + "/" + string(r.part.module) + "/search", Params: params}
}

// plainRequest is the read as a request of its own.
func (r phoneRead) plainRequest(op string) *apiRequest {
	if r.part.half == halfCOQL {
		body, _ := json.Marshal(map[string]string{"select_query": coqlQuery{query: r.query}.withLimit(coqlLimit)})
		return &apiRequest{op: op, method: "POST", path: "/coql", body: body, credits: coqlCredits(coqlLimit)}
	}
	q := url.Values{"per_page": {strconv.Itoa(searchPerPage)}}
	for k, v := range r.params {
		q[k] = v
	}
	return &apiRequest{op: op, method: "GET", path: "/" + string(r.part.module) + "/search", query: q}
}

// phoneMatcher decides whether a stored phone value is the caller's number. Search rows need
// it: criteria "equals" behaves like "contains", and how search treats formatting is
// undocumented, so a row counts only when one of its phone values, stripped of everything but
// digits and '+', is one of the variants, or reads as the variants' E.164 number in its region
// ("0091 98200 11111", "+91 (0)98200 11111").
type phoneMatcher struct {
	variants     []string
	e164, region string
}

func newPhoneMatcher(vs []string) phoneMatcher {
	m := phoneMatcher{variants: vs}
	for _, v := range vs {
		if n, err := phone.Normalize(v, ""); err == nil && n.E164 == v {
			m.e164, m.region = n.E164, n.Region
			break
		}
	}
	return m
}

// maxStoredPhone bounds the stored values parsed as numbers; longer ones are not phone numbers.
const maxStoredPhone = 64

func (m phoneMatcher) is(stored string) bool {
	if slices.Contains(m.variants, phoneDigits(stored)) {
		return true
	}
	if m.e164 == "" || len(stored) > maxStoredPhone || !phone.ValidRegion(m.region) {
		return false
	}
	n, err := phone.Normalize(stored, m.region)
	return err == nil && n.E164 == m.e164
}

// phoneDigits keeps the ASCII digits and '+' signs of s.
func phoneDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, s)
}
