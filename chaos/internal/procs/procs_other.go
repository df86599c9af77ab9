//go:build !linux

package procs

import "syscall"

// sysProcAttr puts each child in its own process group. Without Linux's
// Pdeathsig a child can outlive a harness killed with SIGKILL.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
