package webui

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// MaxProblems bounds the objects an overview lists as not healthy: the
// counts stay exact, the list is a pointer to where to look.
const MaxProblems = 200

// Overview is the landing page's data: one answer, aggregated here so
// that a cluster of 1,000 Deployments is a few kilobytes of counts.
type Overview struct {
	Sources []SourceView  `json:"sources"`
	Nodes   []NodeSummary `json:"nodes"`
	// Health counts every assessed object by status ("Healthy": 3, …).
	Health map[string]int `json:"health"`
	// Kinds is the same per kind, kinds in apply order.
	Kinds []KindHealth `json:"kinds"`
	// Problems are the objects not Healthy (nor Suspended), worst first, at
	// most MaxProblems; ProblemsTotal counts them all.
	Problems      []Item `json:"problems"`
	ProblemsTotal int    `json:"problemsTotal"`
}

// SourceView is a source's status with what the UI links to.
type SourceView struct {
	apitypes.SourceStatus
	// Namespaces hold the source's objects (the tree pages).
	Namespaces []string `json:"namespaces"`
	// Health counts the source's objects and their descendants by status.
	Health map[string]int `json:"health"`
}

// KindHealth is the health counts of one kind.
type KindHealth struct {
	Kind   string         `json:"kind"`
	Health map[string]int `json:"health"`
}

// NodeSummary is a node's line: readiness and capacity.
type NodeSummary struct {
	Name          string `json:"name"`
	Ready         string `json:"ready"` // the Ready condition's status: True, False, Unknown
	Reason        string `json:"reason,omitempty"`
	Unschedulable bool   `json:"unschedulable,omitempty"`
	CPU           string `json:"cpu,omitempty"`    // allocatable
	Memory        string `json:"memory,omitempty"` // allocatable
	Pods          string `json:"pods,omitempty"`   // allocatable pods
	PodsBound     int    `json:"podsBound"`        // pods bound to it and not finished
	Version       string `json:"version,omitempty"`
	Address       string `json:"address,omitempty"`
}

// Item names one object with its health.
type Item struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Health    string `json:"health,omitempty"`
	Message   string `json:"message,omitempty"`
	// Source is the git source of the object or of the root it belongs to.
	Source string `json:"source,omitempty"`
}

// healthRank orders problems worst first.
var healthRank = map[health.Status]int{health.Degraded: 0, health.Missing: 1, health.Progressing: 2}

// BuildOverview aggregates the sources' status and the stored objects
// (every kind, as listed by the store; nodes among them).
func BuildOverview(sources []apitypes.SourceStatus, all []objects.Object) Overview {
	ov := Overview{Health: map[string]int{}, Sources: make([]SourceView, 0, len(sources)), Nodes: []NodeSummary{}, Problems: []Item{}}
	roots := sourceOf(all)
	bySource := map[string]*SourceView{}
	for _, s := range sources {
		ov.Sources = append(ov.Sources, SourceView{SourceStatus: s, Namespaces: []string{}, Health: map[string]int{}})
	}
	for i := range ov.Sources {
		bySource[ov.Sources[i].Name] = &ov.Sources[i]
	}
	kinds := map[string]map[string]int{}
	nsSeen := map[string]map[string]bool{}
	bound := map[string]int{}
	var problems []Item
	for _, o := range all {
		kind := objects.KindOf(o)
		if p, ok := o.(*corev1.Pod); ok && p.Spec.NodeName != "" && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			bound[p.Spec.NodeName]++
		}
		src := roots[o.GetUID()]
		if sv := bySource[src]; sv != nil && o.GetNamespace() != "" {
			if nsSeen[src] == nil {
				nsSeen[src] = map[string]bool{}
			}
			if !nsSeen[src][o.GetNamespace()] {
				nsSeen[src][o.GetNamespace()] = true
				sv.Namespaces = append(sv.Namespaces, o.GetNamespace())
			}
		}
		st, msg := controllers.Health(o)
		if st == health.None {
			continue
		}
		ov.Health[string(st)]++
		if kinds[kind] == nil {
			kinds[kind] = map[string]int{}
		}
		kinds[kind][string(st)]++
		if sv := bySource[src]; sv != nil {
			sv.Health[string(st)]++
		}
		if _, bad := healthRank[st]; bad {
			problems = append(problems, Item{Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName(), Health: string(st), Message: msg, Source: src})
		}
	}
	for _, o := range all {
		if n, ok := o.(*corev1.Node); ok {
			ov.Nodes = append(ov.Nodes, nodeSummary(n, bound[n.Name]))
		}
	}
	sort.Slice(ov.Nodes, func(i, j int) bool { return ov.Nodes[i].Name < ov.Nodes[j].Name })
	for _, k := range objects.Kinds() {
		if c := kinds[k.Kind]; c != nil {
			ov.Kinds = append(ov.Kinds, KindHealth{Kind: k.Kind, Health: c})
			delete(kinds, k.Kind)
		}
	}
	var rest []string // kinds the objects package does not list (none today)
	for k := range kinds {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		ov.Kinds = append(ov.Kinds, KindHealth{Kind: k, Health: kinds[k]})
	}
	for i := range ov.Sources {
		sort.Strings(ov.Sources[i].Namespaces)
	}
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i], problems[j]
		if ra, rb := healthRank[health.Status(a.Health)], healthRank[health.Status(b.Health)]; ra != rb {
			return ra < rb
		}
		return objects.Key{Kind: a.Kind, Namespace: a.Namespace, Name: a.Name}.Less(objects.Key{Kind: b.Kind, Namespace: b.Namespace, Name: b.Name})
	})
	ov.ProblemsTotal = len(problems)
	if len(problems) > MaxProblems {
		problems = problems[:MaxProblems]
	}
	if problems != nil {
		ov.Problems = problems
	}
	return ov
}

func nodeSummary(n *corev1.Node, bound int) NodeSummary {
	s := NodeSummary{Name: n.Name, Ready: string(corev1.ConditionUnknown), Unschedulable: n.Spec.Unschedulable, PodsBound: bound, Version: n.Status.NodeInfo.KubeletVersion}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			s.Ready, s.Reason = string(c.Status), c.Reason
		}
	}
	res := n.Status.Allocatable
	if len(res) == 0 {
		res = n.Status.Capacity
	}
	if q, ok := res[corev1.ResourceCPU]; ok {
		s.CPU = q.String()
	}
	if q, ok := res[corev1.ResourceMemory]; ok {
		s.Memory = q.String()
	}
	if q, ok := res[corev1.ResourcePods]; ok {
		s.Pods = q.String()
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			s.Address = a.Address
		}
	}
	return s
}
