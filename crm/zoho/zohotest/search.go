package zohotest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	maxSearchRecords = 2000 // D-SEARCH7: at most 2,000 records through search, then LIMIT_REACHED
	maxCriteria      = 10   // D-SEARCH7: at most 10 criteria
	maxInValues      = 100  // D-SEARCH7: "in" supports up to 100 values
	maxNesting       = 32   // guards the parsers against pathological nesting
)

// handleSearch implements GET /crm/v8/{module}/search (D-SEARCH7). Exactly one of criteria,
// email, phone and word is used, in that order of preference.
func (s *Server) handleSearch(req *apiRequest) apiResponse {
	q := req.query
	m := s.schema[req.route.module]
	var (
		match      func(*record) bool
		isCriteria bool
	)
	invalidValue := func(param string) apiResponse {
		return errResp(http.StatusBadRequest, "INVALID_DATA",
			"the search value contains special characters or does not contain at least two characters",
			map[string]any{"param_name": param})
	}
	switch {
	case q.Has("criteria"):
		expr, err := parseCriteria(q.Get("criteria"))
		if err == nil {
			err = expr.check(m)
		}
		if err != nil {
			return criteriaError(err)
		}
		isCriteria = true
		match = func(r *record) bool { return s.evalCriteriaLocked(expr, r) }
	case q.Has("email"):
		v := q.Get("email")
		if !validSearchValue(v, "@._-+'%") {
			return invalidValue("email")
		}
		match = func(r *record) bool {
			return slices.ContainsFunc(m.fieldsOfType(typeEmail), func(f *fieldDef) bool {
				return strings.EqualFold(r.str(f.apiName), v)
			})
		}
	case q.Has("phone"):
		v := q.Get("phone") // a raw '+' has already become a space here, as at Zoho (K82)
		if !validSearchValue(v, "+-(). ") {
			return invalidValue("phone")
		}
		key := s.phoneKey(v)
		match = func(r *record) bool {
			// "All the phone fields of a particular module will be searched" (D-SEARCH7).
			return slices.ContainsFunc(m.fieldsOfType(typePhone), func(f *fieldDef) bool {
				stored := r.str(f.apiName)
				return stored != "" && s.phoneKey(stored) == key
			})
		}
	case q.Has("word"):
		v := strings.ToLower(q.Get("word"))
		if !validSearchValue(v, "@._-+'& ") {
			return invalidValue("word")
		}
		match = func(r *record) bool {
			return slices.ContainsFunc(m.fields, func(f *fieldDef) bool {
				str, _ := s.rawValueLocked(r, f).(string)
				return f.textLike() && strings.Contains(strings.ToLower(str), v)
			})
		}
	default:
		return errResp(http.StatusBadRequest, "EXPECTED_PARAM_MISSING", "mandatory param missing", nil)
	}
	page, perPage, bad := parsePaging(req, 200)
	if bad != nil {
		return *bad
	}
	if page > maxSearchRecords || (page-1)*perPage >= maxSearchRecords {
		return errResp(http.StatusBadRequest, "LIMIT_REACHED", "Maximum response iteration limit reached", nil)
	}
	converted, bad := parseConverted(req)
	if bad != nil {
		return *bad
	}
	switch q.Get("approved") {
	case "", "true", "both":
	case "false":
		return apiResponse{status: http.StatusNoContent, credits: 1} // every record here is approved
	default:
		return errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data", map[string]any{"param_name": "approved"})
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*record
	for _, r := range s.store[m.name].order {
		if converted.keep(r) && s.visibleLocked(r, false) && match(r) {
			hits = append(hits, r)
		}
	}
	slices.Reverse(hits) // sort_by id, sort_order desc (D-SEARCH7 criteria sample)
	items, more := pageOf(hits, page, perPage)
	if len(items) == 0 {
		return apiResponse{status: http.StatusNoContent, credits: 1}
	}
	fields := fieldList(q.Get("fields"))
	data := make([]any, len(items))
	for i, r := range items {
		data[i] = s.renderLocked(r, fields)
	}
	info := map[string]any{"per_page": perPage, "count": len(data), "page": page, "more_records": more}
	if isCriteria {
		info["sort_by"], info["sort_order"] = "id", "desc"
	}
	return apiResponse{status: http.StatusOK, credits: 1, body: map[string]any{"data": data, "info": info}}
}

// validSearchValue: at least two characters and no special characters (D-SEARCH7), where
// extra lists the punctuation a kind of search allows.
func validSearchValue(v, extra string) bool {
	if utf8.RuneCountInString(strings.TrimSpace(v)) < 2 {
		return false
	}
	for _, r := range v {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(extra, r) {
			return false
		}
	}
	return true
}

// phoneKey is the comparison form of a phone value under Config.PhoneMatch.
func (s *Server) phoneKey(v string) string {
	if s.cfg.PhoneMatch == PhoneMatchExact {
		return v
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return unicode.ToLower(r)
	}, v)
}

