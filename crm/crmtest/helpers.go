package crmtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// settleMargin is added to Features.IndexLag when the suite waits for a record to appear.
const settleMargin = 2 * time.Second

// start is the call time the suite writes: whole seconds, as CRMs store them, with an offset.
var start = time.Date(2026, 3, 2, 10, 30, 0, 0, time.FixedZone("IST", 5*3600+1800))

// number is a test caller number and its search variants.
type number struct {
	e164, national, nsn, intl string
}

// testNumber returns the n-th test number, an Indian mobile number.
func testNumber(n int) number {
	nsn := fmt.Sprintf("98%08d", n)
	return number{e164: "+91" + nsn, national: "0" + nsn, nsn: nsn, intl: "91" + nsn}
}

// variants are the search variants, most likely first, as phone.SearchVariants gives them.
func (n number) variants() []string { return []string{n.e164, n.national, n.nsn, n.intl} }

// formatted is the number as a person might type it.
func (n number) formatted() string { return "+91 " + n.nsn[:5] + "-" + n.nsn[5:] }

// formattedNational is the national form with parentheses, dots and spaces.
func (n number) formattedNational() string {
	return "(0" + n.nsn[:2] + ") " + n.nsn[2:6] + "." + n.nsn[6:]
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// heldBy reports whether one of phones is this number in a variant's format, ignoring
// everything but digits.
func (n number) heldBy(phones []string) bool {
	for _, p := range phones {
		d := digits(p)
		if d == n.intl || d == n.national || d == n.nsn {
			return true
		}
	}
	return false
}

// fixture is one subtest's CRM.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	crm  leadcall.CRM
	seed Seeder
	feat Features
	read Reader // nil when the Seeder is not a Reader
}

// setup marks t parallel and makes a fresh CRM.
func setup(t *testing.T, h Harness) *fixture {
	t.Helper()
	t.Parallel()
	c, s := h.MakeCRM(t)
	if c == nil || s == nil {
		t.Fatal("crmtest: Harness.MakeCRM returned a nil CRM or Seeder")
	}
	fx := &fixture{t: t, ctx: t.Context(), crm: c, seed: s, feat: h.Features()}
	fx.read, _ = s.(Reader)
	return fx
}

func codeOf(err error) string {
	if err == nil {
		return "no error"
	}
	return "code " + leadcall.CodeOf(err).String()
}

// expectCode reports an error unless err carries code want. rule names the contract rule.
func expectCode(t *testing.T, err error, want leadcall.Code, rule string) bool {
	t.Helper()
	if err == nil || leadcall.CodeOf(err) != want {
		t.Errorf("%s: want an error with code %s, got %s (%v)", rule, want, codeOf(err), err)
		return false
	}
	return true
}

func (fx *fixture) fatalIf(err error, format string, args ...any) {
	fx.t.Helper()
	if err != nil {
		fx.t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
	}
}

