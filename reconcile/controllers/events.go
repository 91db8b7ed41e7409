package controllers

import (
	"time"

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
