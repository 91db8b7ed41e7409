package controllers

import (
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Job timings and limits, Kubernetes' defaults.
const (
	// DefaultBackoffLimit: failed pods (or container restarts, with
	// restartPolicy OnFailure) a Job tolerates before it fails.
	DefaultBackoffLimit = 6
	// JobBackoffBase and JobBackoffMax: after the n-th failure a new pod
	// is created only after JobBackoffBase·2^(n-1), at most JobBackoffMax.
	JobBackoffBase = 10 * time.Second
	JobBackoffMax  = 6 * time.Minute
)

// Job condition reasons, as Kubernetes words them.
const (
	ReasonBackoffLimitExceeded = "BackoffLimitExceeded"
	ReasonDeadlineExceeded     = "DeadlineExceeded"
	ReasonCompleted            = "Completed"
	ReasonJobSuspended         = "JobSuspended"
	jobComponent               = "job-controller"
)

// ReconcileJob computes the writes that run job to its end: pods are
// created from the template until completions pods succeeded, at most
// parallelism at once; after a failure the next pod waits an exponential
// backoff (JobBackoffBase doubling to JobBackoffMax); more than
// backoffLimit failures, or running past activeDeadlineSeconds, fails the
// job (condition Failed, reason BackoffLimitExceeded or DeadlineExceeded)
// and deletes its running pods; success sets condition Complete. A
// finished job with ttlSecondsAfterFinished is deleted that long after it
// finished, unless a git source owns it (the next apply would only create
// it again). pods are the pods of the job's namespace; the job's are those
// it controls.
func ReconcileJob(job *batchv1.Job, pods []*corev1.Pod, suffix Suffixes, now time.Time) Changes {
	var ch Changes
	mnow := metav1.NewTime(now)
	status := job.Status.DeepCopy()

	var active, succeeded, failed []*corev1.Pod
	for _, p := range pods {
		if !ownedBy(p, job) {
			continue
		}
		switch {
		case p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded:
			// Stopped by this controller (or a person): neither running
			// nor a failure of the work.
		case p.Status.Phase == corev1.PodSucceeded:
			succeeded = append(succeeded, p)
		case p.Status.Phase == corev1.PodFailed:
			failed = append(failed, p)
		default:
			active = append(active, p)
		}
	}

	if finished, _ := jobFinished(job); finished {
		if !metav1.HasAnnotation(job.ObjectMeta, objects.AnnotationSource) {
			jobTTL(job, now, &ch)
		}
		// Pods still running after the end (a deadline, a success of
		// another index) are stopped.
		deletePods(job, active, now, &ch)
		status.Active, status.Ready = 0, ptr.To(int32(0))
		ch.addJobStatus(job, status)
		return ch
	}

	if status.StartTime == nil && !jobSuspended(job) {
		status.StartTime = &mnow
	}
	indexed := job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion
	completions := jobCompletions(job)
	nSucceeded := int32(len(succeeded))
	if indexed {
		nSucceeded = int32(len(succeededIndexes(succeeded, completions)))
		status.CompletedIndexes = formatIndexes(succeededIndexes(succeeded, completions))
	}
	status.Succeeded = max(status.Succeeded, nSucceeded)
	status.Failed = max(status.Failed, int32(len(failed)))
	failures := status.Failed + containerRestarts(job, active)

	switch {
	case failures > backoffLimit(job):
		msg := "Job has reached the specified backoff limit"
		failJob(job, status, ReasonBackoffLimitExceeded, msg, active, now, &ch)
		return ch
	case pastDeadline(job, status, now):
		msg := "Job was active longer than specified deadline"
		failJob(job, status, ReasonDeadlineExceeded, msg, active, now, &ch)
		return ch
	case jobDone(job, status.Succeeded, completions, len(active)):
		status.Conditions = setJobCondition(status.Conditions, batchv1.JobComplete, ReasonCompleted, "", mnow)
		status.CompletionTime = &mnow
		status.Active, status.Ready = 0, ptr.To(int32(0))
		deletePods(job, active, now, &ch)
		ch.Event(job, jobComponent, events.Normal, ReasonCompleted, "Job completed", now)
		if !metav1.HasAnnotation(job.ObjectMeta, objects.AnnotationSource) {
			jobTTL(job, now, &ch)
		}
		ch.addJobStatus(job, status)
		return ch
	}

	if jobSuspended(job) {
		status.Conditions = setJobCondition(status.Conditions, batchv1.JobSuspended, ReasonJobSuspended, "Job suspended", mnow)
		deletePods(job, active, now, &ch)
		active = nil
	} else {
		status.Conditions = removeJobCondition(status.Conditions, batchv1.JobSuspended)
		active = startPods(job, pods, active, succeeded, failed, status, suffix, now, &ch)
		if d := deadlineLeft(job, status, now); d > 0 {
			ch.requeueAfter(d)
		}
	}
	status.Active = int32(len(active))
	ready := int32(0)
	for _, p := range active {
		if podReady(p) {
			ready++
		}
	}
	status.Ready = &ready
	ch.addJobStatus(job, status)
	return ch
}

// startPods creates the pods that are missing, unless a failure's backoff
// is still running, and returns the active pods including the new ones.
func startPods(job *batchv1.Job, all, active, succeeded, failed []*corev1.Pod, status *batchv1.JobStatus, suffix Suffixes, now time.Time, ch *Changes) []*corev1.Pod {
	want := wantActive(job, status.Succeeded, len(active))
	if want <= len(active) {
		return active
	}
	if wait := retryWait(failed, now); wait > 0 {
		ch.requeueAfter(wait)
		return active
	}
	taken := make(map[string]bool, len(all))
	for _, p := range all {
		taken[p.Name] = true
	}
	var indexes []int
	if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
		indexes = pendingIndexes(jobCompletions(job), succeeded, active, want-len(active))
	}
	for i := len(active); i < want; i++ {
		index := -1
		if indexes != nil {
			if len(indexes) == 0 {
				break
			}
			index, indexes = indexes[0], indexes[1:]
		}
		p := newJobPod(job, suffix, taken, index)
		ch.Create = append(ch.Create, p)
		ch.Event(job, jobComponent, events.Normal, "SuccessfulCreate", "Created pod: "+p.Name, now)
		active = append(active, p)
	}
	return active
}

