package scheduler

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// nodeSelectorTerm is one parsed term of a node affinity: all of its
// label requirements and the node names its matchFields allow. A term
// Kubernetes cannot parse, or an empty one, matches no node.
type nodeSelectorTerm struct {
	labels   labels.Selector // nil: no matchExpressions
	names    []string        // matchFields metadata.name In
	notNames []string        // matchFields metadata.name NotIn
	never    bool
}

func parseNodeSelectorTerm(t *corev1.NodeSelectorTerm) nodeSelectorTerm {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return nodeSelectorTerm{never: true}
	}
	var out nodeSelectorTerm
	if len(t.MatchExpressions) > 0 {
		sel := labels.NewSelector()
		for _, e := range t.MatchExpressions {
			op, ok := nodeSelectorOps[e.Operator]
			if !ok {
				return nodeSelectorTerm{never: true}
			}
			r, err := labels.NewRequirement(e.Key, op, e.Values)
			if err != nil {
				return nodeSelectorTerm{never: true}
			}
			sel = sel.Add(*r)
		}
		out.labels = sel
	}
	for _, f := range t.MatchFields {
		// metadata.name is the only field Kubernetes allows here.
		if f.Key != "metadata.name" {
			return nodeSelectorTerm{never: true}
		}
		// In and NotIn with exactly one value, as Kubernetes parses them.
		switch f.Operator {
		case corev1.NodeSelectorOpIn:
			if len(f.Values) != 1 {
				return nodeSelectorTerm{never: true}
			}
			out.names = append(out.names, f.Values...)
		case corev1.NodeSelectorOpNotIn:
			if len(f.Values) != 1 {
				return nodeSelectorTerm{never: true}
			}
			out.notNames = append(out.notNames, f.Values...)
		default:
			return nodeSelectorTerm{never: true}
		}
	}
	return out
}

var nodeSelectorOps = map[corev1.NodeSelectorOperator]selection.Operator{
	corev1.NodeSelectorOpIn:           selection.In,
	corev1.NodeSelectorOpNotIn:        selection.NotIn,
	corev1.NodeSelectorOpExists:       selection.Exists,
	corev1.NodeSelectorOpDoesNotExist: selection.DoesNotExist,
	corev1.NodeSelectorOpGt:           selection.GreaterThan,
	corev1.NodeSelectorOpLt:           selection.LessThan,
}

func (t *nodeSelectorTerm) matches(n *corev1.Node) bool {
	if t.never {
		return false
	}
	if t.labels != nil && !t.labels.Matches(labels.Set(n.Labels)) {
		return false
	}
	for _, name := range t.names {
		if name != n.Name {
			return false
		}
	}
	return !slices.Contains(t.notNames, n.Name)
}

// requiredNodeAffinity is spec.nodeSelector AND the required node affinity
// (any of its terms), as Kubernetes' GetRequiredNodeAffinity.
type requiredNodeAffinity struct {
	selector labels.Selector // nodeSelector; nil when none
	terms    []nodeSelectorTerm
	hasTerms bool
}

func newRequiredNodeAffinity(p *corev1.Pod) *requiredNodeAffinity {
	var r requiredNodeAffinity
	if len(p.Spec.NodeSelector) > 0 {
		r.selector = labels.SelectorFromSet(p.Spec.NodeSelector)
	}
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		r.hasTerms = true
		for i := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			r.terms = append(r.terms, parseNodeSelectorTerm(&a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[i]))
		}
	}
	if r.selector == nil && !r.hasTerms {
		return nil
	}
	return &r
}

// matches reports whether node n satisfies the pod's nodeSelector and
// required node affinity; a nil receiver (neither given) matches all.
func (r *requiredNodeAffinity) matches(n *corev1.Node) bool {
	if r == nil {
		return true
	}
	if r.selector != nil && !r.selector.Matches(labels.Set(n.Labels)) {
		return false
	}
	if !r.hasTerms {
		return true
	}
	for i := range r.terms {
		if r.terms[i].matches(n) {
			return true
		}
	}
	return false
}

type preferredNodeTerm struct {
	weight int64
	term   nodeSelectorTerm
}

func newPreferredNodeTerms(p *corev1.Pod) []preferredNodeTerm {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	var out []preferredNodeTerm
	for i := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		t := &a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution[i]
		if t.Weight == 0 {
			continue
		}
		out = append(out, preferredNodeTerm{weight: int64(t.Weight), term: parseNodeSelectorTerm(&t.Preference)})
	}
	return out
}

