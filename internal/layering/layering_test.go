// Package layering checks the module's dependency direction (DESIGN.md §2, README
// "Architecture"): pure packages → root → adapters → examples, and nothing points back up.
package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/leadcall/leadcall"

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// layer of a package, from the bottom: a package may import only packages of lower layers
// (and, for adapters, its own family), never higher ones.
const (
	layerInternal = iota // plumbing: imports stdlib and third-party only
	layerPure            // no I/O: phone, attribution, device, crm, recovery
	layerRoot            // leadcall: domain, contracts, Engine
	layerFeature         // built on the root, any store and CRM: export (reports, backfill)
	layerAdapter         // crm/memcrm, crm/zoho, store/*, httpapi
	layerTestKit         // crmtest, storetest: imported only by tests
	layerExample         // examples/*: nothing imports them
)

var purePackages = []string{"phone", "attribution", "device", "crm", "recovery"}

// featurePackages work through the root's interfaces only, so transports (httpapi) and
// programs can use them with any store and CRM.
var featurePackages = []string{"export", "report"}

func layerOf(path string) int {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	switch {
	case path == module:
		return layerRoot
	case strings.HasPrefix(rel, "examples/"):
		return layerExample
	case strings.HasSuffix(rel, "crmtest") || strings.HasSuffix(rel, "storetest"):
		return layerTestKit
	case strings.HasPrefix(rel, "internal/"):
		return layerInternal
	case slices.Contains(purePackages, rel):
		return layerPure
	case slices.Contains(featurePackages, rel):
		return layerFeature
	default:
		return layerAdapter
	}
}

// family groups an adapter with its subpackages (crm/zoho and crm/zoho/zohotest); adapters
// of different families never import each other. Code shared by the stores lives in
// store/internal/..., which every store may import (Go's internal rule keeps others out).
func family(path string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	parts := strings.Split(rel, "/")
	if len(parts) >= 2 && parts[0] == "store" && parts[1] == "internal" {
		return "store/*"
	}
	if len(parts) >= 2 && (parts[0] == "crm" || parts[0] == "store") {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// forbiddenInPure are standard packages that mean I/O or a clock source of their own.
var forbiddenInPure = []string{"net", "net/http", "database/sql", "os", "os/exec", "io/fs", "syscall"}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.Output()
	require.NoError(t, err, "go list")
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// violations returns a message for every import of p that breaks the rules.
func violations(p pkg) []string {
	var out []string
	from := layerOf(p.ImportPath)
	for _, imp := range p.Imports {
		if !ours(imp) {
			if from == layerPure && slices.Contains(forbiddenInPure, imp) {
				out = append(out, p.ImportPath+" is pure but imports "+imp)
			}
			continue
		}
		to := layerOf(imp)
		switch {
		case to == layerExample && from != layerExample: // programs may share examples/internal
			out = append(out, p.ImportPath+" imports an example: "+imp)
		case to == layerTestKit && from != layerTestKit && from != layerExample:
			out = append(out, p.ImportPath+" imports test kit "+imp+" outside tests")
		case from == layerAdapter && to == layerAdapter && family(p.ImportPath) != family(imp) &&
			!(family(imp) == "store/*" && strings.HasPrefix(family(p.ImportPath), "store/")):
			out = append(out, "adapter "+p.ImportPath+" imports adapter "+imp)
		case to > from && !(from == layerTestKit && to == layerAdapter && family(imp) == family(p.ImportPath)):
			out = append(out, p.ImportPath+" imports "+imp+", which sits above it")
		case from == layerPure && to == layerPure && imp != module+"/phone" && p.ImportPath != module+"/recovery":
			// Pure packages stay leaves; recovery may use phone and the others.
			out = append(out, "pure "+p.ImportPath+" imports pure "+imp)
		}
	}
	for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
		// An external test may import its own package; an example's tests, other example code.
		if ours(imp) && layerOf(imp) == layerExample && imp != p.ImportPath && layerOf(p.ImportPath) != layerExample {
			out = append(out, p.ImportPath+" tests import an example: "+imp)
		}
	}
	return out
}

func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	var all []string
	for _, p := range listPackages(t) {
		all = append(all, violations(p)...)
	}
	require.Empty(t, all, "imports against the dependency direction")
}

// TestRulesCatchViolations proves the checker fails on the violations it exists to catch.
func TestRulesCatchViolations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		p    pkg
		bad  bool
	}{
		{"root imports adapter", pkg{ImportPath: module, Imports: []string{module + "/store/sqlite"}}, true},
		{"root imports pure", pkg{ImportPath: module, Imports: []string{module + "/phone", module + "/crm"}}, false},
		{"pure imports root", pkg{ImportPath: module + "/attribution", Imports: []string{module}}, true},
		{"pure does I/O", pkg{ImportPath: module + "/device", Imports: []string{"net/http"}}, true},
		{"pure imports pure", pkg{ImportPath: module + "/device", Imports: []string{module + "/attribution"}}, true},
		{"adapter imports other adapter", pkg{ImportPath: module + "/store/sqlite", Imports: []string{module + "/crm/zoho"}}, true},
		{"adapter imports own family", pkg{ImportPath: module + "/crm/memcrm/memcrmhttp", Imports: []string{module + "/crm/memcrm"}}, false},
		{"adapter imports test kit", pkg{ImportPath: module + "/crm/zoho", Imports: []string{module + "/crm/crmtest"}}, true},
		{"test kit imports root", pkg{ImportPath: module + "/crm/crmtest", Imports: []string{module, module + "/crm"}}, false},
		{"anything imports example", pkg{ImportPath: module + "/crm/zoho", Imports: []string{module + "/examples/server"}}, true},
		{"example imports examples' shared code", pkg{ImportPath: module + "/examples/load", Imports: []string{module + "/examples/internal/simclient"}}, false},
		{"library imports examples' shared code", pkg{ImportPath: module + "/httpapi", Imports: []string{module + "/examples/internal/simclient"}}, true},
		{"example imports adapters", pkg{ImportPath: module + "/examples/server", Imports: []string{module + "/crm/zoho", module + "/store/sqlite"}}, false},
		{"internal imports root", pkg{ImportPath: module + "/internal/retry", Imports: []string{module}}, true},
		{"transport imports a feature", pkg{ImportPath: module + "/httpapi", Imports: []string{module + "/export"}}, false},
		{"feature imports an adapter", pkg{ImportPath: module + "/export", Imports: []string{module + "/store/sqlite"}}, true},
		{"root imports a feature", pkg{ImportPath: module, Imports: []string{module + "/export"}}, true},
		{"a store imports the stores' shared code", pkg{ImportPath: module + "/store/postgres", Imports: []string{module + "/store/internal/sqlshared"}}, false},
		{"a CRM imports the stores' shared code", pkg{ImportPath: module + "/crm/zoho", Imports: []string{module + "/store/internal/sqlshared"}}, true},
		{"example's external test imports the example", pkg{ImportPath: module + "/examples/partnercrm", XTestImports: []string{module + "/examples/partnercrm"}}, false},
		{"a test imports another example", pkg{ImportPath: module + "/crm/zoho", TestImports: []string{module + "/examples/server"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := violations(tc.p)
			require.Equal(t, tc.bad, len(got) > 0, "violations: %v", got)
		})
	}
}
