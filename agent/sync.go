package agent

import (
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ActionKind names what the executor does.
type ActionKind string

const (
	ActCreatePod       ActionKind = "create-pod"
	ActStartContainer  ActionKind = "start-container"
	ActStopContainer   ActionKind = "stop-container"
	ActRemoveContainer ActionKind = "remove-container"
	ActRemovePod       ActionKind = "remove-pod"
	// ActTerminatePod stops a terminating pod's containers (SIGTERM, SIGKILL
	// when its grace period ends), reports them terminated, removes the
	// Podman pod and finalizes the pod in the store.
	ActTerminatePod ActionKind = "terminate-pod"
	// ActFinalizePod finalizes a terminating pod that has nothing left in Podman.
	ActFinalizePod ActionKind = "finalize-pod"
)

// Action is one step towards the desired state. Sync emits them in the order
// they must run.
type Action struct {
	Kind        ActionKind
	Pod         *corev1.Pod // the desired pod (create-pod, start-container)
	Container   string      // container name in the pod spec
	Attempt     int         // start-container: the new container's attempt number
	PodmanPodID string      // remove-pod
	UID         string      // remove-pod: the uid of the pod being removed
	ContainerID string      // stop-container, remove-container
	Grace       time.Duration
	Reason      string // why, for logs and golden tests
	// Drift, on a start-container, says the container is restored because
	// it was changed outside reconcile (see driftOf); "" otherwise.
	Drift string
}

func (a Action) String() string {
	target := a.PodmanPodID
	if a.Pod != nil {
		target = podKey(a.Pod)
	}
	s := fmt.Sprintf("%s %s", a.Kind, target)
	if a.Container != "" {
		s += " container=" + a.Container
	}
	if a.Kind == ActStartContainer {
		s += fmt.Sprintf(" attempt=%d", a.Attempt)
	}
	if a.ContainerID != "" {
		s += " id=" + a.ContainerID
	}
	if a.Grace != 0 || a.Kind == ActTerminatePod {
		s += " grace=" + a.Grace.String()
	}
	s += ": " + a.Reason
	if a.Drift != "" {
		s += " (drift: " + a.Drift + ")"
	}
	return s
}

// Sync compares the pods bound to this node with what Podman runs and returns
// the actions that bring Podman to the desired state. It is pure: same inputs,
// same actions; a healthy pod yields none.
func Sync(desired []*corev1.Pod, observed []ObservedPod, now time.Time) []Action {
	var actions []Action
	byUID := map[string]*ObservedPod{}
	for i := range observed {
		byUID[observed[i].UID] = &observed[i]
	}
	wanted := map[string]bool{}
	terminating := map[string]*corev1.Pod{}
	for _, pod := range desired {
		if pod.DeletionTimestamp != nil {
			terminating[string(pod.UID)] = pod
			continue
		}
		wanted[string(pod.UID)] = true
	}
	// Removals first: they free names, ports and memory for what follows.
	for _, op := range sortedObserved(observed) {
		if pod := terminating[op.UID]; pod != nil {
			actions = append(actions, Action{Kind: ActTerminatePod, Pod: pod, PodmanPodID: op.ID, UID: op.UID,
				Grace: remainingGrace(pod, now), Reason: "pod is being deleted"})
			continue
		}
		if !wanted[op.UID] {
			actions = append(actions, Action{Kind: ActRemovePod, PodmanPodID: op.ID, UID: op.UID, Grace: op.Grace,
				Reason: fmt.Sprintf("pod %s (uid %s) is no longer bound to this node", op.Key, op.UID)})
		}
	}
	for _, pod := range desired {
		if pod.DeletionTimestamp != nil && byUID[string(pod.UID)] == nil {
			actions = append(actions, Action{Kind: ActFinalizePod, Pod: pod, UID: string(pod.UID),
				Reason: "pod is being deleted and nothing of it runs"})
		}
	}
	for _, pod := range desired {
		if !wanted[string(pod.UID)] {
			continue
		}
		if op := byUID[string(pod.UID)]; sandboxChanged(pod, op) {
			actions = append(actions, recreateSandbox(op))
			continue
		}
		actions = append(actions, syncPod(pod, byUID[string(pod.UID)], now)...)
	}
	return actions
}

// remainingGrace is what is left of a terminating pod's grace period,
// measured from its deletionTimestamp (not from when this agent saw it), so
// an agent restarted mid-termination still sends SIGKILL on time. It is
// rounded up to whole seconds: never killed before the deadline.
func remainingGrace(pod *corev1.Pod, now time.Time) time.Duration {
	secs := gracePeriodSeconds(pod)
	if pod.DeletionGracePeriodSeconds != nil {
		secs = *pod.DeletionGracePeriodSeconds
	}
	left := pod.DeletionTimestamp.Add(time.Duration(secs) * time.Second).Sub(now)
	if left <= 0 {
		return 0
	}
	return left.Truncate(time.Second) + time.Duration(boolInt(left%time.Second != 0))*time.Second
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedObserved(observed []ObservedPod) []ObservedPod {
	out := append([]ObservedPod(nil), observed...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key+out[i].UID < out[j].Key+out[j].UID })
	return out
}

func syncPod(pod *corev1.Pod, op *ObservedPod, now time.Time) []Action {
	var actions []Action
	if op == nil {
		actions = append(actions, Action{Kind: ActCreatePod, Pod: pod, Reason: "no Podman pod yet"})
		op = &ObservedPod{}
	} else if isTerminal(pod.Status.Phase) {
		return nil // Succeeded/Failed pods keep their containers and never restart
	}
	inSpec := map[string]bool{}
	for i := range pod.Spec.InitContainers {
		inSpec[pod.Spec.InitContainers[i].Name] = true
	}
	initialized, initActions := syncInitContainers(pod, op, now)
	actions = append(actions, initActions...)
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		inSpec[c.Name] = true
		if initialized {
			actions = append(actions, syncContainer(pod, c, op, now, restartPolicy(pod))...)
		}
	}
	// Containers the spec no longer names (a changed uid creates a new pod,
	// so this is rare) and incarnations older than the previous one go.
	latest := latestAttempts(op.Containers)
	for _, oc := range sortedContainers(op.Containers) {
		switch {
		case !inSpec[oc.Name]:
			actions = append(actions, Action{Kind: ActRemoveContainer, Pod: pod, Container: oc.Name,
				ContainerID: oc.ID, Reason: "container is not in the pod spec"})
		case oc.Attempt < latest[oc.Name]-1:
			actions = append(actions, Action{Kind: ActRemoveContainer, Pod: pod, Container: oc.Name,
				ContainerID: oc.ID, Reason: fmt.Sprintf("attempt %d is older than the previous one", oc.Attempt)})
		}
	}
	return actions
}

