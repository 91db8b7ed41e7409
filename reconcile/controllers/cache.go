package controllers

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// cache is the runner's view of the store, fed by the informer (List then
// Watch). It is only touched by the runner's goroutine. Because the runner
// waits for the watch to deliver its own writes before the next step
// (informer.catchUp), the cache always includes everything the runner
// wrote: a step never acts twice on the same stale input (what Kubernetes
// needs "expectations" for). The exception is the scheduler's bindings,
// written by the binder goroutine (binder.go) without that wait: the
// scheduler's snapshot counts them as assumed pods meanwhile, and other
// steps may see such a pod still pending for a moment, as in Kubernetes.
type cache struct {
	byKind  map[string]map[objects.Key]objects.Object
	byOwner map[types.UID]map[objects.Key]objects.Object // ownerIndex → objects
	// podsByLabel indexes pods by "namespace/key=value", so a Service's
	// endpoint candidates are the pods carrying its selector's rarest
	// label instead of every pod of the namespace.
	podsByLabel map[string]map[objects.Key]*corev1.Pod
	rv          uint64 // last event applied
	// sched is the scheduler's view of the nodes and pods, kept current
	// from the same events (Manager.observe); nil: scheduleStep builds
	// one per pass.
	sched *scheduler.Snapshot
}

func newCache() *cache {
	return &cache{byKind: map[string]map[objects.Key]objects.Object{}, byOwner: map[types.UID]map[objects.Key]objects.Object{},
		podsByLabel: map[string]map[objects.Key]*corev1.Pod{}}
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

func labelIndex(namespace, key, value string) string { return namespace + "/" + key + "=" + value }

func (c *cache) get(k objects.Key) objects.Object { return c.byKind[k.Kind][k] }

// put stores o unless the cache already holds a newer version (lists of
// different kinds are taken at different resourceVersions, and the watch
// replays from the oldest of them). It returns the version it replaced.
func (c *cache) put(o objects.Object) (old objects.Object, changed bool) {
	o = countedOnly(o)
	k := objects.KeyOf(o)
	old = c.get(k)
	if old != nil && objectRV(old) >= objectRV(o) {
		return old, false
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
	if p, ok := o.(*corev1.Pod); ok {
		for lk, lv := range p.Labels {
			ik := labelIndex(k.Namespace, lk, lv)
			if c.podsByLabel[ik] == nil {
				c.podsByLabel[ik] = map[objects.Key]*corev1.Pod{}
			}
			c.podsByLabel[ik][k] = p
		}
	}
	return old, true
}

// remove drops o if the cached object is the same one (same uid) and not
// newer than the deletion; it returns the object it dropped.
func (c *cache) remove(o objects.Object, rv uint64) (objects.Object, bool) {
	k := objects.KeyOf(o)
	old := c.get(k)
	if old == nil || old.GetUID() != o.GetUID() || objectRV(old) > rv {
		return nil, false
	}
	delete(c.byKind[k.Kind], k)
	c.unindex(k, old)
	return old, true
}

func (c *cache) unindex(k objects.Key, old objects.Object) {
	uid := ownerIndex(old)
	delete(c.byOwner[uid], k)
	if len(c.byOwner[uid]) == 0 {
		delete(c.byOwner, uid)
	}
	if p, ok := old.(*corev1.Pod); ok {
		for lk, lv := range p.Labels {
			ik := labelIndex(k.Namespace, lk, lv)
			delete(c.podsByLabel[ik], k)
			if len(c.podsByLabel[ik]) == 0 {
				delete(c.podsByLabel, ik)
			}
		}
	}
}

// apply feeds one watch event into the cache. It returns the object as it
// was before (nil if new) and as it is now (nil if deleted), and false if
// the event changed nothing.
func (c *cache) apply(ev store.Event) (old, cur objects.Object, changed bool) {
	c.rv = max(c.rv, ev.ResourceVersion)
	if _, ok := ev.Object.(*corev1.Event); ok {
		// No step reads events; caching them would only cost memory and
		// make garbage collection scan them.
		return nil, nil, false
	}
	if ev.Type == store.Deleted {
		old, changed = c.remove(ev.Object, ev.ResourceVersion)
		return old, nil, changed
	}
	old, changed = c.put(ev.Object)
	return old, ev.Object, changed
}

// countedOnly is what the cache keeps of o: ConfigMaps and Secrets
// without their data. Steps only count them (resource quotas), so their
// values (up to 1 MiB each, and secret) are not held in the controller's
// memory.
func countedOnly(o objects.Object) objects.Object {
	switch x := o.(type) {
	case *corev1.ConfigMap:
		return &corev1.ConfigMap{TypeMeta: x.TypeMeta, ObjectMeta: x.ObjectMeta}
	case *corev1.Secret:
		return &corev1.Secret{TypeMeta: x.TypeMeta, ObjectMeta: x.ObjectMeta, Type: x.Type}
	}
	return o
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

// podsSelectable returns the pods that may match a label selector of
// namespace: those carrying its rarest label (none for an empty one).
func (c *cache) podsSelectable(namespace string, selector map[string]string) []*corev1.Pod {
	var best map[objects.Key]*corev1.Pod
	first := true
	for k, v := range selector {
		m := c.podsByLabel[labelIndex(namespace, k, v)]
		if first || len(m) < len(best) {
			best, first = m, false
		}
	}
	out := make([]*corev1.Pod, 0, len(best))
	for _, p := range best {
		out = append(out, p)
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
