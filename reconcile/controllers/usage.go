package controllers

import "github.com/reconcile-dev/reconcile/reconcile/podmetrics"

// UsageSource is the pods' latest usage (*podmetrics.Store).
type UsageSource interface {
	Pods(namespace string) []podmetrics.PodMetrics
}
