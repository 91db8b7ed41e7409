package sources

import (
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// defaultNamespace is where package schema puts namespaced objects that
// name no namespace (Kubernetes' default).
const defaultNamespace = "default"

// movedObjects keeps the moved copies between commits, keyed by the
// validator's original, so an unchanged object keeps its identity and the
// planner's memo still recognises it.
type movedObjects struct {
	byOriginal map[objects.Object]objects.Object
}

// apply is targetNamespace with the copies of the previous commit reused.
func (m *movedObjects) apply(desired []reconcile.Desired, ns string) []reconcile.Desired {
	if ns == "" || ns == defaultNamespace {
		m.byOriginal = nil
		return desired
	}
	next := make(map[objects.Object]objects.Object, len(desired))
	for i, d := range desired {
		if c, ok := m.byOriginal[d.Object]; ok {
			next[d.Object] = c
			desired[i].Object = c
			continue
		}
		moved := targetNamespace(desired[i:i+1], ns)[0].Object
		if moved != d.Object {
			next[d.Object] = moved
		}
	}
	m.byOriginal = next
	return desired
}

// targetNamespace moves the namespaced objects that name no namespace into
// ns. The validator has already defaulted an absent namespace to
// "default", so an object that names "default" explicitly moves too: name
// another namespace to keep an object out of ns. Moved objects are copies;
// the validator caches and shares the originals.
func targetNamespace(desired []reconcile.Desired, ns string) []reconcile.Desired {
	if ns == "" || ns == defaultNamespace {
		return desired
	}
	for i, d := range desired {
		info, ok := objects.Info(objects.KindOf(d.Object))
		if !ok || !info.Namespaced || d.Object.GetNamespace() != defaultNamespace {
			continue
		}
		o := objects.Copy(d.Object)
		o.SetNamespace(ns)
		desired[i].Object = o
	}
	return desired
}
