package controllers

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// CronJob defaults and limits, Kubernetes'.
const (
	DefaultSuccessfulJobsHistory = 3
	DefaultFailedJobsHistory     = 1
	// MaxMissedSchedules: more missed start times than this since the
	// last run is reported as a warning (TooManyMissedTimes); as in
	// Kubernetes, only the latest one is started anyway.
	MaxMissedSchedules = 100
	// AnnotationScheduledTimestamp on a Job records the schedule time it
	// was created for.
	AnnotationScheduledTimestamp = "batch.kubernetes.io/cronjob-scheduled-timestamp"
	cronComponent                = "cronjob-controller"
)

// ReconcileCronJob computes the writes of one CronJob step at now: the
// active list and last successful time from the jobs it owns; finished
// jobs beyond the history limits (3 successful, 1 failed) deleted, oldest
// first; then, unless suspended, the job of the latest schedule time that
// has passed since the last run, if it is not older than
// startingDeadlineSeconds. After downtime only that latest missed run
// starts, never a backlog. concurrencyPolicy Forbid skips a run while a
// job is active (it starts when the active one ends, if still within the
// deadline); Replace deletes the active jobs first. The step asks to run
// again at the next schedule time. jobs are the Jobs of the namespace.
// loc is the zone of schedules without timeZone.
func ReconcileCronJob(cj *batchv1.CronJob, jobs []*batchv1.Job, loc *time.Location, now time.Time) (ch Changes) {
	status := cj.Status.DeepCopy()

	var active, succeeded, failed []*batchv1.Job
	for _, j := range jobs {
		if !ownedBy(j, cj) || j.DeletionTimestamp != nil {
			continue
		}
		done, _ := jobFinished(j)
		switch {
		case !done:
			active = append(active, j)
		case jobConditionTrue(j, batchv1.JobFailed):
			failed = append(failed, j)
		default:
			succeeded = append(succeeded, j)
			if ct := j.Status.CompletionTime; ct != nil && (status.LastSuccessfulTime == nil || ct.After(status.LastSuccessfulTime.Time)) {
				status.LastSuccessfulTime = ct.DeepCopy()
			}
		}
		if done && inActiveList(cj, j) {
			ch.Event(cj, cronComponent, events.Normal, "SawCompletedJob", fmt.Sprintf("Saw completed job: %s, status: %s", j.Name, finishedType(j)), now)
		}
	}
	pruneHistory(cj, succeeded, historyLimit(cj.Spec.SuccessfulJobsHistoryLimit, DefaultSuccessfulJobsHistory), now, &ch)
	pruneHistory(cj, failed, historyLimit(cj.Spec.FailedJobsHistoryLimit, DefaultFailedJobsHistory), now, &ch)

	defer func() {
		status.Active = jobRefs(active)
		if equality.Semantic.DeepEqual(&cj.Status, status) {
			return
		}
		c := cj.DeepCopy()
		c.Status = *status
		objects.SetTypeMeta(c, "CronJob")
		ch.UpdateStatus = append(ch.UpdateStatus, c)
	}()

	if cj.Spec.Suspend != nil && *cj.Spec.Suspend {
		return ch
	}
	tz := ""
	if cj.Spec.TimeZone != nil {
		tz = *cj.Spec.TimeZone
	}
	sched, err := ParseSchedule(cj.Spec.Schedule, tz, loc)
	if err != nil {
		ch.Event(cj, cronComponent, events.Warning, "InvalidSchedule", err.Error(), now)
		return ch
	}

	scheduled, missed := mostRecentSchedule(cj, sched, now)
	if next := sched.Next(now); !next.IsZero() {
		ch.requeueAfter(next.Sub(now))
	}
	if scheduled.IsZero() {
		return ch
	}
	if missed > MaxMissedSchedules {
		ch.Event(cj, cronComponent, events.Warning, "TooManyMissedTimes",
			fmt.Sprintf("too many missed start times: %d. Set or decrease .spec.startingDeadlineSeconds or check clock skew", missed), now)
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		ch.Event(cj, cronComponent, events.Warning, "MissSchedule",
			fmt.Sprintf("Missed scheduled time to start a job: %s", scheduled.UTC().Format(time.RFC3339)), now)
		return ch
	}
	name := cronJobName(cj, scheduled)
	for _, j := range jobs {
		if j.Name == name {
			return ch // this run exists already
		}
	}
	switch cj.Spec.ConcurrencyPolicy {
	case batchv1.ForbidConcurrent:
		if len(active) > 0 {
			ch.Event(cj, cronComponent, events.Normal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid", now)
			return ch
		}
	case batchv1.ReplaceConcurrent:
		for _, j := range active {
			ch.Delete = append(ch.Delete, j)
			ch.Event(cj, cronComponent, events.Normal, "SuccessfulDelete", "Deleted job "+j.Name, now)
		}
		active = nil
	}
	job := newCronJobJob(cj, name, scheduled)
	ch.Create = append(ch.Create, job)
	ch.Event(cj, cronComponent, events.Normal, "SuccessfulCreate", "Created job "+name, now)
	active = append(active, job)
	t := metav1.NewTime(scheduled)
	status.LastScheduleTime = &t
	return ch
}

// mostRecentSchedule returns the latest schedule time in (last run, now]
// (the last run is lastScheduleTime, else the CronJob's creation; with
// startingDeadlineSeconds no earlier than now minus the deadline) and how
// many schedule times that interval holds, counted up to
// MaxMissedSchedules+1.
func mostRecentSchedule(cj *batchv1.CronJob, s *Schedule, now time.Time) (time.Time, int) {
	earliest := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil {
		if since := now.Add(-time.Duration(*d) * time.Second); since.After(earliest) {
			earliest = since
		}
	}
	var latest time.Time
	n := 0
	for t := s.Next(earliest); !t.IsZero() && !t.After(now); t = s.Next(t) {
		latest = t
		n++
		if n > MaxMissedSchedules {
			// Too many to walk one by one: jump to the end.
			if last := lastBefore(s, now, t); !last.IsZero() {
				latest = last
			}
			break
		}
	}
	return latest, n
}

// lastBefore finds the latest schedule time ≤ now after from by searching
// backwards from now in growing windows.
func lastBefore(s *Schedule, now, from time.Time) time.Time {
	for w := time.Hour; ; w *= 2 {
		start := now.Add(-w)
		if start.Before(from) {
			start = from
		}
		var last time.Time
		for t := s.Next(start.Add(-time.Minute)); !t.IsZero() && !t.After(now); t = s.Next(t) {
			last = t
		}
		if !last.IsZero() || !start.After(from) {
			return last
		}
	}
}

// cronJobName is "<cronjob>-<minutes since the epoch>", as Kubernetes
// names the jobs, so one schedule time makes at most one job.
func cronJobName(cj *batchv1.CronJob, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
}

func newCronJobJob(cj *batchv1.CronJob, name string, scheduled time.Time) *batchv1.Job {
	t := cj.Spec.JobTemplate.DeepCopy()
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cj.Namespace, Name: name,
			Labels:          copyLabels(t.Labels),
			Annotations:     copyLabels(t.Annotations, AnnotationScheduledTimestamp, scheduled.UTC().Format(time.RFC3339)),
			OwnerReferences: []metav1.OwnerReference{controllerRef(cj, "CronJob")},
		},
		Spec: t.Spec,
	}
	objects.SetTypeMeta(j, "Job")
	return j
}

