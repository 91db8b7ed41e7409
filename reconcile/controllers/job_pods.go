package controllers

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

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
	// AnnotationIndexFailureCount: with backoffLimitPerIndex, the failures
	// of the pod's index before it was created.
	AnnotationIndexFailureCount = "batch.kubernetes.io/job-index-failure-count"
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
	ann := copyLabels(t.Annotations)
	if index >= 0 {
		idx := strconv.Itoa(index)
		lbl[AnnotationCompletionIndex] = idx
		ann = copyLabels(ann, AnnotationCompletionIndex, idx)
		// A stable hostname per index, as Kubernetes sets it: with a
		// headless Service named in subdomain, peers find each other at
		// <job>-<index>.<subdomain>.
		t.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, index)
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

// pendingIndexes returns up to n of the lowest indexes below completions
// that are not busy (succeeded, failed, running or waiting).
func pendingIndexes(completions int32, busy map[int]bool, n int) []int {
	out := []int{}
	for i := 0; i < int(completions) && len(out) < n; i++ {
		if !busy[i] {
			out = append(out, i)
		}
	}
	return out
}

// indexRetryWaits is, per index with failures, how long its next pod must
// still wait (backoffLimitPerIndex: each index backs off on its own).
func indexRetryWaits(failed []*corev1.Pod, now time.Time) map[int]time.Duration {
	byIndex := map[int][]*corev1.Pod{}
	for _, p := range failed {
		if i := podIndex(p); i >= 0 {
			byIndex[i] = append(byIndex[i], p)
		}
	}
	out := make(map[int]time.Duration, len(byIndex))
	for i, ps := range byIndex {
		out[i] = retryWait(ps, now)
	}
	return out
}

// storedIndexes reads an index set the job's status holds; one that does
// not parse (written by someone else) counts as empty.
func storedIndexes(s string, completions int32) []int {
	rs, err := objects.ParseIndexes(s, completions)
	if err != nil {
		return nil
	}
	var out []int
	for _, r := range rs {
		for i := r.First; i <= r.Last; i++ {
			out = append(out, i)
		}
	}
	return out
}

// unionIndexes merges sorted index lists into one sorted list.
func unionIndexes(a, b []int) []int {
	out := append(append([]int(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// withoutIndexes is a minus the indexes in b.
func withoutIndexes(a, b []int) []int {
	drop := make(map[int]bool, len(b))
	for _, i := range b {
		drop[i] = true
	}
	var out []int
	for _, i := range a {
		if !drop[i] {
			out = append(out, i)
		}
	}
	return out
}
