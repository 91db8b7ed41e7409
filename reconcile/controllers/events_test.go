package controllers

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func eventLines(ch Changes) []string {
	var out []string
	for _, e := range ch.Events {
		out = append(out, fmt.Sprintf("%s %s/%s %s: %s", e.Component, objects.KindOf(e.Object), e.Object.GetName(), e.Reason, e.Message))
	}
	return out
}

func TestWorkloadEvents(t *testing.T) {
	d := deployment("web", 3, "img")
	oldRS := replicaSet("web-old", 3)
	newRS := replicaSet("web-new", 1)
	cached := map[objects.Key]objects.Object{objects.KeyOf(d): d, objects.KeyOf(oldRS): oldRS, objects.KeyOf(newRS): newRS}
	get := func(k objects.Key) objects.Object { return cached[k] }

	scaledOld, scaledNew := oldRS.DeepCopy(), newRS.DeepCopy()
	*scaledOld.Spec.Replicas, *scaledNew.Spec.Replicas = 2, 2
	created := replicaSet("web-v3", 1)
	ch := withWorkloadEvents(objects.KeyOf(d), "deployment-controller", Changes{Create: []objects.Object{created}, Update: []objects.Object{scaledOld, scaledNew}}, get, t0)
	want := []string{
		"deployment-controller Deployment/web ScalingReplicaSet: Scaled up replica set web-v3 from 0 to 1",
		"deployment-controller Deployment/web ScalingReplicaSet: Scaled down replica set web-old from 3 to 2",
		"deployment-controller Deployment/web ScalingReplicaSet: Scaled up replica set web-new from 1 to 2",
	}
	if got := eventLines(ch); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("deployment events:\n%q\nwant\n%q", got, want)
	}

	p1, p2 := ownedPod(oldRS, "a"), ownedPod(oldRS, "b")
	dying := ownedPod(oldRS, "c")
	ts := metav1.NewTime(t0)
	dying.DeletionTimestamp = &ts
	ch = withWorkloadEvents(objects.KeyOf(oldRS), "replicaset-controller", Changes{Create: []objects.Object{p1}, Delete: []objects.Object{p2, dying}}, get, t0)
	want = []string{
		"replicaset-controller ReplicaSet/web-old SuccessfulCreate: Created pod: " + p1.Name,
		"replicaset-controller ReplicaSet/web-old SuccessfulDelete: Deleted pod: " + p2.Name,
	}
	if got := eventLines(ch); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("replicaset events:\n%q\nwant\n%q", got, want)
	}

	// A step that records its own events is left alone.
	own := Changes{Create: []objects.Object{p1}}
	own.Event(oldRS, "x", "Normal", "Mine", "mine", t0)
	if got := withWorkloadEvents(objects.KeyOf(oldRS), "replicaset-controller", own, get, t0); len(got.Events) != 1 {
		t.Errorf("own events were added to: %q", eventLines(got))
	}
}
