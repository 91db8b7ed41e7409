// Package health computes one word for how an object is doing, from its
// status alone, as Argo CD's health assessment does: Healthy, Progressing,
// Degraded, Suspended, or Missing (desired in git but not in the store).
// Of is pure and table-tested; `reconcile get` shows it in a HEALTH column
// and `reconcile status` counts it per source.
package health