// syncContainer keeps one container running or finished per policy (the
// pod's restartPolicy, or the one that applies to an init container).
func syncContainer(pod *corev1.Pod, c *corev1.Container, op *ObservedPod, now time.Time, policy corev1.RestartPolicy) []Action {
	if f, failed := op.Failures[c.Name]; failed && f.SpecHash == containerSpecHash(c) && now.Before(failureRetryAt(f)) {
		// Back off; status shows the failure's reason meanwhile. A changed
		// spec (say, a fixed image name) is tried at once.
		return nil
	}
	cur, ok := currentContainer(op.Containers, c.Name)
	if !ok {
		return []Action{{Kind: ActStartContainer, Pod: pod, Container: c.Name, Attempt: 0, Reason: "not started yet",
			Drift: driftOf(op, c.Name, cur, ok)}}
	}
	next := Action{Kind: ActStartContainer, Pod: pod, Container: c.Name, Attempt: cur.Attempt + 1}
	if cur.SpecHash != containerSpecHash(c) {
		next.Reason = "container spec changed"
		if cur.Running() {
			stop := Action{Kind: ActStopContainer, Pod: pod, Container: c.Name, ContainerID: cur.ID,
				Grace: time.Duration(gracePeriodSeconds(pod)) * time.Second, Reason: "container spec changed"}
			return []Action{stop, next}
		}
		return []Action{next}
	}
	switch {
	case cur.Running() && op.Probes[cur.ID].Unhealthy != "":
		// A failed liveness or startup probe: kill it; the restart policy
		// and backoff decide about the next attempt, as for any exit.
		return []Action{{Kind: ActStopContainer, Pod: pod, Container: c.Name, ContainerID: cur.ID,
			Grace: probeGrace(pod, c), Reason: op.Probes[cur.ID].Unhealthy}}
	case cur.Running():
		return nil
	case !cur.Exited():
		// Created but never started (an agent killed between create and
		// start): replace it under the same attempt number.
		return []Action{{Kind: ActRemoveContainer, Pod: pod, Container: c.Name, ContainerID: cur.ID,
			Reason: "container was created but never started"},
			{Kind: ActStartContainer, Pod: pod, Container: c.Name, Attempt: cur.Attempt, Reason: "replacing a container that never started"}}
	}
	if cur.Settling {
		return nil // died a moment ago: a crash or a stop by hand? (podman_stops.go)
	}
	if !shouldRestart(policy, cur.ExitCode) {
		return nil
	}
	next.Drift = driftOf(op, c.Name, cur, ok)
	if at := restartAt(cur); now.Before(at) && next.Drift == "" {
		return nil // CrashLoopBackOff; a stop by hand is no crash and is repaired at once
	}
	next.Reason = fmt.Sprintf("exited with code %d, restartPolicy %s", cur.ExitCode, policy)
	return []Action{next}
}

// probeGrace is the grace period of a container killed by its probe: the
// probe's own terminationGracePeriodSeconds, else the pod's.
func probeGrace(pod *corev1.Pod, c *corev1.Container) time.Duration {
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.StartupProbe} {
		if p != nil && p.TerminationGracePeriodSeconds != nil {
			return time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
		}
	}
	return gracePeriod(pod)
}

func restartPolicy(pod *corev1.Pod) corev1.RestartPolicy {
	if pod.Spec.RestartPolicy == "" {
		return corev1.RestartPolicyAlways
	}
	return pod.Spec.RestartPolicy
}

func shouldRestart(policy corev1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	default:
		return true
	}
}

func isTerminal(phase corev1.PodPhase) bool {
	return phase == corev1.PodSucceeded || phase == corev1.PodFailed
}

// currentContainer is the latest incarnation of a spec container.
func currentContainer(cs []ObservedContainer, name string) (ObservedContainer, bool) {
	var cur ObservedContainer
	found := false
	for _, c := range cs {
		if c.Name == name && (!found || c.Attempt > cur.Attempt) {
			cur, found = c, true
		}
	}
	return cur, found
}

// previousContainer is the incarnation before the current one, for lastState.
func previousContainer(cs []ObservedContainer, name string, attempt int) (ObservedContainer, bool) {
	for _, c := range cs {
		if c.Name == name && c.Attempt == attempt-1 {
			return c, true
		}
	}
	return ObservedContainer{}, false
}

func latestAttempts(cs []ObservedContainer) map[string]int {
	m := map[string]int{}
	for _, c := range cs {
		if c.Attempt > m[c.Name] {
			m[c.Name] = c.Attempt
		}
	}
	return m
}

func sortedContainers(cs []ObservedContainer) []ObservedContainer {
	out := append([]ObservedContainer(nil), cs...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Attempt < out[j].Attempt
	})
	return out
}
