package zoho

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/leadcall/leadcall/crm"
)

// Default phone fields, used until field metadata names the module's phone-type fields
// (zoho-api.md §3 and §7: PY field.py Leads and Contacts). Leads' Fax is left out: whether it
// is phone-typed is unconfirmed, and a caller's number is not a fax number.
var defaultPhoneFields = map[crm.Module][]string{
	crm.ModuleLeads:    {"Phone", "Mobile"},
	crm.ModuleContacts: {"Phone", "Mobile", "Home_Phone", "Other_Phone", "Asst_Phone"},
}

// COQL limits (zoho-api.md §11; D-COMP7 for composite).
const (
	coqlMaxCriteria  = 25  // per WHERE clause
	coqlMaxColumns   = 50  // per SELECT
	coqlLimit        = 200 // rows per plain query: 1 credit
	coqlSubLimit     = 25  // rows a COQL sub-request of a composite returns at most
	compositeMaxSubs = 5
)

// coqlQuery is one COQL lookup over a module.
type coqlQuery struct {
	module crm.Module
	phones []string // the module's phone fields the query reads
	query  string   // without LIMIT
}

func (q coqlQuery) withLimit(n int) string { return fmt.Sprintf("%s limit %d", q.query, n) }

// convertedField is the Leads field that marks a converted Lead.
const convertedField = "Converted__s"

// unknownColumn returns the column an INVALID_QUERY error names, or "".
func unknownColumn(err error) string {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != "INVALID_QUERY" {
		return ""
	}
	return detailString(ae.Details, "column_name")
}

// phoneQueries builds the COQL queries that cover every (phone field, variant) pair of module
// with '=' criteria joined by OR, fully parenthesized, at most coqlMaxCriteria per query
// (zoho-api.md §11). Leads exclude converted ones (Converted__s = false). Equality, not 'in':
// the operators COQL allows on phone fields are unconfirmed, and '=' is the one in use.
func (c *CRM) phoneQueries(m crm.Module, vs []string) []coqlQuery {
	phones := c.phoneFields(m)
	cols := []string{"id", "Full_Name", "First_Name", "Last_Name", "Owner"}
	if m == crm.ModuleLeads && c.syncKeyReadable(m) {
		cols = append(cols, SyncKeyFieldName)
	}
	cols = append(cols, phones[:min(len(phones), coqlMaxColumns-len(cols))]...)
	perQuery := coqlMaxCriteria
	if m == crm.ModuleLeads {
		perQuery-- // room for the Converted__s criterion
	}
	var criteria []string
	for _, f := range phones {
		for _, v := range vs {
			criteria = append(criteria, fmt.Sprintf("%s = %s", f, coqlString(v)))
		}
	}
	var out []coqlQuery
	for chunk := range slices.Chunk(criteria, perQuery) {
		where := nest(chunk, "or")
		if m == crm.ModuleLeads && !c.noConvertedColumn.Load() {
			where = nest([]string{convertedField + " = false", where}, "and")
		}
		out = append(out, coqlQuery{
			module: m,
			phones: phones,
			query:  fmt.Sprintf("select %s from %s where %s", strings.Join(cols, ", "), m, where),
		})
	}
	return out
}

// nest joins criteria with op, parenthesizing every pair, as COQL requires for more than two
// criteria: ((a or b) or c).
func nest(criteria []string, op string) string {
	if len(criteria) == 1 {
		return criteria[0]
	}
	expr := "(" + criteria[0] + " " + op + " " + criteria[1] + ")"
	for _, c := range criteria[2:] {
		expr = "(" + expr + " " + op + " " + c + ")"
	}
	return expr
}

// coqlString quotes a COQL string literal. Inputs are checked before (digits, '+', key
// characters), so this is belt and braces.
func coqlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// coql runs one query: POST /crm/v8/coql {"select_query": ...}.
func (c *CRM) coql(ctx context.Context, op, query string, credits int) ([]map[string]json.RawMessage, error) {
	body, err := marshal(op, map[string]string{"select_query": query})
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &apiRequest{op: op, method: "POST", path: "/coql", body: body, credits: credits})
	if err != nil {
		return nil, err
	}
	rows, err := decodeRows(resp.status, resp.body)
	if err != nil {
		return nil, malformed(op, resp.status, err)
	}
	return rows, nil
}

// decodeRows decodes a COQL or search response, {"data":[{...}],"info":{...}}. No match is
// HTTP 204 with an empty body (zoho-api.md §3; OAS coql.json 204); an empty data array is
// accepted too. Rows that are not objects are an error; it never panics.
func decodeRows(status int, body []byte) ([]map[string]json.RawMessage, error) {
	if status == 204 || len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var resp struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("records: %s", describeBody(body))
	}
	return resp.Data, nil
}

