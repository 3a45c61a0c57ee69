package partnercrm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/crmtest"
	"github.com/leadcall/leadcall/examples/partnercrm"
)

// harness is what a partner writes to run the conformance suite: make a fresh CRM per
// subtest, seed it through the CRM's own API, and declare the features.
type harness struct{}

func (harness) MakeCRM(t *testing.T) (leadcall.CRM, crmtest.Seeder) {
	store, err := partnercrm.Open(filepath.Join(t.TempDir(), "acme.json"))
	if err != nil {
		t.Fatal(err)
	}
	return partnercrm.New(store), seeder{store}
}

func (harness) Features() crmtest.Features {
	return crmtest.Features{
		TaskCompleter:    true, // Adapter implements leadcall.TaskCompleter
		UniqueSyncKeys:   true, // Acme keeps external_ref unique
		SyncKeyInLookups: true, // prospects carry their external_ref in search results
		FormattedPhones:  true, // Acme matches numbers by their digits
	}
}

// seeder creates what leadcall never does. It is also a FaultInjector (through Acme's outage
// simulator) and a Reader.
type seeder struct{ store *partnercrm.Store }

func numbers(phones []string) []partnercrm.Number {
	labels := []string{"main", "mobile", "home", "work"}
	out := make([]partnercrm.Number, len(phones))
	for i, p := range phones {
		out[i] = partnercrm.Number{Label: labels[i%len(labels)], Value: p}
	}
	return out
}

func (s seeder) AddUser(_ context.Context, name, email string, active bool) (string, error) {
	return s.store.AddAgent(name, email, active)
}

func (s seeder) AddLead(ctx context.Context, lastName string, phones ...string) (string, error) {
	return s.store.InsertPerson(ctx, partnercrm.Person{Kind: partnercrm.KindProspect, FullName: lastName, Numbers: numbers(phones)})
}

func (s seeder) AddContact(ctx context.Context, lastName string, phones ...string) (string, error) {
	return s.store.InsertPerson(ctx, partnercrm.Person{Kind: partnercrm.KindCustomer, FullName: lastName, Numbers: numbers(phones)})
}

func (s seeder) ConvertLead(_ context.Context, leadID string) error {
	_, err := s.store.Convert(leadID)
	return err
}

func (s seeder) FailNext(code leadcall.Code, retryAfter time.Duration) error {
	switch code {
	case leadcall.CodeRateLimited:
		s.store.FailNext(&partnercrm.BusyError{RetryAfter: retryAfter}, false)
	case leadcall.CodeUnauthorized:
		s.store.FailNext(partnercrm.ErrBadToken, false)
	case leadcall.CodeUnavailable:
		s.store.FailNext(errors.New("acme: 503 service unavailable"), false)
	default:
		return fmt.Errorf("acme cannot fail with %s: %w", code, errors.ErrUnsupported)
	}
	return nil
}

func (s seeder) LoseNextResponse() error {
	s.store.FailNext(errors.New("acme: connection reset by peer"), true)
	return nil
}

func (s seeder) ReadLead(_ context.Context, id string) (*crm.Lead, error) {
	p, err := s.store.GetPerson(id)
	if err != nil {
		return nil, err
	}
	l := &crm.Lead{SyncKey: p.ExternalRef, LastName: p.FullName, LeadSource: p.Channel, Description: p.Notes, OwnerID: p.AgentID}
	if len(p.Numbers) > 0 {
		l.Phone = p.Numbers[0].Value
	}
	return l, nil
}

func ref(store *partnercrm.Store, personID string) crm.Ref {
	p, err := store.GetPerson(personID)
	if err != nil {
		return crm.Ref{ID: personID}
	}
	if p.Kind == partnercrm.KindProspect {
		return crm.Ref{Module: crm.ModuleLeads, ID: personID}
	}
	return crm.Ref{Module: crm.ModuleContacts, ID: personID}
}

func (s seeder) ReadCall(_ context.Context, id string) (*crm.Call, error) {
	a, err := s.store.GetActivity(id)
	if err != nil {
		return nil, err
	}
	types := map[string]crm.CallType{partnercrm.DirectionIn: crm.CallInbound, partnercrm.DirectionOut: crm.CallOutbound, partnercrm.DirectionMissed: crm.CallMissed}
	return &crm.Call{SyncKey: a.ExternalRef, Subject: a.Title, Type: types[a.Direction], Start: a.At,
		Duration: time.Duration(a.Seconds) * time.Second, Who: ref(s.store, a.PersonID), Description: a.Notes,
		Result: a.Outcome, OwnerID: a.AgentID}, nil
}

func (s seeder) ReadTask(_ context.Context, id string) (*crm.Task, error) {
	a, err := s.store.GetActivity(id)
	if err != nil {
		return nil, err
	}
	due, err := time.Parse(time.DateOnly, a.DueDay)
	if err != nil {
		return nil, err
	}
	status := "" // Acme has open/done, not Zoho's statuses: only Completed can be read back
	if a.Done {
		status = crm.TaskStatusCompleted
	}
	return &crm.Task{SyncKey: a.ExternalRef, Subject: a.Title, Due: due, Status: status, Who: ref(s.store, a.PersonID),
		Description: a.Notes, OwnerID: a.AgentID}, nil
}

func TestConformance(t *testing.T) {
	crmtest.Run(t, harness{})
}

func TestStoreSurvivesReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "acme.json")
	store, err := partnercrm.Open(path)
	require.NoError(t, err)
	key := crm.LeadKey("org-1", "+919876543210")
	created, err := partnercrm.New(store).CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead", Phone: "+919876543210",
		Description: "first call", Fields: map[string]string{"Campaign": "Billboard", "City": "Pune"}})
	require.NoError(t, err)

	reopened, err := partnercrm.Open(path)
	require.NoError(t, err)
	adapter := partnercrm.New(reopened)
	id, err := adapter.FindBySyncKey(ctx, crm.ModuleLeads, key)
	require.NoError(t, err)
	require.Equal(t, created.ID, id)
	p, err := reopened.GetPerson(id)
	require.NoError(t, err)
	require.Equal(t, "first call\nCampaign: Billboard\nCity: Pune", p.Notes, "fields without a place go to the notes")
	_, err = adapter.CreateLead(ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead"})
	var e *leadcall.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, leadcall.CodeConflict, e.Code)
	require.Equal(t, created.ID, e.ExistingID)
}

func TestOpenRefusesCorruptFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "acme.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"people":[`), 0o600))
	_, err := partnercrm.Open(path)
	require.ErrorContains(t, err, "corrupt data")
	_, err = partnercrm.Open(filepath.Join(t.TempDir(), "missing-dir", "acme.json"))
	require.Error(t, err)
}

func TestClassificationKeepsTheNativeError(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := partnercrm.Open(filepath.Join(t.TempDir(), "acme.json"))
	require.NoError(t, err)
	adapter := partnercrm.New(store)
	store.FailNext(&partnercrm.BusyError{RetryAfter: time.Minute}, false)
	_, err = adapter.Users(ctx)
	var busy *partnercrm.BusyError
	require.ErrorAs(t, err, &busy, "the native error stays reachable")
	require.Equal(t, leadcall.CodeRateLimited, leadcall.CodeOf(err))
	require.Equal(t, time.Minute, leadcall.RetryAfterOf(err))

	_, err = adapter.CreateLead(ctx, &crm.Lead{LastName: "x", OwnerID: "U404"})
	var invalid *partnercrm.ValidationError
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, "agent_id", invalid.Field)
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))

	_, err = adapter.FindByPhone(ctx, []string{"+91 98765 43210"})
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err), "variants are plain numbers")
}
