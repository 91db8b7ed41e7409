package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// Termination messages (Kubernetes semantics): every container gets a host
// file bind-mounted at its terminationMessagePath (default
// /dev/termination-log); what the process wrote there becomes
// state.terminated.message. With terminationMessagePolicy
// FallbackToLogsOnError, a container that failed with an empty file gets
// the tail of its log instead (80 lines, 2 KiB at most).
const (
	maxTerminationMessage = 4096
	fallbackLogLines      = 80
	fallbackLogBytes      = 2048
)

// terminationLogPath is the host file of one container incarnation.
func terminationLogPath(dataDir, uid, container string, attempt int) string {
	return filepath.Join(podDir(dataDir, uid), "termination", fmt.Sprintf("%s_%d", container, attempt))
}

// terminationMount creates the empty host file and returns its mount.
func terminationMount(dataDir string, pod *corev1.Pod, c *corev1.Container, attempt int) (Mount, error) {
	path := terminationLogPath(dataDir, string(pod.UID), c.Name, attempt)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Mount{}, err
	}
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		return Mount{}, err
	}
	os.Chmod(path, 0o666) // any container user may write it
	dest := c.TerminationMessagePath
	if dest == "" {
		dest = corev1.TerminationMessagePathDefault
	}
	return Mount{Source: path, Destination: dest}, nil
}

// attachMessages sets the termination message of every exited container of
// the desired pods; log tails for FallbackToLogsOnError are read once per
// container and remembered.
func (a *Agent) attachMessages(ctx context.Context, desired []*corev1.Pod, observed []ObservedPod) {
	specs := map[string]*corev1.Pod{}
	for _, p := range desired {
		specs[string(p.UID)] = p
	}
	for i := range observed {
		op := &observed[i]
		pod := specs[op.UID]
		if pod == nil {
			continue
		}
		for j := range op.Containers {
			oc := &op.Containers[j]
			if !oc.Exited() {
				continue
			}
			oc.Message = readCapped(terminationLogPath(a.opts.DataDir, op.UID, oc.Name, oc.Attempt), maxTerminationMessage)
			c := specContainer(pod, oc.Name)
			if oc.Message == "" && oc.ExitCode != 0 && c != nil && c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError {
				oc.Message = a.logTail(ctx, oc.ID)
			}
		}
	}
}

func (a *Agent) logTail(ctx context.Context, id string) string {
	a.mu.Lock()
	msg, ok := a.tails[id]
	a.mu.Unlock()
	if ok {
		return msg
	}
	var buf bytes.Buffer
	if err := a.opts.Runtime.Logs(ctx, id, LogOptions{TailLines: fallbackLogLines}, &buf); err != nil {
		return ""
	}
	b := buf.Bytes()
	if len(b) > fallbackLogBytes {
		b = b[len(b)-fallbackLogBytes:]
	}
	a.mu.Lock()
	if len(a.tails) > 1000 {
		a.tails = map[string]string{}
	}
	a.tails[id] = string(b)
	a.mu.Unlock()
	return string(b)
}

func readCapped(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return string(b)
}
