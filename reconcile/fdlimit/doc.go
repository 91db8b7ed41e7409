// Package fdlimit raises the process's open-files limit (RLIMIT_NOFILE)
// at the start of the processes that hold a socket per node: the
// controller (every agent's connections) and the node simulator (every
// simulated agent's). Go already lifts the soft limit to the hard one at
// start (since Go 1.19); Raise goes further where it may: with
// CAP_SYS_RESOURCE (root) it lifts the hard limit too, up to
// MaxWanted and the kernel's fs.nr_open, as systemd units of
// kube-apiserver and etcd set LimitNOFILE=1048576. A container whose
// hard limit is 20,000 ran out at 1,000 simulated nodes.
//
//	before, after, err := fdlimit.Raise()
package fdlimit
