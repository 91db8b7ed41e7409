package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// FuzzSchedulePodSpec feeds arbitrary pod specs (affinity, spread,
// selectors: what a manifest brings) to every plugin over a small
// cluster: nothing may panic, and every pod is either bound or has a
// reason.
func FuzzSchedulePodSpec(f *testing.F) {
	f.Add(`{affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Gt, values: ["1"]}]}]}}}}`)
	f.Add(`{affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: a}}, topologyKey: zone}]}}}`)
	f.Add(`{affinity: {podAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 5, podAffinityTerm: {labelSelector: {matchExpressions: [{key: app, operator: Exists}]}, namespaceSelector: {}, topologyKey: kubernetes.io/hostname, matchLabelKeys: [app]}}]}}}`)
	f.Add(`{topologySpreadConstraints: [{maxSkew: 1, minDomains: 5, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, nodeTaintsPolicy: Honor, labelSelector: {matchLabels: {app: a}}}]}`)
	f.Add(`{affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: NotIn, values: [n1, n2]}]}]}}}}`)
	f.Fuzz(func(t *testing.T, spec string) {
		var ps corev1.PodSpec
		if yaml.Unmarshal([]byte(spec), &ps) != nil {
			return
		}
		nodes := []*corev1.Node{
			node("n1", "4", "8Gi", 110, labelled("zone", "1")),
			node("n2", "4", "8Gi", 110, labelled("zone", "2")),
			node("n3", "4", "8Gi", 110, tainted("gpu", "yes")),
		}
		nodes[2].Status.Images = []corev1.ContainerImage{{Names: []string{"img"}, SizeBytes: 100 << 20}}
		bound := []*corev1.Pod{pod("b1", "100m", "", on("n1")), pod("b2", "", "", on("n2"))}
		bound[0].Labels = map[string]string{"app": "a"}
		bound[1].Spec.Affinity = ps.Affinity
		var pending []*corev1.Pod
		for _, name := range []string{"p1", "p2"} {
			p := pod(name, "", "")
			p.Labels = map[string]string{"app": "a"}
			ps.Containers = p.Spec.Containers
			p.Spec = *ps.DeepCopy()
			p.Spec.NodeName = "" // a pending pod
			pending = append(pending, p)
		}
		res := Schedule(pending, nodes, bound)
		if len(res.Bindings)+len(res.Unschedulable) != len(pending) {
			t.Fatalf("%d bound + %d unschedulable of %d", len(res.Bindings), len(res.Unschedulable), len(pending))
		}
	})
}
