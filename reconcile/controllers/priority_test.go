package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/scheduler/priority"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestAdmitCreatedPods: template pods get their class's priority; a pod
// of an unknown class is not created, its SuccessfulCreate event becomes
// Kubernetes' FailedCreate, and the step is retried.
func TestAdmitCreatedPods(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	never := corev1.PreemptNever
	classes := priority.NewClasses([]*schedulingv1.PriorityClass{{ObjectMeta: metav1.ObjectMeta{Name: "batch"}, Value: 50, PreemptionPolicy: &never}})
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"}}
	pod := func(name, class string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: corev1.PodSpec{PriorityClassName: class}}
		objects.SetTypeMeta(p, "Pod")
		return p
	}
	tests := []struct {
		name  string
		owner objects.Object
		pods  []*corev1.Pod
		want  string
	}{
		{"known class", rs, []*corev1.Pod{pod("web-a", "batch")}, "created web-a=50/Never; Normal SuccessfulCreate Created pod: web-a"},
		{"no class", rs, []*corev1.Pod{pod("web-a", "")}, "created web-a=0/PreemptLowerPriority; Normal SuccessfulCreate Created pod: web-a"},
		{"unknown class", rs, []*corev1.Pod{pod("web-a", "gold"), pod("web-b", "gold")},
			`Warning FailedCreate Error creating: pods "web-a" is forbidden: no PriorityClass with name gold was found; Warning FailedCreate Error creating: pods "web-b" is forbidden: no PriorityClass with name gold was found; requeue 10s`},
		{"statefulset words", sts, []*corev1.Pod{pod("db-0", "gold")},
			`Warning FailedCreate create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: no PriorityClass with name gold was found; requeue 10s`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ch Changes
			for _, p := range tc.pods {
				ch.Create = append(ch.Create, p)
			}
			if _, ok := tc.owner.(*appsv1.StatefulSet); ok {
				ch.statefulPodEvents(tc.owner, ch.Create, nil, now)
			} else {
				ch.podEvents(tc.owner, ComponentReplicaSet, ch.Create, nil, now)
			}
			ch = AdmitCreatedPods(NewAdmission(classes, nil, nil, nil, now), tc.owner, ch, ComponentReplicaSet, now)
			var got []string
			for _, o := range ch.Create {
				p := o.(*corev1.Pod)
				got = append(got, fmt.Sprintf("created %s=%d/%s", p.Name, *p.Spec.Priority, *p.Spec.PreemptionPolicy))
			}
			for _, e := range ch.Events {
				got = append(got, e.Type+" "+e.Reason+" "+e.Message)
			}
			if ch.RequeueAfter > 0 {
				got = append(got, "requeue "+ch.RequeueAfter.String())
			}
			if s := strings.Join(got, "; "); s != tc.want {
				t.Errorf("got  %s\nwant %s", s, tc.want)
			}
		})
	}
}
