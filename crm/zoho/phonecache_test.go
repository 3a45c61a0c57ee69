package zoho

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/phone"
)

// fourVariants are phone.SearchVariants("+919876543210"): the key the Engine looks up with.
var fourVariants = mustVariants("+919876543210")

func mustVariants(e164 string) []string {
	vs, err := phone.SearchVariants(e164)
	if err != nil {
		panic(err)
	}
	return vs
}

// contactStub is a lookup stub where the caller is a Contact with id "C1".
func contactStub(t *testing.T, f *fixture) *lookupStub {
	s := newLookupStub(t, f)
	s.coql = func(module, _ string) (int, string) {
		if module == "Contacts" {
			return 200, coqlRows(`{"id":"C1","Full_Name":"Asha Rao","Mobile":"9876543210"}`)
		}
		return 204, ""
	}
	return s
}

// lookups returns how many lookups reached the stub since the last call: each reads Leads
// with COQL once.
func lookups(s *lookupStub) int {
	n := 0
	for _, l := range s.take() {
		if l == "coql Leads" {
			n++
		}
	}
	return n
}

func TestPhoneCacheRemembersHitsOnly(t *testing.T) {
	t.Parallel()
	f := setup(t)
	require.Equal(t, DefaultPhoneCacheTTL, f.crm.cfg.PhoneCacheTTL, "on by default")
	s := contactStub(t, f)
	first, err := f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Len(t, first, 1)
	first[0].Phones[0] = "changed by the caller"
	second, err := f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Equal(t, []crm.Record{{Module: crm.ModuleContacts, ID: "C1", Name: "Asha Rao", Phones: []string{"9876543210"}}}, second,
		"a copy is returned: callers cannot change the cache")
	require.Equal(t, 1, lookups(s), "a hit is remembered")

	f.advance(DefaultPhoneCacheTTL - time.Second)
	_, err = f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Equal(t, 0, lookups(s))
	f.advance(time.Second)
	_, err = f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Equal(t, 1, lookups(s), "expired after the TTL")

	f.advance(DefaultPhoneCacheTTL)
	s.coql = func(string, string) (int, string) { return 204, "" }
	for range 2 {
		got, err := f.crm.FindByPhone(t.Context(), fourVariants)
		require.NoError(t, err)
		require.Empty(t, got)
	}
	require.Equal(t, 2, lookups(s), "a miss is never remembered")
}

func TestPhoneCacheOff(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.PhoneCacheTTL = -1 })
	s := contactStub(t, f)
	f.handle("POST /crm/v8/Leads", created(t))
	for range 2 {
		_, err := f.crm.FindByPhone(t.Context(), fourVariants)
		require.NoError(t, err)
	}
	_, err := f.crm.CreateLead(t.Context(), testLead())
	require.NoError(t, err)
	_, err = f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Equal(t, 3, lookups(s), "every lookup asks Zoho")
}

func TestPhoneCacheLearnsCreatedLeads(t *testing.T) {
	t.Parallel()
	t.Run("new caller", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		s := newLookupStub(t, f)
		f.handle("POST /crm/v8/Leads", created(t))
		got, err := f.crm.FindByPhone(t.Context(), fourVariants)
		require.NoError(t, err)
		require.Empty(t, got)
		_, err = f.crm.CreateLead(t.Context(), testLead())
		require.NoError(t, err)
		got, err = f.crm.FindByPhone(t.Context(), fourVariants)
		require.NoError(t, err)
		require.Equal(t, []crm.Record{{Module: crm.ModuleLeads, ID: sampleID, Name: "Inbound Lead", Phones: []string{"+919876543210"},
			SyncKey: testLead().SyncKey, OwnerID: testLead().OwnerID}}, got)
		require.Equal(t, 1, lookups(s), "a repeat caller's lookup needs no request")
		d := crm.Decide(crm.DecideInput{Matches: got, LeadKey: testLead().SyncKey})
		require.Equal(t, crm.ActionLinkLead, d.Action)
	})
	t.Run("known caller", func(t *testing.T) {
		t.Parallel()
		// A manager chose "create new" for a Contact's number: the next lookup sees both.
		f := setup(t)
		s := contactStub(t, f)
		f.handle("POST /crm/v8/Leads", created(t))
		_, err := f.crm.FindByPhone(t.Context(), fourVariants)
		require.NoError(t, err)
		_, err = f.crm.CreateLead(t.Context(), testLead())
		require.NoError(t, err)
		got, err := f.crm.FindByPhone(t.Context(), fourVariants)
		require.NoError(t, err)
		require.Equal(t, 1, lookups(s))
		require.Len(t, got, 2)
		d := crm.Decide(crm.DecideInput{Matches: got, LeadKey: testLead().SyncKey})
		require.Equal(t, crm.ActionReviewAmbiguous, d.Action, "what a fresh lookup would answer")
	})
}

