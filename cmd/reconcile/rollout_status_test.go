package main

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestRolloutStatus(t *testing.T) {
	three := int32(3)
	dep := func(gen, observed int64, st appsv1.DeploymentStatus) objects.Object {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo", Generation: gen}}
		d.Spec.Replicas = &three
		st.ObservedGeneration = observed
		d.Status = st
		return d
	}
	ds := func(st appsv1.DaemonSetStatus) objects.Object {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "logs", Generation: 1}}
		d.Spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
		st.ObservedGeneration = 1
		d.Status = st
		return d
	}
	sts := func(partition *int32, st appsv1.StatefulSetStatus) objects.Object {
		s := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Generation: 2}}
		s.Spec.Replicas = &three
		s.Spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if partition != nil {
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: partition}
		}
		st.ObservedGeneration = 2
		s.Status = st
		return s
	}
	one := int32(1)
	exceeded := []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: "False", Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "web-abc" has timed out progressing.`}}
	cases := []struct {
		name       string
		obj        objects.Object
		want       string
		done, fail bool
	}{
		{"deploy not observed", dep(2, 1, appsv1.DeploymentStatus{}), "Waiting for deployment spec update to be observed...", false, false},
		{"deploy updating", dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1}), `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`, false, false},
		{"deploy old pending", dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3}), `Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...`, false, false},
		{"deploy availability", dep(2, 2, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2}), `Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...`, false, false},
		{"deploy done", dep(2, 2, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), `deployment "web" successfully rolled out`, true, false},
		{"deploy deadline", dep(2, 2, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, Conditions: exceeded}),
			"deployment \"web\" exceeded its progress deadline (ReplicaSet \"web-abc\" has timed out progressing.); see `reconcile get pods -n demo` for pods that are not ready, then fix the template and commit", false, true},
		{"ds updating", ds(appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, UpdatedNumberScheduled: 1}), `Waiting for daemon set "logs" rollout to finish: 1 out of 3 new pods have been updated...`, false, false},
		{"ds available", ds(appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, UpdatedNumberScheduled: 3, NumberAvailable: 2}), `Waiting for daemon set "logs" rollout to finish: 2 of 3 updated pods are available...`, false, false},
		{"ds done", ds(appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, UpdatedNumberScheduled: 3, NumberAvailable: 3}), `daemon set "logs" successfully rolled out`, true, false},
		{"sts ready", sts(nil, appsv1.StatefulSetStatus{ReadyReplicas: 1}), "Waiting for 2 pods to be ready...", false, false},
		{"sts updating", sts(nil, appsv1.StatefulSetStatus{ReadyReplicas: 3, UpdatedReplicas: 1, CurrentRevision: "db-1", UpdateRevision: "db-2"}), "waiting for statefulset rolling update to complete 1 pods at revision db-2...", false, false},
		{"sts done", sts(nil, appsv1.StatefulSetStatus{ReadyReplicas: 3, CurrentReplicas: 3, UpdatedReplicas: 3, CurrentRevision: "db-2", UpdateRevision: "db-2"}), "statefulset rolling update complete 3 pods at revision db-2...", true, false},
		{"sts partition", sts(&one, appsv1.StatefulSetStatus{ReadyReplicas: 3, UpdatedReplicas: 2, CurrentRevision: "db-1", UpdateRevision: "db-2"}), "partitioned roll out complete: 2 new pods have been updated...", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rolloutStatus(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if got.Message != tc.want || got.Done != tc.done || got.Failed != tc.fail {
				t.Errorf("got %+v\nwant message %q done %v failed %v", got, tc.want, tc.done, tc.fail)
			}
		})
	}
}

func TestRolloutKey(t *testing.T) {
	for _, args := range [][]string{{"deploy", "web"}, {"deployment/web"}, {"deployments", "web"}} {
		k, err := rolloutKey(args, "")
		if err != nil || k != (objects.Key{Kind: "Deployment", Namespace: "default", Name: "web"}) {
			t.Errorf("%v: %v %v", args, k, err)
		}
	}
	for _, args := range [][]string{{"pods", "web"}, {"deploy"}, {"nope/x"}} {
		if _, err := rolloutKey(args, ""); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
