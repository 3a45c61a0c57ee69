package main

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEmbedRuns runs the example as a program and checks what it prints.
func TestEmbedRuns(t *testing.T) {
	if os.Getenv("LEADCALL_EMBED_CHILD") == "1" {
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmbedRuns$")
	cmd.Env = append(os.Environ(), "LEADCALL_EMBED_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "ingest: accepted\noutcome: created_lead\nCRM: 1 lead, 1 call, 1 task\n")
}
