package crmtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// injector returns the Seeder's FaultInjector, or skips.
func (fx *fixture) injector() FaultInjector {
	fx.t.Helper()
	fi, ok := fx.seed.(FaultInjector)
	if !ok {
		fx.t.Skip("the Seeder is no FaultInjector")
	}
	return fi
}

func (fx *fixture) skipUnsupported(err error, what string) {
	fx.t.Helper()
	if errors.Is(err, errors.ErrUnsupported) {
		fx.t.Skipf("the FaultInjector cannot %s", what)
	}
	fx.fatalIf(err, "FaultInjector: %s", what)
}

func testErrors(t *testing.T, h Harness) {
	for _, tt := range []struct {
		code       leadcall.Code
		retryAfter time.Duration
	}{
		{leadcall.CodeRateLimited, 3 * time.Second},
		{leadcall.CodeUnavailable, 0},
		{leadcall.CodeUnauthorized, 0},
	} {
		t.Run(tt.code.String(), func(t *testing.T) {
			fx := setup(t, h)
			fi := fx.injector()
			n := testNumber(4001)
			key := crm.LeadKey("org-1", n.e164)
			fx.skipUnsupported(fi.FailNext(tt.code, tt.retryAfter), "fail with "+tt.code.String())
			_, err := fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead", Phone: n.e164})
			rule := fmt.Sprintf("a create the CRM refuses as %s must return an error with that code", tt.code)
			if !expectCode(t, err, tt.code, rule) {
				return
			}
			if tt.code == leadcall.CodeRateLimited && leadcall.RetryAfterOf(err) <= 0 {
				t.Errorf("CodeRateLimited must carry RetryAfter (the CRM announced %v); got %v", tt.retryAfter, leadcall.RetryAfterOf(err))
			}
			fx.expectAbsent(crm.ModuleLeads, key, "the injected failure promised the write was not applied")
			mustCreate(t, "a create retried after a refused one must succeed")(
				fx.crm.CreateLead(fx.ctx, &crm.Lead{SyncKey: key, LastName: "Inbound Lead", Phone: n.e164}))

			fx.skipUnsupported(fi.FailNext(tt.code, tt.retryAfter), "fail with "+tt.code.String())
			_, err = fx.crm.FindByPhone(fx.ctx, n.variants())
			expectCode(t, err, tt.code, "FindByPhone refused as "+tt.code.String()+" must return an error with that code")

			fx.skipUnsupported(fi.FailNext(tt.code, tt.retryAfter), "fail with "+tt.code.String())
			_, err = fx.crm.FindBySyncKey(fx.ctx, crm.ModuleLeads, key)
			expectCode(t, err, tt.code, "FindBySyncKey refused as "+tt.code.String()+" must return an error with that code")
		})
	}
}

// lostResponseCodes are the codes a create whose response was lost may return: the ones that
// do not promise the write was not applied.
func maybeApplied(err error) bool {
	switch leadcall.CodeOf(err) {
	case leadcall.CodeUnavailable, leadcall.CodeUnknown, leadcall.CodeInternal:
		return true
	}
	return false
}

func testLostResponse(t *testing.T, h Harness) {
	t.Run("CreateLead", func(t *testing.T) {
		fx := setup(t, h)
		fi := fx.injector()
		n := testNumber(4101)
		lead := &crm.Lead{SyncKey: crm.LeadKey("org-1", n.e164), LastName: "Inbound Lead", Phone: n.e164}
		fx.skipUnsupported(fi.LoseNextResponse(), "lose a response")
		c, err := fx.crm.CreateLead(fx.ctx, lead)
		fx.expectReconciled(lead.SyncKey, crm.ModuleLeads, c, err, func() (*crm.Created, error) { return fx.crm.CreateLead(fx.ctx, lead) })
	})
	t.Run("CreateCall", func(t *testing.T) {
		fx := setup(t, h)
		fi := fx.injector()
		contact := fx.addContact("Iyer", testNumber(4111).e164)
		call := &crm.Call{SyncKey: crm.CallKey("org-1", "dev-1", "lost"), Subject: "Inbound call", Type: crm.CallInbound,
			Start: start, Duration: time.Minute, Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}}
		fx.skipUnsupported(fi.LoseNextResponse(), "lose a response")
		c, err := fx.crm.CreateCall(fx.ctx, call)
		fx.expectReconciled(call.SyncKey, crm.ModuleCalls, c, err, func() (*crm.Created, error) { return fx.crm.CreateCall(fx.ctx, call) })
	})
	t.Run("CreateTask", func(t *testing.T) {
		fx := setup(t, h)
		fi := fx.injector()
		contact := fx.addContact("Iyer", testNumber(4121).e164)
		task := &crm.Task{SyncKey: crm.TaskKey("org-1", "dev-1", "lost"), Subject: "Call back", Due: start,
			Who: crm.Ref{Module: crm.ModuleContacts, ID: contact}}
		fx.skipUnsupported(fi.LoseNextResponse(), "lose a response")
		c, err := fx.crm.CreateTask(fx.ctx, task)
		fx.expectReconciled(task.SyncKey, crm.ModuleTasks, c, err, func() (*crm.Created, error) { return fx.crm.CreateTask(fx.ctx, task) })
	})
}

