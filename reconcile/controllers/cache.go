package controllers

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// watchedKinds are the kinds the manager lists and watches: what its steps
// read, plus every owner kind so garbage collection knows which owners
// exist.
func watchedKinds() []string {
	kinds := []string{"Deployment", "ReplicaSet", "Pod", "Node"}
	for k := range OwnerKinds {
		if k != "Deployment" && k != "ReplicaSet" {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// cache is the manager's view of the store, fed by List then Watch. It is
// only touched by the manager's goroutine. Because the manager waits for
// the watch to deliver its own writes before the next step, the cache
// always includes everything this manager wrote: a step never acts twice
// on the same stale input (what Kubernetes needs "expectations" for).
type cache struct {
	byKind  map[string]map[objects.Key]objects.Object
	byOwner map[types.UID]map[objects.Key]objects.Object // ownerIndex → objects
	rv      uint64                                       // last event applied
}

func newCache() *cache {
	return &cache{byKind: map[string]map[objects.Key]objects.Object{}, byOwner: map[types.UID]map[objects.Key]objects.Object{}}
}

func objectRV(o objects.Object) uint64 {
	n, _ := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
	return n
}

// ownerIndex is the byOwner key of o: its controller's uid, or for an
// orphan a key per kind and namespace, so finding the orphans an owner may
// adopt does not scan every orphan of every kind.
func ownerIndex(o objects.Object) types.UID {
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		return ref.UID
	}
	return orphanIndex(objects.KindOf(o), o.GetNamespace())
}

func orphanIndex(kind, namespace string) types.UID {
	return types.UID("#orphan/" + kind + "/" + namespace)
}

func (c *cache) get(k objects.Key) objects.Object { return c.byKind[k.Kind][k] }

// put stores o unless the cache already holds a newer version (lists of
// different kinds are taken at different resourceVersions, and the watch
// replays from the oldest of them).
func (c *cache) put(o objects.Object) bool {
	k := objects.KeyOf(o)
	old := c.get(k)
	if old != nil && objectRV(old) >= objectRV(o) {
		return false
	}
	if old != nil {
		c.unindex(k, old)
	}
	if c.byKind[k.Kind] == nil {
		c.byKind[k.Kind] = map[objects.Key]objects.Object{}
	}
	c.byKind[k.Kind][k] = o
	uid := ownerIndex(o)
	if c.byOwner[uid] == nil {
		c.byOwner[uid] = map[objects.Key]objects.Object{}
	}
	c.byOwner[uid][k] = o
	return true
}

// remove drops o if the cached object is the same one (same uid) and not
// newer than the deletion.
func (c *cache) remove(o objects.Object, rv uint64) bool {
	k := objects.KeyOf(o)
	old := c.get(k)
	if old == nil || old.GetUID() != o.GetUID() || objectRV(old) > rv {
		return false
	}
	delete(c.byKind[k.Kind], k)
	c.unindex(k, old)
	return true
}

func (c *cache) unindex(k objects.Key, old objects.Object) {
	uid := ownerIndex(old)
	delete(c.byOwner[uid], k)
	if len(c.byOwner[uid]) == 0 {
		delete(c.byOwner, uid)
	}
}

// apply feeds one watch event into the cache; false if it changed nothing.
func (c *cache) apply(ev store.Event) bool {
	c.rv = max(c.rv, ev.ResourceVersion)
	if _, ok := ev.Object.(*corev1.Event); ok {
		// No step reads events; caching them would only cost memory and
		// make garbage collection scan them.
		return false
	}
	if ev.Type == store.Deleted {
		return c.remove(ev.Object, ev.ResourceVersion)
	}
	return c.put(ev.Object)
}

func (c *cache) all() []objects.Object {
	var out []objects.Object
	for _, m := range c.byKind {
		for _, o := range m {
			out = append(out, o)
		}
	}
	return out
}

func (c *cache) deployments() []*appsv1.Deployment {
	return typed[*appsv1.Deployment](c.byKind["Deployment"])
}

func (c *cache) replicaSets() []*appsv1.ReplicaSet {
	return typed[*appsv1.ReplicaSet](c.byKind["ReplicaSet"])
}

func (c *cache) pods() []*corev1.Pod { return typed[*corev1.Pod](c.byKind["Pod"]) }

func (c *cache) nodes() []*corev1.Node { return typed[*corev1.Node](c.byKind["Node"]) }

// candidates returns what owner may control, of kind: its dependents plus
// the orphans of its namespace (which it may adopt). The pure steps filter
// again; this only keeps them from scanning a whole namespace.
func candidates[T objects.Object](c *cache, owner objects.Object, kind string) []T {
	var out []T
	for k, o := range c.byOwner[owner.GetUID()] {
		if k.Kind == kind {
			out = append(out, o.(T))
		}
	}
	for _, o := range c.byOwner[orphanIndex(kind, owner.GetNamespace())] {
		out = append(out, o.(T))
	}
	return out
}

func typed[T objects.Object](m map[objects.Key]objects.Object) []T {
	out := make([]T, 0, len(m))
	for _, o := range m {
		out = append(out, o.(T))
	}
	return out
}
