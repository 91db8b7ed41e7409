package sources

import (
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// defaultNamespace is where package schema puts namespaced objects that
// name no namespace (Kubernetes' default).
const defaultNamespace = "default"

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
