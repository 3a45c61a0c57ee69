package crmtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/crmtest"
	"github.com/leadcall/leadcall/crm/memcrm"
)

// The suite is only worth something if it fails for broken CRMs. Each mutant below breaks one
// rule of the contract; TestSuiteCatchesMutants runs the suite against each in a child
// process (a failing suite cannot be observed from inside one test binary) and checks that it
// fails, naming the rule.

const mutantEnv = "CRMTEST_MUTANT"

// mutant is memcrm with one rule broken. Embedding keeps every optional interface.
type mutant struct {
	*memcrm.CRM
	name string
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (m *mutant) FindByPhone(ctx context.Context, variants []string) ([]crm.Record, error) {
	recs, err := m.CRM.FindByPhone(ctx, variants)
	if err != nil {
		return recs, err
	}
	switch m.name {
	case "finds-converted-leads":
		for _, l := range m.CRM.Leads() {
			for _, p := range l.Phones {
				if l.Converted && contains(variants, p.Value) {
					recs = append(recs, crm.Record{Module: crm.ModuleLeads, ID: l.ID, Phones: []string{p.Value}})
				}
			}
		}
	case "matches-substrings":
		for _, c := range m.CRM.Contacts() {
			for _, p := range c.Phones {
				for _, v := range variants {
					if d := digitsOf(v); d != "" && strings.Contains(digitsOf(p.Value), d) {
						recs = append(recs, crm.Record{Module: crm.ModuleContacts, ID: c.ID, Phones: []string{p.Value}})
					}
				}
			}
		}
	}
	return recs, nil
}

func contains(vs []string, s string) bool {
	for _, v := range vs {
		if v == s {
			return true
		}
	}
	return false
}

func (m *mutant) CreateLead(ctx context.Context, lead *crm.Lead) (*crm.Created, error) {
	if m.name == "ignores-ctx" {
		ctx = context.Background()
	}
	if m.name == "drops-sync-key" && lead != nil {
		l := *lead
		l.SyncKey = ""
		lead = &l
	}
	c, err := m.CRM.CreateLead(ctx, lead)
	return c, m.mangle(err)
}

func (m *mutant) CreateCall(ctx context.Context, call *crm.Call) (*crm.Created, error) {
	c, err := m.CRM.CreateCall(ctx, call)
	var e *leadcall.Error
	if m.name == "ignores-who" && errors.As(err, &e) && e.Field == "Who_Id" {
		return &crm.Created{ID: "4150868999999999999"}, nil
	}
	return c, m.mangle(err)
}

// mangle breaks error classification for some mutants.
func (m *mutant) mangle(err error) error {
	var e *leadcall.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	switch {
	case m.name == "drops-retry-after":
		out.RetryAfter = 0
	case m.name == "drops-existing-id":
		out.ExistingID = ""
	case m.name == "lost-response-is-invalid" && e.Code == leadcall.CodeUnavailable:
		out.Code = leadcall.CodeInvalid
	default:
		return err
	}
	return &out
}

type harness struct {
	name     string
	features crmtest.Features
}

func (h harness) Features() crmtest.Features { return h.features }

func (h harness) MakeCRM(t *testing.T) (leadcall.CRM, crmtest.Seeder) {
	c := memcrm.New(nil)
	return &mutant{CRM: c, name: h.name}, seeder{c}
}

type seeder struct{ c *memcrm.CRM }

func (s seeder) person(lastName string, phones []string) memcrm.Person {
	p := memcrm.Person{LastName: lastName, Phones: map[string]string{}}
	for i, v := range phones {
		p.Phones[[]string{"Phone", "Mobile", "Home_Phone", "Other_Phone"}[i]] = v
	}
	return p
}

func (s seeder) AddUser(_ context.Context, name, email string, active bool) (string, error) {
	return s.c.AddUser(crm.User{Name: name, Email: email, Active: active})
}

func (s seeder) AddLead(_ context.Context, lastName string, phones ...string) (string, error) {
	return s.c.AddLead(s.person(lastName, phones))
}

func (s seeder) AddContact(_ context.Context, lastName string, phones ...string) (string, error) {
	return s.c.AddContact(s.person(lastName, phones))
}

func (s seeder) ConvertLead(_ context.Context, id string) error {
	_, err := s.c.ConvertLead(id)
	return err
}

func (s seeder) FailNext(code leadcall.Code, retryAfter time.Duration) error {
	s.c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: code, RetryAfter: retryAfter})
	return nil
}

func (s seeder) LoseNextResponse() error {
	s.c.CommitThenFail(memcrm.OpAny, 1)
	return nil
}

var everything = crmtest.Features{FieldDescriber: true, Bundler: true, TaskCompleter: true, SyncKeyChecker: true,
	UniqueSyncKeys: true, SyncKeyInLookups: true, FormattedPhones: true, PicklistValidation: true}

// mutants maps each mutant to a phrase the suite's failure must contain.
var mutants = map[string]string{
	"finds-converted-leads":    "must leave out converted Leads",
	"matches-substrings":       "match whole numbers, not substrings",
	"drops-retry-after":        "CodeRateLimited must carry RetryAfter",
	"drops-existing-id":        "CodeConflict must carry ExistingID",
	"lost-response-is-invalid": "promises the write was not applied, which is false here",
	"ignores-who":              "a Who that does not exist must fail with CodeInvalid",
	"ignores-ctx":              "must return an error wrapping context.Canceled",
	"drops-sync-key":           "CreateLead must store the sync key where FindBySyncKey finds it",
	"undeclared-bundler":       "implements leadcall.Bundler but Features.Bundler is false",
	"sound":                    "", // memcrm unchanged: the suite must pass
}

// TestMutant runs the suite against the mutant named in the environment; it is the child
// process of TestSuiteCatchesMutants and skips otherwise.
func TestMutant(t *testing.T) {
	name := os.Getenv(mutantEnv)
	if name == "" {
		t.Skip("run by TestSuiteCatchesMutants")
	}
	f := everything
	if name == "undeclared-bundler" {
		f.Bundler = false
	}
	crmtest.Run(t, harness{name: name, features: f})
}

func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("in a child process")
	}
	for name, phrase := range mutants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := "^TestMutant$"
			if name == "drops-sync-key" { // every test that looks for a key waits out the margin
				run += "/^CreateLead$/^Stored$"
			}
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run="+run, "-test.count=1")
			cmd.Env = append(os.Environ(), mutantEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if phrase == "" {
				require.NoError(t, err, "the suite must pass for memcrm itself:\n%s", out)
				return
			}
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail for mutant %s:\n%s", name, out)
			require.Contains(t, string(out), phrase, "the failure must name the broken rule")
		})
	}
}
