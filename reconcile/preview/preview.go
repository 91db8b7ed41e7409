package preview

import (
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Workload is the preview of one created or grown object.
type Workload struct {
	Key objects.Key `json:"key"`
	// Pods is how many new pods it makes.
	Pods int `json:"pods"`
	// Nodes counts the new pods per node they would go to.
	Nodes map[string]int `json:"nodes,omitempty"`
	// Unschedulable lists why pods fit on no node (one message per reason,
	// with the number of pods).
	Unschedulable []Reason `json:"unschedulable,omitempty"`
}

// Reason is a scheduling failure and how many pods it keeps pending.
type Reason struct {
	Message string `json:"message"`
	Pods    int    `json:"pods"`
}

// maxSteps bounds the fixed point of a controller step (slow-start batches,
// one StatefulSet ordinal at a time).
const maxSteps = 64

// Plan previews the pods of plan's changes on the live nodes and pods.
func Plan(plan reconcile.Plan, nodes []*corev1.Node, live []*corev1.Pod, now time.Time) []Workload {
	var bound []*corev1.Pod
	for _, p := range live {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			bound = append(bound, p)
		}
	}
	n := 0
	suffix := func() string { n++; return fmt.Sprintf("%05d", n) }
	type group struct {
		key  objects.Key
		pods []*corev1.Pod
	}
	var groups []group
	var pending []*corev1.Pod
	for _, c := range plan.Changes {
		if c.Action == reconcile.Delete || c.Object == nil {
			continue
		}
		pods := expand(c, nodes, suffix, now)
		if len(pods) == 0 {
			continue
		}
		groups = append(groups, group{key: c.Key, pods: pods})
		for _, p := range pods {
			if p.Spec.NodeName == "" {
				pending = append(pending, p)
			}
		}
	}
	for _, g := range groups {
		for _, p := range g.pods {
			if p.Spec.NodeName != "" { // DaemonSet pods: they take their node's room too
				bound = append(bound, p)
			}
		}
	}
	res := scheduler.Schedule(pending, nodes, bound)
	out := make([]Workload, 0, len(groups))
	for _, g := range groups {
		w := Workload{Key: g.key, Pods: len(g.pods), Nodes: map[string]int{}}
		why := map[string]int{}
		for _, p := range g.pods {
			if p.Spec.NodeName != "" { // DaemonSet pods come bound
				w.Nodes[p.Spec.NodeName]++
				continue
			}
			k := scheduler.PodKey(p)
			if node, ok := res.Bindings[k]; ok {
				w.Nodes[node]++
			} else if f, ok := res.Unschedulable[k]; ok {
				why[f.Message]++
			} else {
				why["not placed (no nodes?)"]++
			}
		}
		for m, c := range why {
			w.Unschedulable = append(w.Unschedulable, Reason{Message: m, Pods: c})
		}
		sort.Slice(w.Unschedulable, func(i, j int) bool { return w.Unschedulable[i].Message < w.Unschedulable[j].Message })
		out = append(out, w)
	}
	return out
}

// expand returns the new pods one change brings.
func expand(c reconcile.Change, nodes []*corev1.Node, suffix controllers.Suffixes, now time.Time) []*corev1.Pod {
	o := objects.Copy(c.Object)
	prepare(o, now)
	switch x := o.(type) {
	case *corev1.Pod:
		if c.Action != reconcile.Create {
			return nil
		}
		return []*corev1.Pod{x}
	case *appsv1.Deployment:
		if !grow(c, &x.Spec.Replicas) {
			return nil
		}
		var pods []*corev1.Pod
		for _, rs := range created[*appsv1.ReplicaSet](controllers.ReconcileDeployment(x, nil, now)) {
			prepare(rs, now)
			pods = append(pods, fixedPoint(func(ps []*corev1.Pod) controllers.Changes {
				return controllers.ReconcileReplicaSet(rs, ps, suffix, now)
			})...)
		}
		return pods
	case *appsv1.ReplicaSet:
		if !grow(c, &x.Spec.Replicas) {
			return nil
		}
		return fixedPoint(func(ps []*corev1.Pod) controllers.Changes { return controllers.ReconcileReplicaSet(x, ps, suffix, now) })
	case *appsv1.StatefulSet:
		if c.Action != reconcile.Create {
			return nil // ordinals are names: growing one is previewed as created only
		}
		return fixedPoint(func(ps []*corev1.Pod) controllers.Changes { return controllers.ReconcileStatefulSet(x, ps, now) })
	case *appsv1.DaemonSet:
		if c.Action != reconcile.Create {
			return nil
		}
		return fixedPoint(func(ps []*corev1.Pod) controllers.Changes {
			return controllers.ReconcileDaemonSet(x, ps, nodes, suffix, now)
		})
	case *batchv1.Job:
		if c.Action != reconcile.Create {
			return nil
		}
		return created[*corev1.Pod](controllers.ReconcileJob(x, nil, suffix, now))
	}
	return nil
}

// grow keeps a created workload as it is, and turns an update into one
// with only its added replicas; false when nothing is added.
func grow(c reconcile.Change, replicas **int32) bool {
	if c.Action == reconcile.Create {
		return true
	}
	old := int32(1)
	if c.Old != nil {
		switch x := c.Old.(type) {
		case *appsv1.Deployment:
			old = val(x.Spec.Replicas)
		case *appsv1.ReplicaSet:
			old = val(x.Spec.Replicas)
		}
	}
	added := val(*replicas) - old
	if added <= 0 {
		return false
	}
	*replicas = &added
	return true
}

func val(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// fixedPoint runs a step until it creates no more pods, each created pod
// assumed running and ready (so ordered and slow-start steps go on).
func fixedPoint(step func([]*corev1.Pod) controllers.Changes) []*corev1.Pod {
	var pods []*corev1.Pod
	for range maxSteps {
		made := created[*corev1.Pod](step(pods))
		if len(made) == 0 {
			break
		}
		for _, p := range made {
			running(p)
		}
		pods = append(pods, made...)
	}
	return pods
}

func created[T objects.Object](ch controllers.Changes) []T {
	var out []T
	for _, o := range ch.Create {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// prepare gives an object what the store would: a uid (owner references
// point at it) and a creation time.
func prepare(o objects.Object, now time.Time) {
	if o.GetUID() == "" {
		o.SetUID(types.UID("preview-" + o.GetNamespace() + "-" + o.GetName()))
	}
	if ts := o.GetCreationTimestamp(); ts.IsZero() {
		o.SetCreationTimestamp(metav1.NewTime(now))
	}
	if o.GetGeneration() == 0 {
		o.SetGeneration(1)
	}
}

func running(p *corev1.Pod) {
	p.SetUID(types.UID("preview-pod-" + p.Namespace + "-" + p.Name))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: true, Started: new(true)})
	}
}
