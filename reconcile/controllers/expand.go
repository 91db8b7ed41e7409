package controllers

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Preview expansion: what reconcile/preview asks each registry entry to
// turn a created or grown object into the pods it would make, by running
// the kind's own pure steps to a fixed point.

// Expander is a registry entry's preview expansion.
type Expander func(in PreviewInput) []*corev1.Pod

// PreviewInput is one created or changed object to expand.
type PreviewInput struct {
	// Kind selects the registry entry (default: Object's kind).
	Kind string
	// Object is a prepared copy (uid, creation time, generation set);
	// the expander may change it.
	Object objects.Object
	// Old is the stored object an update replaces (nil on create).
	Old objects.Object
	// Created: the object is new (not an update).
	Created bool
	Nodes   []*corev1.Node
	Suffix  Suffixes
	Now     time.Time
}

// maxPreviewSteps bounds the fixed point of a controller step (slow-start
// batches, one StatefulSet ordinal at a time).
const maxPreviewSteps = 64

// Expand returns the new pods in.Object brings, by its registry entry's
// Preview (none for kinds that make no pods). It expands a prepared copy:
// in.Object itself is not changed.
func Expand(in PreviewInput) []*corev1.Pod {
	if in.Kind == "" {
		in.Kind = objects.KindOf(in.Object)
	}
	c, ok := Lookup(in.Kind)
	if !ok || c.Preview == nil {
		return nil
	}
	in.Object = objects.Copy(in.Object)
	prepare(in.Object, in.Now)
	return c.Preview(in)
}

// expandPod: a created pod is itself.
func expandPod(in PreviewInput) []*corev1.Pod {
	if !in.Created {
		return nil
	}
	return []*corev1.Pod{in.Object.(*corev1.Pod)}
}

// grow keeps a created workload as it is, and turns an update into one
// with only its added replicas (old: the replaced object's replicas, nil
// meaning 1 as Kubernetes defaults it); false when nothing is added.
func grow(in PreviewInput, replicas **int32, old *int32) bool {
	if in.Created {
		return true
	}
	added := replicasOf(*replicas) - replicasOf(old)
	if added <= 0 {
		return false
	}
	*replicas = &added
	return true
}

// fixedPoint runs a step until it creates no more pods, each created pod
// assumed running and ready (so ordered and slow-start steps go on).
func fixedPoint(step func([]*corev1.Pod) Changes) []*corev1.Pod {
	var pods []*corev1.Pod
	for range maxPreviewSteps {
		made := created[*corev1.Pod](step(pods))
		if len(made) == 0 {
			break
		}
		for _, p := range made {
			assumeRunning(p)
		}
		pods = append(pods, made...)
	}
	return pods
}

func created[T objects.Object](ch Changes) []T {
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

func assumeRunning(p *corev1.Pod) {
	p.SetUID(types.UID("preview-pod-" + p.Namespace + "-" + p.Name))
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Ready: true, Started: new(true)})
	}
}
