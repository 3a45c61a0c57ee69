package zohotest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// COQL limits (D-COQL7; D-COQLLIM7).
const (
	coqlDefaultLimit = 200
	coqlMaxLimit     = 2000
	coqlMaxTotal     = 100_000
	coqlMaxCriteria  = 25
	coqlMaxColumns   = 50
	coqlMaxInValues  = 100
)

// coqlError is a COQL failure with Zoho's code, message and details.
type coqlError struct {
	code, message string
	details       map[string]any
}

func (e *coqlError) Error() string {
	return fmt.Sprintf("coql: %s: %s %v", e.code, e.message, e.details)
}

func (e *coqlError) resp() apiResponse {
	return errResp(http.StatusBadRequest, e.code, e.message, e.details)
}

func syntaxErr(near string) *coqlError {
	return &coqlError{code: "SYNTAX_ERROR", message: "error occured while parsing the query", // sic (OAS sample)
		details: map[string]any{"near": near}}
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp
	tokLParen
	tokRParen
	tokComma
)

type token struct {
	kind tokKind
	text string // identifier, decoded string, number or operator
}

func (t token) is(word string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, word) }

// lexCOQL splits a query into tokens. Strings use single or double quotes; a quote inside is
// escaped with a backslash or doubled.
func lexCOQL(src string) ([]token, *coqlError) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{kind: tokLParen, text: "("})
			i++
		case c == ')':
			out = append(out, token{kind: tokRParen, text: ")"})
			i++
		case c == ',':
			out = append(out, token{kind: tokComma, text: ","})
			i++
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				switch {
				case src[j] == '\\' && j+1 < len(src):
					b.WriteByte(src[j+1])
					j += 2
					continue
				case src[j] == c && j+1 < len(src) && src[j+1] == c:
					b.WriteByte(c)
					j += 2
					continue
				case src[j] == c:
					closed = true
				}
				if closed {
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, syntaxErr(clip(src[i:]))
			}
			out = append(out, token{kind: tokString, text: b.String()})
			i = j + 1
		case c == '=' || c == '<' || c == '>' || c == '!':
			op := string(c)
			if i+1 < len(src) {
				switch two := src[i : i+2]; two {
				case "!=", "<=", ">=", "<>":
					op = two
				}
			}
			if op == "!" {
				return nil, syntaxErr(clip(src[i:]))
			}
			i += len(op)
			if op == "<>" {
				op = "!="
			}
			out = append(out, token{kind: tokOp, text: op})
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if src[i:j] == "-" {
				return nil, syntaxErr(clip(src[i:]))
			}
			out = append(out, token{kind: tokNumber, text: src[i:j]})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			out = append(out, token{kind: tokIdent, text: src[i:j]})
			i = j
		default:
			return nil, syntaxErr(clip(src[i:]))
		}
	}
	return append(out, token{kind: tokEOF}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '.' }

