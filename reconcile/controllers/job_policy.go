package controllers

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// failureVerdict is what a Job's podFailurePolicy says about one failed
// pod: the action of the first matching rule (Count when none matches),
// and for FailJob the condition message, worded as Kubernetes words it.
type failureVerdict struct {
	action  batchv1.PodFailurePolicyAction
	message string
}

// judgeFailure applies job's podFailurePolicy to a failed pod, as
// Kubernetes' matchPodFailurePolicy: rules in order; onExitCodes looks at
// containers then init containers that terminated with a non-zero code
// (containerName narrows it), onPodConditions at the pod's conditions with
// the given status (DisruptionTarget for an eviction or preemption).
func judgeFailure(job *batchv1.Job, p *corev1.Pod) failureVerdict {
	policy := job.Spec.PodFailurePolicy
	if policy == nil {
		return failureVerdict{action: batchv1.PodFailurePolicyActionCount}
	}
	for i, rule := range policy.Rules {
		if req := rule.OnExitCodes; req != nil {
			cs := matchExitCodes(p.Status.ContainerStatuses, req)
			if cs == nil {
				cs = matchExitCodes(p.Status.InitContainerStatuses, req)
			}
			if cs != nil {
				return failureVerdict{action: rule.Action, message: fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d matching %s rule at index %d",
					cs.Name, p.Namespace, p.Name, cs.State.Terminated.ExitCode, rule.Action, i)}
			}
			continue
		}
		if c := matchPodConditions(p.Status.Conditions, rule.OnPodConditions); c != nil {
			return failureVerdict{action: rule.Action, message: fmt.Sprintf("Pod %s/%s has condition %s matching %s rule at index %d",
				p.Namespace, p.Name, c.Type, rule.Action, i)}
		}
	}
	return failureVerdict{action: batchv1.PodFailurePolicyActionCount}
}

func matchExitCodes(statuses []corev1.ContainerStatus, req *batchv1.PodFailurePolicyOnExitCodesRequirement) *corev1.ContainerStatus {
	for i := range statuses {
		s := &statuses[i]
		if s.State.Terminated == nil || s.State.Terminated.ExitCode == 0 {
			continue
		}
		if req.ContainerName != nil && *req.ContainerName != s.Name {
			continue
		}
		in := slices.Contains(req.Values, s.State.Terminated.ExitCode)
		if (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) == in {
			return s
		}
	}
	return nil
}

func matchPodConditions(conds []corev1.PodCondition, patterns []batchv1.PodFailurePolicyOnPodConditionsPattern) *corev1.PodCondition {
	for _, want := range patterns {
		for i := range conds {
			if conds[i].Type == want.Type && conds[i].Status == want.Status {
				return &conds[i]
			}
		}
	}
	return nil
}

// disrupted reports a pod whose DisruptionTarget condition is True: an
// eviction, a preemption or a kubelet's termination is ending it.
func disrupted(p *corev1.Pod) bool {
	c := podCondition(p, corev1.DisruptionTarget)
	return c != nil && c.Status == corev1.ConditionTrue
}
