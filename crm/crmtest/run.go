package crmtest

import (
	"testing"

	"github.com/leadcall/leadcall"
)

// Run runs the conformance suite against the CRMs h makes, each test as a named, parallel
// subtest with a fresh CRM. Tests that need an optional interface, a Feature or a Seeder
// extension that is absent are skipped with the reason.
func Run(t *testing.T, h Harness) {
	t.Helper()
	t.Run("Features", func(t *testing.T) { testFeatures(t, h) })
	t.Run("FindByPhone", func(t *testing.T) { testFindByPhone(t, h) })
	t.Run("CreateLead", func(t *testing.T) { testCreateLead(t, h) })
	t.Run("CreateCall", func(t *testing.T) { testCreateCall(t, h) })
	t.Run("CreateTask", func(t *testing.T) { testCreateTask(t, h) })
	t.Run("Owners", func(t *testing.T) { testOwners(t, h) })
	t.Run("Picklists", func(t *testing.T) { testPicklists(t, h) })
	t.Run("SyncKeys", func(t *testing.T) { testSyncKeys(t, h) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, h) })
	t.Run("LostResponse", func(t *testing.T) { testLostResponse(t, h) })
	t.Run("Context", func(t *testing.T) { testContext(t, h) })
	t.Run("HostileInput", func(t *testing.T) { testHostileInput(t, h) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, h) })
	t.Run("FieldDescriber", func(t *testing.T) { testFieldDescriber(t, h) })
	t.Run("Bundler", func(t *testing.T) { testBundler(t, h) })
	t.Run("TaskCompleter", func(t *testing.T) { testTaskCompleter(t, h) })
	t.Run("SyncKeyChecker", func(t *testing.T) { testSyncKeyChecker(t, h) })
}

// testFeatures checks that the declared optional interfaces are the implemented ones.
func testFeatures(t *testing.T, h Harness) {
	fx := setup(t, h)
	_, describer := fx.crm.(leadcall.FieldDescriber)
	_, bundler := fx.crm.(leadcall.Bundler)
	_, completer := fx.crm.(leadcall.TaskCompleter)
	_, checker := fx.crm.(leadcall.SyncKeyChecker)
	for _, c := range []struct {
		name                string
		declared, implement bool
	}{
		{"FieldDescriber", fx.feat.FieldDescriber, describer},
		{"Bundler", fx.feat.Bundler, bundler},
		{"TaskCompleter", fx.feat.TaskCompleter, completer},
		{"SyncKeyChecker", fx.feat.SyncKeyChecker, checker},
	} {
		switch {
		case c.implement && !c.declared:
			t.Errorf("the CRM implements leadcall.%s but Features.%[1]s is false: the Engine will use it, "+
				"so the suite must test it", c.name)
		case c.declared && !c.implement:
			t.Errorf("Features.%s is true but the CRM does not implement leadcall.%[1]s", c.name)
		}
	}
	if fx.feat.IndexLag < 0 {
		t.Errorf("Features.IndexLag is negative")
	}
}
