package drain

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Options are Drain's settings.
type Options struct {
	// Force evicts pods that declare no controller (kubectl drain --force).
	Force bool
	// DeleteEmptyDirData evicts pods with emptyDir volumes, whose data
	// is lost (kubectl drain --delete-emptydir-data).
	DeleteEmptyDirData bool
}

// Plan is Filter's answer: the pods to evict, the pods left alone with
// why, and the pods that stop the drain.
type Plan struct {
	Evict    []*corev1.Pod
	Ignored  []Skipped // DaemonSet pods
	Warnings []Skipped // evicted, but worth saying (no controller, with Force)
	Refused  []Skipped // stop the drain: nothing is evicted
}

// Skipped is a pod and the reason, in kubectl's words.
type Skipped struct {
	Pod    *corev1.Pod
	Reason string
}

// kubectl drain's messages.
const (
	reasonDaemonSet  = "ignoring DaemonSet-managed Pods"
	reasonNoCtl      = "cannot delete Pods that declare no controller (use --force to override)"
	reasonNoCtlForce = "deleting Pods that declare no controller"
	reasonLocal      = "cannot delete Pods with local storage (use --delete-emptydir-data to override)"
)

// Filter decides, for the pods bound to a node, which a drain evicts
// (kubectl drain's filters, in its order). Finished pods (Succeeded,
// Failed) are always evicted: nothing of them runs.
func Filter(pods []*corev1.Pod, opts Options) Plan {
	var p Plan
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(podName(a), podName(b)) })
	for _, pod := range pods {
		finished := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
		ctl := metav1.GetControllerOfNoCopy(pod)
		switch {
		case finished:
			p.Evict = append(p.Evict, pod)
		case ctl != nil && ctl.Kind == "DaemonSet":
			p.Ignored = append(p.Ignored, Skipped{pod, reasonDaemonSet})
		case ctl == nil && !opts.Force:
			p.Refused = append(p.Refused, Skipped{pod, reasonNoCtl})
		case hasEmptyDir(pod) && !opts.DeleteEmptyDirData:
			p.Refused = append(p.Refused, Skipped{pod, reasonLocal})
		default:
			if ctl == nil {
				p.Warnings = append(p.Warnings, Skipped{pod, reasonNoCtlForce})
			}
			p.Evict = append(p.Evict, pod)
		}
	}
	return p
}

func hasEmptyDir(p *corev1.Pod) bool {
	return slices.ContainsFunc(p.Spec.Volumes, func(v corev1.Volume) bool { return v.EmptyDir != nil })
}

func podName(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

// group renders skipped pods as kubectl does: one line per reason, the
// pods comma-separated.
func group(skipped []Skipped) []string {
	var reasons []string
	byReason := map[string][]string{}
	for _, s := range skipped {
		if _, ok := byReason[s.Reason]; !ok {
			reasons = append(reasons, s.Reason)
		}
		byReason[s.Reason] = append(byReason[s.Reason], podName(s.Pod))
	}
	var out []string
	for _, r := range reasons {
		out = append(out, fmt.Sprintf("%s: %s", r, strings.Join(byReason[r], ", ")))
	}
	return out
}
