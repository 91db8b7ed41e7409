// Package etcdmember runs the etcd member embedded in a controller process
// (go.etcd.io/etcd/server/v3/embed), as k3s' embedded etcd: a control plane
// of several servers, each with one member, its data in DATA/etcd.
//
// Peers and clients speak TLS with certificates issued from the cluster CA
// in DATA/pki (certs.go): a peer certificate (CN reconcile:etcd-peer, the
// server's name and advertised address), a serving certificate for the
// client listener and the controller's client certificate. The listeners
// accept only those common names (etcd's AllowedCNs), so a node's
// certificate, issued by the same CA, opens neither port.
//
//	m, err := etcdmember.Start(ctx, etcdmember.Options{Name, Data, CA, Advertise, PeerPort, ClientPort, Mode})
//	cli, err := m.Client()                   // clientv3 to this member's client URL, mTLS
//	info, err := etcdmember.AddLearner(ctx, cli, name, peerURL)   // on an existing server: the join's answer
//	err = etcdmember.Promote(ctx, cli, id)   // once the learner caught up (retry on ErrLearnerNotReady)
//	err = etcdmember.Remove(ctx, cli, name)  // `reconcile server remove NAME`
//	st, err := etcdmember.Status(ctx, cli)   // every member: URLs, leader, health, db size (and in use), raft index
//	done, err := etcdmember.Defragment(ctx, cli, DefragOptions{})   // mostly-free members, one at a time, raft leader last
//	etcdmember.RunDefrag(ctx, cli, DefragOptions{})                  // that every 10 min: the leader's term (controlplane)
//
// Modes: ModeInit (--cluster-init: a new one-member cluster), ModeJoin
// (initial-cluster-state existing, with the InitialCluster the existing
// server answered), ModeReset (--cluster-reset: ForceNewCluster, this
// member's data as a one-member cluster: the way back from a lost quorum).
// A data directory that already holds a member restarts it whatever the
// mode but ModeReset. A member that cannot reach a quorum within
// ReadyTimeout fails with *QuorumLostError, naming the members it could not
// reach and the two ways to recover.
package etcdmember