// wantActive is how many pods should run: parallelism, but no more than
// the completions still missing. Without completions, any success ends
// the job: no new pods after the first.
func wantActive(job *batchv1.Job, succeeded int32, active int) int {
	par := int(replicasOf(job.Spec.Parallelism))
	if job.Spec.Completions == nil {
		if succeeded > 0 {
			return 0
		}
		return par
	}
	return max(min(par, int(*job.Spec.Completions-succeeded)), 0)
}

// jobDone: completions pods succeeded; without completions, one succeeded
// and none is still running.
func jobDone(job *batchv1.Job, succeeded, completions int32, active int) bool {
	if job.Spec.Completions == nil {
		return succeeded > 0 && active == 0
	}
	return succeeded >= completions
}

// retryWait is how long the next pod must still wait after the latest
// failure: JobBackoffBase·2^(failures-1), capped at JobBackoffMax.
func retryWait(failed []*corev1.Pod, now time.Time) time.Duration {
	if len(failed) == 0 {
		return 0
	}
	var last time.Time
	for _, p := range failed {
		if t := podFinishedAt(p); t.After(last) {
			last = t
		}
	}
	delay := JobBackoffMax
	if n := len(failed) - 1; n < 16 {
		delay = min(JobBackoffBase<<n, JobBackoffMax)
	}
	return last.Add(delay).Sub(now)
}

// podFinishedAt is when a terminal pod's last container finished (or its
// Ready condition last changed, or it was created).
func podFinishedAt(p *corev1.Pod) time.Time {
	var t time.Time
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Terminated != nil && s.State.Terminated.FinishedAt.After(t) {
			t = s.State.Terminated.FinishedAt.Time
		}
	}
	if t.IsZero() {
		if c := podCondition(p, corev1.PodReady); c != nil {
			t = c.LastTransitionTime.Time
		}
	}
	if t.IsZero() {
		t = p.CreationTimestamp.Time
	}
	return t
}

// containerRestarts counts restarts of running pods with restartPolicy
// OnFailure: Kubernetes counts them against backoffLimit too.
func containerRestarts(job *batchv1.Job, active []*corev1.Pod) int32 {
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		return 0
	}
	var n int32
	for _, p := range active {
		for _, s := range p.Status.ContainerStatuses {
			n += s.RestartCount
		}
	}
	return n
}

func failJob(job *batchv1.Job, status *batchv1.JobStatus, reason, msg string, active []*corev1.Pod, now time.Time, ch *Changes) {
	mnow := metav1.NewTime(now)
	status.Conditions = setJobCondition(status.Conditions, batchv1.JobFailed, reason, msg, mnow)
	status.Active, status.Ready = 0, ptr.To(int32(0))
	deletePods(job, active, now, ch)
	ch.Event(job, jobComponent, events.Warning, reason, msg, now)
	if !metav1.HasAnnotation(job.ObjectMeta, objects.AnnotationSource) {
		// The finish time is the Failed condition's: TTL counts from it.
		jobTTLFrom(job, now, now, ch)
	}
	ch.addJobStatus(job, status)
}

