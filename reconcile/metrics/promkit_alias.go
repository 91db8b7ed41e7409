package metrics

import "github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"

// The registry, buckets, factory and endpoint live in package promkit
// (shared with the agent without the controllers); their names here.
type (
	Endpoint = promkit.Endpoint
	Factory  = promkit.Factory
)

const Namespace = promkit.Namespace

var (
	NewRegistry    = promkit.NewRegistry
	Serve          = promkit.Serve
	ServeOn        = promkit.ServeOn
	CommitBuckets  = promkit.CommitBuckets
	StepBuckets    = promkit.StepBuckets
	RequestBuckets = promkit.RequestBuckets
)