// rowsToRecords maps COQL or search rows to records, dropping rows without an ID and converted
// Leads.
func (c *CRM) rowsToRecords(m crm.Module, phoneFields []string, rows []map[string]json.RawMessage) []crm.Record {
	out := make([]crm.Record, 0, len(rows))
	for _, row := range rows {
		id := rawID(row["id"])
		if id == "" || !validID(id) {
			continue
		}
		if m == crm.ModuleLeads && (rawBool(row[convertedField]) || rawBool(row["$converted"])) {
			continue
		}
		r := crm.Record{Module: m, ID: id, OwnerID: rawID(row["Owner"])}
		r.Name = cmp.Or(rawString(row["Full_Name"]),
			strings.TrimSpace(rawString(row["First_Name"])+" "+rawString(row["Last_Name"])))
		if m == crm.ModuleLeads {
			r.SyncKey = rawString(row[SyncKeyFieldName])
		}
		for _, f := range phoneFields {
			if v := rawString(row[f]); v != "" {
				r.Phones = append(r.Phones, v)
			}
		}
		out = append(out, r)
	}
	return out
}

// rawString reads a JSON string; anything else is "".
func rawString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// rawID reads an ID given as a string, a number or an object {"id": ...} (lookups, Owner).
func rawID(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		return rawString(raw)
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		if inner := bytes.TrimSpace(obj["id"]); len(inner) > 0 && inner[0] != '{' {
			return rawID(inner)
		}
		return ""
	default:
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return ""
		}
		return n.String()
	}
}

func rawBool(raw json.RawMessage) bool {
	var b bool
	return json.Unmarshal(raw, &b) == nil && b
}

// phoneFields returns the module's phone-type fields from cached field metadata, or the
// standard ones.
func (c *CRM) phoneFields(m crm.Module) []string {
	var out []string
	for _, f := range c.cachedFields(m) {
		if f.DataType == "phone" && apiNameRE.MatchString(f.APIName) {
			out = append(out, f.APIName)
		}
	}
	if len(out) == 0 {
		return defaultPhoneFields[m]
	}
	return out
}

// isRefusal reports whether Zoho refused a feature itself (a missing scope, an unsupported API
// or query form) rather than failing this one request, so a fallback is worth using.
func isRefusal(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case "OAUTH_SCOPE_MISMATCH", "API_NOT_SUPPORTED", "NOT_SUPPORTED", "INVALID_URL_PATTERN",
		"INVALID_REQUEST_METHOD", "INVALID_QUERY", "SYNTAX_ERROR", "FEATURE_NOT_SUPPORTED",
		"FEATURE_NOT_ENABLED", "LIMIT_EXCEEDED", "INVALID_MODULE":
		return true
	}
	return ae.HTTPStatus == 404
}

// FindBySyncKey returns the ID of the Lead, Call or Task whose LC_Sync_Key equals key, or ""
// when there is none. It asks with COQL (no index lag; falling back to a criteria search when
// COQL is refused) and remembers hits for Config.SyncKeyCacheTTL: a record, once created with
// a key, keeps it, and leadcall never deletes records. A record deleted in Zoho meanwhile is
// still reported until the entry expires, which only stops leadcall from re-creating what a
// person deleted. Misses are never remembered.
//
// In a module without an LC_Sync_Key field nothing can be found by key: it returns "" and a
// nil error, and the Engine falls back to its grace period (see the package doc).
func (c *CRM) FindBySyncKey(ctx context.Context, module crm.Module, key string) (string, error) {
	const op = "zoho: find by sync key"
	switch module {
	case crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks:
	default:
		return "", invalid(op, "module", "module %q has no sync key (want Leads, Calls or Tasks)", truncate(string(module), 40))
	}
	if key == "" || !validSyncKey(key) {
		return "", invalid(op, "key", "a sync key is 1 to %d letters, digits and _:.-", maxSyncKeyLen)
	}
	return c.findBySyncKey(ctx, op, module, key)
}

