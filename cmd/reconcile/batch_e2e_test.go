package main

// End-to-end tests of Jobs, CronJobs, events and describe with real Podman:
// a Job with completions 3 and parallelism 2 completes; a CronJob every
// minute with concurrencyPolicy Forbid never runs two jobs at once (on a
// sped-up controller clock, so minutes pass in seconds); `reconcile
// events` and `reconcile describe` show what happened in words.

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// batchJob is a Job whose pods run the demo image for runFor, then exit 0.
func batchJob(name string, completions, parallelism int, runFor string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata:
  name: %s
  namespace: e2e
spec:
  completions: %d
  parallelism: %d
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
        - name: work
          image: localhost/reconcile-hello:v1
          imagePullPolicy: IfNotPresent
          env:
            - {name: EXIT_AFTER, value: %q}
            - {name: EXIT_CODE, value: "0"}
`, name, completions, parallelism, runFor)
}

// newPlainCluster is newCluster on Podman's default network: these tests
// need neither cluster DNS nor routes between nodes, and so do not compete
// for the pod network's subnet with other end-to-end runs on the host.
func newPlainCluster(t *testing.T, files map[string]string) *cluster {
	needE2E(t)
	c := prepareCluster(t, files)
	c.startProc("up", "up", "--repo", c.repo, "--data", c.data, "--podman", env.sock, "--listen", c.server, "--node", "e2e-node", "--pod-network", "")
	c.waitServer()
	return c
}

func (c *cluster) jobs(ns string) []batchv1.Job {
	c.t.Helper()
	out, err := c.run("get", "jobs", "-n", ns, "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var l struct{ Items []batchv1.Job }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		c.t.Fatalf("decode get jobs: %v\n%s", err, out)
	}
	return l.Items
}

func jobCondition(j batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func ownedByJob(p corev1.Pod, job string) bool {
	for _, r := range p.OwnerReferences {
		if r.Kind == "Job" && r.Name == job {
			return true
		}
	}
	return false
}

func TestE2EJobCompletesWithParallelism(t *testing.T) {
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "job.yaml": batchJob("batch", 3, 2, "2s")})
	maxRunning := 0
	var job batchv1.Job
	c.eventually(90*time.Second, "job batch Complete", func() error {
		running := 0
		for _, p := range c.pods("e2e") {
			if ownedByJob(p, "batch") && (p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending) && p.DeletionTimestamp == nil {
				running++
			}
		}
		maxRunning = max(maxRunning, running)
		for _, j := range c.jobs("e2e") {
			if j.Name == "batch" {
				job = j
			}
		}
		if jobCondition(job, batchv1.JobFailed) {
			t.Fatalf("job failed: %+v", job.Status)
		}
		if !jobCondition(job, batchv1.JobComplete) {
			return fmt.Errorf("job status %+v", job.Status)
		}
		return nil
	})
	if maxRunning > 2 {
		t.Errorf("saw %d pods of the job at once; parallelism is 2", maxRunning)
	}
	if job.Status.Succeeded != 3 || job.Status.Failed != 0 || job.Status.CompletionTime == nil {
		t.Errorf("job status %+v, want 3 succeeded, none failed, a completion time", job.Status)
	}
	succeeded := 0
	for _, p := range c.pods("e2e") {
		if ownedByJob(p, "batch") && p.Status.Phase == corev1.PodSucceeded {
			succeeded++
			if s := p.Status.ContainerStatuses; len(s) != 1 || s[0].State.Terminated == nil || s[0].State.Terminated.ExitCode != 0 {
				t.Errorf("pod %s: container status %+v, want terminated with exit code 0", p.Name, s)
			}
		}
	}
	if succeeded != 3 {
		t.Errorf("%d succeeded pods of the job, want 3", succeeded)
	}

	out, err := c.run("describe", "job", "batch", "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kind:", "Job", "Health:", "Healthy", "0 Active / 3 Succeeded / 0 Failed", "Complete", "SuccessfulCreate", "Created pod: batch-", "Completed", "Job completed"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe job lacks %q:\n%s", want, out)
		}
	}
	ev, err := c.run("events", "-n", "e2e", "--for", "job/batch")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(ev, "SuccessfulCreate"); n != 3 || !strings.Contains(ev, "LAST SEEN") {
		t.Errorf("events for job/batch: %d SuccessfulCreate lines, want 3:\n%s", n, ev)
	}
}

// cronTick runs every minute, Forbid, each run taking runFor (real time).
func cronTick(runFor string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
  namespace: e2e
spec:
  schedule: "* * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
            - name: tick
              image: localhost/reconcile-hello:v1
              imagePullPolicy: IfNotPresent
              env:
                - {name: EXIT_AFTER, value: %q}
                - {name: EXIT_CODE, value: "0"}
`, runFor)
}

