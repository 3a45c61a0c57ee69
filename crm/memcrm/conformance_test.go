package memcrm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/crmtest"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/crm/memcrm/memcrmhttp"
)

// harness runs crmtest against memcrm, directly or through memcrmhttp.
type harness struct {
	cfg      memcrm.Config
	keyField *crm.SyncKeyField // nil = the default unique field
	overHTTP bool
	features crmtest.Features
}

func (h harness) Features() crmtest.Features { return h.features }

func (h harness) MakeCRM(t *testing.T) (leadcall.CRM, crmtest.Seeder) {
	cfg := h.cfg
	c := memcrm.New(&cfg)
	if h.keyField != nil {
		for _, m := range []crm.Module{crm.ModuleLeads, crm.ModuleCalls, crm.ModuleTasks} {
			if err := c.SetSyncKeyField(m, *h.keyField); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := &seeder{c: c}
	if !h.overHTTP {
		return c, s
	}
	// Over HTTP a lost response is a connection cut after the server applied the request.
	d := &dropper{next: memcrmhttp.Handler(c)}
	srv := httptest.NewUnstartedServer(d)
	srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	s.lose = func() error { d.drop.Store(true); return nil }
	return memcrmhttp.NewClient(srv.URL, srv.Client()), s
}

// dropper applies a request and then cuts the connection without a response, once.
type dropper struct {
	next http.Handler
	drop atomic.Bool
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !d.drop.CompareAndSwap(true, false) {
		d.next.ServeHTTP(w, r)
		return
	}
	d.next.ServeHTTP(httptest.NewRecorder(), r)
	panic(http.ErrAbortHandler)
}

// seeder seeds memcrm directly; it is also a FaultInjector, PicklistSeeder and Reader.
type seeder struct {
	c    *memcrm.CRM
	lose func() error // nil = memcrm.CommitThenFail
}

var phoneFields = []string{"Phone", "Mobile", "Home_Phone", "Other_Phone"}

func person(lastName string, phones []string) (memcrm.Person, error) {
	if len(phones) > len(phoneFields) {
		return memcrm.Person{}, fmt.Errorf("at most %d phones", len(phoneFields))
	}
	p := memcrm.Person{LastName: lastName, Phones: make(map[string]string)}
	for i, v := range phones {
		p.Phones[phoneFields[i]] = v
	}
	return p, nil
}

func (s *seeder) AddUser(_ context.Context, name, email string, active bool) (string, error) {
	return s.c.AddUser(crm.User{Name: name, Email: email, Active: active})
}

func (s *seeder) AddLead(_ context.Context, lastName string, phones ...string) (string, error) {
	p, err := person(lastName, phones)
	if err != nil {
		return "", err
	}
	return s.c.AddLead(p)
}

func (s *seeder) AddContact(_ context.Context, lastName string, phones ...string) (string, error) {
	p, err := person(lastName, phones)
	if err != nil {
		return "", err
	}
	return s.c.AddContact(p)
}

func (s *seeder) ConvertLead(_ context.Context, leadID string) error {
	_, err := s.c.ConvertLead(leadID)
	return err
}

func (s *seeder) FailNext(code leadcall.Code, retryAfter time.Duration) error {
	s.c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: code, RetryAfter: retryAfter})
	return nil
}

func (s *seeder) LoseNextResponse() error {
	if s.lose != nil {
		return s.lose()
	}
	s.c.CommitThenFail(memcrm.OpAny, 1)
	return nil
}

func (s *seeder) SetPicklist(_ context.Context, module crm.Module, field string, values []crm.PicklistValue) error {
	return s.c.SetPicklist(module, field, values)
}

func (s *seeder) ReadLead(_ context.Context, id string) (*crm.Lead, error) {
	l, ok := s.c.Lead(id)
	if !ok {
		return nil, errors.New("no such lead")
	}
	out := &crm.Lead{SyncKey: l.SyncKey, LastName: l.LastName, LeadSource: l.LeadSource, Fields: l.Fields,
		Description: l.Description, OwnerID: l.OwnerID}
	for _, p := range l.Phones {
		if p.Field == "Phone" {
			out.Phone = p.Value
		}
	}
	return out, nil
}

func (s *seeder) ReadCall(_ context.Context, id string) (*crm.Call, error) {
	c, ok := s.c.Call(id)
	if !ok {
		return nil, errors.New("no such call")
	}
	return &c.Call, nil
}

func (s *seeder) ReadTask(_ context.Context, id string) (*crm.Task, error) {
	t, ok := s.c.Task(id)
	if !ok {
		return nil, errors.New("no such task")
	}
	return &t.Task, nil
}

var (
	_ crmtest.FaultInjector  = (*seeder)(nil)
	_ crmtest.PicklistSeeder = (*seeder)(nil)
	_ crmtest.Reader         = (*seeder)(nil)
)

// everything is what memcrm supports with its default configuration.
var everything = crmtest.Features{FieldDescriber: true, Bundler: true, TaskCompleter: true, SyncKeyChecker: true,
	UniqueSyncKeys: true, SyncKeyInLookups: true, FormattedPhones: true, PicklistValidation: true}

func TestConformance(t *testing.T) {
	t.Parallel()
	crmtest.Run(t, harness{features: everything})
}

func TestConformanceOverHTTP(t *testing.T) {
	t.Parallel()
	crmtest.Run(t, harness{overHTTP: true, features: everything})
}

func TestConformanceWithIndexLag(t *testing.T) {
	t.Parallel()
	const lag = 30 * time.Millisecond
	f := everything
	f.IndexLag = lag
	crmtest.Run(t, harness{cfg: memcrm.Config{IndexLag: lag}, features: f})
}

func TestConformanceWithoutUniqueKeys(t *testing.T) {
	t.Parallel()
	f := everything
	f.UniqueSyncKeys = false
	crmtest.Run(t, harness{keyField: &crm.SyncKeyField{Exists: true}, features: f})
}

func TestConformanceWithoutSyncKeyField(t *testing.T) {
	t.Parallel()
	f := everything
	f.UniqueSyncKeys, f.SyncKeyInLookups = false, false
	crmtest.Run(t, harness{keyField: &crm.SyncKeyField{}, overHTTP: true, features: f})
}