// visibleLocked applies index lag: API-created records stay invisible to search (and to COQL
// when configured) until they are IndexLag old. Get-by-id never lags.
func (s *Server) visibleLocked(r *record, coql bool) bool {
	if r.seeded || s.indexLag <= 0 || (coql && !s.lagCOQL) {
		return true
	}
	return s.now().Sub(r.createdAt) >= s.indexLag
}

// SetIndexLag changes the search index lag at run time; includeCOQL applies it to COQL too.
func (s *Server) SetIndexLag(d time.Duration, includeCOQL bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexLag, s.lagCOQL = d, includeCOQL
}

// rawValueLocked returns a field's stored value, computing the system fields.
func (s *Server) rawValueLocked(r *record, f *fieldDef) any {
	switch f.apiName {
	case "Created_Time":
		return r.createdAt
	case "Modified_Time":
		return r.modifiedAt
	case "Created_By":
		return lookupRef{id: r.createdBy}
	case "Modified_By":
		return lookupRef{id: r.modifiedBy}
	case "Full_Name":
		return strings.TrimSpace(r.str("First_Name") + " " + r.str("Last_Name"))
	case "Converted__s":
		return r.converted
	}
	return r.values[f.apiName]
}

// critNode is a parsed search criteria expression.
type critNode struct {
	op       string // "and" / "or" for branches; "" for a condition
	children []*critNode
	field    string
	cmp      string
	values   []string
}

// criteriaErr carries the details of an INVALID_QUERY answer.
type criteriaErr struct {
	reason  string
	details map[string]any
}

func (e *criteriaErr) Error() string { return "criteria: " + e.reason }

func criteriaError(err error) apiResponse {
	details := map[string]any{"reason": err.Error()}
	var ce *criteriaErr
	if errors.As(err, &ce) {
		details = map[string]any{"reason": ce.reason}
		for k, v := range ce.details {
			details[k] = v
		}
	}
	return errResp(http.StatusBadRequest, "INVALID_QUERY", "invalid query formed", details)
}

// parseCriteria parses (({api_name}:{op}:{value})and/or(...)) (D-SEARCH7). Values escape
// '(', ')', ',' and '\' with a backslash. "and" binds tighter than "or".
func parseCriteria(src string) (*critNode, error) {
	p := &critParser{src: src}
	n, err := p.orExpr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, &criteriaErr{reason: fmt.Sprintf("unexpected %q at %d", p.rest(10), p.pos)}
	}
	if c := n.count(); c > maxCriteria {
		return nil, &criteriaErr{reason: fmt.Sprintf("%d criteria; at most %d allowed", c, maxCriteria)}
	}
	return n, nil
}

type critParser struct {
	src string
	pos int
}

func (p *critParser) rest(n int) string {
	r := p.src[p.pos:]
	if len(r) > n {
		r = r[:n]
	}
	return r
}

func (p *critParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *critParser) keyword() string {
	p.skipSpace()
	for _, kw := range []string{"and", "or"} {
		if len(p.src)-p.pos >= len(kw) && strings.EqualFold(p.src[p.pos:p.pos+len(kw)], kw) {
			return kw
		}
	}
	return ""
}

func (p *critParser) chain(depth int, kw string, next func(int) (*critNode, error)) (*critNode, error) {
	first, err := next(depth)
	if err != nil {
		return nil, err
	}
	nodes := []*critNode{first}
	for p.keyword() == kw {
		p.pos += len(kw)
		right, err := next(depth)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, right)
	}
	if len(nodes) == 1 {
		return first, nil
	}
	return &critNode{op: kw, children: nodes}, nil
}

