// Package clusternet holds the cluster's default address ranges: pods'
// (the cluster CIDR and the per-node mask) and Services' (the service CIDR
// and the NodePort range). The controller allocates from them and the
// agent's flags default to them; they are constants of their own so that
// the agent reads them without linking the controller's allocators (and
// the store they import).
package clusternet
