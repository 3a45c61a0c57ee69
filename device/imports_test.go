package device_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The package sits below the root package and must stay pure: only the
// standard library, and none of the I/O packages.
func TestImportsOnlyPureStandardLibrary(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	forbidden := []string{"os", "io", "net", "database", "syscall", "log", "unsafe", "math/rand", "crypto/rand"}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			first, _, _ := strings.Cut(path, "/")
			require.NotContains(t, first, ".", "%s imports non-standard %q", name, path)
			for _, bad := range forbidden {
				require.False(t, path == bad || strings.HasPrefix(path, bad+"/"), "%s imports %q: package device does no I/O", name, path)
			}
		}
		checked++
	}
	require.Positive(t, checked)
}

// The package reads no clock: time.Now and friends never appear in it.
func TestNoClockReads(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, call := range []string{"time.Now(", "time.Since(", "time.Until(", "time.After(", "time.Sleep(", "time.NewTimer(", "time.Tick("} {
			require.NotContains(t, string(src), call, "%s reads the clock", name)
		}
	}
}
