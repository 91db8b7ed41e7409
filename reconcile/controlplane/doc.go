// Package controlplane is a controller's part in a control plane of
// several servers (issue 12): its embedded etcd member (reconcile/
// etcdmember), the leader election (reconcile/leader), and the API's
// servers routes (apiserver.ControlPlane). cmd/reconcile only wires it.
//
//	err := controlplane.Bootstrap(ctx, o)     // --join: before the PKI opens; fetches the cluster's shared files
//	p, err := controlplane.Start(ctx, o, ca)  // the member (init, join + promote, restart, reset), a client, the elector
//	srv.ControlPlane = p                      // GET/DELETE /api/v1/servers, POST /api/v1/servers/join
//	p.Lead(ctx, func(ctx, fence) error {…})   // leader-only work: git sync, controllers, scheduler
//
// A server joins in two steps. Bootstrap (before anything is opened):
// a client pinned by the server join token's CA hash asks the existing
// server (POST /api/v1/servers/join) to add a learner for this server's
// name and peer URL; the answer's shared files (the CA's certificate and
// key, the admin token, the Secrets key) and the initial cluster are
// written to the data directory (join.json keeps the latter, so a restart
// before the member's first start resumes instead of joining twice). Then
// Start starts the member with initial-cluster-state existing and promotes
// it through the other members' client URLs once it has caught up.
package controlplane
