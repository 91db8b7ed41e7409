package controllers

import (
	"k8s.io/utils/ptr"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"testing"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestOrphansCascade(t *testing.T) {
	d := deployment("web", 1, "img")
	d.UID = "d1"
	rs := replicaSet("web-abc", 1)
	rs.UID = "rs1"
	rs.OwnerReferences = []metav1.OwnerReference{controllerRef(d, "Deployment")}
	pod := ownedPod(rs, "p1")
	standalone := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "solo", UID: "solo"}}
	objects.SetTypeMeta(standalone, "Pod")
	nodeOwned := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mirror", UID: "m",
		OwnerReferences: []metav1.OwnerReference{{Kind: "Node", Name: "n1", UID: "gone", Controller: ptr.To(true)}}}}
	objects.SetTypeMeta(nodeOwned, "Pod")

	if got := Orphans([]objects.Object{d, rs, pod, standalone, nodeOwned}); len(got) != 0 {
		t.Errorf("with the Deployment present: %v", names(got))
	}
	got := Orphans([]objects.Object{rs, pod, standalone, nodeOwned})
	if len(got) != 2 || got[0].GetName() != "web-abc" || got[1].GetName() != "web-abc-p1" {
		t.Errorf("with the Deployment gone: %v, want the ReplicaSet then its pod", names(got))
	}
}

func TestOrphansSkipsTerminatingPods(t *testing.T) {
	rs := replicaSet("web-abc", 1)
	rs.UID = "rs1"
	rs.OwnerReferences = []metav1.OwnerReference{{Kind: "Deployment", Name: "web", UID: "gone", Controller: ptr.To(true)}}
	live := ownedPod(rs, "p1")
	dying := ownedPod(rs, "p2")
	ts := metav1.NewTime(t0)
	dying.DeletionTimestamp = &ts
	got := Orphans([]objects.Object{rs, live, dying})
	if len(got) != 2 || got[0].GetName() != "web-abc" || got[1].GetName() != "web-abc-p1" {
		t.Errorf("got %v, want the ReplicaSet and its live pod (the terminating one is on its way out)", names(got))
	}
}
