package controllers

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// cronWorld runs ReconcileCronJob against in-memory jobs with a fake clock.
type cronWorld struct {
	t      *testing.T
	cj     *batchv1.CronJob
	jobs   map[string]*batchv1.Job
	now    time.Time
	events []string
}

func newCronJob(schedule string, policy batchv1.ConcurrencyPolicy) *batchv1.CronJob {
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "tick", UID: "uid-tick", CreationTimestamp: metav1.NewTime(t0)}}
	objects.SetTypeMeta(cj, "CronJob")
	cj.Spec.Schedule, cj.Spec.ConcurrencyPolicy = schedule, policy
	cj.Spec.JobTemplate.Labels = map[string]string{"app": "tick"}
	cj.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	cj.Spec.JobTemplate.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "img"}}
	return cj
}

func newCronWorld(t *testing.T, cj *batchv1.CronJob, now time.Time) *cronWorld {
	return &cronWorld{t: t, cj: cj, jobs: map[string]*batchv1.Job{}, now: now}
}

func (w *cronWorld) jobList() []*batchv1.Job {
	var out []*batchv1.Job
	for _, j := range w.jobs {
		out = append(out, j)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (w *cronWorld) names() string {
	var out []string
	for _, j := range w.jobList() {
		out = append(out, j.Name)
	}
	return strings.Join(out, " ")
}

func (w *cronWorld) step() Changes {
	w.t.Helper()
	ch := ReconcileCronJob(w.cj, w.jobList(), time.UTC, w.now)
	for _, o := range ch.Create {
		j := o.(*batchv1.Job).DeepCopy()
		j.UID = types.UID("uid-" + j.Name)
		j.CreationTimestamp = metav1.NewTime(w.now)
		start := metav1.NewTime(w.now)
		j.Status.StartTime = &start
		w.jobs[j.Name] = j
	}
	for _, o := range ch.Delete {
		delete(w.jobs, o.GetName())
	}
	for _, o := range ch.UpdateStatus {
		w.cj = o.(*batchv1.CronJob)
	}
	for _, e := range ch.Events {
		w.events = append(w.events, e.Reason+": "+e.Message)
	}
	return ch
}

func (w *cronWorld) finish(name string, t batchv1.JobConditionType) {
	j := w.jobs[name]
	if j == nil {
		w.t.Fatalf("no job %s; have %s", name, w.names())
	}
	now := metav1.NewTime(w.now)
	j.Status.Conditions = []batchv1.JobCondition{{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	if t == batchv1.JobComplete {
		j.Status.CompletionTime = &now
	}
}

// minute is the job name suffix of a schedule time.
func minute(t time.Time) string { return fmt.Sprintf("tick-%d", t.Unix()/60) }

func TestCronJobEveryMinuteAllow(t *testing.T) {
	w := newCronWorld(t, newCronJob("* * * * *", batchv1.AllowConcurrent), t0.Add(30*time.Second))
	ch := w.step()
	if len(w.jobs) != 0 || ch.RequeueAfter != 30*time.Second {
		t.Fatalf("before the first minute: jobs %q requeue %v", w.names(), ch.RequeueAfter)
	}
	w.now = t0.Add(time.Minute)
	w.step()
	w.now = t0.Add(2*time.Minute + time.Second)
	w.step()
	want := minute(t0.Add(time.Minute)) + " " + minute(t0.Add(2*time.Minute))
	if w.names() != want {
		t.Fatalf("jobs %q, want %q (Allow runs them side by side)", w.names(), want)
	}
	j := w.jobs[minute(t0.Add(2*time.Minute))]
	if !ownedBy(j, w.cj) || j.Labels["app"] != "tick" || j.Annotations[AnnotationScheduledTimestamp] != "2025-01-01T00:02:00Z" {
		t.Fatalf("job metadata: %+v", j.ObjectMeta)
	}
	if len(w.cj.Status.Active) != 2 || !w.cj.Status.LastScheduleTime.Time.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("status %+v", w.cj.Status)
	}
	if ch := w.step(); len(ch.Create) != 0 {
		t.Fatal("the same schedule time created a second job")
	}
}

func TestCronJobForbidNeverOverlaps(t *testing.T) {
	w := newCronWorld(t, newCronJob("* * * * *", batchv1.ForbidConcurrent), t0.Add(time.Minute))
	w.step()
	first := minute(t0.Add(time.Minute))
	for m := 2; m <= 4; m++ {
		w.now = t0.Add(time.Duration(m) * time.Minute)
		if ch := w.step(); len(ch.Create) != 0 {
			t.Fatalf("minute %d: created %s while %s runs", m, ch.Create[0].GetName(), first)
		}
	}
	w.now = t0.Add(4*time.Minute + 20*time.Second)
	w.finish(first, batchv1.JobComplete)
	w.step()
	// The run missed at minute 4 starts now that the first one ended.
	if want := first + " " + minute(t0.Add(4*time.Minute)); w.names() != want {
		t.Fatalf("jobs %q, want %q", w.names(), want)
	}
	if !strings.Contains(strings.Join(w.events, "\n"), "JobAlreadyActive") || !strings.Contains(strings.Join(w.events, "\n"), "SawCompletedJob: Saw completed job: "+first+", status: Complete") {
		t.Fatalf("events: %q", w.events)
	}
	if w.cj.Status.LastSuccessfulTime == nil {
		t.Fatal("lastSuccessfulTime not set")
	}
}

func TestCronJobReplace(t *testing.T) {
	w := newCronWorld(t, newCronJob("* * * * *", batchv1.ReplaceConcurrent), t0.Add(time.Minute))
	w.step()
	w.now = t0.Add(2 * time.Minute)
	w.step()
	if want := minute(t0.Add(2 * time.Minute)); w.names() != want {
		t.Fatalf("jobs %q, want only %q (the running one replaced)", w.names(), want)
	}
}

func TestCronJobMissedSchedulesAfterDowntime(t *testing.T) {
	cases := []struct {
		name      string
		schedule  string
		deadline  *int64
		downtime  time.Duration
		wantJob   string // "" = none
		wantEvent string
	}{
		{"three hours down: only the latest minute runs", "* * * * *", nil, 3*time.Hour + 10*time.Second, minute(t0.Add(3 * time.Hour)), "TooManyMissedTimes"},
		{"a few minutes down: the latest runs, no warning", "*/5 * * * *", nil, 17 * time.Minute, minute(t0.Add(15 * time.Minute)), ""},
		{"past the starting deadline: skipped", "0 * * * *", ptr.To(int64(60)), 90 * time.Minute, "", ""},
		{"within the starting deadline: runs", "0 * * * *", ptr.To(int64(3600)), 90 * time.Minute, minute(t0.Add(time.Hour)), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cj := newCronJob(c.schedule, batchv1.AllowConcurrent)
			cj.Spec.StartingDeadlineSeconds = c.deadline
			last := metav1.NewTime(t0)
			cj.Status.LastScheduleTime = &last
			w := newCronWorld(t, cj, t0.Add(c.downtime))
			w.step()
			if w.names() != c.wantJob {
				t.Fatalf("jobs %q, want %q", w.names(), c.wantJob)
			}
			ev := strings.Join(w.events, "\n")
			if c.wantEvent != "" && !strings.Contains(ev, c.wantEvent) {
				t.Fatalf("events %q, want %s", ev, c.wantEvent)
			}
			if c.wantEvent == "" && strings.Contains(ev, "TooManyMissedTimes") {
				t.Fatalf("unexpected warning: %q", ev)
			}
		})
	}
}

func TestCronJobMissScheduleEvent(t *testing.T) {
	cj := newCronJob("0 * * * *", batchv1.ForbidConcurrent)
	cj.Spec.StartingDeadlineSeconds = ptr.To(int64(600))
	w := newCronWorld(t, cj, t0.Add(time.Hour))
	w.jobs["running"] = &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "running", UID: "r",
		OwnerReferences: []metav1.OwnerReference{controllerRef(cj, "CronJob")}}}
	w.step() // forbidden: 01:00 skipped while "running" runs
	w.now = t0.Add(time.Hour + 11*time.Minute)
	w.finish("running", batchv1.JobComplete)
	w.step()
	if w.names() != "running" {
		t.Fatalf("jobs %q: the 01:00 run is 11 min late, past the 10 min deadline", w.names())
	}
}

