package controllers

import (
	"fmt"
	"math"
	"strconv"
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
	ReasonBackoffLimitExceeded     = batchv1.JobReasonBackoffLimitExceeded
	ReasonDeadlineExceeded         = batchv1.JobReasonDeadlineExceeded
	ReasonPodFailurePolicy         = batchv1.JobReasonPodFailurePolicy
	ReasonMaxFailedIndexesExceeded = batchv1.JobReasonMaxFailedIndexesExceeded
	ReasonFailedIndexes            = batchv1.JobReasonFailedIndexes
	ReasonSuccessPolicy            = batchv1.JobReasonSuccessPolicy
	ReasonCompleted                = "Completed"
	ReasonJobSuspended             = "JobSuspended"
	ReasonJobResumed               = "JobResumed"
	jobComponent                   = "job-controller"
)

// ReconcileJob computes the writes that run job to its end, with
// Kubernetes' semantics: pods are created from the template until
// completions pods (or, Indexed, every index 0..completions-1) succeeded,
// at most parallelism at once; after a failure the next pod waits an
// exponential backoff (JobBackoffBase doubling to JobBackoffMax; per index
// with backoffLimitPerIndex). The job fails (conditions in the order
// Kubernetes checks them) when a podFailurePolicy FailJob rule matches a
// failed pod (FailureTarget and Failed, reason PodFailurePolicy), past
// backoffLimit failures (BackoffLimitExceeded), past activeDeadlineSeconds
// (DeadlineExceeded), past maxFailedIndexes (MaxFailedIndexesExceeded) or,
// once every index succeeded or failed, with a failed index
// (FailedIndexes); it completes when completions succeeded (Complete) or a
// successPolicy rule is met (SuccessCriteriaMet, then Complete with reason
// SuccessPolicy once its other pods are gone). Ending deletes the running
// pods. suspend deletes them too (Suspended=True, JobSuspended); resuming
// sets Suspended=False (JobResumed) and restarts startTime, so the
// deadline counts from the resume. A finished job with
// ttlSecondsAfterFinished is deleted that long after it finished, unless a
// git source owns it (the next apply would only create it again). pods are
// the pods of the job's namespace; the job's are those it controls.
func ReconcileJob(job *batchv1.Job, pods []*corev1.Pod, suffix Suffixes, now time.Time) Changes {
	var ch Changes
	mnow := metav1.NewTime(now)
	status := job.Status.DeepCopy()
	s := sortJobPods(job, pods)
	status.Terminating = ptr.To(int32(len(s.terminating)))

	if finished, _ := jobFinished(job); finished {
		if !metav1.HasAnnotation(job.ObjectMeta, objects.AnnotationSource) {
			jobTTL(job, now, &ch)
		}
		// Pods still running after the end (a deadline, a success of
		// another index) are stopped.
		deletePods(job, s.active, now, &ch)
		status.Active, status.Ready = 0, ptr.To(int32(0))
		ch.addJobStatus(job, status)
		return ch
	}

	suspended := jobSuspended(job)
	switch {
	case status.StartTime == nil && !suspended:
		status.StartTime = &mnow
	case !suspended && conditionTrue(status.Conditions, batchv1.JobSuspended):
		// Resumed: the deadline counts from now, as in Kubernetes.
		status.StartTime = &mnow
		status.Conditions = setJobConditionStatus(status.Conditions, batchv1.JobSuspended, corev1.ConditionFalse, ReasonJobResumed, "Job resumed", mnow)
		ch.Event(job, jobComponent, events.Normal, "Resumed", "Job resumed", now)
	}
	completions := jobCompletions(job)
	var succeededIdx, failedIdx []int
	nSucceeded := int32(len(s.succeeded))
	if jobIndexed(job) {
		// The stored sets are kept, as Kubernetes keeps them: a succeeded
		// pod someone deleted, or a disrupted pod a FailIndex rule failed
		// (gone once its agent stopped it), still counts.
		succeededIdx = unionIndexes(storedIndexes(status.CompletedIndexes, completions), succeededIndexes(s.succeeded, completions))
		nSucceeded = int32(len(succeededIdx))
		status.CompletedIndexes = objects.FormatIndexes(succeededIdx)
		failedIdx = s.failedIndexes(job, succeededIdx)
		if job.Spec.BackoffLimitPerIndex != nil && status.FailedIndexes != nil {
			failedIdx = withoutIndexes(unionIndexes(storedIndexes(*status.FailedIndexes, completions), failedIdx), succeededIdx)
		}
		if job.Spec.BackoffLimitPerIndex != nil {
			status.FailedIndexes = ptr.To(objects.FormatIndexes(failedIdx))
		}
	}
	status.Succeeded = max(status.Succeeded, nSucceeded)
	status.Failed = max(status.Failed, int32(len(s.failed)))
	failures := status.Failed + containerRestarts(job, s.active)

	if c := jobCondition(status.Conditions, batchv1.JobSuccessCriteriaMet); c != nil && c.Status == corev1.ConditionTrue {
		completeJob(job, status, &s, c.Reason, c.Message, now, &ch)
		return ch
	}
	if reason, msg := jobFailure(job, status, &s, failures, failedIdx, now); reason != "" {
		if reason == ReasonPodFailurePolicy {
			status.Conditions = setJobCondition(status.Conditions, batchv1.JobFailureTarget, reason, msg, mnow)
		}
		failJob(job, status, reason, msg, s.active, now, &ch)
		return ch
	}
	if msg, met := matchSuccessPolicy(job, succeededIdx); met {
		status.Conditions = setJobCondition(status.Conditions, batchv1.JobSuccessCriteriaMet, ReasonSuccessPolicy, msg, mnow)
		completeJob(job, status, &s, ReasonSuccessPolicy, msg, now, &ch)
		return ch
	}
	if jobDone(job, status.Succeeded, completions, len(s.active)) {
		status.Conditions = setJobCondition(status.Conditions, batchv1.JobComplete, ReasonCompleted, "", mnow)
		status.CompletionTime = &mnow
		status.Active, status.Ready = 0, ptr.To(int32(0))
		deletePods(job, s.active, now, &ch)
		ch.Event(job, jobComponent, events.Normal, ReasonCompleted, "Job completed", now)
		if !metav1.HasAnnotation(job.ObjectMeta, objects.AnnotationSource) {
			jobTTL(job, now, &ch)
		}
		ch.addJobStatus(job, status)
		return ch
	}

	active := s.active
	if suspended {
		if !conditionTrue(status.Conditions, batchv1.JobSuspended) {
			ch.Event(job, jobComponent, events.Normal, "Suspended", "Job suspended", now)
		}
		status.Conditions = setJobCondition(status.Conditions, batchv1.JobSuspended, ReasonJobSuspended, "Job suspended", mnow)
		deletePods(job, active, now, &ch)
		active = nil
	} else {
		active = startPods(job, pods, &s, succeededIdx, failedIdx, status, suffix, now, &ch)
		if d := deadlineLeft(job, status, now); d > 0 {
			ch.requeueAfter(d)
		}
	}
	status.Active = int32(len(active))
	ready := int32(0)
	for _, p := range active {
		if objects.PodReady(p) {
			ready++
		}
	}
	status.Ready = &ready
	ch.addJobStatus(job, status)
	return ch
}

