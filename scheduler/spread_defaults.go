package scheduler

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Kubernetes' system default spread constraints (PodTopologySpread with
// defaultingType System): for a pod that sets none, spread its group over
// hosts (maxSkew 3) and zones (maxSkew 5), as a preference only. They keep
// a Deployment's replicas off one node when nothing else tells them apart.
var systemDefaultConstraints = []struct {
	key     string
	maxSkew int32
}{
	{corev1.LabelHostname, 3},
	{corev1.LabelTopologyZone, 5},
}

// systemDefaultSpread is the constraints of a pod without its own, for the
// pods sel selects; none when sel selects nothing in particular.
func systemDefaultSpread(p *corev1.Pod, sel labels.Selector) []spreadConstraint {
	if sel == nil || sel.Empty() {
		return nil
	}
	self := sel.Matches(labels.Set(p.Labels))
	out := make([]spreadConstraint, 0, len(systemDefaultConstraints))
	for _, c := range systemDefaultConstraints {
		out = append(out, spreadConstraint{maxSkew: c.maxSkew, key: c.key, selector: sel, minDomains: 1,
			honorAffinity: true, selfMatch: self, systemDefault: true})
	}
	return out
}

// DefaultSpreadSelector returns Kubernetes' DefaultSelector for a pod: the
// conjunction of the selectors of the Services, ReplicaSets and
// StatefulSets in its namespace that select it. Pods of one group share
// it, so it is computed once per namespace and label set; the workloads'
// selectors are converted once per call, on first use, and grouped by
// namespace (with 1,500 Deployments, converting every ReplicaSet's
// selector for each of the 1,500 label sets cost seconds per pass).
func DefaultSpreadSelector(services []*corev1.Service, replicaSets []*appsv1.ReplicaSet, statefulSets []*appsv1.StatefulSet) func(*corev1.Pod) labels.Selector {
	memo := map[string]labels.Selector{}
	var byNS map[string]*workloadSelectors
	return func(p *corev1.Pod) labels.Selector {
		set := labels.Set(p.Labels)
		key := p.Namespace + "\x00" + set.String()
		if sel, ok := memo[key]; ok {
			return sel
		}
		if byNS == nil {
			byNS = groupWorkloadSelectors(services, replicaSets, statefulSets)
		}
		ws := byNS[p.Namespace]
		if ws == nil {
			ws = &workloadSelectors{}
		}
		fromServices := labels.Set{}
		for _, svc := range ws.services {
			if svc.sel.Matches(set) {
				for k, v := range svc.set {
					fromServices[k] = v
				}
			}
		}
		sel := labels.NewSelector()
		if len(fromServices) > 0 {
			sel = labels.SelectorFromSet(fromServices)
		}
		for _, s := range ws.workloads { // ReplicaSets, then StatefulSets
			if s.Matches(set) {
				reqs, _ := s.Requirements()
				sel = sel.Add(reqs...)
			}
		}
		memo[key] = sel
		return sel
	}
}

// workloadSelectors are one namespace's selectors for DefaultSpreadSelector:
// Services' (as sets, merged into one), then ReplicaSets' and
// StatefulSets' (added as requirements), in the order given.
type workloadSelectors struct {
	services []serviceSelector
	// workloads are the non-empty, valid selectors of the ReplicaSets,
	// then of the StatefulSets.
	workloads []labels.Selector
}

type serviceSelector struct {
	set labels.Set
	sel labels.Selector
}

func groupWorkloadSelectors(services []*corev1.Service, replicaSets []*appsv1.ReplicaSet, statefulSets []*appsv1.StatefulSet) map[string]*workloadSelectors {
	byNS := map[string]*workloadSelectors{}
	of := func(ns string) *workloadSelectors {
		ws := byNS[ns]
		if ws == nil {
			ws = &workloadSelectors{}
			byNS[ns] = ws
		}
		return ws
	}
	for _, svc := range services {
		if len(svc.Spec.Selector) > 0 {
			ws := of(svc.Namespace)
			ws.services = append(ws.services, serviceSelector{labels.Set(svc.Spec.Selector), labels.SelectorFromSet(svc.Spec.Selector)})
		}
	}
	add := func(ns string, ls *metav1.LabelSelector) {
		if ls == nil {
			return
		}
		s, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil || s.Empty() {
			return
		}
		ws := of(ns)
		ws.workloads = append(ws.workloads, s)
	}
	for _, rs := range replicaSets {
		add(rs.Namespace, rs.Spec.Selector)
	}
	for _, ss := range statefulSets {
		add(ss.Namespace, ss.Spec.Selector)
	}
	return byNS
}
