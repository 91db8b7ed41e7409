package webui

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TreeNode is one object of a source's tree with what it created below it.
type TreeNode struct {
	Item
	// Info is one line of state: a pod's phase and ready containers, a
	// workload's ready replicas, a Service's type and address.
	Info string `json:"info,omitempty"`
	// Path is the file in git of a root (reconcile.dev/source-path).
	Path     string      `json:"path,omitempty"`
	Children []*TreeNode `json:"children,omitempty"`
}

// links indexes who owns whom: ownerReferences by owner uid (any kind: a
// kind added later appears under its owner with no change here), and
// Kubernetes' one implicit link, a Service's Endpoints of the same name.
type links struct {
	byUID    map[types.UID]objects.Object
	children map[types.UID][]objects.Object
	byKey    map[objects.Key]objects.Object
}

func index(all []objects.Object) links {
	l := links{byUID: map[types.UID]objects.Object{}, children: map[types.UID][]objects.Object{}, byKey: map[objects.Key]objects.Object{}}
	for _, o := range all {
		if o.GetUID() != "" {
			l.byUID[o.GetUID()] = o
		}
		if k := objects.KindOf(o); k == "Service" || k == "Endpoints" {
			l.byKey[objects.KeyOf(o)] = o
		}
	}
	for _, o := range all {
		for _, uid := range owners(o) {
			l.children[uid] = append(l.children[uid], o)
		}
	}
	return l
}

// owners are the uids o hangs under: its controller when it has one (a
// pod under its ReplicaSet only, not also under a second owner), else
// every owner.
func owners(o objects.Object) []types.UID {
	refs := o.GetOwnerReferences()
	for _, r := range refs {
		if r.Controller != nil && *r.Controller {
			return []types.UID{r.UID}
		}
	}
	out := make([]types.UID, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.UID)
	}
	return out
}

// below returns o's children, sorted by kind order then name.
func (l links) below(o objects.Object) []objects.Object {
	kids := append([]objects.Object(nil), l.children[o.GetUID()]...)
	if objects.KindOf(o) == "Service" {
		if ep := l.byKey[objects.Key{Kind: "Endpoints", Namespace: o.GetNamespace(), Name: o.GetName()}]; ep != nil && len(ep.GetOwnerReferences()) == 0 {
			kids = append(kids, ep)
		}
	}
	sort.Slice(kids, func(i, j int) bool { return objects.KeyOf(kids[i]).Less(objects.KeyOf(kids[j])) })
	return kids
}

// sourceOf maps every object's uid to the git source it belongs to: its
// own reconcile.dev/source annotation, else its owner's (up the chain),
// else, for Endpoints, its Service's.
func sourceOf(all []objects.Object) map[types.UID]string {
	l := index(all)
	memo := map[types.UID]string{}
	var find func(o objects.Object, depth int) string
	find = func(o objects.Object, depth int) string {
		if s, ok := memo[o.GetUID()]; ok {
			return s
		}
		s := o.GetAnnotations()[objects.AnnotationSource]
		if s == "" && depth < 16 { // ownership chains are short; a cycle is not followed forever
			for _, uid := range owners(o) {
				if p := l.byUID[uid]; p != nil {
					if s = find(p, depth+1); s != "" {
						break
					}
				}
			}
			if s == "" && objects.KindOf(o) == "Endpoints" {
				if svc := l.byKey[objects.Key{Kind: "Service", Namespace: o.GetNamespace(), Name: o.GetName()}]; svc != nil {
					s = find(svc, depth+1)
				}
			}
		}
		memo[o.GetUID()] = s
		return s
	}
	for _, o := range all {
		find(o, 0)
	}
	return memo
}

// BuildTree returns the objects of source in namespace that came from git
// (the roots, in apply order) with everything created below them, as Argo
// CD draws an application: Deployment → ReplicaSet → Pods, Service →
// Endpoints, StatefulSet, DaemonSet and Job → Pods, CronJob → Job → Pods,
// and any kind that sets ownerReferences. Each node carries its health.
func BuildTree(all []objects.Object, source, namespace string) []*TreeNode {
	l := index(all)
	var roots []objects.Object
	for _, o := range all {
		if o.GetNamespace() == namespace && o.GetAnnotations()[objects.AnnotationSource] == source {
			roots = append(roots, o)
		}
	}
	sort.Slice(roots, func(i, j int) bool { return objects.KeyOf(roots[i]).Less(objects.KeyOf(roots[j])) })
	seen := map[objects.Key]bool{}
	var build func(o objects.Object) *TreeNode
	build = func(o objects.Object) *TreeNode {
		seen[objects.KeyOf(o)] = true
		n := node(o, source)
		for _, c := range l.below(o) {
			if !seen[objects.KeyOf(c)] {
				n.Children = append(n.Children, build(c))
			}
		}
		return n
	}
	out := make([]*TreeNode, 0, len(roots))
	for _, r := range roots {
		out = append(out, build(r))
	}
	return out
}

func node(o objects.Object, source string) *TreeNode {
	st, msg := controllers.Health(o)
	return &TreeNode{
		Item: Item{Kind: objects.KindOf(o), Namespace: o.GetNamespace(), Name: o.GetName(), Health: string(st), Message: msg, Source: source},
		Info: info(o),
		Path: o.GetAnnotations()[objects.AnnotationSourcePath],
	}
}

// info is the one line of state a tree node shows under its name.
func info(o objects.Object) string {
	switch v := o.(type) {
	case *corev1.Pod:
		ready := 0
		for _, c := range v.Status.ContainerStatuses {
			if c.Ready {
				ready++
			}
		}
		s := fmt.Sprintf("%s %d/%d", v.Status.Phase, ready, len(v.Spec.Containers))
		if v.DeletionTimestamp != nil {
			s = "Terminating " + s
		}
		if v.Spec.NodeName != "" {
			s += " on " + v.Spec.NodeName
		}
		return s
	case *appsv1.Deployment:
		return fmt.Sprintf("%d/%d ready", v.Status.ReadyReplicas, replicas(v.Spec.Replicas))
	case *appsv1.ReplicaSet:
		return fmt.Sprintf("%d/%d ready", v.Status.ReadyReplicas, replicas(v.Spec.Replicas))
	case *appsv1.StatefulSet:
		return fmt.Sprintf("%d/%d ready", v.Status.ReadyReplicas, replicas(v.Spec.Replicas))
	case *appsv1.DaemonSet:
		return fmt.Sprintf("%d/%d ready", v.Status.NumberReady, v.Status.DesiredNumberScheduled)
	case *corev1.Service:
		if v.Spec.ClusterIP != "" {
			return string(v.Spec.Type) + " " + v.Spec.ClusterIP
		}
		return string(v.Spec.Type)
	case *corev1.Endpoints:
		ready, notReady := 0, 0
		for _, s := range v.Subsets {
			ready += len(s.Addresses)
			notReady += len(s.NotReadyAddresses)
		}
		return fmt.Sprintf("%d ready, %d not ready", ready, notReady)
	}
	return ""
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}
