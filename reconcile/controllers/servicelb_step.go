package controllers

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The load balancer's share of the registry's Service entry: the same
// step that writes a Service's Endpoints writes its
// status.loadBalancer (one writer per Service). A LoadBalancer Service
// is also queued when a node's eligibility or address changes and when
// another LoadBalancer Service changes (ports are first come, first
// served).

// Kubernetes' words: the service controller's events. A pending Service
// also carries the condition LoadBalancerPortsError (Kubernetes' type for
// "the load balancer could not take these ports") with the result's
// reason.
const (
	ReasonEnsuredLoadBalancer    = "EnsuredLoadBalancer"
	ReasonSyncLoadBalancerFailed = "SyncLoadBalancerFailed"
	serviceControllerComponent   = "service-controller"
)

// serviceStep is the Service entry's step: Endpoints, then the load
// balancer status.
func serviceStep(in Inputs, key objects.Key, obj objects.Object) Changes {
	ch := endpointsStep(in, key, obj)
	svc, _ := obj.(*corev1.Service)
	if svc == nil {
		return ch
	}
	var result LoadBalancerResult
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		svcs := typed[*corev1.Service](in.cache.byKind["Service"])
		result = AssignLoadBalancers(svcs, LoadBalancerNodeAddresses(in.cache.nodes()), in.LoadBalancer.Pool)[key]
	}
	// Its events come from Kubernetes' service-controller, which owns
	// load balancers there.
	next, events := loadBalancerStatus(svc, result, serviceControllerComponent, in.Now)
	if next != nil {
		ch.UpdateStatus = append(ch.UpdateStatus, next)
	}
	ch.Events = append(ch.Events, events...)
	return ch
}

// loadBalancerStatus returns svc with the status the result asks for (nil
// when it already has it) and the events of the change: EnsuredLoadBalancer
// when it gets new addresses, a Warning SyncLoadBalancerFailed when it
// gets a new error. A Service that is no longer a LoadBalancer (zero
// result) loses both.
func loadBalancerStatus(svc *corev1.Service, r LoadBalancerResult, component string, now time.Time) (*corev1.Service, []Event) {
	want := svc.Status.DeepCopy()
	want.LoadBalancer.Ingress = r.Ingress
	if r.Error != "" {
		apimeta.SetStatusCondition(&want.Conditions, metav1.Condition{Type: corev1.LoadBalancerPortsError, Status: metav1.ConditionTrue,
			Reason: r.Reason, Message: r.Error, ObservedGeneration: svc.Generation, LastTransitionTime: metav1.NewTime(now)})
	} else {
		apimeta.RemoveStatusCondition(&want.Conditions, corev1.LoadBalancerPortsError)
	}
	if len(want.Conditions) == 0 {
		want.Conditions = nil
	}
	if equality.Semantic.DeepEqual(*want, svc.Status) {
		return nil, nil
	}
	next := svc.DeepCopy()
	next.Status = *want
	var evs []Event
	oldErr := apimeta.FindStatusCondition(svc.Status.Conditions, corev1.LoadBalancerPortsError)
	if r.Error != "" && (oldErr == nil || oldErr.Message != r.Error) {
		evs = append(evs, Event{Object: svc, Type: events.Warning, Reason: ReasonSyncLoadBalancerFailed,
			Message: "Error syncing load balancer: failed to ensure load balancer: " + r.Error, Component: component, Time: now})
	}
	if len(r.Ingress) > 0 && !equality.Semantic.DeepEqual(r.Ingress, svc.Status.LoadBalancer.Ingress) {
		evs = append(evs, Event{Object: svc, Type: events.Normal, Reason: ReasonEnsuredLoadBalancer,
			Message: "Ensured load balancer", Component: component, Time: now})
	}
	return next, evs
}

// loadBalancersOnNodeChange maps a node event to every LoadBalancer
// Service when what the load balancer reads of the node changed (not on
// heartbeats).
func loadBalancersOnNodeChange(c *cache, old, cur objects.Object) []objects.Key {
	o, _ := old.(*corev1.Node)
	n, _ := cur.(*corev1.Node)
	lbView := func(n *corev1.Node) []string {
		if n == nil {
			return nil
		}
		return append(LoadBalancerNodeAddresses([]*corev1.Node{n}), n.Labels[LabelLoadBalancerNode])
	}
	if o != nil && n != nil && slices.Equal(lbView(o), lbView(n)) {
		return nil
	}
	return loadBalancerServices(c)
}

// loadBalancersOnServiceChange maps a LoadBalancer Service's event to the
// other LoadBalancer Services (one may get the port it freed).
func loadBalancersOnServiceChange(c *cache, old, cur objects.Object) []objects.Key {
	for _, o := range []objects.Object{old, cur} {
		if s, ok := o.(*corev1.Service); ok && s.Spec.Type == corev1.ServiceTypeLoadBalancer {
			return loadBalancerServices(c)
		}
	}
	return nil
}

func loadBalancerServices(c *cache) []objects.Key {
	var out []objects.Key
	for k, o := range c.byKind["Service"] {
		if s, ok := o.(*corev1.Service); ok && s.Spec.Type == corev1.ServiceTypeLoadBalancer {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b objects.Key) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	return out
}
