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

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// jobWorld runs ReconcileJob against in-memory pods with a fake clock and
// keeps a readable trace of what each step did.
type jobWorld struct {
	t     *testing.T
	job   *batchv1.Job
	pods  map[string]*corev1.Pod
	now   time.Time
	seq   int
	trace []string
	gone  bool // the job was deleted
	// graceful: deleting a bound, unfinished pod marks it terminating (as
	// store.DeletePodGracefully does) until the test removes it.
	graceful bool
}

func newJob(name string, completions, parallelism *int32, policy corev1.RestartPolicy) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name), Generation: 1}}
	objects.SetTypeMeta(j, "Job")
	j.Spec.Completions, j.Spec.Parallelism = completions, parallelism
	if parallelism == nil {
		j.Spec.Parallelism = ptr.To(int32(1))
	}
	j.Spec.BackoffLimit = ptr.To(int32(DefaultBackoffLimit))
	j.Spec.Template.Spec.RestartPolicy = policy
	j.Spec.Template.Spec.Containers = []corev1.Container{{Name: "work", Image: "img"}}
	return j
}

func newJobWorld(t *testing.T, j *batchv1.Job) *jobWorld {
	return &jobWorld{t: t, job: j, pods: map[string]*corev1.Pod{}, now: t0}
}

func (w *jobWorld) suffix() string { w.seq++; return fmt.Sprintf("x%d", w.seq) }

func (w *jobWorld) podList() []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range w.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// step runs the controller once and applies its changes.
func (w *jobWorld) step() Changes {
	w.t.Helper()
	ch := ReconcileJob(w.job, w.podList(), w.suffix, w.now)
	var line []string
	for _, o := range ch.Create {
		p := o.(*corev1.Pod).DeepCopy()
		p.UID = types.UID("uid-" + p.Name)
		p.CreationTimestamp = metav1.NewTime(w.now)
		w.pods[p.Name] = p
		line = append(line, "create "+p.Name)
	}
	for _, o := range ch.Delete {
		switch o := o.(type) {
		case *corev1.Pod:
			if p := w.pods[o.Name]; w.graceful && p != nil && p.Spec.NodeName != "" && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				ts := metav1.NewTime(w.now)
				p.DeletionTimestamp = &ts
				line = append(line, "delete "+o.Name+" (terminating)")
				continue
			}
			delete(w.pods, o.Name)
			line = append(line, "delete "+o.Name)
		case *batchv1.Job:
			w.gone = true
			line = append(line, "delete job")
		}
	}
	for _, o := range ch.UpdateStatus {
		w.job = o.(*batchv1.Job)
	}
	for _, e := range ch.Events {
		line = append(line, fmt.Sprintf("event %s %s %q", e.Type, e.Reason, e.Message))
	}
	s := w.job.Status
	line = append(line, fmt.Sprintf("status active=%d succeeded=%d failed=%d%s", s.Active, s.Succeeded, s.Failed, jobConds(s)))
	if ch.RequeueAfter > 0 {
		line = append(line, "requeue "+ch.RequeueAfter.String())
	}
	w.trace = append(w.trace, fmt.Sprintf("t+%s: %s", w.now.Sub(t0), strings.Join(line, "; ")))
	return ch
}

func jobConds(s batchv1.JobStatus) string {
	var out string
	for _, c := range s.Conditions {
		out += fmt.Sprintf(" %s=%s(%s)", c.Type, c.Status, c.Reason)
	}
	if s.CompletedIndexes != "" {
		out += " completedIndexes=" + s.CompletedIndexes
	}
	if s.FailedIndexes != nil {
		out += " failedIndexes=" + *s.FailedIndexes
	}
	if s.Terminating != nil && *s.Terminating > 0 {
		out += fmt.Sprintf(" terminating=%d", *s.Terminating)
	}
	return out
}

// finish ends a running pod with a phase, as its agent would report.
func (w *jobWorld) finish(name string, phase corev1.PodPhase) {
	w.t.Helper()
	p := w.pods[name]
	if p == nil {
		w.t.Fatalf("no pod %s; have %v", name, w.podNames())
	}
	p.Spec.NodeName = "n1"
	p.Status.Phase = phase
	code := int32(0)
	if phase == corev1.PodFailed {
		code = 1
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "work", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: code, FinishedAt: metav1.NewTime(w.now)}}}}
}

func (w *jobWorld) running() []string {
	var out []string
	for _, p := range w.podList() {
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, p.Name)
		}
	}
	return out
}

func (w *jobWorld) podNames() []string {
	var out []string
	for _, p := range w.podList() {
		out = append(out, p.Name)
	}
	return out
}