// podTerm is a parsed pod (anti-)affinity term of some owner pod: the
// pods it selects (by labels, with the owner's matchLabelKeys and
// mismatchLabelKeys merged in) in the namespaces it names.
type podTerm struct {
	selector    labels.Selector
	namespaces  []string        // explicit namespaces, or the owner's own
	nsSelector  labels.Selector // nil when none; Everything for {}
	topologyKey string
	weight      int64
}

func parsePodTerm(owner *corev1.Pod, t *corev1.PodAffinityTerm, weight int64) podTerm {
	out := podTerm{topologyKey: t.TopologyKey, weight: weight, selector: labels.Nothing()}
	if t.LabelSelector != nil {
		if sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector); err == nil {
			for _, k := range t.MatchLabelKeys {
				if v, ok := owner.Labels[k]; ok {
					if r, err := labels.NewRequirement(k, selection.In, []string{v}); err == nil {
						sel = sel.Add(*r)
					}
				}
			}
			for _, k := range t.MismatchLabelKeys {
				if v, ok := owner.Labels[k]; ok {
					if r, err := labels.NewRequirement(k, selection.NotIn, []string{v}); err == nil {
						sel = sel.Add(*r)
					}
				}
			}
			out.selector = sel
		}
	}
	out.namespaces = t.Namespaces
	if t.NamespaceSelector != nil {
		if sel, err := metav1.LabelSelectorAsSelector(t.NamespaceSelector); err == nil {
			out.nsSelector = sel
		}
	}
	if len(out.namespaces) == 0 && t.NamespaceSelector == nil {
		out.namespaces = []string{owner.Namespace}
	}
	return out
}

// matches reports whether a pod in namespace ns with labels l is one the
// term selects; nsLabels gives a namespace's labels for namespaceSelector.
func (t *podTerm) matches(ns string, l labels.Set, nsLabels func(string) labels.Set) bool {
	if !slices.Contains(t.namespaces, ns) && (t.nsSelector == nil || !t.nsSelector.Matches(nsLabels(ns))) {
		return false
	}
	return t.selector.Matches(l)
}

// podTerms are the pod affinity and anti-affinity terms of one pod.
type podTerms struct {
	requiredAffinity, requiredAnti   []podTerm
	preferredAffinity, preferredAnti []podTerm
}

func newPodTerms(p *corev1.Pod) *podTerms {
	a := p.Spec.Affinity
	if a == nil || (a.PodAffinity == nil && a.PodAntiAffinity == nil) {
		return nil
	}
	var out podTerms
	if pa := a.PodAffinity; pa != nil {
		for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			out.requiredAffinity = append(out.requiredAffinity, parsePodTerm(p, &pa.RequiredDuringSchedulingIgnoredDuringExecution[i], 1))
		}
		for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			w := &pa.PreferredDuringSchedulingIgnoredDuringExecution[i]
			out.preferredAffinity = append(out.preferredAffinity, parsePodTerm(p, &w.PodAffinityTerm, int64(w.Weight)))
		}
	}
	if pa := a.PodAntiAffinity; pa != nil {
		for i := range pa.RequiredDuringSchedulingIgnoredDuringExecution {
			out.requiredAnti = append(out.requiredAnti, parsePodTerm(p, &pa.RequiredDuringSchedulingIgnoredDuringExecution[i], 1))
		}
		for i := range pa.PreferredDuringSchedulingIgnoredDuringExecution {
			w := &pa.PreferredDuringSchedulingIgnoredDuringExecution[i]
			out.preferredAnti = append(out.preferredAnti, parsePodTerm(p, &w.PodAffinityTerm, int64(w.Weight)))
		}
	}
	if len(out.requiredAffinity)+len(out.requiredAnti)+len(out.preferredAffinity)+len(out.preferredAnti) == 0 {
		return nil
	}
	return &out
}

// matchesAll reports whether a pod matches every term (Kubernetes counts
// an existing pod towards required affinity only then).
func matchesAll(terms []podTerm, ns string, l labels.Set, nsLabels func(string) labels.Set) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].matches(ns, l, nsLabels) {
			return false
		}
	}
	return true
}
