package controllers

import (
	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Health is o's health as its kind's registry entry assesses it: Missing
// for nil (desired but not in the store), None for kinds not assessed.
func Health(o objects.Object) (health.Status, string) {
	if o == nil {
		return health.Missing, "not in the store"
	}
	c, ok := Lookup(objects.KindOf(o))
	if !ok || c.Health == nil {
		return health.None, ""
	}
	return c.Health(o)
}
