// Package hollow runs simulated nodes: many lightweight agents in one
// process, as Kubernetes' kubemark "hollow nodes", for measuring the
// controller at scale without Podman.
//
// Each simulated node is the real agent (agent.New, agent.Run) over an
// in-memory Runtime: it joins with a join token as `reconcile join` does
// (agent/join: its own key, a CSR, the node:<name> certificate), talks to
// the controller through the real HTTP client (apiclient.ControlPlane) with
// that certificate, registers its Node with the label
// node.reconcile.dev/simulated=true and the configured capacity,
// heartbeats, long-polls its pods (WaitPods), and reports them through the
// agent's own sync and status code (agent.Sync, agent.Status): Running
// with an address of its pod subnet and Ready, back-offs, graceful
// deletion ending in FinalizePod. Only the container engine is simulated:
// containers start at once, or per Behaviour fail (exit 1), crash after a
// while, or start slowly. A real agent and simulated nodes can share a
// cluster.
//
//	fleet, err := hollow.Start(ctx, hollow.Config{Server, Token, Count: 1000, DataDir})
//	… fleet.Nodes(), fleet.JoinTime(); cancel ctx; fleet.Wait()
//
// Limits: httpGet and tcpSocket probes reach nothing (simulated pods have
// no network); exec probes pass; secret volumes are still written on
// tmpfs mounts by the agent (the simulator runs as root, as an agent);
// nodes have no InternalIP, so a real agent's pod network does not route
// to their subnets.
package hollow
