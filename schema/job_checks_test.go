package schema

import (
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// jobDoc is a Job whose spec gets extra lines (indented two spaces).
func jobDoc(name, restart, extra string) string {
	return `apiVersion: batch/v1
kind: Job
metadata: {name: ` + name + `}
spec:
` + extra + `  template:
    spec:
      restartPolicy: ` + restart + `
      containers: [{name: main, image: busybox:1}]
---
`
}

// TestJobPolicyRules: each of Kubernetes' cross-field Job rules refuses
// one manifest at the field, in Kubernetes' words.
func TestJobPolicyRules(t *testing.T) {
	docs := []string{
		jobDoc("per-index-not-indexed", "Never", "  completions: 3\n  backoffLimitPerIndex: 1\n"),
		jobDoc("max-failed-alone", "Never", "  completions: 3\n  completionMode: Indexed\n  maxFailedIndexes: 1\n"),
		jobDoc("max-failed-over", "Never", "  completions: 3\n  completionMode: Indexed\n  backoffLimitPerIndex: 1\n  maxFailedIndexes: 4\n"),
		jobDoc("indexed-no-completions", "Never", "  completionMode: Indexed\n"),
		jobDoc("policy-on-failure", "OnFailure", "  podFailurePolicy:\n    rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]\n"),
		jobDoc("policy-replace-terminating", "Never", "  podReplacementPolicy: TerminatingOrFailed\n  podFailurePolicy:\n    rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]\n"),
		jobDoc("policy-rules", "Never", "  podFailurePolicy:\n    rules:\n    - {action: FailIndex, onExitCodes: {operator: In, values: [1]}}\n"+
			"    - {action: Count}\n"+
			"    - {action: FailJob, onExitCodes: {containerName: other, operator: In, values: [0, 3, 2, 2]}}\n"+
			"    - {action: Ignore, onExitCodes: {operator: NotIn, values: []}}\n"+
			"    - {action: Ignore, onExitCodes: {operator: In, values: [1]}, onPodConditions: [{type: DisruptionTarget}]}\n"),
		jobDoc("policy-bad-action", "Never", "  podFailurePolicy:\n    rules: [{action: Restart, onExitCodes: {operator: In, values: [1]}}]\n"),
		jobDoc("success-not-indexed", "Never", "  completions: 3\n  successPolicy:\n    rules: [{succeededCount: 1}]\n"),
		jobDoc("success-rules", "Never", "  completions: 4\n  completionMode: Indexed\n  successPolicy:\n    rules:\n    - {}\n"+
			"    - {succeededIndexes: \"0,2-5\"}\n    - {succeededIndexes: \"3-1\"}\n    - {succeededIndexes: \"0,2\", succeededCount: 3}\n    - {succeededCount: 5}\n"),
		jobDoc("success-format", "Never", "  completions: 4\n  completionMode: Indexed\n  successPolicy:\n    rules: [{succeededIndexes: \"0;2\"}]\n"),
	}
	res := validateOne(t, "jobs.yaml", strings.Join(docs, ""))
	testkit.GoldenString(t, filepath.Join("testdata", "job-rules.golden"), res.String())
}

// TestJobPolicyDefaults: Kubernetes' conditional defaults, and the
// website's examples of every new field are valid.
func TestJobPolicyDefaults(t *testing.T) {
	perIndex := mustOne(t, "a.yaml", jobDoc("a", "Never", "  completions: 3\n  completionMode: Indexed\n  backoffLimitPerIndex: 1\n")).Object.(*batchv1.Job)
	if *perIndex.Spec.BackoffLimit != 2147483647 || *perIndex.Spec.PodReplacementPolicy != batchv1.TerminatingOrFailed {
		t.Errorf("backoffLimitPerIndex job: backoffLimit %d, podReplacementPolicy %s; want 2147483647, TerminatingOrFailed", *perIndex.Spec.BackoffLimit, *perIndex.Spec.PodReplacementPolicy)
	}
	policy := mustOne(t, "b.yaml", jobDoc("b", "Never", "  podFailurePolicy:\n    rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]\n")).Object.(*batchv1.Job)
	if *policy.Spec.BackoffLimit != 6 || *policy.Spec.PodReplacementPolicy != batchv1.Failed || policy.Spec.PodFailurePolicy.Rules[0].OnPodConditions[0].Status != "True" {
		t.Errorf("podFailurePolicy job: backoffLimit %d, podReplacementPolicy %s, condition status %q; want 6, Failed, True",
			*policy.Spec.BackoffLimit, *policy.Spec.PodReplacementPolicy, policy.Spec.PodFailurePolicy.Rules[0].OnPodConditions[0].Status)
	}
	cron := mustOne(t, "c.yaml", `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      completions: 4
      completionMode: Indexed
      backoffLimitPerIndex: 0
      maxFailedIndexes: 1
      successPolicy: {rules: [{succeededIndexes: "0-1"}]}
      podFailurePolicy: {rules: [{action: FailIndex, onExitCodes: {operator: In, values: [3]}}]}
      template:
        spec:
          restartPolicy: Never
          containers: [{name: main, image: busybox:1}]
`).Object.(*batchv1.CronJob)
	if s := cron.Spec.JobTemplate.Spec; *s.PodReplacementPolicy != batchv1.Failed || *s.BackoffLimit != 2147483647 {
		t.Errorf("cronjob template defaults: %+v", s)
	}
}
