package agent

import (
	"fmt"

	"k8s.io/utils/ptr"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"time"
)

// Status computes a pod's status from what Podman runs. It is pure. Times are
// truncated to seconds (what the JSON form keeps), and a condition whose
// status did not change keeps its lastTransitionTime from pod.Status, so the
// same observation always yields an equal status and the agent writes only
// real changes.
func Status(pod *corev1.Pod, op *ObservedPod, now time.Time, hostIP string) corev1.PodStatus {
	now = now.Truncate(time.Second)
	st := corev1.PodStatus{HostIP: hostIP, QOSClass: pod.Status.QOSClass}
	if hostIP != "" {
		st.HostIPs = []corev1.HostIP{{IP: hostIP}}
	}
	if op == nil {
		op = &ObservedPod{}
	}
	if ip := podIPOf(pod, op.IP, hostIP); ip != "" {
		st.PodIP = ip
		st.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	switch {
	case pod.Status.StartTime != nil:
		st.StartTime = pod.Status.StartTime.DeepCopy()
	case !op.Created.IsZero():
		st.StartTime = mtime(op.Created)
	default:
		st.StartTime = mtime(now)
	}
	initialized := initDone(pod, op)
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		cs := containerStatus(pod, c, op, now, initPolicy(pod, c))
		if !isSidecar(c) {
			// An init container is ready once it completed, as in Kubernetes.
			cs.Ready = cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0
		}
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
	}
	allReady := len(pod.Spec.Containers) > 0
	for i := range pod.Spec.Containers {
		cs := containerStatus(pod, &pod.Spec.Containers[i], op, now, restartPolicy(pod))
		if !initialized && cs.State.Waiting != nil && cs.State.Waiting.Reason == "ContainerCreating" {
			cs.State.Waiting.Reason = "PodInitializing"
		}
		allReady = allReady && cs.Ready
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}
	switch {
	case initFailed(pod, op):
		st.Phase = corev1.PodFailed
	case !initialized:
		st.Phase = corev1.PodPending
	default:
		st.Phase = podPhase(pod, st.ContainerStatuses)
	}
	if isTerminal(pod.Status.Phase) {
		st.Phase = pod.Status.Phase // terminal phases never change back
	}
	ready := allReady && st.Phase == corev1.PodRunning
	initReason := ""
	if !initialized {
		initReason = "ContainersNotInitialized"
	}
	st.Conditions = []corev1.PodCondition{
		condition(pod, corev1.PodScheduled, true, "", now),
		condition(pod, corev1.PodInitialized, initialized, initReason, now),
		condition(pod, corev1.ContainersReady, ready, notReadyReason(ready, st.Phase), now),
		condition(pod, corev1.PodReady, ready, notReadyReason(ready, st.Phase), now),
	}
	return st
}

func notReadyReason(ready bool, phase corev1.PodPhase) string {
	switch {
	case ready:
		return ""
	case phase == corev1.PodSucceeded || phase == corev1.PodFailed:
		return "PodCompleted"
	default:
		return "ContainersNotReady"
	}
}

func condition(pod *corev1.Pod, t corev1.PodConditionType, ok bool, reason string, now time.Time) corev1.PodCondition {
	c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, LastTransitionTime: metav1.NewTime(now)}
	if ok {
		c.Status = corev1.ConditionTrue
	}
	for _, old := range pod.Status.Conditions {
		if old.Type == t && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
			c.LastTransitionTime = old.LastTransitionTime
		}
	}
	return c
}

func containerStatus(pod *corev1.Pod, c *corev1.Container, op *ObservedPod, now time.Time, policy corev1.RestartPolicy) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image}
	cur, ok := currentContainer(op.Containers, c.Name)
	if !ok {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		if f, failed := op.Failures[c.Name]; failed {
			cs.State.Waiting = failureWaiting(c, f, now)
		}
		cs.Started = ptr.To(false)
		return cs
	}
	cs.ContainerID = cur.ID
	cs.ImageID = cur.ImageID
	cs.RestartCount = int32(cur.Attempt)
	if prev, ok := previousContainer(op.Containers, c.Name, cur.Attempt); ok && prev.Exited() {
		cs.LastTerminationState.Terminated = terminated(prev)
	}
	switch {
	case cur.Running():
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: *mtime(cur.StartedAt)}
		// Probes decide: a startup probe holds "started" (and so readiness)
		// back until it succeeds; a readiness probe decides readiness. A
		// terminating pod is never ready.
		r := op.Probes[cur.ID]
		started := c.StartupProbe == nil || r.Started
		cs.Started = ptr.To(started)
		cs.Ready = started && (c.ReadinessProbe == nil || r.Ready) && pod.DeletionTimestamp == nil
	case cur.Exited():
		cs.Started = ptr.To(false)
		if f, failed := op.Failures[c.Name]; failed {
			cs.LastTerminationState.Terminated = terminated(cur)
			cs.State.Waiting = failureWaiting(c, f, now)
		} else if shouldRestart(policy, cur.ExitCode) && !isTerminal(pod.Status.Phase) && pod.DeletionTimestamp == nil {
			// Waiting for its restart: Kubernetes shows the dead container
			// as lastState and the pod as crash-looping.
			cs.LastTerminationState.Terminated = terminated(cur)
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: "back-off restarting failed container " + c.Name}
		} else {
			cs.State.Terminated = terminated(cur)
		}
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
		cs.Started = ptr.To(false)
	}
	return cs
}

// failureWaiting is the waiting state of a container whose start failed.
// Between pull attempts after the second failure it is ImagePullBackOff,
// worded as the kubelet words it.
func failureWaiting(c *corev1.Container, f StartFailure, now time.Time) *corev1.ContainerStateWaiting {
	if f.Reason == "ErrImagePull" && f.Count > 1 && now.Before(failureRetryAt(f)) {
		return &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", c.Image, f.Message)}
	}
	return &corev1.ContainerStateWaiting{Reason: f.Reason, Message: f.Message}
}

func terminated(c ObservedContainer) *corev1.ContainerStateTerminated {
	reason := "Completed"
	switch {
	case c.OOMKilled:
		reason = "OOMKilled"
	case c.ExitCode != 0:
		reason = "Error"
	}
	return &corev1.ContainerStateTerminated{ExitCode: c.ExitCode, Reason: reason, Message: c.Message, ContainerID: c.ID,
		StartedAt: *mtime(c.StartedAt), FinishedAt: *mtime(c.FinishedAt)}
}

// podPhase follows the kubelet's getPhase: any container waiting to be
// created keeps the pod Pending; a waiting container with a previous
// termination counts as stopped (it is restarting).
func podPhase(pod *corev1.Pod, statuses []corev1.ContainerStatus) corev1.PodPhase {
	var running, waiting, stopped, succeeded int
	for _, cs := range statuses {
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	switch {
	case waiting > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped > 0:
		switch {
		case pod.DeletionTimestamp != nil && stopped == succeeded:
			return corev1.PodSucceeded // terminated by deletion: terminal, as the kubelet reports it
		case pod.DeletionTimestamp != nil:
			return corev1.PodFailed
		case restartPolicy(pod) == corev1.RestartPolicyAlways:
			return corev1.PodRunning
		case stopped == succeeded:
			return corev1.PodSucceeded
		case restartPolicy(pod) == corev1.RestartPolicyNever:
			return corev1.PodFailed
		default:
			return corev1.PodRunning
		}
	}
	return corev1.PodPending
}

func mtime(t time.Time) *metav1.Time {
	if t.IsZero() {
		return &metav1.Time{}
	}
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}
