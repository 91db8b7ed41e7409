package controllers

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Event is an event a pure step asks the runner to record with its
// changes (Kubernetes' EventRecorder, as a value): about Object, of type
// events.Normal or events.Warning, with a CamelCase Reason and a Message
// for a person. Component names the controller (source.component).
type Event struct {
	Object    objects.Object
	Type      string
	Reason    string
	Message   string
	Component string
	Time      time.Time
}

// Event adds an event to the changes.
func (c *Changes) Event(o objects.Object, component, typ, reason, message string, now time.Time) {
	c.Events = append(c.Events, Event{Object: o, Type: typ, Reason: reason, Message: message, Component: component, Time: now})
}

func recordEvents(tx *store.Tx, evs []Event) error {
	for _, e := range evs {
		if err := events.Record(tx, e.Object, e.Type, e.Reason, e.Message, e.Component, e.Time); err != nil {
			return err
		}
	}
	return nil
}

// eventPruneInterval is how often the event pruning step runs.
const eventPruneInterval = time.Minute

// pruneEventsStep bounds the event history (events.Prune: older than an
// hour, or beyond 1,000 per namespace); the runner runs it every
// eventPruneInterval.
func pruneEventsStep(Inputs, objects.Key, objects.Object) Changes {
	return Changes{PruneEvents: true}
}

// withWorkloadEvents adds Kubernetes' standard events to a workload
// step that recorded none itself: a Deployment that creates or resizes a
// ReplicaSet records ScalingReplicaSet ("Scaled up replica set web-abc
// from 1 to 3"); a ReplicaSet, DaemonSet or StatefulSet that creates or
// deletes pods records SuccessfulCreate / SuccessfulDelete ("Created pod:
// web-abc-x2x7k"). before returns the cached object under a key (the
// ReplicaSet's replicas before the change); component names the
// controller.
func withWorkloadEvents(key objects.Key, component string, ch Changes, before func(objects.Key) objects.Object, now time.Time) Changes {
	if len(ch.Events) > 0 || ch.Empty() {
		return ch
	}
	owner := before(key)
	if owner == nil {
		return ch
	}
	if key.Kind == "Deployment" {
		for _, o := range ch.Create {
			if rs, ok := o.(*appsv1.ReplicaSet); ok {
				ch.Event(owner, component, events.Normal, "ScalingReplicaSet",
					fmt.Sprintf("Scaled up replica set %s from 0 to %d", rs.Name, replicasOf(rs.Spec.Replicas)), now)
			}
		}
		for _, o := range ch.Update {
			rs, ok := o.(*appsv1.ReplicaSet)
			if !ok {
				continue
			}
			old, ok := before(objects.KeyOf(rs)).(*appsv1.ReplicaSet)
			if !ok {
				continue
			}
			from, to := replicasOf(old.Spec.Replicas), replicasOf(rs.Spec.Replicas)
			if from == to {
				continue
			}
			dir := "up"
			if to < from {
				dir = "down"
			}
			ch.Event(owner, component, events.Normal, "ScalingReplicaSet",
				fmt.Sprintf("Scaled %s replica set %s from %d to %d", dir, rs.Name, from, to), now)
		}
		return ch
	}
	for _, o := range ch.Create {
		if _, ok := o.(*corev1.Pod); ok {
			ch.Event(owner, component, events.Normal, "SuccessfulCreate", "Created pod: "+o.GetName(), now)
		}
	}
	for _, o := range ch.Delete {
		if p, ok := o.(*corev1.Pod); ok && p.DeletionTimestamp == nil {
			ch.Event(owner, component, events.Normal, "SuccessfulDelete", "Deleted pod: "+o.GetName(), now)
		}
	}
	return ch
}
