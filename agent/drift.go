package agent

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// ReasonDriftRepaired is the Normal event the agent records when it restores
// a container someone removed, stopped or killed by hand in Podman.
const ReasonDriftRepaired = "DriftRepaired"

// Issued is what the agent itself did to a pod's containers: which spec
// containers it started and which container IDs it stopped (probe kills,
// spec changes). Sync compares it with what Podman shows to tell a hand-made
// change (podman rm, podman stop) from a crash or the agent's own work.
// It lives in memory: after an agent restart nothing counts as drift until
// the agent started the container again.
type Issued struct {
	Started map[string]bool // container names
	Stopped map[string]bool // container IDs
}

// driftOf says why a spec container counts as changed outside reconcile, or
// "" when it does not: gone although the agent started it, or ended by a
// stop through Podman, or by SIGKILL/SIGTERM, that the agent did not ask for
// (and not by the OOM killer). A program that exits 0 on SIGTERM counts
// because Podman reports the stop (StoppedOutside).
func driftOf(op *ObservedPod, name string, cur ObservedContainer, found bool) string {
	if !found {
		if op.Issued.Started[name] {
			return "was removed outside reconcile (podman rm)"
		}
		return ""
	}
	if !cur.Exited() || cur.OOMKilled || op.Issued.Stopped[cur.ID] {
		return ""
	}
	if cur.StoppedOutside || cur.ExitCode == 137 || cur.ExitCode == 143 {
		return fmt.Sprintf("was stopped outside reconcile (podman stop, exit code %d)", cur.ExitCode)
	}
	return ""
}

// noteStarted and noteStopped remember the agent's own work for driftOf.
func (a *Agent) noteStarted(uid, container string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	is := a.issuedFor(uid)
	is.Started[container] = true
}

func (a *Agent) noteStopped(uid, containerID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	is := a.issuedFor(uid)
	is.Stopped[containerID] = true
}

// issuedFor needs a.mu held.
func (a *Agent) issuedFor(uid string) Issued {
	is, ok := a.issued[uid]
	if !ok {
		is = Issued{Started: map[string]bool{}, Stopped: map[string]bool{}}
		a.issued[uid] = is
	}
	return is
}

// attachIssued copies the agent's memory into an observed pod; needs a.mu held.
func (a *Agent) attachIssued(op *ObservedPod) {
	is, ok := a.issued[op.UID]
	if !ok {
		return
	}
	op.Issued = Issued{Started: map[string]bool{}, Stopped: map[string]bool{}}
	for k := range is.Started {
		op.Issued.Started[k] = true
	}
	for k := range is.Stopped {
		op.Issued.Stopped[k] = true
	}
}

// recordDriftRepaired reports a restored container as a Normal event.
func (a *Agent) recordDriftRepaired(ctx context.Context, act Action) {
	a.events.record(ctx, act.Pod, act.Container, corev1.EventTypeNormal, ReasonDriftRepaired,
		"container %s of pod %s %s; recreated", act.Container, podKey(act.Pod), act.Drift)
}
