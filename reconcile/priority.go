package reconcile

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"

	"github.com/reconcile-dev/reconcile/scheduler/priority"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// admitPods is Kubernetes' Priority admission for the bare Pods a plan
// creates or updates: each gets spec.priority and spec.preemptionPolicy
// from its priorityClassName (or the globalDefault class) as the plan
// leaves the classes (the stored ones, with the plan's creates, updates
// and deletes applied). A class that does not exist is a plan error at
// the pod's file, so the commit is refused as the API server would refuse
// the pod. Pods whose priority the stored pod already fixed
// (withSystemFields) are left alone.
func admitPods(p *Plan, desired []Desired, stored []objects.Object) {
	var classes *priority.Classes
	for i := range p.Changes {
		c := &p.Changes[i]
		pod, ok := c.Object.(*corev1.Pod)
		if !ok || c.Action == Delete || (pod.Spec.Priority != nil && pod.Spec.PreemptionPolicy != nil) {
			continue
		}
		if classes == nil {
			cs := planClasses(p, stored)
			classes = &cs
		}
		if err := classes.Admit(pod); err != nil {
			msg := err.Error()
			if pod.Spec.PriorityClassName != "" {
				msg += fmt.Sprintf(" (known classes: %s); add a PriorityClass of that name or fix spec.priorityClassName", strings.Join(classes.Names(), ", "))
			}
			e := PlanError{Key: c.Key, Path: c.Path, Message: msg}
			if d := desiredAt(desired, c.Key); d != nil {
				e.Line, e.Col = d.Line, d.Col
			}
			p.Errors = append(p.Errors, e)
			continue
		}
		if c.Action == Update {
			c.Fields = diffObjects(c.Old, c.Object)
		}
	}
}

// planClasses are the PriorityClasses as they will be once the plan is
// applied.
func planClasses(p *Plan, stored []objects.Object) priority.Classes {
	byName := map[string]*schedulingv1.PriorityClass{}
	for _, s := range stored {
		if pc, ok := s.(*schedulingv1.PriorityClass); ok {
			byName[pc.Name] = pc
		}
	}
	for _, c := range p.Changes {
		if c.Key.Kind != "PriorityClass" {
			continue
		}
		if c.Action == Delete {
			delete(byName, c.Key.Name)
		} else if pc, ok := c.Object.(*schedulingv1.PriorityClass); ok {
			byName[pc.Name] = pc
		}
	}
	list := make([]*schedulingv1.PriorityClass, 0, len(byName))
	for _, pc := range byName {
		list = append(list, pc)
	}
	return priority.NewClasses(list)
}

// desiredAt finds the desired object of key (only for an error: a scan).
func desiredAt(desired []Desired, key objects.Key) *Desired {
	for i := range desired {
		if keyOf(desired[i].Object) == key {
			return &desired[i]
		}
	}
	return nil
}
