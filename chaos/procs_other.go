//go:build !linux

package chaos

import "syscall"

// sysProcAttr puts each node in its own process group. Without Linux's
// Pdeathsig a node can outlive a harness killed with SIGKILL.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
