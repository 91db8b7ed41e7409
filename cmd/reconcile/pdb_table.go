package main

import (
	policyv1 "k8s.io/api/policy/v1"
)

// describePDB is kubectl's describe of a PodDisruptionBudget.
func describePDB(d *describer, b *policyv1.PodDisruptionBudget) {
	switch {
	case b.Spec.MinAvailable != nil:
		d.field(0, "Min available", "%s", b.Spec.MinAvailable.String())
	case b.Spec.MaxUnavailable != nil:
		d.field(0, "Max unavailable", "%s", b.Spec.MaxUnavailable.String())
	}
	sel := "<unset>"
	if b.Spec.Selector != nil {
		sel = selector(b.Spec.Selector)
	}
	d.field(0, "Selector", "%s", sel)
	if p := b.Spec.UnhealthyPodEvictionPolicy; p != nil {
		d.field(0, "Unhealthy pod eviction policy", "%s", *p)
	}
	d.line(0, "Status:")
	d.field(2, "Allowed disruptions", "%d", b.Status.DisruptionsAllowed)
	d.field(2, "Current", "%d", b.Status.CurrentHealthy)
	d.field(2, "Desired", "%d", b.Status.DesiredHealthy)
	d.field(2, "Total", "%d", b.Status.ExpectedPods)
	var rows [][]string
	for _, c := range b.Status.Conditions {
		rows = append(rows, []string{c.Type, string(c.Status), c.Reason, oneLine(c.Message)})
	}
	conditions(d, rows)
}
