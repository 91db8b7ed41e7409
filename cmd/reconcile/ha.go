package main

import (
	"context"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/controlplane"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// haFlags are the flags of a control plane of several servers
// (reconcile/controlplane).
type haFlags struct{ o controlplane.Options }

func (h *haFlags) register(fl *pflag.FlagSet) {
	fl.BoolVar(&h.o.ClusterInit, "cluster-init", false, "start a new control plane of several servers: this server runs the first member of an embedded etcd (DATA/etcd) as the store; others join with --join")
	fl.StringVar(&h.o.Join, "join", "", "join the control plane of the server at this URL (https://SERVER:7420) with --token: this server runs another etcd member, and leads when the leader is lost")
	fl.StringVar(&h.o.Token, "token", "", "with --join: a server token from `reconcile token create --control-plane` on a running server")
	fl.BoolVar(&h.o.ClusterReset, "cluster-reset", false, "after a lost quorum: make this server's etcd member a one-member cluster with its data (as k3s' --cluster-reset), then join the others again")
	fl.StringVar(&h.o.Name, "server-name", "", "this server's name in the control plane (default: the host name)")
	fl.StringVar(&h.o.Advertise, "etcd-advertise-address", "", "the IP address other servers reach this one's etcd member at (default: the --listen address when specific, else the first non-loopback address)")
	fl.IntVar(&h.o.PeerPort, "etcd-peer-port", etcdmember.DefaultPeerPort, "the etcd member's peer port (TLS from the cluster CA)")
	fl.DurationVar(&h.o.TTL, "leader-elect-lease-duration", leader.DefaultTTL, "the controller leader's lease (kube-controller-manager's flag of that name): a leader cut off from etcd stops within it; one whose embedded etcd member is gone (the process or machine died) is replaced after about 2 s; at least 3s")
	fl.IntVar(&h.o.ClientPort, "etcd-client-port", etcdmember.DefaultClientPort, "the etcd member's client port, on the advertise address and 127.0.0.1 (TLS from the cluster CA, the controllers' certificates only)")
}

func (h *haFlags) options(data, listen string, log *slog.Logger) controlplane.Options {
	o := h.o
	o.Data, o.Listen, o.Log = data, listen, log
	return o
}

// leaderOnly runs the leader-only work (git sync, controllers, scheduler)
// on this server while it leads, on a store fenced by its leadership; on a
// single server always, on its store.
func leaderOnly(ctx context.Context, plane *controlplane.Plane, st *store.Store, run func(ctx context.Context, st *store.Store) error) error {
	if plane == nil {
		return run(ctx, st)
	}
	return plane.Lead(ctx, func(ctx context.Context, f leader.Fence) error { return run(ctx, st.Fenced(f.Key, f.Rev)) })
}

// controlPlaneAPI is the API's view of the plane: nil (no interface
// holding a nil pointer) on a single server.
func controlPlaneAPI(plane *controlplane.Plane) apiserver.ControlPlane {
	if plane == nil {
		return nil
	}
	return plane
}

// leaderSyncs is the API's Syncer: the source loop, whose sync, rollback
// and resume only the leader carries out (another server answers 503
// naming the leader instead of queueing a fetch no loop runs).
func leaderSyncs(plane *controlplane.Plane, srcs *sources.Manager) apiserver.Syncer {
	if plane == nil {
		return srcs
	}
	return leaderSyncer{Manager: srcs, plane: plane}
}

// leaderSyncer keeps every method of *sources.Manager (the API's optional
// interfaces: history, hook secrets, manifests…) and gates the writes.
type leaderSyncer struct {
	*sources.Manager
	plane *controlplane.Plane
}

func (s leaderSyncer) Trigger(name string) error {
	if err := s.plane.NotLeader(context.Background()); err != nil {
		return err
	}
	return s.Manager.Trigger(name)
}

func (s leaderSyncer) Rollback(ctx context.Context, source, commit string) (reconcile.SourceStatus, error) {
	if err := s.plane.NotLeader(ctx); err != nil {
		return reconcile.SourceStatus{}, err
	}
	return s.Manager.Rollback(ctx, source, commit)
}

func (s leaderSyncer) Resume(source string) error {
	if err := s.plane.NotLeader(context.Background()); err != nil {
		return err
	}
	return s.Manager.Resume(source)
}
