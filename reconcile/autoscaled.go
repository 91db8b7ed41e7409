package reconcile

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Autoscaled is a field of a desired object that the planner leaves to an
// autoscaler: while a HorizontalPodAutoscaler targets a workload, its
// spec.replicas is the autoscaler's, and a commit keeps the stored value
// (Argo CD needs an ignoreDifferences rule for this; here it is automatic).
// Only fields whose git value differs from the live one are listed.
type Autoscaled struct {
	Key   objects.Key `json:"key"`
	Path  string      `json:"path,omitempty"`
	Field string      `json:"field"`
	// Owner is the autoscaler, HorizontalPodAutoscaler/ns/name.
	Owner objects.Key `json:"owner"`
	// Live is the stored value the plan keeps, Git the commit's.
	Live int32 `json:"live"`
	Git  int32 `json:"git"`
}

// String is the diff's line: "spec.replicas: 3 (owned by
// HorizontalPodAutoscaler shop/web; git says 1)".
func (a Autoscaled) String() string {
	return fmt.Sprintf("%s: %d (owned by %s %s/%s; git says %d)", a.Field, a.Live, a.Owner.Kind, a.Owner.Namespace, a.Owner.Name, a.Git)
}

// autoscaledTargets maps each workload an autoscaler targets to it: the
// autoscalers of the commit, and the stored ones the plan will not delete
// (another source's, or this source's while pruning is off).
func autoscaledTargets(desired []Desired, stored []objects.Object, opts PlanOptions) map[objects.Key]objects.Key {
	var out map[objects.Key]objects.Key
	add := func(o objects.Object) {
		h, ok := o.(*autoscalingv2.HorizontalPodAutoscaler)
		if !ok {
			return
		}
		ref := h.Spec.ScaleTargetRef
		if out == nil {
			out = map[objects.Key]objects.Key{}
		}
		out[objects.Key{Kind: ref.Kind, Namespace: h.Namespace, Name: ref.Name}] = objects.Key{Kind: "HorizontalPodAutoscaler", Namespace: h.Namespace, Name: h.Name}
	}
	for _, s := range stored {
		if _, ok := s.(*autoscalingv2.HorizontalPodAutoscaler); !ok {
			continue
		}
		if src := s.GetAnnotations()[objects.AnnotationSource]; src != opts.Source || opts.Source == "" || !opts.Prune {
			add(s)
		}
	}
	for _, d := range desired {
		add(d.Object)
	}
	return out
}

// keepAutoscaled returns d with the stored spec.replicas of s when an
// autoscaler owns it, and the note for the diff when git says otherwise.
// d's object is copied, never modified.
func keepAutoscaled(d Desired, s objects.Object, owner objects.Key) (Desired, *Autoscaled) {
	live, ok1 := workloadReplicas(s)
	want, ok2 := workloadReplicas(d.Object)
	if !ok1 || !ok2 || live == nil || (want != nil && *want == *live) {
		return d, nil
	}
	git := int32(1) // Kubernetes' default when the manifest leaves it out
	if want != nil {
		git = *want
	}
	o := objects.Copy(d.Object)
	setReplicas(o, *live)
	d.Object = o
	return d, &Autoscaled{Key: keyOf(s), Path: d.Path, Field: "spec.replicas", Owner: owner, Live: *live, Git: git}
}

func workloadReplicas(o objects.Object) (*int32, bool) {
	switch t := o.(type) {
	case *appsv1.Deployment:
		return t.Spec.Replicas, true
	case *appsv1.StatefulSet:
		return t.Spec.Replicas, true
	case *appsv1.ReplicaSet:
		return t.Spec.Replicas, true
	}
	return nil, false
}

func setReplicas(o objects.Object, n int32) {
	switch t := o.(type) {
	case *appsv1.Deployment:
		t.Spec.Replicas = &n
	case *appsv1.StatefulSet:
		t.Spec.Replicas = &n
	case *appsv1.ReplicaSet:
		t.Spec.Replicas = &n
	}
}
