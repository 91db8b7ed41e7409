package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// when notes in the trace what happens next, so the golden file reads as
// a spec.
func (w *jobWorld) when(format string, args ...any) {
	w.trace = append(w.trace, "when "+fmt.Sprintf(format, args...))
}

// start binds every pending pod and runs it, as a scheduler and an agent
// would.
func (w *jobWorld) start() {
	for _, p := range w.pods {
		if p.Status.Phase == corev1.PodPending || p.Status.Phase == "" {
			p.Spec.NodeName = "n1"
			p.Status.Phase = corev1.PodRunning
		}
	}
}

// exit ends the running pod of index (or, for -1, the named pod) with the
// container main's exit code.
func (w *jobWorld) exit(name string, code int32) {
	w.t.Helper()
	p := w.pods[name]
	if p == nil {
		w.t.Fatalf("no pod %s; have %v", name, w.podNames())
	}
	p.Spec.NodeName = "n1"
	p.Status.Phase = corev1.PodSucceeded
	if code != 0 {
		p.Status.Phase = corev1.PodFailed
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: code, FinishedAt: metav1.NewTime(w.now)}}}}
}

// disrupt marks a pod DisruptionTarget, as an eviction or a preemption
// does (store.MarkDisrupted).
func (w *jobWorld) disrupt(name, reason string) {
	p := w.pods[name]
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: reason})
}

// byIndex is the newest pod of an index.
func (w *jobWorld) byIndex(i int) string {
	w.t.Helper()
	var out string
	for _, p := range w.podList() {
		if podIndex(p) == i && p.DeletionTimestamp == nil {
			out = p.Name
		}
	}
	if out == "" {
		w.t.Fatalf("no pod of index %d: %v", i, w.podNames())
	}
	return out
}

func (w *jobWorld) stopped(name string) { delete(w.pods, name) }

func policyJob(name string, completions, parallelism int32, rules ...batchv1.PodFailurePolicyRule) *batchv1.Job {
	j := newJob(name, ptr.To(completions), ptr.To(parallelism), corev1.RestartPolicyNever)
	j.Spec.Template.Spec.Containers[0].Name = "main"
	if len(rules) > 0 {
		j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: rules}
	}
	return j
}

func indexedJob(name string, completions, parallelism int32, perIndex *int32, rules ...batchv1.PodFailurePolicyRule) *batchv1.Job {
	j := policyJob(name, completions, parallelism, rules...)
	j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	j.Spec.BackoffLimitPerIndex = perIndex
	if perIndex != nil {
		j.Spec.BackoffLimit = nil // Kubernetes' default: unlimited
	}
	return j
}

var (
	failJobOn42 = batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{ContainerName: ptr.To("main"), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}}
	ignoreDisruptions = batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionIgnore,
		OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}}
	failIndexOn3 = batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailIndex,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}}
)

