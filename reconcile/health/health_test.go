package health

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func i32(v int32) *int32 { return &v }

func dep(gen, observed int64, replicas int32, s appsv1.DeploymentStatus, mod ...func(*appsv1.Deployment)) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Generation: gen}, Status: s}
	d.Status.ObservedGeneration = observed
	d.Spec.Replicas = i32(replicas)
	for _, m := range mod {
		m(d)
	}
	return d
}

func podWith(phase corev1.PodPhase, mod func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	p.Spec.RestartPolicy = corev1.RestartPolicyAlways
	p.Status.Phase = phase
	if mod != nil {
		mod(p)
	}
	return p
}

func jobWith(conds ...batchv1.JobConditionType) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "j"}}
	for _, c := range conds {
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: c, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"})
	}
	return j
}

func TestOf(t *testing.T) {
	now := metav1.Now()
	earlier := metav1.NewTime(now.Add(-60e9))
	cases := []struct {
		name string
		obj  objects.Object
		want Status
		msg  string // substring of the message
	}{
		{"deployment healthy", dep(2, 2, 3, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), Healthy, "3 of 3"},
		{"deployment not observed", dep(3, 2, 3, appsv1.DeploymentStatus{}), Progressing, "generation"},
		{"deployment updating", dep(2, 2, 3, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1}), Progressing, "1 out of 3 new replicas"},
		{"deployment old pending", dep(2, 2, 3, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3}), Progressing, "1 old replicas"},
		{"deployment unavailable", dep(2, 2, 3, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2}), Progressing, "2 of 3 updated"},
		{"deployment deadline", dep(2, 2, 3, appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}}), Degraded, "progress deadline"},
		{"deployment paused", dep(2, 2, 3, appsv1.DeploymentStatus{}, func(d *appsv1.Deployment) { d.Spec.Paused = true }), Suspended, "paused"},
		{"replicaset failure", &appsv1.ReplicaSet{Status: appsv1.ReplicaSetStatus{Conditions: []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Message: "bad selector"}}}}, Degraded, "bad selector"},
		{"replicaset scaling", &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Replicas: i32(2)}, Status: appsv1.ReplicaSetStatus{AvailableReplicas: 1}}, Progressing, "1 out of 2"},
		{"statefulset waiting", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Spec: appsv1.StatefulSetSpec{Replicas: i32(3)}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, ReadyReplicas: 1}}, Progressing, "2 pods"},
		{"statefulset rolling", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Spec: appsv1.StatefulSetSpec{Replicas: i32(1)}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, ReadyReplicas: 1, CurrentRevision: "a", UpdateRevision: "b"}}, Progressing, "revision b"},
		{"statefulset healthy", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 1}, Spec: appsv1.StatefulSetSpec{Replicas: i32(1)}, Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, ReadyReplicas: 1, CurrentReplicas: 1, CurrentRevision: "a", UpdateRevision: "a"}}, Healthy, "complete"},
		{"daemonset rolling", &appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, UpdatedNumberScheduled: 1}}, Progressing, "1 out of 2"},
		{"daemonset healthy", &appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, UpdatedNumberScheduled: 2, NumberAvailable: 2}}, Healthy, "2 of 2"},
		{"job running", jobWith(), Progressing, "running"},
		{"job complete", jobWith(batchv1.JobComplete), Healthy, "completed"},
		{"job failed", jobWith(batchv1.JobFailed), Degraded, "BackoffLimitExceeded"},
		{"job suspended", jobWith(batchv1.JobSuspended), Suspended, "suspended"},
		{"cronjob suspended", &batchv1.CronJob{Spec: batchv1.CronJobSpec{Suspend: func() *bool { b := true; return &b }()}}, Suspended, "suspended"},
		{"cronjob never ran", &batchv1.CronJob{}, Healthy, "not run yet"},
		{"cronjob last failed", &batchv1.CronJob{Status: batchv1.CronJobStatus{LastScheduleTime: &now, LastSuccessfulTime: &earlier}}, Degraded, "did not succeed"},
		{"cronjob running", &batchv1.CronJob{Status: batchv1.CronJobStatus{LastScheduleTime: &now, Active: []corev1.ObjectReference{{Name: "x"}}}}, Healthy, "1 job"},
		{"cronjob ok", &batchv1.CronJob{Status: batchv1.CronJobStatus{LastScheduleTime: &earlier, LastSuccessfulTime: &now}}, Healthy, "succeeded"},
		{"pod pending", podWith(corev1.PodPending, nil), Progressing, "pending"},
		{"pod unschedulable", podWith(corev1.PodPending, func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/1 nodes are available"}}
		}), Progressing, "0/1 nodes"},
		{"pod ready", podWith(corev1.PodRunning, func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}), Healthy, "ready"},
		{"pod not ready", podWith(corev1.PodRunning, nil), Progressing, "not ready"},
		{"pod crash loop", podWith(corev1.PodRunning, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}}}}
		}), Degraded, "CrashLoopBackOff"},
		{"pod failed", podWith(corev1.PodFailed, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}}}
		}), Degraded, "code 3"},
		{"pod succeeded", podWith(corev1.PodSucceeded, nil), Healthy, "completed"},
		{"pod job running", podWith(corev1.PodRunning, func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever }), Progressing, "running"},
		{"pod terminating", podWith(corev1.PodRunning, func(p *corev1.Pod) { p.DeletionTimestamp = &now }), Progressing, "terminating"},
		{"service", &corev1.Service{}, Healthy, ""},
		{"load balancer", &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}, Progressing, "load balancer"},
		{"load balancer port taken", &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			Status: corev1.ServiceStatus{Conditions: []metav1.Condition{{Type: corev1.LoadBalancerPortsError, Status: metav1.ConditionTrue,
				Message: "port 80/TCP is already used by service default/web"}}}}, Degraded, "Load balancer pending: port 80/TCP is already used"},
	}
	for _, c := range cases {
		got, msg := assess(c.obj)
		if got != c.want || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: got %s %q, want %s containing %q", c.name, got, msg, c.want, c.msg)
		}
	}
}

// assess tries every kind's assessor (the registry of controllers picks
// the kind's own; its dispatch is tested in package controllers).
func assess(o objects.Object) (Status, string) {
	for _, a := range []func(objects.Object) (Status, string){For(Deployment), For(ReplicaSet), For(StatefulSet),
		For(DaemonSet), For(Job), For(CronJob), For(Pod), For(Service), For(Node)} {
		if st, msg := a(o); st != None {
			return st, msg
		}
	}
	return None, ""
}
