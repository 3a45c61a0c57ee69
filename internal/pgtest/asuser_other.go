//go:build !unix

package pgtest

import "os/exec"

// asUser is only needed when running as root, which the test helper checks on unix only.
func asUser(*exec.Cmd, int, int) {}
