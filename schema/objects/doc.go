// Package objects is the object model every part of reconcile shares: the
// Kubernetes API types of the supported kinds (from k8s.io/api), a registry
// from kind to Go type, keys, and JSON encoding.
//
// It is deliberately small and free of CUE, Badger and Podman so that the
// agent, the scheduler and the CLI can import it cheaply.
package objects