func (w *jobWorld) condition(t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range w.job.Status.Conditions {
		if w.job.Status.Conditions[i].Type == t {
			return &w.job.Status.Conditions[i]
		}
	}
	return nil
}

func TestJobCompletionsAndParallelism(t *testing.T) {
	w := newJobWorld(t, newJob("batch", ptr.To(int32(3)), ptr.To(int32(2)), corev1.RestartPolicyNever))
	w.step()
	if r := w.running(); len(r) != 2 {
		t.Fatalf("running %v, want 2 pods (parallelism 2)", r)
	}
	if w.job.Status.StartTime == nil || w.job.Status.Active != 2 {
		t.Fatalf("status %+v", w.job.Status)
	}
	w.step() // steady: nothing more
	w.now = w.now.Add(5 * time.Second)
	w.finish(w.running()[0], corev1.PodSucceeded)
	w.step()
	if r := w.running(); len(r) != 2 {
		t.Fatalf("after one success: running %v, want 2 (one left to start, one running)", r)
	}
	for _, name := range w.running() {
		w.finish(name, corev1.PodSucceeded)
	}
	w.now = w.now.Add(5 * time.Second)
	w.step()
	c := w.condition(batchv1.JobComplete)
	if c == nil || c.Status != corev1.ConditionTrue || w.job.Status.Succeeded != 3 || w.job.Status.CompletionTime == nil {
		t.Fatalf("want Complete with 3 succeeded: %+v", w.job.Status)
	}
	if ch := w.step(); !ch.Empty() {
		t.Fatalf("a complete job still changes: %+v", ch)
	}
	testkit.GoldenJSON(t, "testdata/job-completions-trace.golden", w.trace)
}

func TestJobFailsPastBackoffLimitWithGrowingDelays(t *testing.T) {
	j := newJob("flaky", nil, nil, corev1.RestartPolicyNever)
	j.Spec.BackoffLimit = ptr.To(int32(2))
	w := newJobWorld(t, j)
	var delays []time.Duration
	w.step()
	for range 3 {
		w.finish(w.running()[0], corev1.PodFailed)
		ch := w.step()
		if w.condition(batchv1.JobFailed) != nil {
			break
		}
		if len(w.running()) != 0 || ch.RequeueAfter == 0 {
			t.Fatalf("a pod was replaced at once after a failure: running %v", w.running())
		}
		delays = append(delays, ch.RequeueAfter)
		w.now = w.now.Add(ch.RequeueAfter - time.Second)
		w.step()
		if len(w.running()) != 0 {
			t.Fatal("replacement created before the backoff ran out")
		}
		w.now = w.now.Add(time.Second)
		w.step()
		if len(w.running()) != 1 {
			t.Fatalf("no replacement after the backoff: %v", w.podNames())
		}
	}
	if want := []time.Duration{10 * time.Second, 20 * time.Second}; fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Fatalf("retry delays %v, want %v", delays, want)
	}
	c := w.condition(batchv1.JobFailed)
	if c == nil || c.Reason != ReasonBackoffLimitExceeded || w.job.Status.Failed != 3 {
		t.Fatalf("want Failed/BackoffLimitExceeded after 3 failures: %+v", w.job.Status)
	}
	testkit.GoldenJSON(t, "testdata/job-backoff-trace.golden", w.trace)
}

func TestJobRetryDelayIsCapped(t *testing.T) {
	var failed []*corev1.Pod
	for i := range 10 {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint(i), CreationTimestamp: metav1.NewTime(t0)}}
		failed = append(failed, p)
	}
	if got := retryWait(failed, t0); got != JobBackoffMax {
		t.Fatalf("delay after 10 failures %v, want the cap %v", got, JobBackoffMax)
	}
}

func TestJobOnFailureRestartsCountAgainstBackoffLimit(t *testing.T) {
	j := newJob("restarts", nil, nil, corev1.RestartPolicyOnFailure)
	j.Spec.BackoffLimit = ptr.To(int32(1))
	w := newJobWorld(t, j)
	w.step()
	p := w.pods[w.running()[0]]
	p.Spec.NodeName, p.Status.Phase = "n1", corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "work", RestartCount: 2}}
	w.step()
	if c := w.condition(batchv1.JobFailed); c == nil || c.Reason != ReasonBackoffLimitExceeded {
		t.Fatalf("want Failed: %+v", w.job.Status)
	}
	if len(w.pods) != 0 {
		t.Fatalf("the failed job's running pod was not deleted: %v", w.podNames())
	}
}

