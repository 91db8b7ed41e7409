// Package events records Kubernetes core/v1 Events in the store: what
// happened to an object, in words a person can read (`reconcile events`,
// `reconcile describe`).
//
// An Event is an ordinary namespaced object of kind Event, named
// "<involvedObject.name>.<hex nanotime>" as Kubernetes names them, with
// reason, message, type (Normal or Warning), involvedObject, source,
// count, firstTimestamp and lastTimestamp. The same (object, type, reason,
// message) recorded again bumps count and lastTimestamp of the stored
// event instead of adding one: a side record "event/<ns>/<hash>" maps that
// identity to the event's name, so deduplication costs one lookup rather
// than a scan.
//
// History is bounded: Prune removes events older than MaxAge (1 h, as the
// Kubernetes API server's default event TTL) and keeps at most
// MaxPerNamespace (1,000) per namespace, oldest first. The controller
// manager calls Prune once a minute; Record itself stays cheap (one side
// record lookup, one object write), because a rollout of 1,000
// Deployments records thousands of events in a few transactions.
package events
