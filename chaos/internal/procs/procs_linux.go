package procs

import "syscall"

// sysProcAttr puts each child in its own process group and has the kernel
// kill it if the harness dies (Pdeathsig), so no child outlives a crashed
// or killed harness.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