func clip(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// coqlQuery is a parsed SELECT.
type coqlQuery struct {
	columns  []string
	module   string
	where    *coqlNode
	orderBy  []orderKey
	limit    int
	limitSet bool
	offset   int
}

type orderKey struct {
	field string
	desc  bool
}

// coqlNode is a WHERE expression: a binary and/or, or one comparison.
type coqlNode struct {
	op          string // "and" / "or"; "" for a comparison
	left, right *coqlNode
	field, cmp  string // cmp: = != < > <= >= like "not like" in "not in" "is null" "is not null" between "not between"
	values      []string
}

func (n *coqlNode) count() int {
	if n.op == "" {
		return 1
	}
	return n.left.count() + n.right.count()
}

type coqlParser struct {
	toks []token
	pos  int
}

func (p *coqlParser) peek() token { return p.toks[p.pos] }

func (p *coqlParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *coqlParser) nearErr() *coqlError {
	t := p.peek()
	if t.kind == tokEOF {
		return syntaxErr("end of query")
	}
	return syntaxErr(t.text)
}

// parseCOQL parses the subset of COQL the fake supports:
//
//	select col[, col...] from Module where <expr> [order by col [asc|desc][, ...]]
//	[limit n [offset m] | limit m, n]
//
// A WHERE with more than two criteria must be parenthesised so that every and/or joins
// exactly two operands: "(A and B) and C" is valid, "A and B and C" is not (D-COQL7).
func parseCOQL(src string) (*coqlQuery, *coqlError) {
	toks, err := lexCOQL(src)
	if err != nil {
		return nil, err
	}
	p := &coqlParser{toks: toks}
	if !p.peek().is("select") {
		return nil, &coqlError{code: "SYNTAX_ERROR", message: "given coql query not supported", details: map[string]any{}}
	}
	p.next()
	q := &coqlQuery{limit: coqlDefaultLimit}
	for {
		t := p.next()
		if t.kind != tokIdent && t.kind != tokString {
			return nil, syntaxErr(t.text)
		}
		if p.peek().kind == tokLParen { // aggregate functions are not emulated
			return nil, &coqlError{code: "INVALID_QUERY", message: "unsupported column", details: map[string]any{"column_name": t.text}}
		}
		q.columns = append(q.columns, t.text)
		if p.peek().kind != tokComma {
			break
		}
		p.next()
	}
	if !p.peek().is("from") {
		if p.peek().kind == tokEOF {
			return nil, &coqlError{code: "SYNTAX_ERROR", message: "missing clause", details: map[string]any{"clause": "from"}}
		}
		return nil, p.nearErr()
	}
	p.next()
	mod := p.next()
	if mod.kind != tokIdent {
		return nil, syntaxErr(mod.text)
	}
	q.module = mod.text
	if !p.peek().is("where") {
		if p.peek().kind == tokEOF || p.peek().is("order") || p.peek().is("limit") {
			return nil, &coqlError{code: "SYNTAX_ERROR", message: "missing clause", details: map[string]any{"clause": "where"}}
		}
		return nil, p.nearErr()
	}
	p.next()
	where, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	q.where = where
	if p.peek().is("order") {
		p.next()
		if !p.next().is("by") {
			return nil, syntaxErr("order")
		}
		for {
			t := p.next()
			if t.kind != tokIdent {
				return nil, syntaxErr(t.text)
			}
			k := orderKey{field: t.text}
			if p.peek().is("asc") || p.peek().is("desc") {
				k.desc = p.next().is("desc")
			}
			q.orderBy = append(q.orderBy, k)
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
	}
	if p.peek().is("limit") {
		p.next()
		first, err := p.intValue("limit")
		if err != nil {
			return nil, err
		}
		q.limit, q.limitSet = first, true
		switch {
		case p.peek().kind == tokComma: // limit offset, count
			p.next()
			count, err := p.intValue("limit")
			if err != nil {
				return nil, err
			}
			q.offset, q.limit = first, count
		case p.peek().is("offset"):
			p.next()
			off, err := p.intValue("offset")
			if err != nil {
				return nil, err
			}
			q.offset = off
		}
	}
	if p.peek().kind != tokEOF {
		return nil, p.nearErr()
	}
	return q, nil
}

func (p *coqlParser) intValue(clause string) (int, *coqlError) {
	t := p.next()
	n, err := strconv.Atoi(t.text)
	if t.kind != tokNumber || err != nil || n < 0 {
		msg := clause + " given seems to be invalid"
		return 0, &coqlError{code: "INVALID_QUERY", message: msg, details: map[string]any{clause: t.text}}
	}
	return n, nil
}

func (p *coqlParser) expr(depth int) (*coqlNode, *coqlError) {
	left, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	kw := p.peek()
	if !kw.is("and") && !kw.is("or") {
		return left, nil
	}
	p.next()
	right, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	if p.peek().is("and") || p.peek().is("or") {
		return nil, p.nearErr() // more than two criteria at one level need brackets (D-COQL7)
	}
	return &coqlNode{op: strings.ToLower(kw.text), left: left, right: right}, nil
}

func (p *coqlParser) primary(depth int) (*coqlNode, *coqlError) {
	if depth > maxNesting {
		return nil, syntaxErr("(")
	}
	if p.peek().kind == tokLParen {
		p.next()
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.next().kind != tokRParen {
			return nil, p.nearErr()
		}
		return n, nil
	}
	return p.comparison()
}

func (p *coqlParser) value() (string, *coqlError) {
	t := p.next()
	switch t.kind {
	case tokString, tokNumber, tokIdent: // bare words appear in Zoho's own samples
		return t.text, nil
	}
	return "", syntaxErr(t.text)
}

func (p *coqlParser) comparison() (*coqlNode, *coqlError) {
	f := p.next()
	if f.kind != tokIdent && f.kind != tokString {
		return nil, syntaxErr(f.text)
	}
	n := &coqlNode{field: f.text}
	t := p.next()
	not := false
	if t.is("not") {
		not = true
		t = p.next()
	}
	prefix := ""
	if not {
		prefix = "not "
	}
	switch {
	case t.kind == tokOp && !not:
		n.cmp = t.text
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.values = []string{v}
	case t.is("like"):
		n.cmp = prefix + "like"
		v := p.next()
		if v.kind != tokString {
			return nil, syntaxErr(v.text)
		}
		n.values = []string{v.text}
	case t.is("in"):
		n.cmp = prefix + "in"
		if p.next().kind != tokLParen {
			return nil, p.nearErr()
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.values = append(n.values, v)
			if len(n.values) > coqlMaxInValues {
				return nil, &coqlError{code: "LIMIT_EXCEEDED", message: "the in clause has more values than allowed",
					details: map[string]any{"column_name": n.field, "limit": coqlMaxInValues}}
			}
			sep := p.next()
			if sep.kind == tokRParen {
				break
			}
			if sep.kind != tokComma {
				return nil, syntaxErr(sep.text)
			}
		}
	case t.is("between"):
		n.cmp = prefix + "between"
		lo, err := p.value()
		if err != nil {
			return nil, err
		}
		if !p.next().is("and") {
			return nil, p.nearErr()
		}
		hi, err := p.value()
		if err != nil {
			return nil, err
		}
		n.values = []string{lo, hi}
	case t.is("is") && !not:
		n.cmp = "is null"
		if p.peek().is("not") {
			p.next()
			n.cmp = "is not null"
		}
		if !p.next().is("null") {
			return nil, syntaxErr(t.text)
		}
	default:
		return nil, syntaxErr(t.text)
	}
	return n, nil
}

// COQL comparators per field type (D-COQL7 "Field Types and their Comparators").
var (
	coqlTextOps   = []string{"=", "!=", "like", "not like", "in", "not in", "is null", "is not null"}
	coqlLookupOps = []string{"=", "!=", "in", "not in", "is null", "is not null"}
	coqlOrderOps  = []string{"=", "!=", ">=", ">", "<=", "<", "between", "not between", "in", "not in", "is null", "is not null"}
)

func coqlOperators(t string) []string {
	switch t {
	case typeText, typeEmail, typePhone, typePicklist:
		return coqlTextOps
	case typeLookup, typeOwnerLookup:
		return coqlLookupOps
	case typeDate, typeDateTime, typeInteger:
		return coqlOrderOps
	case typeBoolean:
		return []string{"="}
	}
	return nil // textarea: multi-line fields cannot be criteria (COQL limitations)
}

// idField stands in for the record id, which every module has.
var idField = &fieldDef{apiName: "id", dataType: typeLookup}

// coqlField resolves a column for COQL; Converted__s is only visible when configured.
func (s *Server) coqlField(m *moduleDef, name string) (*fieldDef, bool) {
	if name == "id" {
		return idField, true
	}
	f, ok := m.field(name)
	if ok && f.apiName == "Converted__s" && !s.cfg.COQLIncludesConvertedLeads {
		return nil, false
	}
	return f, ok
}

func unsupportedColumn(name string) *coqlError {
	return &coqlError{code: "INVALID_QUERY", message: "unsupported column", details: map[string]any{"column_name": name}}
}

// checkCOQL validates the parsed query against the module schema.
func (s *Server) checkCOQL(q *coqlQuery, m *moduleDef, composite bool) *coqlError {
	if len(q.columns) > coqlMaxColumns {
		return &coqlError{code: "LIMIT_EXCEEDED", message: "select columns limit exceeded", details: map[string]any{"limit": coqlMaxColumns}}
	}
	seen := map[string]bool{}
	for _, c := range q.columns {
		if _, ok := s.coqlField(m, c); !ok {
			return unsupportedColumn(c)
		}
		if seen[c] {
			return &coqlError{code: "DUPLICATE_DATA", message: "duplicate column found", details: map[string]any{"column_name": c}}
		}
		seen[c] = true
	}
	if q.where.count() > coqlMaxCriteria {
		return &coqlError{code: "LIMIT_EXCEEDED", message: "criteria limit exceeded", details: map[string]any{"limit": coqlMaxCriteria}}
	}
	if err := s.checkCOQLNode(q.where, m); err != nil {
		return err
	}
	for _, k := range q.orderBy {
		if _, ok := s.coqlField(m, k.field); !ok {
			return unsupportedColumn(k.field)
		}
	}
	maxLimit := coqlMaxLimit
	if composite {
		maxLimit = compositeReadCap
		if !q.limitSet {
			q.limit = compositeReadCap
		}
	}
	switch {
	case q.limit == 0:
		return &coqlError{code: "INVALID_QUERY", message: "limit given seems to be invalid", details: map[string]any{"limit": "0"}}
	case q.limit > maxLimit:
		return &coqlError{code: "LIMIT_EXCEEDED", message: "limit exceeded", details: map[string]any{"limit": maxLimit}}
	case q.offset+q.limit > coqlMaxTotal:
		return &coqlError{code: "LIMIT_EXCEEDED", message: "Max records limit exceeded", details: map[string]any{"limit": coqlMaxTotal}}
	}
	return nil
}

func (s *Server) checkCOQLNode(n *coqlNode, m *moduleDef) *coqlError {
	if n.op != "" {
		if err := s.checkCOQLNode(n.left, m); err != nil {
			return err
		}
		return s.checkCOQLNode(n.right, m)
	}
	f, ok := s.coqlField(m, n.field)
	if !ok {
		return unsupportedColumn(n.field)
	}
	if !slices.Contains(coqlOperators(f.dataType), n.cmp) {
		return &coqlError{code: "INVALID_QUERY", message: "Invalid query formed",
			details: map[string]any{"reason": "invalid operator found", "column_name": n.field, "operator": n.cmp}}
	}
	if n.cmp == "not like" && (!strings.HasPrefix(n.values[0], "%") || !strings.HasSuffix(n.values[0], "%") || len(n.values[0]) < 2) {
		return &coqlError{code: "INVALID_QUERY", message: "Invalid query formed",
			details: map[string]any{"reason": "not like supports only '%value%'", "column_name": n.field, "operator": n.cmp}}
	}
	for _, v := range n.values {
		ok := true
		if f == idField || f.dataType == typeLookup || f.dataType == typeOwnerLookup {
			ok = idPattern.MatchString(v)
		} else if n.cmp != "like" && n.cmp != "not like" {
			_, ok = parseTyped(f, v)
		}
		if !ok {
			return &coqlError{code: "INVALID_QUERY", message: "Invalid query formed",
				details: map[string]any{"reason": "invalid value", "column_name": n.field, "value": v}}
		}
	}
	return nil
}

// handleCOQL implements POST /crm/v8/coql (D-COQL7; OAS v8 executeCOQLQuery).
func (s *Server) handleCOQL(req *apiRequest) apiResponse {
	obj, err := decodeObject(req.body)
	if err != nil {
		return badBody()
	}
	query, ok := obj["select_query"].(string)
	if !ok || strings.TrimSpace(query) == "" {
		return errResp(http.StatusBadRequest, "MANDATORY_NOT_FOUND", "mandatory key not found",
			map[string]any{"api_name": "select_query"})
	}
	includeFields := false
	if meta, present := obj["include_meta"]; present {
		list, ok := meta.([]any)
		if !ok || len(list) != 1 || list[0] != "fields" {
			return errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data",
				map[string]any{"api_name": "include_meta", "json_path": "$.include_meta", "supported_values": []string{"fields"}})
		}
		includeFields = true
	}
	q, qerr := parseCOQL(query)
	if qerr != nil {
		return qerr.resp()
	}
	name, known := canonicalModule(q.module, s.schema)
	if !known {
		return errResp(http.StatusBadRequest, "INVALID_MODULE", "the given module is not supported in api", nil)
	}
	if !hasScopes(req.token.scopes, moduleScopes(name, "read")) ||
		(includeFields && !hasScopes(req.token.scopes, fieldsScopes)) {
		return *scopeMismatch()
	}
	m := s.schema[name]
	if qerr := s.checkCOQL(q, m, req.composite); qerr != nil {
		return qerr.resp()
	}
	credits := 1 // COQL pricing by LIMIT (D-LIMVS via Vertical Solutions; unconfirmed for CRM)
	switch {
	case q.limit > 1000:
		credits = 3
	case q.limit > 200:
		credits = 2
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*record
	for _, r := range s.store[name].order {
		if r.converted && !s.cfg.COQLIncludesConvertedLeads {
			continue
		}
		if s.visibleLocked(r, true) && s.evalCOQLLocked(q.where, m, r) {
			hits = append(hits, r)
		}
	}
	if len(q.orderBy) > 0 {
		slices.SortStableFunc(hits, func(a, b *record) int {
			for _, k := range q.orderBy {
				f, _ := s.coqlField(m, k.field)
				c := compareAny(s.coqlRawLocked(a, f), s.coqlRawLocked(b, f))
				if k.desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	if q.offset >= len(hits) {
		return apiResponse{status: http.StatusNoContent, credits: credits}
	}
	end := min(q.offset+q.limit, len(hits))
	rows := make([]any, 0, end-q.offset)
	for _, r := range hits[q.offset:end] {
		row := map[string]any{"id": r.id}
		for _, c := range q.columns {
			f, _ := s.coqlField(m, c)
			row[c] = s.coqlValueLocked(r, f)
		}
		rows = append(rows, row)
	}
	body := map[string]any{"data": rows, "info": map[string]any{"count": len(rows), "more_records": end < len(hits)}}
	if includeFields {
		meta := map[string]any{}
		for _, c := range q.columns {
			if f, _ := s.coqlField(m, c); f != idField {
				meta[c] = fieldMeta(f, s.schema)
			}
		}
		body["fields"] = meta
	}
	return apiResponse{status: http.StatusOK, credits: credits, body: body}
}

func (s *Server) coqlRawLocked(r *record, f *fieldDef) any {
	if f == idField {
		return lookupRef{id: r.id}
	}
	return s.rawValueLocked(r, f)
}

// coqlValueLocked renders a selected column. From v7 lookups carry a display name (the
// user's last name for user lookups); multi-module lookups (What_Id) carry only the id.
func (s *Server) coqlValueLocked(r *record, f *fieldDef) any {
	if f == idField {
		return r.id
	}
	v := s.fieldValueLocked(r, f)
	ref, isRef := s.rawValueLocked(r, f).(lookupRef)
	switch {
	case !isRef:
		return v
	case f.multiModule:
		return map[string]any{"id": ref.id}
	case f.dataType == typeOwnerLookup:
		name := any(nil)
		if u := s.userLocked(ref.id); u != nil {
			name = u.LastName
		}
		return map[string]any{"name": name, "id": ref.id}
	}
	return v
}

func (s *Server) evalCOQLLocked(n *coqlNode, m *moduleDef, r *record) bool {
	switch n.op {
	case "and":
		return s.evalCOQLLocked(n.left, m, r) && s.evalCOQLLocked(n.right, m, r)
	case "or":
		return s.evalCOQLLocked(n.left, m, r) || s.evalCOQLLocked(n.right, m, r)
	}
	f, _ := s.coqlField(m, n.field)
	v := s.coqlRawLocked(r, f)
	switch n.cmp {
	case "is null":
		return v == nil
	case "is not null":
		return v != nil
	}
	if v == nil {
		return false // SQL-like: a comparison with an empty field is never true
	}
	switch n.cmp {
	case "like", "not like":
		str, _ := v.(string)
		return likeMatch(strings.ToLower(str), strings.ToLower(n.values[0])) == (n.cmp == "like")
	case "in", "not in":
		in := slices.ContainsFunc(n.values, func(x string) bool { return coqlEqual(f, v, x) })
		return in == (n.cmp == "in")
	case "=":
		return coqlEqual(f, v, n.values[0])
	case "!=":
		return !coqlEqual(f, v, n.values[0])
	case "between", "not between":
		lo, _ := parseTyped(f, n.values[0])
		hi, _ := parseTyped(f, n.values[1])
		in := compareAny(v, lo) >= 0 && compareAny(v, hi) <= 0
		return in == (n.cmp == "between")
	}
	want, _ := parseTyped(f, n.values[0])
	c := compareAny(v, want)
	switch n.cmp {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return false
}

// coqlEqual is COQL "=": an exact comparison with no phone normalisation (zoho-api.md §11),
// ignoring letter case.
func coqlEqual(f *fieldDef, v any, lit string) bool {
	if ref, ok := v.(lookupRef); ok {
		return ref.id == lit
	}
	want, ok := parseTyped(f, lit)
	if !ok {
		return false
	}
	if vs, ok := v.(string); ok {
		ws, _ := want.(string)
		return strings.EqualFold(vs, ws)
	}
	return compareAny(v, want) == 0
}

// compareAny orders two stored values of the same kind; nil sorts first.
func compareAny(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	case int64:
		y, _ := b.(int64)
		return cmpInt(x, y)
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case lookupRef:
		y, _ := b.(lookupRef)
		return strings.Compare(x.id, y.id)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// likeMatch implements LIKE with '%' wildcards only.
func likeMatch(s, pattern string) bool {
	parts := strings.Split(pattern, "%")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}