// expectReconciled checks what the Engine relies on after a lost response: the error does
// not promise "not applied", FindBySyncKey finds the record, and with unique keys a retried
// create names the same record instead of making a second one.
func (fx *fixture) expectReconciled(key string, module crm.Module, c *crm.Created, err error, retry func() (*crm.Created, error)) {
	t := fx.t
	t.Helper()
	if err == nil {
		t.Fatalf("a create whose response was lost must return an error; got %+v", c)
	}
	if !maybeApplied(err) {
		t.Fatalf("a create whose response was lost must return CodeUnavailable (or an unclassified error): "+
			"%s promises the write was not applied, which is false here (%v)", codeOf(err), err)
	}
	id := fx.requireFound(module, key, "a create applied before its response was lost must be found by its sync key")
	if !fx.feat.UniqueSyncKeys {
		return
	}
	c, err = retry()
	expectClash(t, c, err, id, "a create retried after a lost response")
}

func testContext(t *testing.T, h Harness) {
	fx := setup(t, h)
	who := crm.Ref{Module: crm.ModuleContacts, ID: fx.addContact("Iyer", testNumber(4201).e164)}
	ctx, cancel := context.WithCancel(fx.ctx)
	cancel()
	calls := []struct {
		name string
		key  string
		mod  crm.Module
		call func() error
	}{
		{"FindByPhone", "", "", func() error { _, err := fx.crm.FindByPhone(ctx, testNumber(4201).variants()); return err }},
		{"FindBySyncKey", "", "", func() error { _, err := fx.crm.FindBySyncKey(ctx, crm.ModuleLeads, "crmtest-ctx"); return err }},
		{"Users", "", "", func() error { _, err := fx.crm.Users(ctx); return err }},
		{"CreateLead", "crmtest-ctx-lead", crm.ModuleLeads, func() error {
			_, err := fx.crm.CreateLead(ctx, &crm.Lead{SyncKey: "crmtest-ctx-lead", LastName: "Inbound Lead"})
			return err
		}},
		{"CreateCall", "crmtest-ctx-call", crm.ModuleCalls, func() error {
			_, err := fx.crm.CreateCall(ctx, &crm.Call{SyncKey: "crmtest-ctx-call", Subject: "Inbound call", Type: crm.CallInbound, Start: start, Duration: time.Second, Who: who})
			return err
		}},
		{"CreateTask", "crmtest-ctx-task", crm.ModuleTasks, func() error {
			_, err := fx.crm.CreateTask(ctx, &crm.Task{SyncKey: "crmtest-ctx-task", Subject: "Call back", Due: start, Who: who})
			return err
		}},
	}
	for _, c := range calls {
		done := make(chan error, 1)
		go func() { done <- c.call() }()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s with a canceled ctx must return an error wrapping context.Canceled; got %v", c.name, err)
			}
		case <-time.After(timeout):
			t.Fatalf("%s with a canceled ctx must return promptly; it ran for %v", c.name, timeout)
		}
		if c.key != "" {
			fx.expectAbsent(c.mod, c.key, c.name+" with a canceled ctx must not write")
		}
	}
}

func testHostileInput(t *testing.T, h Harness) {
	t.Run("SearchSyntax", func(t *testing.T) {
		fx := setup(t, h)
		n := testNumber(4301)
		fx.addLead("Target", n.e164)
		fx.addContact("Target", n.nsn)
		for _, v := range []string{"*", "%", "_", "' OR '1'='1", `") or (Phone:starts_with:9`, "+91987654%",
			n.nsn[:6] + "*", `\`, "(Phone:equals:" + n.nsn + ")", strings.Repeat("9", 4096)} {
			recs, err := fx.crm.FindByPhone(fx.ctx, []string{v})
			if err != nil {
				expectCode(t, err, leadcall.CodeInvalid, fmt.Sprintf("FindByPhone([%.40q]) may refuse a variant, with CodeInvalid", v))
				continue
			}
			if len(recs) != 0 {
				t.Errorf("FindByPhone([%.40q]) must treat the variant as a literal number, not a pattern or query: it found %d records", v, len(recs))
			}
		}
	})

	t.Run("HugeAndOddValues", func(t *testing.T) {
		fx := setup(t, h)
		for i, lead := range []*crm.Lead{
			{LastName: strings.Repeat("Ω", 100_000)},
			{LastName: "Inbound Lead", Description: strings.Repeat("d", 1<<20)},
			{LastName: "Inbound\x00Lead\u202e"},
			{LastName: "Inbound Lead", Phone: "+91\n98765\t43210"},
		} {
			lead.SyncKey = fmt.Sprintf("crmtest-hostile-%d", i)
			c, err := fx.crm.CreateLead(fx.ctx, lead)
			if err != nil {
				expectCode(t, err, leadcall.CodeInvalid, fmt.Sprintf("lead %d: input the CRM cannot store must be refused with CodeInvalid", i))
				fx.expectAbsent(crm.ModuleLeads, lead.SyncKey, "CodeInvalid promises the write was not applied")
				continue
			}
			if c == nil || c.ID == "" {
				t.Errorf("lead %d: a create without error must return an ID", i)
			}
		}
	})
}
