package controllers

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Controller is one entry of the registry: a kind the runner reconciles
// (its queue keys are objects of Kind) or a built-in step of the runner
// (Kind starts with "#": one work item that runs over the whole cache).
// Adding a kind is one file (its pure step, its Step adapter and its
// preview expansion) plus one entry in Registry.
type Controller struct {
	// Kind is the kind the step reconciles, or "#name" for a built-in step.
	Kind string
	// Component names the controller in events (source.component) and
	// logs, as Kubernetes names it (deployment-controller, …).
	Component string
	// Owns lists the kinds whose objects this kind controls through a
	// controller reference: an event on one queues its controller of
	// Kind, and garbage collection follows these references.
	Owns []string
	// Adopts: an orphan of an Owns kind queues every object of Kind in
	// its namespace (one of them may adopt it, as a ReplicaSet adopts
	// orphan pods its selector matches).
	Adopts bool
	// Watches maps further kinds to the keys their events queue
	// (Kubernetes' EnqueueRequestsFromMapFunc).
	Watches map[string]MapFunc
	// Reads lists further kinds the step reads from the cache.
	Reads []string
	// OnOwnerDeleted: the deletion of an object of any owner kind (a kind
	// some entry Owns) queues this step (garbage collection).
	OnOwnerDeleted bool
	// Resync returns the keys the periodic resync marks (default: every
	// cached object of Kind, or the built-in's own item).
	Resync func(c *cache) []objects.Key
	// Every, for a built-in step, is how often it runs at most: the runner
	// queues it again that long after each run, and the resync leaves it
	// alone while it is due later (event pruning).
	Every time.Duration
	// Quiet steps run only once every other step is idle, so what a pass
	// creates together is handled together (the scheduler places the
	// pods of many ReplicaSets in one transaction).
	Quiet bool
	// BatchClock: the step reads Options.BatchNow (Jobs and CronJobs).
	BatchClock bool
	// Step is the pure step: from the cached inputs and the clock to
	// Changes. obj is the cached object under key (nil when it is gone,
	// and for built-in steps). Nil for kinds that are only previewed and
	// assessed (Pod).
	Step Step
	// Preview expands a created or grown object into the pods it makes
	// (reconcile/preview); nil if it makes none.
	Preview Expander
	// Health assesses an object of Kind (reconcile/health); nil when not
	// assessed.
	Health func(objects.Object) (health.Status, string)
}

// Step is a controller's pure step.
type Step func(in Inputs, key objects.Key, obj objects.Object) Changes

// MapFunc returns the keys an event on another kind queues; old is the
// object before the event (nil if new), cur after it (nil if deleted).
type MapFunc func(c *cache, old, cur objects.Object) []objects.Key

// Registry is the table of controllers and built-in steps, in the order
// one pass of the runner runs them: order is latency (a Deployment's new
// ReplicaSet is seen by the ReplicaSet step of the same pass, its pods by
// the scheduler of the same pass).
func Registry() []Controller {
	return []Controller{
		{Kind: "Node", Component: "node-controller", Reads: []string{"Pod"}, Step: objectStep(nodeStep), Health: health.For(health.Node)},
		{Kind: keyTaints.Kind, Component: "node-controller", Reads: []string{"Node"},
			Watches: map[string]MapFunc{"Node": onNodeLifecycleChange(keyTaints)}, Step: nodeTaintsStep},
		{Kind: keyEvict.Kind, Component: "taint-eviction-controller", Reads: []string{"Node", "Pod"},
			Watches: map[string]MapFunc{"Node": onNodeLifecycleChange(keyEvict)}, Step: evictionStep},
		{Kind: keyGC.Kind, Component: "garbage-collector-controller", OnOwnerDeleted: true, Step: gcStep},
		{Kind: "HorizontalPodAutoscaler", Component: "horizontal-pod-autoscaler", Reads: []string{"Deployment", "StatefulSet", "ReplicaSet", "Pod"},
			Watches: map[string]MapFunc{"Deployment": hpasTargeting, "StatefulSet": hpasTargeting, "ReplicaSet": hpasTargeting}, Step: hpaStep},
		{Kind: "Deployment", Component: "deployment-controller", Owns: []string{"ReplicaSet"}, Adopts: true,
			Step: objectStep(deploymentStep), Preview: expandDeployment, Health: health.For(health.Deployment)},
		{Kind: "ReplicaSet", Component: "replicaset-controller", Owns: []string{"Pod"}, Adopts: true, Reads: admissionReads,
			Step: objectStep(replicaSetStep), Preview: expandReplicaSet, Health: health.For(health.ReplicaSet)},
		{Kind: "DaemonSet", Component: "daemonset-controller", Owns: []string{"Pod"}, Adopts: true, Reads: admissionReads,
			Watches: map[string]MapFunc{"Node": allOf("DaemonSet")}, // a node joined, left, was relabelled, tainted or cordoned
			Step:    objectStep(daemonSetStep), Preview: expandDaemonSet, Health: health.For(health.DaemonSet)},
		{Kind: "StatefulSet", Component: "statefulset-controller", Owns: []string{"Pod"}, Adopts: true, Reads: admissionReads,
			Step: objectStep(statefulSetStep), Preview: expandStatefulSet, Health: health.For(health.StatefulSet)},
		{Kind: "CronJob", Component: "cronjob-controller", Owns: []string{"Job"}, BatchClock: true,
			Step: objectStep(cronJobStep), Health: health.For(health.CronJob)},
		{Kind: "Job", Component: "job-controller", Owns: []string{"Pod"}, BatchClock: true, Reads: admissionReads,
			Step: objectStep(jobStep), Preview: expandJob, Health: health.For(health.Job)},
		{Kind: "Service", Component: "endpoint-controller", Reads: []string{"Node"},
			Watches: map[string]MapFunc{"Pod": servicesSelecting, "Endpoints": serviceOfEndpoints,
				"Node": loadBalancersOnNodeChange, "Service": loadBalancersOnServiceChange}, // servicelb_step.go
			Resync: endpointsResync, Step: serviceStep, Health: health.For(health.Service)},
		{Kind: "PodDisruptionBudget", Component: pdbComponent, Reads: []string{"Pod", "ReplicaSet", "Deployment", "StatefulSet"},
			Watches: map[string]MapFunc{"Pod": budgetsSelecting, "ReplicaSet": budgetsOfNamespace, "Deployment": budgetsOfNamespace, "StatefulSet": budgetsOfNamespace},
			Step:    objectStep(pdbStep), Health: health.For(health.PodDisruptionBudget)},
		{Kind: "Ingress", Component: "ingress-controller", Reads: []string{"IngressClass", "Node"},
			Watches: map[string]MapFunc{"Node": onNodeAddressChange, "IngressClass": allOf("Ingress")}, Step: objectStep(ingressStep)},
		{Kind: "ResourceQuota", Component: "resourcequota-controller", Reads: quotaCounted, Watches: quotaWatches(),
			Step: objectStep(resourceQuotaStep)},
		{Kind: keyPruneEvents.Kind, Component: "event-pruner", Every: eventPruneInterval, Step: pruneEventsStep},
		{Kind: "Pod", Preview: expandPod, Health: health.For(health.Pod)},
		{Kind: keySchedule.Kind, Component: "default-scheduler", Quiet: true, Reads: []string{"Node", "Namespace", "Service", "ReplicaSet", "StatefulSet", "PodDisruptionBudget"},
			Watches: map[string]MapFunc{"Pod": always(keySchedule), "Node": always(keySchedule), "Namespace": always(keySchedule)}, Step: scheduleStep},
	}
}