// jobFailure is the reason and message of the job's failure, checked in
// Kubernetes' order, or "" while it may still succeed.
func jobFailure(job *batchv1.Job, status *batchv1.JobStatus, s *jobPods, failures int32, failedIdx []int, now time.Time) (string, string) {
	switch {
	case s.failJob != "":
		return ReasonPodFailurePolicy, s.failJob
	case failures > backoffLimit(job):
		return ReasonBackoffLimitExceeded, "Job has reached the specified backoff limit"
	case !jobSuspended(job) && pastDeadline(job, status, now):
		return ReasonDeadlineExceeded, "Job was active longer than specified deadline"
	case job.Spec.MaxFailedIndexes != nil && len(failedIdx) > int(*job.Spec.MaxFailedIndexes):
		return ReasonMaxFailedIndexesExceeded, "Job has exceeded the specified maximal number of failed indexes"
	case len(failedIdx) > 0 && int32(len(failedIdx))+status.Succeeded >= jobCompletions(job):
		return ReasonFailedIndexes, "Job has failed indexes"
	}
	return "", ""
}

// completeJob ends a job whose successPolicy was met: its other pods are
// deleted, and Complete (with the SuccessCriteriaMet reason and message)
// follows once none is left running or terminating.
func completeJob(job *batchv1.Job, status *batchv1.JobStatus, s *jobPods, reason, msg string, now time.Time, ch *Changes) {
	mnow := metav1.NewTime(now)
	deletePods(job, s.active, now, ch)
	status.Active, status.Ready = 0, ptr.To(int32(0))
	if len(s.active) == 0 && len(s.terminating) == 0 {
		status.Conditions = setJobCondition(status.Conditions, batchv1.JobComplete, reason, msg, mnow)
		status.CompletionTime = &mnow
		ch.Event(job, jobComponent, events.Normal, ReasonCompleted, "Job completed", now)
		if !metav1.HasAnnotation(job.ObjectMeta, objects.AnnotationSource) {
			jobTTL(job, now, ch)
		}
	}
	ch.addJobStatus(job, status)
}

