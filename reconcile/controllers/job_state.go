package controllers

import (
	"maps"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// jobPods sorts a job's pods by what they mean for it.
type jobPods struct {
	active      []*corev1.Pod // pending or running, not terminating
	terminating []*corev1.Pod // deletionTimestamp set, not yet terminal
	succeeded   []*corev1.Pod
	failed      []*corev1.Pod // failures that count against the backoff limits
	ignored     int           // failures an Ignore rule matched: not counted, replaced
	failJob     string        // message of the first pod a FailJob rule matched
	failIndex   map[int]bool  // indexes a FailIndex rule failed
}

// sortJobPods sorts the pods job controls. A pod deleted before it
// succeeded (by this controller, a person or an eviction) is terminating,
// not a failure of the work; with a podFailurePolicy, one whose
// DisruptionTarget condition is True is judged by the policy at once (the
// agent removes it when it stops, so it never shows as Failed here).
func sortJobPods(job *batchv1.Job, pods []*corev1.Pod) jobPods {
	var s jobPods
	for _, p := range pods {
		if !ownedBy(p, job) {
			continue
		}
		terminal := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		if p.DeletionTimestamp != nil && !terminal {
			s.terminating = append(s.terminating, p)
		}
		switch {
		case p.Status.Phase == corev1.PodSucceeded:
			s.succeeded = append(s.succeeded, p)
		case p.DeletionTimestamp != nil && !(job.Spec.PodFailurePolicy != nil && disrupted(p)):
		case p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil:
			s.judge(job, p)
		default:
			s.active = append(s.active, p)
		}
	}
	return s
}

func (s *jobPods) judge(job *batchv1.Job, p *corev1.Pod) {
	v := judgeFailure(job, p)
	switch v.action {
	case batchv1.PodFailurePolicyActionIgnore:
		s.ignored++
		return
	case batchv1.PodFailurePolicyActionFailJob:
		if s.failJob == "" {
			s.failJob = v.message
		}
	case batchv1.PodFailurePolicyActionFailIndex:
		if i := podIndex(p); i >= 0 {
			if s.failIndex == nil {
				s.failIndex = map[int]bool{}
			}
			s.failIndex[i] = true
		}
	}
	s.failed = append(s.failed, p)
}

// indexFailures counts the failures of each index.
func (s *jobPods) indexFailures() map[int]int32 {
	n := map[int]int32{}
	for _, p := range s.failed {
		if i := podIndex(p); i >= 0 {
			n[i]++
		}
	}
	return n
}

// failedIndexes are, with backoffLimitPerIndex, the indexes that did not
// succeed and either failed more than backoffLimitPerIndex times or
// matched a FailIndex rule; nil without backoffLimitPerIndex.
func (s *jobPods) failedIndexes(job *batchv1.Job, succeeded []int) []int {
	if job.Spec.BackoffLimitPerIndex == nil || !jobIndexed(job) {
		return nil
	}
	done := map[int]bool{}
	for _, i := range succeeded {
		done[i] = true
	}
	out := map[int]bool{}
	for i, n := range s.indexFailures() {
		if n > *job.Spec.BackoffLimitPerIndex && i < int(jobCompletions(job)) {
			out[i] = true
		}
	}
	for i := range s.failIndex {
		if i < int(jobCompletions(job)) {
			out[i] = true
		}
	}
	for i := range done {
		delete(out, i)
	}
	return slices.Sorted(maps.Keys(out))
}

func jobIndexed(job *batchv1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion
}

// onlyReplaceFailed: podReplacementPolicy Failed (the default with a
// podFailurePolicy) waits for a terminating pod to be gone before its
// replacement starts.
func onlyReplaceFailed(job *batchv1.Job) bool {
	if p := job.Spec.PodReplacementPolicy; p != nil {
		return *p == batchv1.Failed
	}
	return job.Spec.PodFailurePolicy != nil
}
