// Package tables renders objects as the rows kubectl prints: one place for
// the columns of every kind, used by `reconcile get` (cmd/reconcile) and by
// the Kubernetes API's Table format (reconcile/kubeapi), so `reconcile get
// pods` and `kubectl get pods` show the same columns. Pure: objects and a
// clock in, strings out.
package tables
