package tables

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// healthColumnKinds get a HEALTH column in `reconcile get` (pods have
// STATUS, which says more).
var healthColumnKinds = map[string]bool{
	"Deployment": true, "ReplicaSet": true, "DaemonSet": true, "StatefulSet": true, "Job": true, "CronJob": true,
}

// withHealth appends the HEALTH column to a workload's row.
func withHealth(o objects.Object, header, cols []string) ([]string, []string) {
	if !healthColumnKinds[objects.KindOf(o)] {
		return header, cols
	}
	st, _ := controllers.Health(o)
	return append(header, "HEALTH"), append(cols, string(st))
}

// otherRow renders the kinds table.go has no case for: Jobs, CronJobs,
// StatefulSets, DaemonSets, Namespaces and Events the way kubectl does,
// anything else as NAME and AGE.
func otherRow(o objects.Object, age string) (header, cols []string) {
	switch x := o.(type) {
	case *batchv1.Job:
		completions := "1"
		if x.Spec.Completions != nil {
			completions = fmt.Sprint(*x.Spec.Completions)
		}
		duration := ""
		if x.Status.StartTime != nil {
			end := time.Now()
			if x.Status.CompletionTime != nil {
				end = x.Status.CompletionTime.Time
			}
			duration = end.Sub(x.Status.StartTime.Time).Round(time.Second).String()
		}
		st := "Running"
		switch {
		case jobConditionIs(x, batchv1.JobComplete):
			st = "Complete"
		case jobConditionIs(x, batchv1.JobFailed):
			st = "Failed"
		case jobConditionIs(x, batchv1.JobSuspended):
			st = "Suspended"
		}
		return []string{"NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"},
			[]string{x.Name, st, fmt.Sprintf("%d/%s", x.Status.Succeeded, completions), dash(duration), age}
	case *batchv1.CronJob:
		last := "<none>"
		if x.Status.LastScheduleTime != nil {
			last = ago(x.Status.LastScheduleTime.Time, time.Now())
		}
		return []string{"NAME", "SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"},
			[]string{x.Name, x.Spec.Schedule, fmt.Sprint(x.Spec.Suspend != nil && *x.Spec.Suspend), fmt.Sprint(len(x.Status.Active)), last, age}
	case *appsv1.StatefulSet:
		return []string{"NAME", "READY", "AGE"}, []string{x.Name, fmt.Sprintf("%d/%d", x.Status.ReadyReplicas, replicas(x.Spec.Replicas)), age}
	case *appsv1.DaemonSet:
		st := x.Status
		return []string{"NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"},
			[]string{x.Name, fmt.Sprint(st.DesiredNumberScheduled), fmt.Sprint(st.CurrentNumberScheduled), fmt.Sprint(st.NumberReady),
				fmt.Sprint(st.UpdatedNumberScheduled), fmt.Sprint(st.NumberAvailable), dash(labels.FormatLabels(x.Spec.Template.Spec.NodeSelector)), age}
	case *corev1.Namespace:
		phase := x.Status.Phase
		if phase == "" {
			phase = corev1.NamespaceActive // a stored namespace is in use until it is deleted
		}
		return []string{"NAME", "STATUS", "AGE"}, []string{x.Name, string(phase), age}
	case *corev1.Event:
		return []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
			[]string{ago(events.LastSeen(x), time.Now()), x.Type, x.Reason, strings.ToLower(x.InvolvedObject.Kind) + "/" + x.InvolvedObject.Name, oneLine(x.Message)}
	}
	return []string{"NAME", "AGE"}, []string{o.GetName(), age}
}

func jobConditionIs(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