func (fx *fixture) addUser(name string, active bool) string {
	fx.t.Helper()
	id, err := fx.seed.AddUser(fx.ctx, name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", active)
	fx.fatalIf(err, "Seeder.AddUser")
	if id == "" {
		fx.t.Fatal("Seeder.AddUser returned an empty ID")
	}
	return id
}

func (fx *fixture) addLead(lastName string, phones ...string) string {
	fx.t.Helper()
	id, err := fx.seed.AddLead(fx.ctx, lastName, phones...)
	fx.fatalIf(err, "Seeder.AddLead")
	if id == "" {
		fx.t.Fatal("Seeder.AddLead returned an empty ID")
	}
	return id
}

func (fx *fixture) addContact(lastName string, phones ...string) string {
	fx.t.Helper()
	id, err := fx.seed.AddContact(fx.ctx, lastName, phones...)
	fx.fatalIf(err, "Seeder.AddContact")
	if id == "" {
		fx.t.Fatal("Seeder.AddContact returned an empty ID")
	}
	return id
}

func (fx *fixture) pollInterval() time.Duration {
	return min(max(fx.feat.IndexLag/10, 5*time.Millisecond), 100*time.Millisecond)
}

func (fx *fixture) sleep(d time.Duration) {
	select {
	case <-fx.ctx.Done():
	case <-time.After(d):
	}
}

// settle waits out the index lag, so that a record created before it would be visible.
func (fx *fixture) settle() {
	if fx.feat.IndexLag > 0 {
		fx.sleep(fx.feat.IndexLag + fx.pollInterval())
	}
}

// waitID polls FindBySyncKey until it finds key or the index lag (plus a margin) has passed.
func (fx *fixture) waitID(module crm.Module, key string) string {
	fx.t.Helper()
	deadline := time.Now().Add(fx.feat.IndexLag + settleMargin)
	for {
		id, err := fx.crm.FindBySyncKey(fx.ctx, module, key)
		fx.fatalIf(err, "FindBySyncKey(%s, %s)", module, key)
		if id != "" || time.Now().After(deadline) {
			return id
		}
		fx.sleep(fx.pollInterval())
	}
}

// requireFound fails unless FindBySyncKey finds key within the index lag, and returns the ID.
func (fx *fixture) requireFound(module crm.Module, key, rule string) string {
	fx.t.Helper()
	id := fx.waitID(module, key)
	if id == "" {
		fx.t.Fatalf("%s: FindBySyncKey(%s, %q) found nothing within Features.IndexLag (%v) plus %v",
			rule, module, key, fx.feat.IndexLag, settleMargin)
	}
	return id
}

// expectAbsent reports an error when FindBySyncKey finds key after the index lag: a refused
// write must leave nothing behind.
func (fx *fixture) expectAbsent(module crm.Module, key, rule string) {
	fx.t.Helper()
	fx.settle()
	id, err := fx.crm.FindBySyncKey(fx.ctx, module, key)
	fx.fatalIf(err, "FindBySyncKey(%s, %s)", module, key)
	if id != "" {
		fx.t.Errorf("%s: the write was applied anyway: FindBySyncKey(%s) found %s", rule, module, id)
	}
}

// find calls FindByPhone and checks the rules every answer must follow: no error, and every
// record is a Lead or Contact holding n.
func (fx *fixture) find(n number, variants []string) []crm.Record {
	fx.t.Helper()
	recs, err := fx.crm.FindByPhone(fx.ctx, variants)
	fx.fatalIf(err, "FindByPhone")
	for _, r := range recs {
		if r.Module != crm.ModuleLeads && r.Module != crm.ModuleContacts {
			fx.t.Errorf("FindByPhone returns Leads and Contacts only: got a record of module %q", r.Module)
		}
		if r.ID == "" {
			fx.t.Errorf("FindByPhone returned a record with an empty ID")
		}
		if !n.heldBy(r.Phones) {
			fx.t.Errorf("FindByPhone returned %s %s whose phones %q do not hold the number searched: "+
				"match whole numbers, not substrings", r.Module, r.ID, r.Phones)
		}
	}
	return recs
}

// waitFind polls FindByPhone with every variant of n until done(records) holds or the index
// lag (plus a margin) has passed, and returns the last answer.
func (fx *fixture) waitFind(n number, done func([]crm.Record) bool) []crm.Record {
	fx.t.Helper()
	deadline := time.Now().Add(fx.feat.IndexLag + settleMargin)
	for {
		recs := fx.find(n, n.variants())
		if done(recs) || time.Now().After(deadline) {
			return recs
		}
		fx.sleep(fx.pollInterval())
	}
}

type ref struct {
	module crm.Module
	id     string
}

func refs(recs []crm.Record) []ref {
	out := make([]ref, 0, len(recs))
	for _, r := range crm.Distinct(recs) {
		out = append(out, ref{r.Module, r.ID})
	}
	slices.SortFunc(out, func(a, b ref) int {
		return strings.Compare(string(a.module)+"/"+a.id, string(b.module)+"/"+b.id)
	})
	return out
}

func sortedRefs(rs ...ref) []ref {
	slices.SortFunc(rs, func(a, b ref) int {
		return strings.Compare(string(a.module)+"/"+a.id, string(b.module)+"/"+b.id)
	})
	return rs
}

func hasRef(recs []crm.Record, module crm.Module, id string) bool {
	for _, r := range recs {
		if r.Module == module && r.ID == id {
			return true
		}
	}
	return false
}

func record(recs []crm.Record, module crm.Module, id string) (crm.Record, bool) {
	for _, r := range recs {
		if r.Module == module && r.ID == id {
			return r, true
		}
	}
	return crm.Record{}, false
}

// mustCreate returns a func that checks a create's result (a non-empty ID, no error, not
// adopted) and returns the ID; call it as mustCreate(t, rule)(c.CreateLead(ctx, l)).
func mustCreate(t *testing.T, rule string) func(*crm.Created, error) string {
	return func(c *crm.Created, err error) string {
		t.Helper()
		return expectCreated(t, c, err, rule)
	}
}

func expectCreated(t *testing.T, c *crm.Created, err error, rule string) string {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v (%s)", rule, err, codeOf(err))
	}
	if c == nil || c.ID == "" {
		t.Fatalf("%s: the create returned no ID", rule)
	}
	if c.Adopted {
		t.Errorf("%s: Created.Adopted is true, but no record held the key before", rule)
	}
	return c.ID
}

// clash returns a func that checks the answer to a create whose key record existing holds:
// CodeConflict with ExistingID, or an adopted success, both naming existing.
func clash(t *testing.T, existing, rule string) func(*crm.Created, error) {
	return func(c *crm.Created, err error) {
		t.Helper()
		expectClash(t, c, err, existing, rule)
	}
}

func expectClash(t *testing.T, c *crm.Created, err error, existing, rule string) {
	t.Helper()
	if err == nil {
		if c == nil || !c.Adopted || c.ID != existing {
			t.Errorf("%s: a create whose sync key %s holds must fail with CodeConflict and ExistingID, "+
				"or return Created{ID: %[2]s, Adopted: true}; got %+v", rule, existing, c)
		}
		return
	}
	if !expectCode(t, err, leadcall.CodeConflict, rule) {
		return
	}
	var e *leadcall.Error
	if !asError(err, &e) || e.ExistingID != existing {
		t.Errorf("%s: CodeConflict must carry ExistingID %s; got %q", rule, existing, e.ExistingID)
	}
}

// sameDate reports whether a and b fall on the same date, each in its own location.
func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// asError finds the first *leadcall.Error in err's chain, leaving *target nil-safe to read.
func asError(err error, target **leadcall.Error) bool {
	if errors.As(err, target) {
		return true
	}
	*target = &leadcall.Error{}
	return false
}
