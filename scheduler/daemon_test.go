package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDaemonPodFits(t *testing.T) {
	node := func(labels map[string]string, unschedulable bool, taints ...corev1.Taint) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels}}
		n.Spec.Unschedulable, n.Spec.Taints = unschedulable, taints
		return n
	}
	gpuTaint := corev1.Taint{Key: "gpu", Value: "yes", Effect: corev1.TaintEffectNoSchedule}
	tolerateGPU := corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}
	tolerateUnschedulable := corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	cases := []struct {
		name string
		sel  map[string]string
		tols []corev1.Toleration
		node *corev1.Node
		want string
	}{
		{"any node", nil, nil, node(nil, false), ""},
		{"selector matches", map[string]string{"disk": "ssd"}, nil, node(map[string]string{"disk": "ssd"}, false), ""},
		{"selector does not match", map[string]string{"disk": "ssd"}, nil, node(map[string]string{"disk": "hdd"}, false), ReasonNodeSelector},
		{"untolerated taint", nil, nil, node(nil, false, gpuTaint), "node(s) had untolerated taint {gpu: yes}"},
		{"tolerated taint", nil, []corev1.Toleration{tolerateGPU}, node(nil, false, gpuTaint), ""},
		{"prefer-no-schedule is no bar", nil, nil, node(nil, false, corev1.Taint{Key: "x", Effect: corev1.TaintEffectPreferNoSchedule}), ""},
		{"cordoned", nil, nil, node(nil, true), ReasonUnschedulable},
		{"cordoned but tolerated", nil, []corev1.Toleration{tolerateUnschedulable}, node(nil, true), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Pod{}
			p.Spec.NodeSelector, p.Spec.Tolerations = tc.sel, tc.tols
			got := ""
			if r := DaemonPodFits(p, tc.node); len(r) > 0 {
				got = r[0]
			}
			if got != tc.want {
				t.Errorf("DaemonPodFits = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDaemonPodMayStay(t *testing.T) {
	node := func(labels map[string]string, taints ...corev1.Taint) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels}}
		n.Spec.Taints = taints
		return n
	}
	unreachableNoSchedule := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule}
	unreachableNoExecute := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	tolerateUnreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}
	cases := []struct {
		name string
		sel  map[string]string
		tols []corev1.Toleration
		node *corev1.Node
		fits bool
		want string
	}{
		{"a NoSchedule taint: not placed, but stays", nil, []corev1.Toleration{tolerateUnreachable}, node(nil, unreachableNoSchedule, unreachableNoExecute), false, ""},
		{"an untolerated NoExecute taint: goes", nil, nil, node(nil, unreachableNoExecute), false, "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"},
		{"the selector no longer matches: goes", map[string]string{"disk": "ssd"}, nil, node(map[string]string{"disk": "hdd"}), false, ReasonNodeSelector},
		{"nothing in the way", nil, nil, node(nil), true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Pod{}
			p.Spec.NodeSelector, p.Spec.Tolerations = tc.sel, tc.tols
			got := ""
			if r := DaemonPodMayStay(p, tc.node); len(r) > 0 {
				got = r[0]
			}
			if got != tc.want || (len(DaemonPodFits(p, tc.node)) == 0) != tc.fits {
				t.Errorf("DaemonPodMayStay = %q (fits %v), want %q (fits %v)", got, !tc.fits, tc.want, tc.fits)
			}
		})
	}
}

// A daemon pod's required node affinity counts as its nodeSelector does,
// both for placing it and for keeping it (Kubernetes' DaemonSet
// predicates use the NodeAffinity filter).
func TestDaemonPodHonoursRequiredNodeAffinity(t *testing.T) {
	p := &corev1.Pod{}
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}}}},
	}}}
	ssd := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"disk": "ssd"}}}
	hdd := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"disk": "hdd"}}}
	if r := DaemonPodFits(p, ssd); len(r) > 0 {
		t.Errorf("ssd node refused: %v", r)
	}
	for name, r := range map[string][]string{"fits": DaemonPodFits(p, hdd), "may stay": DaemonPodMayStay(p, hdd)} {
		if len(r) != 1 || r[0] != ReasonNodeSelector {
			t.Errorf("hdd node, %s: %v, want %q", name, r, ReasonNodeSelector)
		}
	}
}
