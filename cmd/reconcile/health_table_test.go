package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestTablesShowHealthAndJobs(t *testing.T) {
	three := int32(3)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: 1}}
	objects.SetTypeMeta(d, "Deployment")
	d.Spec.Replicas = &three
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 1, AvailableReplicas: 2}
	var buf bytes.Buffer
	if err := printTable(&buf, []objects.Object{d}, false, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "HEALTH") || !strings.Contains(buf.String(), "Progressing") {
		t.Errorf("deployment table:\n%s", buf.String())
	}

	start := metav1.NewTime(time.Now().Add(-90 * time.Second))
	end := metav1.NewTime(start.Add(time.Minute))
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "batch"}}
	objects.SetTypeMeta(j, "Job")
	j.Spec.Completions = &three
	j.Status = batchv1.JobStatus{Succeeded: 3, StartTime: &start, CompletionTime: &end,
		Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}
	buf.Reset()
	printTable(&buf, []objects.Object{j}, false, false)
	for _, want := range []string{"COMPLETIONS", "Complete", "3/3", "1m0s", "Healthy"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("job table lacks %q:\n%s", want, buf.String())
		}
	}
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "tick"}}
	objects.SetTypeMeta(cj, "CronJob")
	cj.Spec.Schedule = "*/5 * * * *"
	buf.Reset()
	printTable(&buf, []objects.Object{cj}, false, false)
	for _, want := range []string{"SCHEDULE", "*/5 * * * *", "false", "<none>", "Healthy"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("cronjob table lacks %q:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	printSourceHealth(&buf, map[health.Status]int{health.Healthy: 2, health.Degraded: 1})
	if got := buf.String(); got != "  health:    2 Healthy, 1 Degraded\n" {
		t.Errorf("source health line %q", got)
	}
}