// TestJobPolicySpec runs one scenario per rule of Kubernetes' Job
// failure and success policies through ReconcileJob; the golden file
// testdata/job-policies.golden reads as their spec. Each scenario also
// asserts its outcome.
func TestJobPolicySpec(t *testing.T) {
	scenarios := []struct {
		name string
		job  *batchv1.Job
		run  func(w *jobWorld)
		want string // the job's conditions at the end
	}{{
		name: "podFailurePolicy FailJob on exit code 42: the job fails at once, no retry",
		job:  policyJob("job-pod-failure-policy-example", 3, 2, failJobOn42, ignoreDisruptions),
		run: func(w *jobWorld) {
			w.step()
			w.start()
			w.when("the first pod's container main exits with 42")
			w.exit(w.running()[0], 42)
			w.step()
		},
		want: "FailureTarget=True(PodFailurePolicy) Failed=True(PodFailurePolicy)",
	}, {
		name: "podFailurePolicy Ignore on DisruptionTarget: an evicted or preempted pod is not counted and is replaced",
		job:  policyJob("ignore", 2, 2, failJobOn42, ignoreDisruptions),
		run: func(w *jobWorld) {
			w.graceful = true
			w.step()
			w.start()
			w.when("a preemption ends the first pod (DisruptionTarget, phase Failed, exit code 137)")
			first, second := w.running()[0], w.running()[1]
			w.disrupt(first, store.ReasonPreemptionByScheduler)
			w.exit(first, 137)
			w.step()
			w.when("the eviction API marks the second pod DisruptionTarget and deletes it (podReplacementPolicy Failed: its replacement waits)")
			w.disrupt(second, store.ReasonEvictionByEvictionAPI)
			ts := metav1.NewTime(w.now)
			w.pods[second].DeletionTimestamp = &ts
			w.step()
			w.when("its agent has stopped it")
			w.stopped(second)
			w.step()
			w.start()
			for _, p := range w.running() {
				w.exit(p, 0)
			}
			w.when("both replacements succeed")
			w.step()
		},
		want: "Complete=True(Completed)",
	}, {
		name: "podFailurePolicy Count (no rule matches exit code 1): counted against backoffLimit 1, retried after the backoff, then the job fails",
		job:  policyJob("count", 1, 1, failJobOn42, ignoreDisruptions),
		run: func(w *jobWorld) {
			w.job.Spec.BackoffLimit = ptr.To(int32(1))
			w.step()
			w.when("the pod exits with 1")
			w.exit(w.running()[0], 1)
			w.step()
			w.now = w.now.Add(JobBackoffBase)
			w.when("the backoff has passed")
			w.step()
			w.when("the retry exits with 1 too")
			w.exit(w.running()[0], 1)
			w.step()
		},
		want: "Failed=True(BackoffLimitExceeded)",
	}, {
		name: "podFailurePolicy FailIndex: the index fails at once; the job fails with FailedIndexes once the others finish",
		job:  indexedJob("failindex", 3, 3, ptr.To(int32(2)), failIndexOn3),
		run: func(w *jobWorld) {
			w.step()
			w.start()
			w.when("index 1 exits with 3")
			w.exit(w.byIndex(1), 3)
			w.step()
			w.when("indexes 0 and 2 succeed")
			w.exit(w.byIndex(0), 0)
			w.exit(w.byIndex(2), 0)
			w.step()
		},
		want: "Failed=True(FailedIndexes)",
	}, {
		name: "podFailurePolicy FailIndex on DisruptionTarget: an evicted index stays failed after its pod is gone; a deleted succeeded pod's index stays completed",
		job: indexedJob("evicted-index", 3, 3, ptr.To(int32(3)), batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailIndex,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}}),
		run: func(w *jobWorld) {
			w.step()
			w.start()
			w.when("index 0 succeeds and the eviction API marks index 1's pod DisruptionTarget and deletes it")
			w.exit(w.byIndex(0), 0)
			evicted := w.byIndex(1)
			w.disrupt(evicted, store.ReasonEvictionByEvictionAPI)
			ts := metav1.NewTime(w.now)
			w.pods[evicted].DeletionTimestamp = &ts
			w.step()
			w.when("its agent has stopped it, and someone deletes index 0's succeeded pod")
			w.stopped(evicted)
			w.stopped(w.byIndex(0))
			w.step()
			w.when("index 2 succeeds")
			w.exit(w.byIndex(2), 0)
			w.step()
		},
		want: "Failed=True(FailedIndexes)",
	}, {
		name: "backoffLimitPerIndex 1: an index is retried once after its own backoff, then failed; the others complete",
		job:  indexedJob("per-index", 3, 3, ptr.To(int32(1))),
		run: func(w *jobWorld) {
			w.step()
			w.start()
			w.when("index 1 fails (exit code 1) and index 0 succeeds")
			w.exit(w.byIndex(1), 1)
			w.exit(w.byIndex(0), 0)
			w.step()
			w.now = w.now.Add(JobBackoffBase)
			w.when("its backoff has passed")
			w.step()
			w.trace = append(w.trace, "  the retry carries "+AnnotationIndexFailureCount+"="+w.pods[w.byIndex(1)].Annotations[AnnotationIndexFailureCount])
			w.start()
			w.when("index 1 fails again and index 2 succeeds")
			w.exit(w.byIndex(1), 1)
			w.exit(w.byIndex(2), 0)
			w.step()
		},
		want: "Failed=True(FailedIndexes)",
	}, {
		name: "maxFailedIndexes 1: a second failed index fails the job and stops its running pods",
		job:  indexedJob("max-failed", 4, 4, ptr.To(int32(0))),
		run: func(w *jobWorld) {
			w.job.Spec.MaxFailedIndexes = ptr.To(int32(1))
			w.step()
			w.start()
			w.when("index 0 fails")
			w.exit(w.byIndex(0), 1)
			w.step()
			w.when("index 2 fails")
			w.exit(w.byIndex(2), 1)
			w.step()
		},
		want: "Failed=True(MaxFailedIndexesExceeded)",
	}, {
		name: "successPolicy succeededIndexes 0,2-3 succeededCount 1: index 2's success completes the job early",
		job:  indexedJob("job-success", 4, 4, nil),
		run: func(w *jobWorld) {
			w.graceful = true
			w.job.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededIndexes: ptr.To("0,2-3"), SucceededCount: ptr.To(int32(1))}}}
			w.step()
			w.start()
			w.when("index 1 succeeds (not in the rule)")
			w.exit(w.byIndex(1), 0)
			w.step()
			w.when("index 2 succeeds")
			w.exit(w.byIndex(2), 0)
			w.step()
			w.when("the other pods have stopped")
			for _, p := range w.podList() {
				if p.DeletionTimestamp != nil {
					w.stopped(p.Name)
				}
			}
			w.step()
		},
		want: "SuccessCriteriaMet=True(SuccessPolicy) Complete=True(SuccessPolicy)",
	}, {
		name: "suspend deletes the running pods; resume restarts them and activeDeadlineSeconds counts from the resume",
		job:  policyJob("suspend", 2, 2),
		run: func(w *jobWorld) {
			w.job.Spec.ActiveDeadlineSeconds = ptr.To(int64(60))
			w.step()
			w.start()
			w.now = w.now.Add(30 * time.Second)
			w.when("suspend: true, 30s after the start")
			w.job.Spec.Suspend = ptr.To(true)
			w.step()
			w.now = w.now.Add(5 * time.Minute)
			w.when("suspend: false, 5m later (past the deadline counted from the first start)")
			w.job.Spec.Suspend = ptr.To(false)
			w.step()
			w.trace = append(w.trace, "  startTime is the resume: t+"+w.job.Status.StartTime.Sub(t0).String())
			w.start()
			for _, p := range w.running() {
				w.exit(p, 0)
			}
			w.when("both pods succeed")
			w.step()
		},
		want: "Suspended=False(JobResumed) Complete=True(Completed)",
	}, {
		name: "podReplacementPolicy Failed: a deleted pod is replaced only once it is gone",
		job:  policyJob("replace-failed", 1, 1),
		run: func(w *jobWorld) {
			w.job.Spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
			w.step()
			w.start()
			w.when("someone deletes the pod: it is terminating")
			ts := metav1.NewTime(w.now)
			first := w.running()[0]
			w.pods[first].DeletionTimestamp = &ts
			w.step()
			w.when("its agent has stopped it")
			w.stopped(first)
			w.step()
		},
		want: "",
	}, {
		name: "podReplacementPolicy TerminatingOrFailed: a deleted pod is replaced at once",
		job:  policyJob("replace-terminating", 1, 1),
		run: func(w *jobWorld) {
			w.step()
			w.start()
			w.when("someone deletes the pod: it is terminating")
			ts := metav1.NewTime(w.now)
			w.pods[w.running()[0]].DeletionTimestamp = &ts
			w.step()
		},
		want: "",
	}, {
		name: "Indexed pods: index label and annotation, JOB_COMPLETION_INDEX, hostname <job>-<index>, the template's subdomain",
		job:  indexedJob("indexed", 3, 3, nil),
		run: func(w *jobWorld) {
			w.job.Spec.Template.Spec.Subdomain = "workers"
			w.step()
			p := w.pods[w.byIndex(2)]
			w.trace = append(w.trace, fmt.Sprintf("  pod %s: hostname=%s subdomain=%s label=%s annotation=%s env=%v", p.Name, p.Spec.Hostname, p.Spec.Subdomain,
				p.Labels[AnnotationCompletionIndex], p.Annotations[AnnotationCompletionIndex], p.Spec.Containers[0].Env))
			w.start()
			w.when("indexes 0 and 2 succeed")
			w.exit(w.byIndex(0), 0)
			w.exit(w.byIndex(2), 0)
			w.step()
			w.when("index 1 succeeds")
			w.exit(w.byIndex(1), 0)
			w.step()
		},
		want: "Complete=True(Completed)",
	}}
	var out strings.Builder
	for _, sc := range scenarios {
		w := newJobWorld(t, sc.job)
		sc.run(w)
		fmt.Fprintf(&out, "## %s\n", sc.name)
		for _, l := range w.trace {
			out.WriteString(l + "\n")
		}
		var conds []string
		for _, c := range w.job.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s(%s)", c.Type, c.Status, c.Reason))
			if c.Message != "" {
				fmt.Fprintf(&out, "  %s: %s\n", c.Type, c.Message)
			}
		}
		out.WriteString("\n")
		if got := strings.Join(conds, " "); got != sc.want {
			t.Errorf("%s: conditions %q, want %q", sc.name, got, sc.want)
		}
	}
	testkit.GoldenString(t, "testdata/job-policies.golden", out.String())
}