func (p *critParser) orExpr(depth int) (*critNode, error) { return p.chain(depth, "or", p.andExpr) }

func (p *critParser) andExpr(depth int) (*critNode, error) { return p.chain(depth, "and", p.primary) }

func (p *critParser) primary(depth int) (*critNode, error) {
	if depth > maxNesting {
		return nil, &criteriaErr{reason: "criteria nested too deeply"}
	}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		p.pos++
		n, err := p.orExpr(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, &criteriaErr{reason: fmt.Sprintf("missing ')' at %d", p.pos)}
		}
		p.pos++
		return &critNode{op: "group", children: []*critNode{n}}, nil
	}
	return p.condition()
}

func (p *critParser) condition() (*critNode, error) {
	start := p.pos
	field := p.until(':')
	if field == "" || p.pos >= len(p.src) {
		return nil, &criteriaErr{reason: fmt.Sprintf("expected {api_name}:{operator}:{value} at %d", start)}
	}
	p.pos++
	cmpOp := p.until(':')
	if cmpOp == "" || p.pos >= len(p.src) {
		return nil, &criteriaErr{reason: fmt.Sprintf("expected an operator at %d", start)}
	}
	p.pos++
	values, err := p.values()
	if err != nil {
		return nil, err
	}
	return &critNode{field: strings.TrimSpace(field), cmp: strings.ToLower(strings.TrimSpace(cmpOp)), values: values}, nil
}

// until reads a name up to sep, refusing structural characters.
func (p *critParser) until(sep byte) string {
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != sep {
		if strings.IndexByte("()\\", p.src[p.pos]) >= 0 {
			return ""
		}
		p.pos++
	}
	return p.src[start:p.pos]
}

// values reads a comma-separated value list up to an unescaped ')' or the end; more than
// maxInValues values are refused.
func (p *critParser) values() ([]string, error) {
	var (
		out []string
		cur strings.Builder
	)
	done := func() ([]string, error) {
		out = append(out, cur.String())
		if len(out) > maxInValues {
			return nil, &criteriaErr{reason: fmt.Sprintf("more than %d values", maxInValues)}
		}
		return out, nil
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				return nil, &criteriaErr{reason: "a trailing backslash must be doubled"}
			}
			cur.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		case ')':
			return done()
		case '(':
			return nil, &criteriaErr{reason: "unescaped '(' in a value"}
		case ',':
			out = append(out, cur.String())
			cur.Reset()
			p.pos++
			if len(out) > maxInValues {
				return nil, &criteriaErr{reason: fmt.Sprintf("more than %d values", maxInValues)}
			}
			continue
		}
		cur.WriteByte(c)
		p.pos++
	}
	return done()
}

func (n *critNode) count() int {
	if n.op == "" {
		return 1
	}
	c := 0
	for _, ch := range n.children {
		c += ch.count()
	}
	return c
}

// operators allowed per data type (D-SEARCH7 note).
var searchOperators = map[string][]string{
	typeText:        {"equals", "not_equal", "starts_with", "in"},
	typeEmail:       {"equals", "not_equal", "starts_with", "in"},
	typePhone:       {"equals", "not_equal", "starts_with", "in"},
	typeTextarea:    {"equals", "not_equal", "starts_with"},
	typePicklist:    {"equals", "not_equal", "in"},
	typeOwnerLookup: {"equals", "not_equal", "in"},
	typeLookup:      {"equals", "not_equal", "in"},
	typeBoolean:     {"equals", "not_equal"},
	typeDate:        {"equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than", "between", "in"},
	typeDateTime:    {"equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than", "between", "in"},
	typeInteger:     {"equals", "not_equal", "greater_equal", "greater_than", "less_equal", "less_than", "between", "in"},
}

