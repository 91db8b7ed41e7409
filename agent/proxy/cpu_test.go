package proxy

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time used so far by this process and its waited-for
// children (iptables-restore): on a loaded machine it varies much less
// than wall time.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
}

// sysTime is the part of cpuTime spent in the kernel for this process
// (with netlink, the nftables transaction's own checks and commit).
func sysTime() time.Duration {
	var self syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	return time.Duration(self.Stime.Nano())
}