// The controller clock runs 30 times faster than real time: a minute
// passes every 2 s, and each run takes 3 s, so every run spans at least
// one schedule time. With Forbid the jobs must run one after another.
func TestE2ECronJobForbidNeverOverlaps(t *testing.T) {
	t.Setenv(testClockEnv, ",30")
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "cron.yaml": cronTick("3s")})
	type span struct{ start, end time.Time }
	seen := map[string]span{}
	maxActive := 0
	c.eventually(120*time.Second, "three completed runs of the CronJob", func() error {
		active, done := 0, 0
		for _, j := range c.jobs("e2e") {
			s := seen[j.Name]
			if j.Status.StartTime != nil {
				s.start = j.Status.StartTime.Time
			}
			if j.Status.CompletionTime != nil {
				s.end = j.Status.CompletionTime.Time
			}
			seen[j.Name] = s
			if jobCondition(j, batchv1.JobFailed) {
				t.Fatalf("job %s failed: %+v", j.Name, j.Status)
			}
			if !jobCondition(j, batchv1.JobComplete) {
				active++
			}
		}
		running := 0
		for _, p := range c.pods("e2e") {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				running++
			}
		}
		maxActive = max(maxActive, active, running)
		for _, s := range seen {
			if !s.end.IsZero() {
				done++
			}
		}
		if done < 3 {
			return fmt.Errorf("%d runs completed, %d active; jobs seen %d", done, active, len(seen))
		}
		return nil
	})
	if maxActive > 1 {
		t.Errorf("saw %d runs at once; concurrencyPolicy Forbid allows one", maxActive)
	}
	// On the controller's clock, every run starts after the one before
	// it completed.
	var spans []span
	for _, s := range seen {
		if !s.start.IsZero() {
			spans = append(spans, s)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	for i, s := range spans {
		t.Logf("run %d: %s – %s (controller clock)", i, s.start.Format(time.TimeOnly), s.end.Format(time.TimeOnly))
	}
	for i := 1; i < len(spans); i++ {
		if prev := spans[i-1]; prev.end.IsZero() || spans[i].start.Before(prev.end) {
			t.Errorf("run %d started at %s before run %d completed (%s)", i, spans[i].start, i-1, prev.end)
		}
	}
	if testing.Verbose() && os.Getenv("E2E_LOG") != "" {
		t.Log(c.logs())
	}
	out, err := c.run("describe", "cronjob", "tick", "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Schedule:", "* * * * *", "Concurrency Policy:", "Forbid", "Last Schedule Time:", "SuccessfulCreate", "Created job tick-", "JobAlreadyActive", "SawCompletedJob"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe cronjob lacks %q:\n%s", want, out)
		}
	}
}