// check validates fields, operators and value types against the module.
func (n *critNode) check(m *moduleDef) error {
	if n.op != "" {
		for _, c := range n.children {
			if err := c.check(m); err != nil {
				return err
			}
		}
		return nil
	}
	f, ok := m.field(n.field)
	if !ok {
		return &criteriaErr{reason: "invalid field", details: map[string]any{"api_name": n.field}}
	}
	if !slices.Contains(searchOperators[f.dataType], n.cmp) {
		return &criteriaErr{reason: "invalid operator", details: map[string]any{"api_name": n.field, "operator": n.cmp}}
	}
	switch {
	case n.cmp == "between" && len(n.values) != 2,
		n.cmp != "in" && n.cmp != "between" && len(n.values) != 1:
		return &criteriaErr{reason: "invalid value count", details: map[string]any{"api_name": n.field}}
	}
	for _, v := range n.values {
		if _, ok := parseTyped(f, v); !ok {
			return &criteriaErr{reason: "invalid value", details: map[string]any{"api_name": n.field}}
		}
	}
	return nil
}

// parseTyped converts a criteria/COQL literal to the comparison form of a field's type.
func parseTyped(f *fieldDef, v string) (any, bool) {
	switch f.dataType {
	case typeDateTime:
		t, err := time.Parse(dateTimeLayout, v)
		return t, err == nil
	case typeDate:
		_, err := time.Parse(dateLayout, v)
		return v, err == nil
	case typeInteger:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	case typeBoolean:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return v, true
}

func (s *Server) evalCriteriaLocked(n *critNode, r *record) bool {
	switch n.op {
	case "group":
		return s.evalCriteriaLocked(n.children[0], r)
	case "and":
		for _, c := range n.children {
			if !s.evalCriteriaLocked(c, r) {
				return false
			}
		}
		return true
	case "or":
		for _, c := range n.children {
			if s.evalCriteriaLocked(c, r) {
				return true
			}
		}
		return false
	}
	f, _ := s.schema[r.module].field(n.field)
	return s.compareLocked(f, s.rawValueLocked(r, f), n.cmp, n.values, true)
}

// compareLocked evaluates "stored op values". Under search semantics (contains=true) equals
// behaves like contains for text-like fields (D-SEARCH7); COQL's "=" is exact.
func (s *Server) compareLocked(f *fieldDef, stored any, op string, values []string, contains bool) bool {
	switch v := stored.(type) {
	case nil:
		return op == "not_equal"
	case string:
		norm := strings.ToLower
		if f.dataType == typePhone {
			norm = func(x string) string { return strings.ToLower(s.phoneKey(x)) }
		}
		sv := norm(v)
		if f.dataType == typeDate {
			sv = v
		}
		textual := contains && f.dataType != typePicklist && f.dataType != typeDate
		eq := func(x string) bool {
			if textual {
				return strings.Contains(sv, norm(x))
			}
			return sv == norm(x)
		}
		switch op {
		case "equals":
			return eq(values[0])
		case "not_equal":
			return !eq(values[0])
		case "starts_with":
			return strings.HasPrefix(sv, norm(values[0]))
		case "in":
			return slices.ContainsFunc(values, func(x string) bool { return sv == norm(x) })
		}
		return compareOrdered(strings.Compare(sv, values[0]), op, func(x string) int { return strings.Compare(sv, x) }, values)
	case time.Time:
		cmpTo := func(x string) int {
			t, _ := time.Parse(dateTimeLayout, x)
			return v.Compare(t)
		}
		return compareOrdered(cmpTo(values[0]), op, cmpTo, values)
	case int64:
		cmpTo := func(x string) int {
			n, _ := strconv.ParseInt(x, 10, 64)
			switch {
			case v < n:
				return -1
			case v > n:
				return 1
			}
			return 0
		}
		return compareOrdered(cmpTo(values[0]), op, cmpTo, values)
	case bool:
		b, _ := strconv.ParseBool(values[0])
		return (v == b) == (op == "equals")
	case lookupRef:
		switch op {
		case "equals":
			return v.id == values[0]
		case "not_equal":
			return v.id != values[0]
		case "in":
			return slices.Contains(values, v.id)
		}
	}
	return false
}

func compareOrdered(c int, op string, cmpTo func(string) int, values []string) bool {
	switch op {
	case "equals":
		return c == 0
	case "not_equal":
		return c != 0
	case "greater_than":
		return c > 0
	case "greater_equal":
		return c >= 0
	case "less_than":
		return c < 0
	case "less_equal":
		return c <= 0
	case "between":
		return c >= 0 && cmpTo(values[1]) <= 0
	case "in":
		return slices.ContainsFunc(values, func(x string) bool { return cmpTo(x) == 0 })
	}
	return false
}
