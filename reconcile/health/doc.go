// Package health computes one word for how an object is doing, from its
// status alone, as Argo CD's health assessment does: Healthy, Progressing,
// Degraded, Suspended, or Missing (desired in git but not in the store).
// One pure, table-tested assessor per kind (Deployment, Pod, …); each kind's
// entry in the registry of controllers holds its own (controllers.Health
// dispatches), and `reconcile get` and `describe` show the result.
package health
