package fdlimit

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// MaxWanted is the limit Raise aims at (systemd's LimitNOFILE for
// kube-apiserver and etcd).
const MaxWanted = 1 << 20

// Limit is a soft and a hard RLIMIT_NOFILE.
type Limit struct{ Soft, Hard uint64 }

// Targets are the limits to try, best first, from the current limit and
// the kernel's fs.nr_open (0: unknown): the raised hard limit (needs
// privilege), then the soft limit at the hard one. Empty when nothing is
// to be gained. It is pure.
func Targets(cur Limit, nrOpen uint64) []Limit {
	want := uint64(MaxWanted)
	if nrOpen > 0 && nrOpen < want {
		want = nrOpen
	}
	var out []Limit
	if cur.Hard < want {
		out = append(out, Limit{Soft: want, Hard: want})
	}
	if cur.Soft < cur.Hard {
		out = append(out, Limit{Soft: cur.Hard, Hard: cur.Hard})
	}
	return out
}

// Raise lifts RLIMIT_NOFILE as far as Targets and privilege allow and
// returns the limits before and after. Without the privilege to raise
// the hard limit (a container without CAP_SYS_RESOURCE) the soft one
// stays at the hard one; an error means not even that was possible.
func Raise() (before, after Limit, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return Limit{}, Limit{}, err
	}
	before = Limit{Soft: rl.Cur, Hard: rl.Max}
	after = before
	for _, t := range Targets(before, nrOpen()) {
		err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: t.Soft, Max: t.Hard})
		if err == nil {
			return before, t, nil
		}
	}
	if after.Soft == after.Hard {
		err = nil // the hard limit could not be raised: the soft one is already there
	}
	return before, after, err
}

// nrOpen is the kernel's bound on any process's open files (0: unknown).
func nrOpen() uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}