func (c *CRM) findBySyncKey(ctx context.Context, op string, module crm.Module, key string) (string, error) {
	if id, ok := c.keyCache.get(string(module)+"\x00"+key, c.cfg.Now()); ok {
		return id, nil
	}
	if !c.syncKeyReadable(module) {
		return "", nil
	}
	query := fmt.Sprintf("select id, %s from %s where %s = %s limit 2", SyncKeyFieldName, module, SyncKeyFieldName, coqlString(key))
	var rows []map[string]json.RawMessage
	var err error
	if c.usable(&c.coqlOffUntil) {
		rows, err = c.coql(ctx, op, query, coqlCredits(2))
		if isRefusal(err) && !isUnknownColumn(err) {
			c.switchOff(&c.coqlOffUntil, "coql", err)
			rows, err = c.searchKey(ctx, op, module, key)
		}
	} else {
		rows, err = c.searchKey(ctx, op, module, key)
	}
	if isUnknownColumn(err) {
		c.markSyncKey(module, syncKeyMissing, err)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var ids []string
	for _, row := range rows {
		// Criteria "equals" behaves like "contains" (zoho-api.md §3): compare exactly.
		if id := rawID(row["id"]); id != "" && validID(id) && rawString(row[SyncKeyFieldName]) == key {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return "", nil
	}
	if len(ids) > 1 {
		c.cfg.Logger.Warn("zoho: several records hold one sync key; is LC_Sync_Key unique?", "module", module)
	}
	// Zoho IDs grow with time: the smallest is the oldest record.
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })
	c.rememberKey(module, key, ids[0])
	return ids[0], nil
}

// searchKey finds a sync key with GET /{module}/search?criteria=(LC_Sync_Key:equals:key).
// Keys hold no characters that criteria must escape.
func (c *CRM) searchKey(ctx context.Context, op string, module crm.Module, key string) ([]map[string]json.RawMessage, error) {
	q := url.Values{"criteria": {fmt.Sprintf("(%s:equals:%s)", SyncKeyFieldName, key)}}
	resp, err := c.do(ctx, &apiRequest{op: op, method: "GET", path: "/" + string(module) + "/search", query: q})
	if err != nil {
		return nil, err
	}
	rows, err := decodeRows(resp.status, resp.body)
	if err != nil {
		return nil, malformed(op, resp.status, err)
	}
	return rows, nil
}

// isUnknownColumn reports whether err says the LC_Sync_Key field does not exist: COQL's
// INVALID_QUERY naming the column, or a search's INVALID_QUERY/INVALID_DATA naming it.
func isUnknownColumn(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || (ae.Code != "INVALID_QUERY" && ae.Code != "INVALID_DATA") {
		return false
	}
	return strings.EqualFold(detailString(ae.Details, "column_name"), SyncKeyFieldName) ||
		strings.EqualFold(ae.APIName(), SyncKeyFieldName)
}

// rememberKey caches a sync key → ID pair.
func (c *CRM) rememberKey(module crm.Module, key, id string) {
	if key != "" && id != "" {
		c.keyCache.put(string(module)+"\x00"+key, id, c.cfg.Now())
	}
}

// syncKeyState is what the adapter knows of a module's LC_Sync_Key field.
type syncKeyState struct {
	status syncKeyStatus
	unique bool
	at     time.Time
}

type syncKeyStatus int

const (
	syncKeyUnknown syncKeyStatus = iota // not checked yet: write it, and learn from Zoho's answer
	syncKeyPresent
	syncKeyMissing // absent or unusable: do not write or query it
)

// syncKeyRecheck is how long "missing" is believed before the adapter tries the field again,
// so a field an operator creates later is picked up without a restart.
const syncKeyRecheck = 10 * time.Minute

func (c *CRM) syncKeyState(m crm.Module) syncKeyState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.syncKeys[m]
	if st.status == syncKeyMissing && c.cfg.Now().Sub(st.at) >= syncKeyRecheck {
		return syncKeyState{}
	}
	return st
}

func (c *CRM) syncKeyWritable(m crm.Module) bool { return c.syncKeyState(m).status != syncKeyMissing }
func (c *CRM) syncKeyReadable(m crm.Module) bool { return c.syncKeyState(m).status != syncKeyMissing }

// markSyncKey records what the adapter learned about a module's field.
func (c *CRM) markSyncKey(m crm.Module, status syncKeyStatus, cause error) {
	c.mu.Lock()
	prev := c.syncKeys[m].status
	c.syncKeys[m] = syncKeyState{status: status, at: c.cfg.Now()}
	c.mu.Unlock()
	if status == syncKeyMissing && prev != syncKeyMissing {
		c.cfg.Logger.Warn("zoho: module has no usable LC_Sync_Key field; writing without sync keys",
			"module", m, "err", cause)
	}
}

// setSyncKeyFromFields records the field as field metadata describes it.
func (c *CRM) setSyncKeyFromFields(m crm.Module, fs []crm.Field) crm.SyncKeyField {
	var sk crm.SyncKeyField
	for _, f := range fs {
		if f.APIName == SyncKeyFieldName {
			sk = crm.SyncKeyField{Exists: true, Unique: f.Unique}
			break
		}
	}
	c.mu.Lock()
	st := syncKeyState{status: syncKeyMissing, at: c.cfg.Now()}
	if sk.Exists {
		st = syncKeyState{status: syncKeyPresent, unique: sk.Unique, at: st.at}
	}
	c.syncKeys[m] = st
	c.mu.Unlock()
	return sk
}
