package main

// End-to-end test of Indexed Jobs and the Job failure and success policies
// on real Podman: the pods run `hello job` (examples/hello/job.go), which
// prints JOB_COMPLETION_INDEX and the hostname and exits with a code
// chosen per index.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// policyJobYAML is an Indexed Job of completions pods (all at once) whose
// container main runs `hello job ARGS...`, with extra spec lines.
func policyJobYAML(name string, completions int, extra string, args ...string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: %s
  namespace: e2e
spec:
  completions: %d
  parallelism: %d
  completionMode: Indexed
%s  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: localhost/reconcile-hello:v1
          imagePullPolicy: IfNotPresent
          args: [job%s]
`, name, completions, completions, extra, argList(args))
}

func argList(args []string) string {
	var b strings.Builder
	for _, a := range args {
		fmt.Fprintf(&b, ", %q", a)
	}
	return b.String()
}

func TestE2EIndexedJobsAndFailurePolicy(t *testing.T) {
	c := newPlainCluster(t, map[string]string{
		"namespace.yaml": e2eNamespace,
		// Every index succeeds.
		"indexed.yaml": policyJobYAML("indexed", 3, ""),
		// Exit code 42 fails the job at once: no retry although
		// backoffLimit allows 6.
		"failjob.yaml": strings.Replace(policyJobYAML("failjob", 1, `  podFailurePolicy:
    rules:
      - action: FailJob
        onExitCodes: {containerName: main, operator: In, values: [42]}
      - action: Ignore
        onPodConditions: [{type: DisruptionTarget}]
`, "*=42"), "  completionMode: Indexed\n", "", 1),
		// Index 1 fails, is retried once after its backoff, fails again.
		"perindex.yaml": policyJobYAML("perindex", 3, "  backoffLimitPerIndex: 1\n", "1=1"),
		// Index 0's success is enough; the others would run ten minutes.
		"success.yaml": policyJobYAML("success", 3, "  successPolicy:\n    rules: [{succeededIndexes: \"0\"}]\n", "0=0@1s", "*=0@10m"),
	})
	finished := map[string]batchv1.Job{}
	c.eventually(4*time.Minute, "the four jobs finished", func() error {
		var waiting []string
		for _, j := range c.jobs("e2e") {
			if jobCondition(j, batchv1.JobComplete) || jobCondition(j, batchv1.JobFailed) {
				finished[j.Name] = j
			} else {
				waiting = append(waiting, fmt.Sprintf("%s: %+v", j.Name, j.Status))
			}
		}
		if len(finished) < 4 {
			return fmt.Errorf("still running: %v", waiting)
		}
		return nil
	})
	reason := func(j batchv1.Job, t batchv1.JobConditionType) string {
		for _, c := range j.Status.Conditions {
			if c.Type == t && c.Status == corev1.ConditionTrue {
				return c.Reason + ": " + c.Message
			}
		}
		return ""
	}
	podsOf := func(job string) []corev1.Pod {
		var out []corev1.Pod
		for _, p := range c.pods("e2e") {
			if ownedByJob(p, job) {
				out = append(out, p)
			}
		}
		return out
	}

	// Indexed: completedIndexes 0-2; each pod saw its index and the
	// stable hostname <job>-<index>.
	if j := finished["indexed"]; !jobCondition(j, batchv1.JobComplete) || j.Status.CompletedIndexes != "0-2" {
		t.Errorf("job indexed: %+v, want Complete with completedIndexes 0-2", j.Status)
	}
	for _, p := range podsOf("indexed") {
		idx := p.Annotations["batch.kubernetes.io/job-completion-index"]
		if p.Labels["batch.kubernetes.io/job-completion-index"] != idx || p.Spec.Hostname != "indexed-"+idx {
			t.Errorf("pod %s: index label %q, annotation %q, hostname %q", p.Name, p.Labels["batch.kubernetes.io/job-completion-index"], idx, p.Spec.Hostname)
		}
		out, err := c.run("logs", p.Name, "-n", "e2e")
		if want := fmt.Sprintf("JOB_COMPLETION_INDEX=%s hostname=indexed-%s", idx, idx); err != nil || !strings.Contains(out, want) {
			t.Errorf("logs of %s: %v %q, want %q", p.Name, err, out, want)
		}
	}

	// FailJob on exit code 42: Failed with reason PodFailurePolicy after
	// one pod, in Kubernetes' words.
	j := finished["failjob"]
	pods := podsOf("failjob")
	if len(pods) != 1 {
		t.Fatalf("job failjob made %d pods, want 1 (no retry)", len(pods))
	}
	want := fmt.Sprintf("PodFailurePolicy: Container main for pod e2e/%s failed with exit code 42 matching FailJob rule at index 0", pods[0].Name)
	if got := reason(j, batchv1.JobFailed); got != want || reason(j, batchv1.JobFailureTarget) != want || j.Status.Failed != 1 {
		t.Errorf("job failjob: Failed %q, status %+v; want %q", got, j.Status, want)
	}

	// backoffLimitPerIndex 1: index 1 failed twice, the others completed.
	j = finished["perindex"]
	if got := reason(j, batchv1.JobFailed); got != "FailedIndexes: Job has failed indexes" || j.Status.FailedIndexes == nil || *j.Status.FailedIndexes != "1" || j.Status.CompletedIndexes != "0,2" || j.Status.Failed != 2 {
		t.Errorf("job perindex: Failed %q, status %+v; want FailedIndexes, failedIndexes 1, completedIndexes 0,2, 2 failed", got, j.Status)
	}

	out, err := c.run("describe", "job", "perindex", "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Backoff Limit Per Index:", "Completed Indexes:", "0,2", "Failed Indexes:", "FailedIndexes", "Job has failed indexes"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe job perindex lacks %q:\n%s", want, out)
		}
	}

	// successPolicy: index 0 completed the job; the others were stopped.
	j = finished["success"]
	if got := reason(j, batchv1.JobComplete); got != "SuccessPolicy: Matched rules at index 0" || reason(j, batchv1.JobSuccessCriteriaMet) == "" || j.Status.CompletedIndexes != "0" {
		t.Errorf("job success: Complete %q, status %+v; want SuccessPolicy after SuccessCriteriaMet, completedIndexes 0", got, j.Status)
	}
	c.eventually(time.Minute, "the other pods of job success gone", func() error {
		for _, p := range podsOf("success") {
			if p.Status.Phase != corev1.PodSucceeded {
				return fmt.Errorf("pod %s still %s", p.Name, p.Status.Phase)
			}
		}
		return nil
	})
}

// A drain evicts Job pods through the eviction API, which marks them
// DisruptionTarget before deleting them: a podFailurePolicy rule on that
// condition sees it (through the agent's status reports, which keep it).
// FailJob fails its job with Kubernetes' message; Ignore replaces the pod
// without counting it, although backoffLimit is 0.
func TestE2EJobPodFailurePolicySeesEvictions(t *testing.T) {
	onDisruption := func(name, action, sleep string) string {
		return strings.Replace(policyJobYAML(name, 1, "  backoffLimit: 0\n  podFailurePolicy:\n    rules:\n      - action: "+action+"\n        onPodConditions: [{type: DisruptionTarget}]\n", "*=0@"+sleep),
			"  completionMode: Indexed\n", "", 1)
	}
	c := newPlainCluster(t, map[string]string{
		"namespace.yaml": e2eNamespace,
		"failjob.yaml":   onDisruption("evict-failjob", "FailJob", "10m"),
		"ignore.yaml":    onDisruption("evict-ignore", "Ignore", "15s"),
	})
	podsOf := func(job string) []corev1.Pod {
		var out []corev1.Pod
		for _, p := range c.pods("e2e") {
			if ownedByJob(p, job) {
				out = append(out, p)
			}
		}
		return out
	}
	c.eventually(2*time.Minute, "both jobs' pods running", func() error {
		for _, job := range []string{"evict-failjob", "evict-ignore"} {
			ps := podsOf(job)
			if len(ps) != 1 || ps[0].Status.Phase != corev1.PodRunning {
				return fmt.Errorf("pods of %s: %d, %+v", job, len(ps), ps)
			}
		}
		return nil
	})
	evicted := podsOf("evict-failjob")[0].Name
	if out, err := c.run("drain", "e2e-node", "--timeout", "120s"); err != nil {
		t.Fatalf("drain: %v\n%s", err, out)
	}
	if out, err := c.run("uncordon", "e2e-node"); err != nil {
		t.Fatalf("uncordon: %v\n%s", err, out)
	}
	var failed, ignored batchv1.Job
	c.eventually(2*time.Minute, "evict-failjob Failed and evict-ignore Complete", func() error {
		for _, j := range c.jobs("e2e") {
			switch j.Name {
			case "evict-failjob":
				failed = j
			case "evict-ignore":
				ignored = j
			}
		}
		if jobCondition(ignored, batchv1.JobFailed) {
			t.Fatalf("the evicted pod of evict-ignore was counted: %+v", ignored.Status)
		}
		if !jobCondition(failed, batchv1.JobFailed) || !jobCondition(ignored, batchv1.JobComplete) {
			return fmt.Errorf("evict-failjob %+v; evict-ignore %+v", failed.Status, ignored.Status)
		}
		return nil
	})
	want := fmt.Sprintf("PodFailurePolicy: Pod e2e/%s has condition DisruptionTarget matching FailJob rule at index 0", evicted)
	for _, cond := range failed.Status.Conditions {
		if cond.Type == batchv1.JobFailed && cond.Reason+": "+cond.Message != want {
			t.Errorf("evict-failjob Failed: %s: %s, want %s", cond.Reason, cond.Message, want)
		}
	}
	if ignored.Status.Failed != 0 || ignored.Status.Succeeded != 1 {
		t.Errorf("evict-ignore status %+v, want 1 succeeded, 0 failed", ignored.Status)
	}
}