// A Deployment's story reads in `reconcile events` and `reconcile
// describe deployment`: the ReplicaSet scaled, pods created and scheduled.
func TestE2EDescribeDeploymentShowsEvents(t *testing.T) {
	c := newPlainCluster(t, baseFiles(2, "localhost/reconcile-hello:v1"))
	c.waitRunning(2, "localhost/reconcile-hello:v1")
	var out string
	c.eventually(20*time.Second, "describe deployment with events", func() error {
		var err error
		if out, err = c.run("describe", "deployment", "web", "-n", "e2e"); err != nil {
			return err
		}
		for _, want := range []string{"Name:", "web", "Namespace:", "e2e", "Replicas:", "2 desired", "Health:", "Healthy",
			"localhost/reconcile-hello:v1", "Events:", "ScalingReplicaSet", "Scaled up replica set web-", "deployment-controller"} {
			if !strings.Contains(out, want) {
				return fmt.Errorf("describe deployment lacks %q:\n%s", want, out)
			}
		}
		return nil
	})
	ev, err := c.run("events", "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE", "deployment/web", "ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Successfully assigned e2e/web-"} {
		if !strings.Contains(ev, want) {
			t.Errorf("reconcile events lacks %q:\n%s", want, ev)
		}
	}
	st, err := c.run("status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st, "health:    1 Healthy") {
		t.Errorf("reconcile status lacks the source's health (the Deployment):\n%s", st)
	}
	get, err := c.run("get", "deployments", "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(get, "HEALTH") || !strings.Contains(get, "Healthy") {
		t.Errorf("reconcile get deployments lacks the HEALTH column:\n%s", get)
	}
	pod := runningPods(c.pods("e2e"))[0].Name
	out, err = c.run("describe", "pod", pod, "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Node:", "e2e-node", "Containers:", "hello:", "Running since", "Restart Count:", "Scheduled", "Controlled By:", "ReplicaSet/web-"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe pod lacks %q:\n%s", want, out)
		}
	}
}

// A Job whose pods exit 1 is retried after the backoff delay (10 s after
// the first failure) and fails with BackoffLimitExceeded once more pods
// failed than backoffLimit allows.
func TestE2EJobFailsPastBackoffLimit(t *testing.T) {
	job := strings.Replace(batchJob("flaky", 1, 1, "200ms"), `{name: EXIT_CODE, value: "0"}`, `{name: EXIT_CODE, value: "3"}`, 1)
	job = strings.Replace(job, "  parallelism: 1\n", "  parallelism: 1\n  backoffLimit: 1\n", 1)
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "job.yaml": job})
	var j batchv1.Job
	c.eventually(90*time.Second, "job flaky Failed", func() error {
		for _, x := range c.jobs("e2e") {
			if x.Name == "flaky" {
				j = x
			}
		}
		if jobCondition(j, batchv1.JobComplete) {
			t.Fatalf("a job whose pods exit 3 completed: %+v", j.Status)
		}
		if !jobCondition(j, batchv1.JobFailed) {
			return fmt.Errorf("job status %+v", j.Status)
		}
		return nil
	})
	var reason string
	for _, cond := range j.Status.Conditions {
		if cond.Type == batchv1.JobFailed {
			reason = cond.Reason
		}
	}
	if reason != "BackoffLimitExceeded" || j.Status.Failed != 2 {
		t.Errorf("job status %+v, want Failed/BackoffLimitExceeded after 2 failed pods", j.Status)
	}
	var pods []corev1.Pod
	for _, p := range c.pods("e2e") {
		if ownedByJob(p, "flaky") {
			pods = append(pods, p)
		}
	}
	sort.Slice(pods, func(a, b int) bool { return pods[a].CreationTimestamp.Before(&pods[b].CreationTimestamp) })
	if len(pods) != 2 {
		t.Fatalf("%d pods of the job, want 2 (the first and one retry)", len(pods))
	}
	first := pods[0].Status.ContainerStatuses
	if len(first) != 1 || first[0].State.Terminated == nil || first[0].State.Terminated.ExitCode != 3 {
		t.Fatalf("first pod's container status %+v, want exit code 3", first)
	}
	// Timestamps have whole seconds: the retry came at least 9 s after the
	// first pod finished, not at once.
	if gap := pods[1].CreationTimestamp.Sub(first[0].State.Terminated.FinishedAt.Time); gap < 9*time.Second {
		t.Errorf("retry created %s after the first failure, want the 10 s backoff", gap)
	}
	out, err := c.run("describe", "job", "flaky", "-n", "e2e")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Degraded", "BackoffLimitExceeded", "Job has reached the specified backoff limit", "0 Active / 0 Succeeded / 2 Failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe job lacks %q:\n%s", want, out)
		}
	}
}
