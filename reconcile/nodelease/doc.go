// Package nodelease keeps node heartbeats out of the store's write path,
// as Kubernetes' node leases (coordination.k8s.io/v1 Lease in
// kube-node-lease, KEP-589) keep them out of the Node objects: an agent's
// heartbeat renews its node's lease in a Table in the API server's memory
// (no I/O, no lock held across a write), and the Table is flushed to the
// store in one transaction per interval (Run: every second by default),
// only the leases renewed since the last flush, as side records under
// KeyPrefix (tx.PutMeta: no watch event, no resourceVersion, no history
// entry). The node lifecycle controller reads them back with Reader, so
// a controller on another server sharing the store, or a restarted one,
// sees every renewal that reached any server at most one interval late.
//
//	t := nodelease.NewTable()
//	t.Renew(node, now)                           // the heartbeat handler
//	go t.Run(ctx, st, nodelease.DefaultFlushInterval, log)
//	r := nodelease.Reader{Store: st}
//	renewed, ok := r.RenewTime(node)             // the node lifecycle controller
//
// A flush is a normal Store.Update of PutMeta records, nothing
// engine-specific, so it works on any store that implements side records.
package nodelease
