package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/scheduler/schedbench"
)

// TestSoftSpreadCountsMatchTheFullWalk: countSoftSpread, which decides
// eligibility only for the nodes holding matching pods, gives the same
// count as countSpread's walk over every node in every domain (where the
// walk says -1, no eligible node, it says 0: Score reads both as 0), for
// the system defaults and for the pods' own soft constraints, with nodes
// lacking the zone label, tainted nodes (nodeTaintsPolicy Honor) and pods
// restricted to some zones (nodeAffinityPolicy Honor).
func TestSoftSpreadCountsMatchTheFullWalk(t *testing.T) {
	nodes, bound, pending := schedbench.Cluster(schedbench.Shape{Nodes: 70, Zones: 4, Bound: 1400, Pending: 300, ReplicasPerApp: 20, ConstrainedEvery: 3})
	for i, n := range nodes {
		switch {
		case i%7 == 0:
			delete(n.Labels, corev1.LabelTopologyZone)
		case i%5 == 0:
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
		}
	}
	honor := corev1.NodeInclusionPolicyHonor
	for i, p := range pending {
		// Join an app that has pods bound everywhere, so every kind of
		// node holds matching pods.
		p.Labels["app"] = bound[(i*37)%len(bound)].Labels["app"]
		switch i % 4 {
		case 1: // own soft constraints over both keys, taints honoured
			sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": p.Labels["app"]}}
			p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{
				{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel, NodeTaintsPolicy: &honor},
				{MaxSkew: 2, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
			}
		case 2: // restricted to two zones
			p.Spec.NodeSelector = map[string]string{corev1.LabelTopologyZone: "zone-1"}
		}
	}
	infos := newNodeInfos(nodes, bound)
	c := infos[0].cluster
	selectorOf := DefaultSpreadSelector(nil, schedbench.ReplicaSets(bound, pending), nil)
	checked := 0
	for _, p := range pending {
		pi := newPodInfo(p)
		if len(pi.spread) == 0 {
			pi.spread = systemDefaultSpread(p, selectorOf(p))
		}
		soft := false
		for _, sc := range pi.spread {
			soft = soft || !sc.hard
		}
		if !soft {
			continue
		}
		full := countSpread(pi, c, false)
		got := countSoftSpread(pi, c)
		if len(got) != len(full) {
			t.Fatalf("%s: %d soft counts, the walk has %d", p.Name, len(got), len(full))
		}
		for k := range full {
			for v, want := range full[k].n {
				if want = max(want, 0); got[k].n[v] != want {
					t.Fatalf("%s, constraint %d (%s), domain %d: %d pods, the walk over every node says %d",
						p.Name, k, full[k].tk.key, v, got[k].n[v], want)
				}
			}
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d pods had soft constraints: the test checks too little", checked)
	}
}
