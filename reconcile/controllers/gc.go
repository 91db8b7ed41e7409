package controllers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Orphans returns the objects whose controller owner is gone: the
// ownerReference with controller=true names an owner kind and no object in
// objs has its uid. The cascade is followed in one call: when a Deployment
// is gone, its ReplicaSets and their pods are all returned (owners before
// their dependents), so deleting a Deployment removes everything under it
// in one transaction (pods gracefully: they stay, terminating, until their
// agent has stopped them). objs must hold every object of OwnerKinds and the
// dependents to check.
func Orphans(objs []objects.Object) []objects.Object { return orphans(objs, OwnerKinds) }

// gcStep is the garbage collector's built-in step: it deletes the
// orphans of the whole cache (which holds every owner kind).
func gcStep(in Inputs, _ objects.Key, _ objects.Object) Changes {
	return Changes{Delete: orphans(in.cache.all(), in.ownerKinds)}
}

func orphans(objs []objects.Object, ownerKinds map[string]bool) []objects.Object {
	live := make(map[types.UID]bool, len(objs))
	children := map[types.UID][]objects.Object{}
	for _, o := range objs {
		live[o.GetUID()] = true
		if ref := metav1.GetControllerOfNoCopy(o); ref != nil && ownerKinds[ref.Kind] {
			children[ref.UID] = append(children[ref.UID], o)
		}
	}
	var out, queue []objects.Object
	for uid, deps := range children {
		if !live[uid] {
			queue = append(queue, deps...)
		}
	}
	sortObjects(queue)
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if o.GetDeletionTimestamp() == nil {
			// A terminating pod is already on its way out; its agent
			// removes it. Its own dependents are still followed.
			out = append(out, o)
		}
		deps := children[o.GetUID()]
		sortObjects(deps)
		queue = append(queue, deps...)
	}
	return out
}
