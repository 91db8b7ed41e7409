package controllers

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Labels and annotations Kubernetes puts on a Job's pods.
const (
	LabelJobName            = "batch.kubernetes.io/job-name"
	LabelControllerUID      = "batch.kubernetes.io/controller-uid"
	legacyLabelJobName      = "job-name"
	legacyLabelControllerID = "controller-uid"
	// AnnotationCompletionIndex (also a label) holds an Indexed job pod's
	// index; the pod's containers get it as JOB_COMPLETION_INDEX.
	AnnotationCompletionIndex = "batch.kubernetes.io/job-completion-index"
	envCompletionIndex        = "JOB_COMPLETION_INDEX"
)

// newJobPod makes an unbound pod from job's template; index >= 0 for an
// Indexed job.
func newJobPod(job *batchv1.Job, suffix Suffixes, taken map[string]bool, index int) *corev1.Pod {
	name := jobPodName(job, index, suffix())
	for i := 0; taken[name] && i < 16; i++ {
		name = jobPodName(job, index, suffix())
	}
	taken[name] = true
	t := job.Spec.Template.DeepCopy()
	lbl := copyLabels(t.Labels,
		LabelJobName, job.Name, LabelControllerUID, string(job.UID),
		legacyLabelJobName, job.Name, legacyLabelControllerID, string(job.UID))
	ann := t.Annotations
	if index >= 0 {
		idx := strconv.Itoa(index)
		lbl[AnnotationCompletionIndex] = idx
		ann = copyLabels(ann, AnnotationCompletionIndex, idx)
		for i := range t.Spec.InitContainers {
			t.Spec.InitContainers[i].Env = append(t.Spec.InitContainers[i].Env, corev1.EnvVar{Name: envCompletionIndex, Value: idx})
		}
		for i := range t.Spec.Containers {
			t.Spec.Containers[i].Env = append(t.Spec.Containers[i].Env, corev1.EnvVar{Name: envCompletionIndex, Value: idx})
		}
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: job.Namespace, Name: name, Labels: lbl, Annotations: ann,
			OwnerReferences: []metav1.OwnerReference{controllerRef(job, "Job")},
		},
		Spec: t.Spec,
	}
	p.Status.Phase = corev1.PodPending
	objects.SetTypeMeta(p, "Pod")
	return p
}

// podIndex is an Indexed job pod's completion index, or -1.
func podIndex(p *corev1.Pod) int {
	v, ok := p.Annotations[AnnotationCompletionIndex]
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// succeededIndexes are the distinct indexes below completions with a
// succeeded pod, sorted.
func succeededIndexes(succeeded []*corev1.Pod, completions int32) []int {
	seen := map[int]bool{}
	for _, p := range succeeded {
		if i := podIndex(p); i >= 0 && i < int(completions) {
			seen[i] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// pendingIndexes returns up to n of the lowest indexes that have neither
// succeeded nor a running pod.
func pendingIndexes(completions int32, succeeded, active []*corev1.Pod, n int) []int {
	busy := map[int]bool{}
	for _, p := range append(append([]*corev1.Pod(nil), succeeded...), active...) {
		busy[podIndex(p)] = true
	}
	out := []int{}
	for i := 0; i < int(completions) && len(out) < n; i++ {
		if !busy[i] {
			out = append(out, i)
		}
	}
	return out
}

// formatIndexes renders sorted indexes as Kubernetes' completedIndexes:
// "1,3-5,7".
func formatIndexes(idx []int) string {
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, strconv.Itoa(idx[i]))
		default:
			parts = append(parts, strconv.Itoa(idx[i])+"-"+strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
