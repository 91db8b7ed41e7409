package health

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Status is an object's health.
type Status string

const (
	// Healthy: the object does what it should (all replicas available, a
	// job complete, a pod running and ready).
	Healthy Status = "Healthy"
	// Progressing: not yet healthy but still getting there (a rollout, a
	// pod starting, a job running).
	Progressing Status = "Progressing"
	// Degraded: failed, or stuck (progress deadline exceeded, crash loop,
	// job failed).
	Degraded Status = "Degraded"
	// Suspended: paused on purpose (a paused Deployment, a suspended Job
	// or CronJob).
	Suspended Status = "Suspended"
	// Missing: desired in git but not in the store.
	Missing Status = "Missing"
	// None: kinds whose health is not assessed (ConfigMap, Secret, …).
	None Status = ""
)

// For adapts a kind's assessor to any object (the registry of controllers
// holds one per kind; controllers.Health dispatches on it).
func For[T objects.Object](assess func(T) (Status, string)) func(objects.Object) (Status, string) {
	return func(o objects.Object) (Status, string) {
		t, ok := o.(T)
		if !ok {
			return None, ""
		}
		return assess(t)
	}
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// Deployment assesses a Deployment (as Argo CD: observed generation, updated and available replicas, progress deadline).
func Deployment(d *appsv1.Deployment) (Status, string) {
	if d.Spec.Paused {
		return Suspended, "Deployment is paused"
	}
	if d.Generation > d.Status.ObservedGeneration {
		return Progressing, "Waiting for rollout to finish: observed deployment generation less than desired generation"
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return Degraded, fmt.Sprintf("Deployment %q exceeded its progress deadline", d.Name)
		}
	}
	want, s := replicasOf(d.Spec.Replicas), d.Status
	switch {
	case s.UpdatedReplicas < want:
		return Progressing, fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas have been updated...", s.UpdatedReplicas, want)
	case s.Replicas > s.UpdatedReplicas:
		return Progressing, fmt.Sprintf("Waiting for rollout to finish: %d old replicas are pending termination...", s.Replicas-s.UpdatedReplicas)
	case s.AvailableReplicas < s.UpdatedReplicas:
		return Progressing, fmt.Sprintf("Waiting for rollout to finish: %d of %d updated replicas are available...", s.AvailableReplicas, s.UpdatedReplicas)
	}
	return Healthy, fmt.Sprintf("%d of %d replicas available", s.AvailableReplicas, want)
}

// ReplicaSet assesses a ReplicaSet by its available replicas.
func ReplicaSet(rs *appsv1.ReplicaSet) (Status, string) {
	if rs.Generation > rs.Status.ObservedGeneration {
		return Progressing, "Waiting for rollout to finish: observed replica set generation less than desired generation"
	}
	for _, c := range rs.Status.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return Degraded, c.Message
		}
	}
	if want := replicasOf(rs.Spec.Replicas); rs.Status.AvailableReplicas < want {
		return Progressing, fmt.Sprintf("Waiting for rollout to finish: %d out of %d new replicas are available...", rs.Status.AvailableReplicas, want)
	}
	return Healthy, fmt.Sprintf("%d of %d replicas available", rs.Status.AvailableReplicas, replicasOf(rs.Spec.Replicas))
}

// StatefulSet assesses a StatefulSet by its observed generation and ready, updated replicas.
func StatefulSet(s *appsv1.StatefulSet) (Status, string) {
	if s.Status.ObservedGeneration == 0 || s.Generation > s.Status.ObservedGeneration {
		return Progressing, "Waiting for statefulset spec update to be observed..."
	}
	want := replicasOf(s.Spec.Replicas)
	if s.Status.ReadyReplicas < want {
		return Progressing, fmt.Sprintf("Waiting for %d pods to be ready...", want-s.Status.ReadyReplicas)
	}
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return Healthy, fmt.Sprintf("statefulset has %d ready pods", s.Status.ReadyReplicas)
	}
	if s.Status.UpdateRevision != "" && s.Status.UpdateRevision != s.Status.CurrentRevision {
		return Progressing, fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...", s.Status.UpdatedReplicas, s.Status.UpdateRevision)
	}
	return Healthy, fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", s.Status.CurrentReplicas, s.Status.CurrentRevision)
}

// DaemonSet assesses a DaemonSet by its observed generation and available, updated pods.
func DaemonSet(d *appsv1.DaemonSet) (Status, string) {
	if d.Generation > d.Status.ObservedGeneration {
		return Progressing, "Waiting for rollout to finish: observed daemon set generation less than desired generation"
	}
	s := d.Status
	switch {
	case s.UpdatedNumberScheduled < s.DesiredNumberScheduled:
		return Progressing, fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...", d.Name, s.UpdatedNumberScheduled, s.DesiredNumberScheduled)
	case s.NumberAvailable < s.DesiredNumberScheduled:
		return Progressing, fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...", d.Name, s.NumberAvailable, s.DesiredNumberScheduled)
	}
	return Healthy, fmt.Sprintf("%d of %d pods available", s.NumberAvailable, s.DesiredNumberScheduled)
}

