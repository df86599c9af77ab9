//go:build !linux

package chain

import "syscall"

// sysProcAttr puts each service in its own process group. Without Linux's
// Pdeathsig a service can outlive a harness killed with SIGKILL.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
