package controllers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// agentReported is a pod as POST /api/v1/pods/adopt stores it after a lost
// store: the template's labels, bound, running and ready, no owner.
func agentReported(name string, readySince time.Time) *corev1.Pod {
	rs := replicaSet("web-abc", 1)
	p := ownedPod(rs, name, scheduled, running, readyAt(readySince), createdAt(readySince))
	p.OwnerReferences = nil
	return p
}

// The ReplicaSet rebuilt from git adopts the pods an agent reported and
// creates none.
func TestReplicaSetAdoptsPodsReportedByTheAgent(t *testing.T) {
	rs := replicaSet("web-abc", 2)
	pods := []*corev1.Pod{agentReported("a", t0.Add(-time.Hour)), agentReported("b", t0.Add(-time.Hour))}
	ch := ReconcileReplicaSet(rs, pods, func() string { return "zzzzz" }, t0)
	if len(ch.Create) != 0 || len(ch.Delete) != 0 {
		t.Fatalf("created %d, deleted %d pods; want the reported pods adopted and nothing else", len(ch.Create), len(ch.Delete))
	}
	if len(ch.Update) != 2 {
		t.Fatalf("%d pods updated, want both adopted", len(ch.Update))
	}
	for _, o := range ch.Update {
		p := o.(*corev1.Pod)
		if !ownedBy(p, rs) {
			t.Errorf("pod %s not adopted: %+v", p.Name, p.OwnerReferences)
		}
	}
}

// A race: the ReplicaSet created new pods before the agent reported the
// running ones. The extras deleted are the new, unready ones.
func TestReplicaSetDeletesTheNewPodsWhenAReportRacesItsCreates(t *testing.T) {
	rs := replicaSet("web-abc", 2)
	fresh1 := ownedPod(rs, "new1", scheduled, createdAt(t0))
	fresh2 := ownedPod(rs, "new2", createdAt(t0))
	pods := []*corev1.Pod{fresh1, agentReported("old1", t0.Add(-time.Hour)), fresh2, agentReported("old2", t0.Add(-time.Hour))}
	ch := ReconcileReplicaSet(rs, pods, func() string { return "zzzzz" }, t0)
	deleted := map[string]bool{}
	for _, o := range ch.Delete {
		deleted[o.GetName()] = true
	}
	if len(deleted) != 2 || !deleted[fresh1.Name] || !deleted[fresh2.Name] {
		t.Errorf("deleted %v, want the two new pods", deleted)
	}
}
