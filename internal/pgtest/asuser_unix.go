//go:build unix

package pgtest

import (
	"os/exec"
	"syscall"
)

// asUser makes cmd run with the given uid and gid (the caller is root).
func asUser(cmd *exec.Cmd, uid, gid int) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}