func TestPhoneCacheForgetsWhatFailedCreatesConcern(t *testing.T) {
	t.Parallel()
	contact := crm.Ref{Module: crm.ModuleContacts, ID: "C1"}
	call := &crm.Call{SyncKey: "lc1C_x", Subject: "Inbound call", Type: crm.CallInbound, Start: bundleStart,
		Duration: time.Minute, Who: contact}
	task := &crm.Task{SyncKey: "lc1T_x", Subject: "Call back", Due: bundleStart, Who: contact}
	for _, tc := range []struct {
		name   string
		status int    // of every create
		body   string // of every create
		create func(f *fixture) error
		forget bool
	}{
		{"lead refused", 400, testdata(t, "insert_invalid_data.json"), func(f *fixture) error {
			_, err := f.crm.CreateLead(f.t.Context(), testLead())
			return err
		}, true},
		{"lead may have been written", 500, testdata(t, "error_internal.json"), func(f *fixture) error {
			_, err := f.crm.CreateLead(f.t.Context(), testLead())
			return err
		}, true},
		{"lead for another number refused", 400, testdata(t, "insert_invalid_data.json"), func(f *fixture) error {
			l := testLead()
			l.Phone = "+919876500000"
			_, err := f.crm.CreateLead(f.t.Context(), l)
			return err
		}, false},
		{"call linked to the contact fails", 400, testdata(t, "insert_invalid_data.json"), func(f *fixture) error {
			_, err := f.crm.CreateCall(f.t.Context(), call)
			return err
		}, true},
		{"task linked to the contact fails", 500, testdata(t, "error_internal.json"), func(f *fixture) error {
			_, err := f.crm.CreateTask(f.t.Context(), task)
			return err
		}, true},
		{"call linked to another record fails", 400, testdata(t, "insert_invalid_data.json"), func(f *fixture) error {
			c := *call
			c.Who = crm.Ref{Module: crm.ModuleContacts, ID: "C2"}
			_, err := f.crm.CreateCall(f.t.Context(), &c)
			return err
		}, false},
		{"call linked to the contact succeeds", 201, insertOK("200"), func(f *fixture) error {
			_, err := f.crm.CreateCall(f.t.Context(), call)
			return err
		}, false},
		{"bundle without lead fails", 500, testdata(t, "error_internal.json"), func(f *fixture) error {
			res, err := f.crm.CreateBundle(f.t.Context(), &crm.Bundle{Call: call, Task: task})
			if err == nil {
				err = res.Call.Err
			}
			return err
		}, true},
		{"bundle lead fails", 400, testdata(t, "insert_invalid_data.json"), func(f *fixture) error {
			res, err := f.crm.CreateBundle(f.t.Context(), testBundle(bundleStart))
			if err == nil {
				err = res.Lead.Err
			}
			return err
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Plain requests, so that creates and lookups have their own handlers.
			f := setup(t, func(c *Config) { c.DisableComposite = true })
			s := contactStub(t, f)
			for _, m := range []string{"Leads", "Calls", "Tasks"} {
				f.handle("POST /crm/v8/"+m, func(w http.ResponseWriter, r *http.Request) { reply(w, tc.status, tc.body) })
			}
			_, err := f.crm.FindByPhone(t.Context(), fourVariants)
			require.NoError(t, err)
			err = tc.create(f)
			require.Equal(t, tc.status >= 400, err != nil, "create error: %v", err)
			s.take()
			_, err = f.crm.FindByPhone(t.Context(), fourVariants)
			require.NoError(t, err)
			require.Equal(t, tc.forget, lookups(s) == 1, "whether the next lookup asks Zoho")
		})
	}
}

