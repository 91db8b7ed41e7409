package controllers

import (
	"fmt"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Components that record the workload controllers' events
// (source.component), as Kubernetes names them.
const (
	ComponentDeployment  = "deployment-controller"
	ComponentReplicaSet  = "replicaset-controller"
	ComponentDaemonSet   = "daemonset-controller"
	ComponentStatefulSet = "statefulset-controller"
)

// podEvents records SuccessfulCreate/SuccessfulDelete for the pods a
// ReplicaSet or DaemonSet step creates and deletes, worded as Kubernetes'
// controllers word them ("Created pod: web-abc12").
func (ch *Changes) podEvents(owner objects.Object, component string, created, deleted []objects.Object, now time.Time) {
	for _, o := range created {
		if objects.KindOf(o) == "Pod" {
			ch.Event(owner, component, events.Normal, "SuccessfulCreate", "Created pod: "+o.GetName(), now)
		}
	}
	for _, o := range deleted {
		if objects.KindOf(o) == "Pod" {
			ch.Event(owner, component, events.Normal, "SuccessfulDelete", "Deleted pod: "+o.GetName(), now)
		}
	}
}

// statefulPodEvents words a StatefulSet's pod events as Kubernetes does
// ("create Pod db-0 in StatefulSet db successful").
func (ch *Changes) statefulPodEvents(owner objects.Object, created, deleted []objects.Object, now time.Time) {
	for _, o := range created {
		ch.Event(owner, ComponentStatefulSet, events.Normal, "SuccessfulCreate",
			fmt.Sprintf("create Pod %s in StatefulSet %s successful", o.GetName(), owner.GetName()), now)
	}
	for _, o := range deleted {
		if objects.KindOf(o) == "Pod" {
			ch.Event(owner, ComponentStatefulSet, events.Normal, "SuccessfulDelete",
				fmt.Sprintf("delete Pod %s in StatefulSet %s successful", o.GetName(), owner.GetName()), now)
		}
	}
}

// scalingEvent records a Deployment scaling one of its ReplicaSets
// (reason ScalingReplicaSet).
func (ch *Changes) scalingEvent(d objects.Object, rs string, from, to int32, now time.Time) {
	verb := "up"
	if to < from {
		verb = "down"
	}
	ch.Event(d, ComponentDeployment, events.Normal, "ScalingReplicaSet",
		fmt.Sprintf("Scaled %s replica set %s from %d to %d", verb, rs, from, to), now)
}
