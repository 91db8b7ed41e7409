package agent

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	spec "github.com/opencontainers/runtime-spec/specs-go"
)

// Exec runs cmd in a running container and returns its exit code and
// combined output (at most 4 KiB kept).
func (r *PodmanRuntime) Exec(ctx context.Context, id string, cmd []string) (_ int, _ string, err error) {
	defer r.countError("exec", &err)
	session, err := r.api.ExecCreate(ctx, id, cmd)
	if err != nil {
		return -1, "", fmt.Errorf("exec in container %s: %w", id, err)
	}
	out := &capWriter{max: 4 << 10}
	if err := r.api.ExecStart(ctx, session, out, out); err != nil {
		return -1, out.String(), fmt.Errorf("exec in container %s: %w", id, err)
	}
	code, err := r.api.ExecExitCode(ctx, session)
	if err != nil {
		return -1, out.String(), fmt.Errorf("exec in container %s: %w", id, err)
	}
	return code, out.String(), nil
}

// capWriter keeps the first max bytes written to it, from any goroutine.
type capWriter struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *capWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// oomKilled asks Podman (once per exited container) whether the kernel's
// OOM killer ended it: the list does not say, only inspect does.
func (r *PodmanRuntime) oomKilled(ctx context.Context, id string) bool {
	r.mu.Lock()
	v, ok := r.oom[id]
	r.mu.Unlock()
	if ok {
		return v
	}
	data, err := r.api.InspectContainer(ctx, id)
	if err != nil || data.State == nil {
		return false // asked again at the next list
	}
	killed := data.State.OOMKilled || kernelOOMKills()[id]
	r.mu.Lock()
	r.oom[id] = killed
	r.mu.Unlock()
	return killed
}

// linuxResources maps resolved limits to the OCI resources Podman applies
// (cgroup v1 or v2). Swap is limited to the memory limit: no swap, as in
// Kubernetes, so a container over its limit is OOM-killed.
func linuxResources(res Resources) *spec.LinuxResources {
	if res == (Resources{}) {
		return nil
	}
	out := &spec.LinuxResources{}
	if res.MemoryLimit > 0 {
		m := res.MemoryLimit
		out.Memory = &spec.LinuxMemory{Limit: &m, Swap: &m}
	}
	if res.CPUQuota > 0 || res.CPUShares > 0 {
		out.CPU = &spec.LinuxCPU{}
		if res.CPUQuota > 0 {
			q, p := res.CPUQuota, res.CPUPeriod
			out.CPU.Quota, out.CPU.Period = &q, &p
		}
		if res.CPUShares > 0 {
			sh := res.CPUShares
			out.CPU.Shares = &sh
		}
	}
	return out
}