func TestJobActiveDeadline(t *testing.T) {
	j := newJob("slow", nil, ptr.To(int32(2)), corev1.RestartPolicyNever)
	j.Spec.ActiveDeadlineSeconds = ptr.To(int64(30))
	w := newJobWorld(t, j)
	if ch := w.step(); ch.RequeueAfter != 30*time.Second {
		t.Fatalf("requeue %v, want the deadline 30s", ch.RequeueAfter)
	}
	w.now = w.now.Add(30 * time.Second)
	w.step()
	c := w.condition(batchv1.JobFailed)
	if c == nil || c.Reason != ReasonDeadlineExceeded || len(w.pods) != 0 || w.job.Status.Active != 0 {
		t.Fatalf("want Failed/DeadlineExceeded and no pods: %+v pods %v", w.job.Status, w.podNames())
	}
}

func TestJobTTLAfterFinished(t *testing.T) {
	for _, fromGit := range []bool{false, true} {
		j := newJob("ttl", nil, nil, corev1.RestartPolicyNever)
		j.Spec.TTLSecondsAfterFinished = ptr.To(int32(60))
		if fromGit {
			j.Annotations = map[string]string{objects.AnnotationSource: "repo"}
		}
		w := newJobWorld(t, j)
		w.step()
		w.finish(w.running()[0], corev1.PodSucceeded)
		ch := w.step()
		if w.condition(batchv1.JobComplete) == nil {
			t.Fatal("not complete")
		}
		if fromGit {
			if ch.RequeueAfter != 0 || w.gone {
				t.Fatalf("a job from git is kept (the next apply would create it again): %+v", ch)
			}
			continue
		}
		if ch.RequeueAfter != 60*time.Second || w.gone {
			t.Fatalf("requeue %v gone %v, want a wait of 60s", ch.RequeueAfter, w.gone)
		}
		w.now = w.now.Add(60 * time.Second)
		w.step()
		if !w.gone {
			t.Fatal("job not deleted after ttlSecondsAfterFinished")
		}
	}
}

func TestJobIndexed(t *testing.T) {
	j := newJob("idx", ptr.To(int32(3)), ptr.To(int32(2)), corev1.RestartPolicyNever)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	w := newJobWorld(t, j)
	w.step()
	if got := w.running(); fmt.Sprint(got) != "[idx-0-x1 idx-1-x2]" {
		t.Fatalf("pods %v, want indexes 0 and 1", got)
	}
	p := w.pods["idx-1-x2"]
	if p.Annotations[AnnotationCompletionIndex] != "1" || p.Spec.Containers[0].Env[0] != (corev1.EnvVar{Name: "JOB_COMPLETION_INDEX", Value: "1"}) {
		t.Fatalf("index annotation/env missing: %v %v", p.Annotations, p.Spec.Containers[0].Env)
	}
	w.finish("idx-1-x2", corev1.PodSucceeded)
	w.step()
	if got := w.running(); fmt.Sprint(got) != "[idx-0-x1 idx-2-x3]" || w.job.Status.CompletedIndexes != "1" {
		t.Fatalf("pods %v completed %q, want index 2 started and 1 completed", got, w.job.Status.CompletedIndexes)
	}
	w.finish("idx-0-x1", corev1.PodSucceeded)
	w.finish("idx-2-x3", corev1.PodSucceeded)
	w.step()
	if w.condition(batchv1.JobComplete) == nil || w.job.Status.CompletedIndexes != "0-2" {
		t.Fatalf("want Complete with indexes 0-2: %+v", w.job.Status)
	}
}

func TestJobSuspendAndTerminatingPods(t *testing.T) {
	j := newJob("sus", ptr.To(int32(2)), ptr.To(int32(2)), corev1.RestartPolicyNever)
	w := newJobWorld(t, j)
	w.step()
	// A pod someone deleted is terminating: not active, not a failure,
	// and replaced at once.
	dying := w.pods[w.running()[0]]
	ts := metav1.NewTime(w.now)
	dying.DeletionTimestamp = &ts
	dying.Status.Phase = corev1.PodFailed
	w.step()
	if w.job.Status.Failed != 0 || w.job.Status.Active != 2 || len(w.pods) != 3 {
		t.Fatalf("terminating pod: status %+v pods %v", w.job.Status, w.podNames())
	}
	delete(w.pods, dying.Name)
	w.job.Spec.Suspend = ptr.To(true)
	w.step()
	if len(w.pods) != 0 || w.condition(batchv1.JobSuspended) == nil {
		t.Fatalf("suspended job: pods %v status %+v", w.podNames(), w.job.Status)
	}
}