func TestPhoneCacheSkipsLookupsOverlappingCreates(t *testing.T) {
	t.Parallel()
	for name, create := range map[string]func(f *fixture) error{
		"lead for the number": func(f *fixture) error {
			_, err := f.crm.CreateLead(f.t.Context(), testLead())
			return err
		},
		"failed call": func(f *fixture) error {
			_, err := f.crm.CreateCall(f.t.Context(), &crm.Call{SyncKey: "lc1C_x", Subject: "Inbound call", Type: crm.CallInbound,
				Start: bundleStart, Duration: time.Minute, Who: crm.Ref{Module: crm.ModuleContacts, ID: "C9"}})
			if err == nil {
				return errors.New("the call was meant to fail")
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Plain requests: a composite request would hold every concurrency slot the create needs.
			f := setup(t, func(c *Config) { c.DisableComposite = true })
			s := contactStub(t, f)
			entered, release := make(chan struct{}), make(chan struct{})
			var blocked atomic.Bool
			blocked.Store(true)
			inner := s.coql
			s.coql = func(module, q string) (int, string) {
				if module == "Leads" && blocked.CompareAndSwap(true, false) {
					close(entered)
					<-release
				}
				return inner(module, q)
			}
			f.handle("POST /crm/v8/Leads", created(t))
			f.handle("POST /crm/v8/Calls", func(w http.ResponseWriter, r *http.Request) {
				reply(w, 400, testdata(t, "insert_invalid_data.json"))
			})
			var wg sync.WaitGroup
			wg.Go(func() {
				_, err := f.crm.FindByPhone(t.Context(), fourVariants)
				require.NoError(t, err)
			})
			<-entered
			require.NoError(t, create(f))
			close(release)
			wg.Wait()
			s.take()
			_, err := f.crm.FindByPhone(t.Context(), fourVariants)
			require.NoError(t, err)
			require.Equal(t, 1, lookups(s), "the overlapping lookup was not remembered: it may have missed the change")
		})
	}
}

func TestPhoneCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	f := setup(t)
	contactStub(t, f)
	f.handle("POST /crm/v8/Leads", created(t))
	f.handle("POST /crm/v8/Calls", func(w http.ResponseWriter, r *http.Request) { reply(w, 500, testdata(t, "error_internal.json")) })
	numbers := []string{"+919876543210", "+919876543211", "+919876543212"}
	var wg sync.WaitGroup
	for i := range 30 {
		number := numbers[i%len(numbers)]
		wg.Go(func() {
			switch i % 3 {
			case 0:
				_, err := f.crm.FindByPhone(t.Context(), mustVariants(number))
				require.NoError(t, err)
			case 1:
				l := testLead()
				l.Phone = number
				_, err := f.crm.CreateLead(t.Context(), l)
				require.NoError(t, err)
			default:
				_, _ = f.crm.CreateCall(t.Context(), &crm.Call{SyncKey: "lc1C_x", Subject: "Inbound call", Type: crm.CallInbound,
					Start: bundleStart, Duration: time.Minute, Who: crm.Ref{Module: crm.ModuleContacts, ID: "C1"}})
			}
		})
	}
	wg.Wait()
	// Whatever the interleaving, every answer holds the Contact Zoho has, plus at most the Lead
	// this connection created: never the Lead alone, which would hide the Contact.
	for _, n := range numbers {
		got, err := f.crm.FindByPhone(t.Context(), mustVariants(n))
		require.NoError(t, err)
		require.True(t, hasRecord(got, "C1"), "%v", got)
		for _, r := range got {
			require.Contains(t, []string{"C1", sampleID}, r.ID)
		}
	}
}

func hasRecord(recs []crm.Record, id string) bool {
	for _, r := range recs {
		if r.ID == id {
			return true
		}
	}
	return false
}

func TestPhoneCacheLeadAfterExpiredEntry(t *testing.T) {
	t.Parallel()
	// A manager resolves a review with "create new" long after the lookup that found the
	// Contact: the connection does not know what Zoho holds, so it remembers nothing.
	f := setup(t)
	s := contactStub(t, f)
	f.handle("POST /crm/v8/Leads", created(t))
	_, err := f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	f.advance(DefaultPhoneCacheTTL)
	_, err = f.crm.CreateLead(t.Context(), testLead())
	require.NoError(t, err)
	s.take()
	got, err := f.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Equal(t, 1, lookups(s), "asked Zoho")
	require.True(t, hasRecord(got, "C1"))

	// A miss noted long ago does not count either.
	f2 := setup(t)
	s2 := newLookupStub(t, f2)
	f2.handle("POST /crm/v8/Leads", created(t))
	_, err = f2.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	f2.advance(DefaultPhoneCacheTTL)
	_, err = f2.crm.CreateLead(t.Context(), testLead())
	require.NoError(t, err)
	s2.take()
	_, err = f2.crm.FindByPhone(t.Context(), fourVariants)
	require.NoError(t, err)
	require.Equal(t, 1, lookups(s2))
}