// pruneHistory deletes the oldest finished jobs beyond limit.
func pruneHistory(cj *batchv1.CronJob, finished []*batchv1.Job, limit int, now time.Time, ch *Changes) {
	if len(finished) <= limit {
		return
	}
	slices.SortFunc(finished, func(a, b *batchv1.Job) int { return jobStart(a).Compare(jobStart(b)) })
	for _, j := range finished[:len(finished)-limit] {
		ch.Delete = append(ch.Delete, j)
		ch.Event(cj, cronComponent, events.Normal, "SuccessfulDelete", "Deleted job "+j.Name, now)
	}
}

func jobStart(j *batchv1.Job) time.Time {
	if j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return j.CreationTimestamp.Time
}

func historyLimit(v *int32, def int) int {
	if v == nil {
		return def
	}
	return int(*v)
}

func jobRefs(jobs []*batchv1.Job) []corev1.ObjectReference {
	slices.SortFunc(jobs, func(a, b *batchv1.Job) int { return cmp.Compare(a.Name, b.Name) })
	var out []corev1.ObjectReference
	for _, j := range jobs {
		out = append(out, corev1.ObjectReference{Kind: "Job", APIVersion: "batch/v1", Namespace: j.Namespace, Name: j.Name, UID: j.UID})
	}
	return out
}

func inActiveList(cj *batchv1.CronJob, j *batchv1.Job) bool {
	for _, r := range cj.Status.Active {
		if r.Name == j.Name {
			return true
		}
	}
	return false
}

func jobConditionTrue(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func finishedType(j *batchv1.Job) batchv1.JobConditionType {
	if jobConditionTrue(j, batchv1.JobFailed) {
		return batchv1.JobFailed
	}
	return batchv1.JobComplete
}

// cronJobStep is the CronJob entry's step (on Options.BatchNow's clock,
// schedules in the local time zone unless spec.timeZone says otherwise).
func cronJobStep(in Inputs, cj *batchv1.CronJob) Changes {
	return ReconcileCronJob(cj, candidates[*batchv1.Job](in.cache, cj, "Job"), time.Local, in.Now)
}
