package controllers

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The Endpoints step of the registry, keyed by Service: a Service's
// Endpoints follow its own changes, its Endpoints' changes (someone
// else's write, or a stale one, is corrected by recomputing) and the
// changes of every pod its selector matches before or after the change
// (a pod whose labels changed updates the Service it left).

// endpointsStep writes the Service's Endpoints (deletes them when the
// Service is gone). Its pods are the cache's pods carrying the selector's
// rarest label.
func endpointsStep(in Inputs, key objects.Key, obj objects.Object) Changes {
	svc, _ := obj.(*corev1.Service)
	var pods []*corev1.Pod
	if svc != nil {
		pods = in.cache.podsSelectable(svc.Namespace, svc.Spec.Selector)
	}
	stored, _ := in.cache.get(objects.Key{Kind: "Endpoints", Namespace: key.Namespace, Name: key.Name}).(*corev1.Endpoints)
	return ReconcileEndpoints(svc, stored, pods)
}

// serviceOfEndpoints maps an Endpoints event to its Service.
func serviceOfEndpoints(_ *cache, old, cur objects.Object) []objects.Key {
	o := cur
	if o == nil {
		o = old
	}
	return []objects.Key{{Kind: "Service", Namespace: o.GetNamespace(), Name: o.GetName()}}
}

// servicesSelecting maps a pod event to the Services of its namespace
// whose selector matches the pod before or after the change.
func servicesSelecting(c *cache, old, cur objects.Object) []objects.Key {
	var out []objects.Key
	for _, o := range []objects.Object{old, cur} {
		p, ok := o.(*corev1.Pod)
		if !ok {
			continue
		}
		for sk, s := range c.byKind["Service"] {
			if sk.Namespace == p.Namespace && selects(s.(*corev1.Service), p) {
				out = append(out, sk)
			}
		}
	}
	return out
}

// endpointsResync marks every Service and the Service of every Endpoints
// (so Endpoints whose Service is gone are deleted).
func endpointsResync(c *cache) []objects.Key {
	out := slices.Collect(maps.Keys(c.byKind["Service"]))
	for k := range c.byKind["Endpoints"] {
		out = append(out, objects.Key{Kind: "Service", Namespace: k.Namespace, Name: k.Name})
	}
	return out
}

func selects(svc *corev1.Service, p *corev1.Pod) bool {
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	for k, v := range svc.Spec.Selector {
		if p.Labels[k] != v {
			return false
		}
	}
	return true
}