// startPods creates the pods that are missing, unless a failure's backoff
// is still running, and returns the active pods including the new ones.
// With podReplacementPolicy Failed, terminating pods hold their place
// until they are gone.
func startPods(job *batchv1.Job, all []*corev1.Pod, s *jobPods, succeededIdx, failedIdx []int, status *batchv1.JobStatus, suffix Suffixes, now time.Time, ch *Changes) []*corev1.Pod {
	active := s.active
	running := len(active)
	if onlyReplaceFailed(job) {
		running += len(s.terminating)
	}
	want := wantActive(job, status.Succeeded+int32(len(failedIdx)), running)
	if want <= running {
		return active
	}
	perIndex := job.Spec.BackoffLimitPerIndex != nil && jobIndexed(job)
	if !perIndex {
		if wait := retryWait(s.failed, now); wait > 0 {
			ch.requeueAfter(wait)
			return active
		}
	}
	taken := make(map[string]bool, len(all))
	for _, p := range all {
		taken[p.Name] = true
	}
	var indexes []int
	var indexFailures map[int]int32
	if jobIndexed(job) {
		busy := map[int]bool{}
		for _, i := range append(append([]int(nil), succeededIdx...), failedIdx...) {
			busy[i] = true
		}
		placed := append([]*corev1.Pod(nil), active...)
		if onlyReplaceFailed(job) {
			placed = append(placed, s.terminating...)
		}
		for _, p := range placed {
			busy[podIndex(p)] = true
		}
		if perIndex {
			indexFailures = s.indexFailures()
			for i, wait := range indexRetryWaits(s.failed, now) {
				if wait > 0 && !busy[i] {
					busy[i] = true
					ch.requeueAfter(wait)
				}
			}
		}
		indexes = pendingIndexes(jobCompletions(job), busy, want-running)
	}
	for i := running; i < want; i++ {
		index := -1
		if jobIndexed(job) {
			if len(indexes) == 0 {
				break
			}
			index, indexes = indexes[0], indexes[1:]
		}
		p := newJobPod(job, suffix, taken, index)
		if perIndex {
			p.Annotations[AnnotationIndexFailureCount] = strconv.Itoa(int(indexFailures[index]))
		}
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

// backoffLimit is spec.backoffLimit or its default: 6, or unlimited
// with backoffLimitPerIndex (Kubernetes' MaxInt32).
func backoffLimit(job *batchv1.Job) int32 {
	if job.Spec.BackoffLimit == nil {
		if job.Spec.BackoffLimitPerIndex != nil {
			return math.MaxInt32
		}
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
	return setJobConditionStatus(conds, t, corev1.ConditionTrue, reason, msg, now)
}

func setJobConditionStatus(conds []batchv1.JobCondition, t batchv1.JobConditionType, st corev1.ConditionStatus, reason, msg string, now metav1.Time) []batchv1.JobCondition {
	c := batchv1.JobCondition{Type: t, Status: st, Reason: reason, Message: msg, LastProbeTime: now, LastTransitionTime: now}
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

func jobCondition(conds []batchv1.JobCondition, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}

func conditionTrue(conds []batchv1.JobCondition, t batchv1.JobConditionType) bool {
	c := jobCondition(conds, t)
	return c != nil && c.Status == corev1.ConditionTrue
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