// PodDisruptionBudget assesses a budget as Argo CD does: Progressing until
// the disruption controller wrote a condition, Degraded when it could not
// count the pods (SyncFailed), Healthy otherwise, also while no
// disruption is allowed (InsufficientPods: maxUnavailable 0 is a valid
// choice).
func PodDisruptionBudget(b *policyv1.PodDisruptionBudget) (Status, string) {
	for _, c := range b.Status.Conditions {
		if c.Type != policyv1.DisruptionAllowedCondition {
			continue
		}
		if c.Status == metav1.ConditionFalse && c.Reason != policyv1.InsufficientPodsReason {
			return Degraded, "PodDisruptionBudget has " + c.Reason + joinMsg(c.Message)
		}
		return Healthy, fmt.Sprintf("%d disruptions allowed (%d healthy pods, %d desired)", b.Status.DisruptionsAllowed, b.Status.CurrentHealthy, b.Status.DesiredHealthy)
	}
	return Progressing, "Waiting for status"
}

// Job assesses a Job by its Complete, Failed and Suspended conditions.
func Job(j *batchv1.Job) (Status, string) {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobFailed:
			return Degraded, "Job failed: " + c.Reason + joinMsg(c.Message)
		case batchv1.JobComplete:
			return Healthy, fmt.Sprintf("Job completed: %d succeeded", j.Status.Succeeded)
		case batchv1.JobSuspended:
			return Suspended, "Job is suspended"
		}
	}
	if j.Spec.Suspend != nil && *j.Spec.Suspend {
		return Suspended, "Job is suspended"
	}
	return Progressing, fmt.Sprintf("Job is running: %d active, %d succeeded, %d failed", j.Status.Active, j.Status.Succeeded, j.Status.Failed)
}

// CronJob assesses a CronJob: Suspended, or the health of its last run.
func CronJob(c *batchv1.CronJob) (Status, string) {
	if c.Spec.Suspend != nil && *c.Spec.Suspend {
		return Suspended, "CronJob is suspended"
	}
	s := c.Status
	switch {
	case s.LastScheduleTime == nil:
		return Healthy, "The CronJob has not run yet"
	case len(s.Active) > 0:
		return Healthy, fmt.Sprintf("%d job(s) running", len(s.Active))
	case s.LastSuccessfulTime == nil || s.LastSuccessfulTime.Before(s.LastScheduleTime):
		return Degraded, "The last job of the CronJob did not succeed"
	}
	return Healthy, "The last job succeeded"
}

// badWaiting are container waiting reasons that mean the pod is stuck.
var badWaiting = map[string]bool{
	"CrashLoopBackOff": true, "ErrImagePull": true, "ImagePullBackOff": true, "ErrImageNeverPull": true,
	"CreateContainerConfigError": true, "InvalidImageName": true, "CreateContainerError": true, "RunContainerError": true,
}

// Pod assesses a Pod by its phase, readiness and container states.
func Pod(p *corev1.Pod) (Status, string) {
	if p.DeletionTimestamp != nil {
		return Progressing, "Pod is terminating"
	}
	for _, cs := range append(append([]corev1.ContainerStatus(nil), p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && badWaiting[w.Reason] {
			return Degraded, fmt.Sprintf("container %s: %s%s", cs.Name, w.Reason, joinMsg(w.Message))
		}
	}
	switch p.Status.Phase {
	case corev1.PodSucceeded:
		return Healthy, "Pod completed"
	case corev1.PodFailed:
		msg := p.Status.Message
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 && msg == "" {
				msg = fmt.Sprintf("container %s exited with code %d%s", cs.Name, t.ExitCode, joinMsg(t.Reason))
			}
		}
		return Degraded, "Pod failed" + joinMsg(msg)
	case corev1.PodRunning:
		if p.Spec.RestartPolicy != "" && p.Spec.RestartPolicy != corev1.RestartPolicyAlways {
			return Progressing, "Pod is running"
		}
		if objects.PodReady(p) {
			return Healthy, "Pod is running and ready"
		}
		return Progressing, "Pod is running but not ready"
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return Progressing, "Pod is pending: " + c.Message
		}
	}
	return Progressing, "Pod is pending"
}

// Service assesses a Service (a LoadBalancer waits for its ingress; one
// the load balancer cannot serve — a port another Service holds, a full
// address pool — is Degraded with the reason).
func Service(s *corev1.Service) (Status, string) {
	if s.Spec.Type == corev1.ServiceTypeLoadBalancer && len(s.Status.LoadBalancer.Ingress) == 0 {
		for _, c := range s.Status.Conditions {
			if c.Type == corev1.LoadBalancerPortsError && c.Status == metav1.ConditionTrue {
				return Degraded, "Load balancer pending: " + c.Message
			}
		}
		return Progressing, "Waiting for the load balancer's address"
	}
	return Healthy, ""
}

// Node assesses a Node by its Ready condition.
func Node(n *corev1.Node) (Status, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return Healthy, "Node is ready"
			}
			return Degraded, "Node is not ready: " + c.Message
		}
	}
	return Progressing, "Node has not reported yet"
}

func joinMsg(m string) string {
	if m == "" {
		return ""
	}
	return ": " + m
}
