package agent

import (
	"errors"
	"regexp"
	"strings"
	"syscall"
)

// Podman 4.3 with conmon 2.1 on cgroup v1 hosts does not notice OOM kills:
// inspect says OOMKilled=false for a container the kernel killed in its
// memory cgroup (conmon does see it, but writes its "oom" marker into its
// working directory, not where Podman looks). The kernel says so in its log,
// which is how the kubelet's cAdvisor finds OOM kills too: an "oom-kill:"
// record naming the task's memory cgroup, which holds the container ID.

var libpodCgroup = regexp.MustCompile(`libpod-([0-9a-f]{64})`)

// kernelOOMKills reads the kernel log (/dev/kmsg, root only) and returns
// the IDs of containers whose memory cgroup the OOM killer acted in. It
// returns an empty set when the log cannot be read.
func kernelOOMKills() map[string]bool {
	out := map[string]bool{}
	// Raw syscalls: an *os.File would hand the non-blocking descriptor to
	// the runtime poller, and a read at the end of the log would wait for
	// the next record instead of returning EAGAIN.
	fd, err := syscall.Open("/dev/kmsg", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return out
	}
	defer syscall.Close(fd)
	buf := make([]byte, 8192)
	for {
		n, err := syscall.Read(fd, buf) // one record per read
		if errors.Is(err, syscall.EPIPE) {
			continue // records were overwritten while reading: go on with the next
		}
		if err != nil || n <= 0 {
			return out // EAGAIN: the end of the log
		}
		oomKillRecord(string(buf[:n]), out)
	}
}

// oomKillRecord adds the container of one "oom-kill:" kernel record to ids.
func oomKillRecord(rec string, ids map[string]bool) {
	i := strings.Index(rec, "oom-kill:")
	if i < 0 {
		return
	}
	for _, field := range strings.Split(rec[i+len("oom-kill:"):], ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(field), "task_memcg="); ok {
			if m := libpodCgroup.FindStringSubmatch(v); m != nil {
				ids[m[1]] = true
			}
		}
	}
}
