package agent

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Init containers (Kubernetes semantics): they run one at a time, in order,
// each to a successful exit before the next starts, and the app containers
// start only when all are done. A failed init container is restarted (with
// backoff) unless the pod's restartPolicy is Never, which fails the pod.
// An init container with restartPolicy Always is a sidecar: it is started in
// its turn, counts as done once it runs, and keeps running (restarted
// always) beside the app containers.

// isSidecar says whether an init container is a sidecar.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// initPolicy is the restart policy that applies to an init container:
// Always for sidecars; a pod's Always means OnFailure for the others, since
// an init container that succeeded must not run again.
func initPolicy(pod *corev1.Pod, c *corev1.Container) corev1.RestartPolicy {
	if isSidecar(c) {
		return corev1.RestartPolicyAlways
	}
	if restartPolicy(pod) == corev1.RestartPolicyNever {
		return corev1.RestartPolicyNever
	}
	return corev1.RestartPolicyOnFailure
}

// initDone says whether a pod's init phase is over: every init container
// succeeded (sidecars: runs), or an app container was already started (the
// kubelet does not rerun init containers of a pod that got that far, even
// when their exited containers are gone).
func initDone(pod *corev1.Pod, op *ObservedPod) bool {
	for i := range pod.Spec.Containers {
		if _, ok := currentContainer(op.Containers, pod.Spec.Containers[i].Name); ok {
			return true
		}
	}
	for i := range pod.Spec.InitContainers {
		if !initContainerDone(&pod.Spec.InitContainers[i], op) {
			return false
		}
	}
	return true
}

func initContainerDone(c *corev1.Container, op *ObservedPod) bool {
	cur, ok := currentContainer(op.Containers, c.Name)
	if !ok {
		return false
	}
	if isSidecar(c) {
		return cur.Running() || cur.Attempt > 0 || cur.Exited()
	}
	return cur.Exited() && cur.ExitCode == 0
}

// initFailed says whether an init container failed for good (restartPolicy Never).
func initFailed(pod *corev1.Pod, op *ObservedPod) bool {
	if restartPolicy(pod) != corev1.RestartPolicyNever || initDone(pod, op) {
		return false
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if cur, ok := currentContainer(op.Containers, c.Name); ok && !isSidecar(c) && cur.Exited() && cur.ExitCode != 0 {
			return true
		}
	}
	return false
}

// syncInitContainers returns whether the app containers may run and the
// actions for the init containers: the next one to start or restart, and
// the sidecars to keep running.
func syncInitContainers(pod *corev1.Pod, op *ObservedPod, now time.Time) (bool, []Action) {
	var actions []Action
	done := initDone(pod, op)
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if isSidecar(c) {
			acts := syncContainer(pod, c, op, now, corev1.RestartPolicyAlways)
			actions = append(actions, acts...)
			if !done && !initContainerDone(c, op) {
				return false, actions // the next init container waits for this sidecar to run
			}
			continue
		}
		if done || initContainerDone(c, op) {
			continue
		}
		return false, append(actions, syncContainer(pod, c, op, now, initPolicy(pod, c))...)
	}
	return true, actions
}