var registry = sync.OnceValue(Registry)

// Lookup returns the registry's entry for kind.
func Lookup(kind string) (Controller, bool) {
	i := slices.IndexFunc(registry(), func(c Controller) bool { return c.Kind == kind })
	if i < 0 {
		return Controller{}, false
	}
	return registry()[i], true
}

// OwnerKinds are the kinds whose objects control others (the kinds some
// entry of the registry Owns). A controller reference to any other kind is
// never treated as dangling, because the garbage collector is not given
// objects of that kind to check against.
var OwnerKinds = ownerKinds(Registry())

func ownerKinds(ctls []Controller) map[string]bool {
	out := map[string]bool{}
	for _, c := range ctls {
		if len(c.Owns) > 0 {
			out[c.Kind] = true
		}
	}
	return out
}

// watchedKinds are the kinds the informer lists and watches: what the
// steps reconcile and read, and every owner kind and its dependents, so
// garbage collection knows which owners exist.
func watchedKinds(ctls []Controller) []string {
	var kinds []string
	for _, c := range ctls {
		if c.Step == nil {
			continue
		}
		if !builtIn(objects.Key{Kind: c.Kind}) {
			kinds = append(kinds, c.Kind)
		}
		kinds = append(kinds, c.Owns...)
		kinds = append(kinds, c.Reads...)
		kinds = slices.AppendSeq(kinds, maps.Keys(c.Watches))
	}
	slices.Sort(kinds)
	return slices.Compact(kinds)
}

// Inputs are what a step reads: the cache (through the methods below),
// the clock and the runner's settings.
type Inputs struct {
	Now       time.Time
	Suffix    Suffixes
	Component string
	// Scheduler places pending pods (the scheduler step).
	Scheduler *scheduler.Scheduler
	// Lifecycle are the node controller's timings (zero fields: defaults).
	Lifecycle NodeLifecycle
	// Usage is the pods' reported usage (the HorizontalPodAutoscaler step).
	Usage UsageSource
	// Leases is the nodes' lease renewals (the Node step).
	Leases      LeaseSource
	autoscalers *autoscalers
	// LoadBalancer configures the built-in load balancer (the Service
	// step).
	LoadBalancer LoadBalancerOptions
	cache        *cache
	ownerKinds   map[string]bool
	// assume: the runner writes the scheduler's bindings in its binder
	// goroutine (binder.go); the scheduler step assumes its placements
	// and places the queue a round at a time.
	assume bool
}

// Get returns the cached object under k, or nil.
func (in Inputs) Get(k objects.Key) objects.Object { return in.cache.get(k) }

// objectStep adapts a step over one typed object; a key whose object is
// gone needs nothing (garbage collection removes its dependents).
func objectStep[T objects.Object](step func(in Inputs, o T) Changes) Step {
	return func(in Inputs, _ objects.Key, obj objects.Object) Changes {
		o, ok := obj.(T)
		if !ok {
			return Changes{}
		}
		return step(in, o)
	}
}

// always maps every event to one work item.
func always(k objects.Key) MapFunc {
	return func(*cache, objects.Object, objects.Object) []objects.Key { return []objects.Key{k} }
}

// allOf maps every event to every cached object of kind.
func allOf(kind string) MapFunc {
	return func(c *cache, _, _ objects.Object) []objects.Key {
		return slices.Collect(maps.Keys(c.byKind[kind]))
	}
}