func TestCronJobSuspendHistoryAndTimeZone(t *testing.T) {
	cj := newCronJob("* * * * *", batchv1.AllowConcurrent)
	cj.Spec.Suspend = ptr.To(true)
	w := newCronWorld(t, cj, t0.Add(10*time.Minute))
	for i := range 5 {
		n := fmt.Sprintf("ok-%d", i)
		w.jobs[n] = &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: n, UID: types.UID(n), OwnerReferences: []metav1.OwnerReference{controllerRef(cj, "CronJob")}},
			Status: batchv1.JobStatus{StartTime: ptr.To(metav1.NewTime(t0.Add(time.Duration(i) * time.Minute)))}}
		w.finish(n, batchv1.JobComplete)
	}
	for i := range 3 {
		n := fmt.Sprintf("bad-%d", i)
		w.jobs[n] = &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: n, UID: types.UID(n), OwnerReferences: []metav1.OwnerReference{controllerRef(cj, "CronJob")}},
			Status: batchv1.JobStatus{StartTime: ptr.To(metav1.NewTime(t0.Add(time.Duration(i) * time.Minute)))}}
		w.finish(n, batchv1.JobFailed)
	}
	w.step()
	if w.names() != "bad-2 ok-2 ok-3 ok-4" {
		t.Fatalf("history kept %q, want the 3 newest successful and 1 newest failed (and no new job: suspended)", w.names())
	}

	paris := newCronJob("0 9 * * *", batchv1.AllowConcurrent)
	paris.Spec.TimeZone = ptr.To("Europe/Paris")
	w = newCronWorld(t, paris, time.Date(2025, 1, 1, 8, 0, 30, 0, time.UTC)) // 09:00:30 in Paris
	w.step()
	if want := minute(time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)); w.names() != want {
		t.Fatalf("jobs %q, want %q (09:00 Paris is 08:00 UTC)", w.names(), want)
	}
	bad := newCronJob("0 9 * * *", batchv1.AllowConcurrent)
	bad.Spec.TimeZone = ptr.To("Nowhere/Land")
	w = newCronWorld(t, bad, t0.Add(24*time.Hour))
	w.step()
	if len(w.jobs) != 0 || !strings.Contains(strings.Join(w.events, ""), "unknown time zone") {
		t.Fatalf("bad zone: jobs %q events %q", w.names(), w.events)
	}
}