// TestJudgeFailure: podFailurePolicy rules in order, as Kubernetes'
// matchPodFailurePolicy.
func TestJudgeFailure(t *testing.T) {
	exited := func(name string, code int32, init bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p"}}
		p.Status.Phase = corev1.PodFailed
		s := corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}
		if init {
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, s)
		} else {
			p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, s)
		}
		return p
	}
	notIn := batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionFailJob,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpNotIn, Values: []int32{1, 2}}}
	countFalse := batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionCount,
		OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: corev1.ConditionFalse}}}
	disruptedPod := exited("main", 42, false)
	disruptedPod.Status.Conditions = []corev1.PodCondition{{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}
	for _, c := range []struct {
		name  string
		rules []batchv1.PodFailurePolicyRule
		pod   *corev1.Pod
		want  string
	}{
		{"no policy counts", nil, exited("main", 42, false), "Count"},
		{"In matches the named container", []batchv1.PodFailurePolicyRule{failJobOn42}, exited("main", 42, false),
			"FailJob: Container main for pod default/p failed with exit code 42 matching FailJob rule at index 0"},
		{"another container's code does not match", []batchv1.PodFailurePolicyRule{failJobOn42}, exited("sidecar", 42, false), "Count"},
		{"an init container's code matches too", []batchv1.PodFailurePolicyRule{failIndexOn3}, exited("setup", 3, true),
			"FailIndex: Container setup for pod default/p failed with exit code 3 matching FailIndex rule at index 0"},
		{"NotIn matches a code outside the values", []batchv1.PodFailurePolicyRule{notIn}, exited("main", 7, false),
			"FailJob: Container main for pod default/p failed with exit code 7 matching FailJob rule at index 0"},
		{"NotIn ignores exit code 0", []batchv1.PodFailurePolicyRule{notIn}, exited("main", 0, false), "Count"},
		{"the first matching rule wins", []batchv1.PodFailurePolicyRule{ignoreDisruptions, failJobOn42}, disruptedPod,
			"Ignore: Pod default/p has condition DisruptionTarget matching Ignore rule at index 0"},
		{"a condition's status must match", []batchv1.PodFailurePolicyRule{countFalse, failJobOn42}, disruptedPod,
			"FailJob: Container main for pod default/p failed with exit code 42 matching FailJob rule at index 1"},
	} {
		j := policyJob("j", 1, 1, c.rules...)
		v := judgeFailure(j, c.pod)
		got := string(v.action)
		if v.message != "" {
			got += ": " + v.message
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// TestMatchSuccessPolicy: rules of succeededIndexes, succeededCount or
// both, over the succeeded indexes.
func TestMatchSuccessPolicy(t *testing.T) {
	for _, c := range []struct {
		rule      batchv1.SuccessPolicyRule
		succeeded []int
		want      bool
	}{
		{batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-3")}, []int{0, 2}, false},
		{batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-3")}, []int{0, 1, 2, 3}, true},
		{batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-3"), SucceededCount: ptr.To(int32(2))}, []int{1, 3}, false},
		{batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("0,2-3"), SucceededCount: ptr.To(int32(2))}, []int{1, 2, 3}, true},
		{batchv1.SuccessPolicyRule{SucceededCount: ptr.To(int32(3))}, []int{4, 5}, false},
		{batchv1.SuccessPolicyRule{SucceededCount: ptr.To(int32(3))}, []int{1, 4, 5}, true},
		{batchv1.SuccessPolicyRule{SucceededIndexes: ptr.To("9-12")}, []int{9}, false}, // past completions: never met
	} {
		j := indexedJob("s", 10, 1, nil)
		j.Spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{c.rule}}
		msg, met := matchSuccessPolicy(j, c.succeeded)
		if met != c.want || (met && msg != "Matched rules at index 0") {
			t.Errorf("rule %v over %v: met %v (%q), want %v", c.rule, c.succeeded, met, msg, c.want)
		}
	}
}

// TestCronJobCarriesJobPolicies: a CronJob's runs get the policies of its
// jobTemplate, and run by them.
func TestCronJobCarriesJobPolicies(t *testing.T) {
	cj := newCronJob("* * * * *", batchv1.AllowConcurrent)
	spec := &cj.Spec.JobTemplate.Spec
	spec.Completions, spec.Parallelism = ptr.To(int32(3)), ptr.To(int32(3))
	spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	spec.BackoffLimitPerIndex, spec.MaxFailedIndexes = ptr.To(int32(0)), ptr.To(int32(1))
	spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{failIndexOn3}}
	spec.SuccessPolicy = &batchv1.SuccessPolicy{Rules: []batchv1.SuccessPolicyRule{{SucceededIndexes: ptr.To("1")}}}
	spec.Template.Spec.Containers[0].Name = "main"
	ch := ReconcileCronJob(cj, nil, time.UTC, t0.Add(90*time.Second))
	if len(ch.Create) != 1 {
		t.Fatalf("created %d objects, want one Job", len(ch.Create))
	}
	job := ch.Create[0].(*batchv1.Job)
	job.UID = "uid-run"
	w := newJobWorld(t, job)
	w.now = t0.Add(90 * time.Second)
	w.step()
	w.start()
	w.exit(w.byIndex(0), 3) // FailIndex: index 0 failed
	w.exit(w.byIndex(1), 0) // the success policy is met while index 2 runs
	w.step()                // SuccessCriteriaMet; index 2's pod is deleted
	w.step()                // Complete
	if got := jobConds(w.job.Status); got != " SuccessCriteriaMet=True(SuccessPolicy) Complete=True(SuccessPolicy) completedIndexes=1 failedIndexes=0" || len(w.running()) != 0 {
		t.Errorf("the CronJob's run: %s", got)
	}
}
