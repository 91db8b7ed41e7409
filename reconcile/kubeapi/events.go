package kubeapi

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// eventsGroup serves the stored core/v1 Events as events.k8s.io/v1 too, as
// Kubernetes does (one storage, two versions).
var eventsGroup = Resource{Group: "events.k8s.io", Version: "v1"}

// served are the resources of discovery and the handlers: the registry's
// kinds and events.k8s.io/v1 events.
//
// It is built once: the kinds are fixed at start, and authorization parses
// every request's path against it (rebuilt per request, it was most of
// authz.ParseRequest's 9 % of the controller's CPU with 5,000 nodes
// heartbeating). Callers only read it.
var served = sync.OnceValue(func() []Resource {
	rs := Resources()
	if ev, ok := ForKind("Event"); ok {
		e := eventsGroup
		e.KindInfo = ev.KindInfo
		e.KindInfo.APIVersion = "events.k8s.io/v1"
		e.Short = nil
		rs = append(rs, e)
	}
	return rs
})

// Convert returns o as group/version serves it: a core Event becomes an
// events.k8s.io/v1 Event there; every other object is served as stored.
func Convert(o objects.Object, group string) any {
	ev, ok := o.(*corev1.Event)
	if !ok || group != eventsGroup.Group {
		return o
	}
	return EventV1(ev)
}

// EventV1 is Kubernetes' conversion of a core/v1 Event to events.k8s.io/v1.
func EventV1(e *corev1.Event) *eventsv1.Event {
	out := &eventsv1.Event{
		TypeMeta:                 metav1.TypeMeta{Kind: "Event", APIVersion: "events.k8s.io/v1"},
		ObjectMeta:               e.ObjectMeta,
		EventTime:                e.EventTime,
		ReportingController:      e.ReportingController,
		ReportingInstance:        e.ReportingInstance,
		Action:                   e.Action,
		Reason:                   e.Reason,
		Regarding:                e.InvolvedObject,
		Related:                  e.Related,
		Note:                     e.Message,
		Type:                     e.Type,
		DeprecatedSource:         e.Source,
		DeprecatedFirstTimestamp: e.FirstTimestamp,
		DeprecatedLastTimestamp:  e.LastTimestamp,
		DeprecatedCount:          e.Count,
	}
	if out.ReportingController == "" {
		out.ReportingController = e.Source.Component
	}
	if out.ReportingInstance == "" {
		out.ReportingInstance = e.Source.Host
	}
	if e.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}