func deletePods(job *batchv1.Job, pods []*corev1.Pod, now time.Time, ch *Changes) {
	for _, p := range pods {
		ch.Delete = append(ch.Delete, p)
		ch.Event(job, jobComponent, events.Normal, "SuccessfulDelete", "Deleted pod: "+p.Name, now)
	}
}

func pastDeadline(job *batchv1.Job, status *batchv1.JobStatus, now time.Time) bool {
	return job.Spec.ActiveDeadlineSeconds != nil && status.StartTime != nil && deadlineLeft(job, status, now) <= 0
}

func deadlineLeft(job *batchv1.Job, status *batchv1.JobStatus, now time.Time) time.Duration {
	if job.Spec.ActiveDeadlineSeconds == nil || status.StartTime == nil {
		return 0
	}
	return status.StartTime.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second).Sub(now)
}

// jobFinished reports whether job has a Complete or Failed condition and
// when it got it.
func jobFinished(job *batchv1.Job) (bool, time.Time) {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true, c.LastTransitionTime.Time
		}
	}
	return false, time.Time{}
}

// jobTTL deletes a finished job ttlSecondsAfterFinished after it finished,
// or asks to run again then.
func jobTTL(job *batchv1.Job, now time.Time, ch *Changes) {
	_, at := jobFinished(job)
	if job.Status.CompletionTime != nil {
		at = job.Status.CompletionTime.Time
	}
	if at.IsZero() {
		at = now
	}
	jobTTLFrom(job, at, now, ch)
}

func jobTTLFrom(job *batchv1.Job, finished, now time.Time, ch *Changes) {
	if job.Spec.TTLSecondsAfterFinished == nil {
		return
	}
	wait := finished.Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second).Sub(now)
	if wait > 0 {
		ch.requeueAfter(wait)
		return
	}
	ch.Delete = append(ch.Delete, job)
}

func jobSuspended(job *batchv1.Job) bool { return job.Spec.Suspend != nil && *job.Spec.Suspend }

func backoffLimit(job *batchv1.Job) int32 {
	if job.Spec.BackoffLimit == nil {
		return DefaultBackoffLimit
	}
	return *job.Spec.BackoffLimit
}

// jobCompletions is spec.completions, or 1 when unset.
func jobCompletions(job *batchv1.Job) int32 {
	if job.Spec.Completions == nil {
		return 1
	}
	return *job.Spec.Completions
}

func setJobCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType, reason, msg string, now metav1.Time) []batchv1.JobCondition {
	c := batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastProbeTime: now, LastTransitionTime: now}
	for i := range conds {
		if conds[i].Type == t {
			if conds[i].Status == c.Status && conds[i].Reason == reason && conds[i].Message == msg {
				return conds
			}
			out := append([]batchv1.JobCondition(nil), conds...)
			out[i] = c
			return out
		}
	}
	return append(append([]batchv1.JobCondition(nil), conds...), c)
}

func removeJobCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType) []batchv1.JobCondition {
	var out []batchv1.JobCondition
	for _, c := range conds {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}

func (ch *Changes) addJobStatus(job *batchv1.Job, st *batchv1.JobStatus) {
	if equality.Semantic.DeepEqual(&job.Status, st) {
		return
	}
	c := job.DeepCopy()
	c.Status = *st
	objects.SetTypeMeta(c, "Job")
	ch.UpdateStatus = append(ch.UpdateStatus, c)
}

// jobPodName is "<job>-<suffix>", or "<job>-<index>-<suffix>" for an
// Indexed job, as Kubernetes names them.
func jobPodName(job *batchv1.Job, index int, suffix string) string {
	base := job.Name + "-"
	if index >= 0 {
		base = fmt.Sprintf("%s-%d-", job.Name, index)
	}
	if len(base) > maxGeneratedBase {
		base = base[:maxGeneratedBase]
	}
	return base + suffix
}

// jobStep is the Job entry's step (on Options.BatchNow's clock).
func jobStep(in Inputs, j *batchv1.Job) Changes {
	return ReconcileJob(j, candidates[*corev1.Pod](in.cache, j, "Pod"), in.Suffix, in.Now)
}

// expandJob previews a created Job's first pods.
func expandJob(in PreviewInput) []*corev1.Pod {
	if !in.Created {
		return nil
	}
	return created[*corev1.Pod](ReconcileJob(in.Object.(*batchv1.Job), nil, in.Suffix, in.Now))
}
