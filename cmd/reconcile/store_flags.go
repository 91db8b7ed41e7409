package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/controlplane"
	"github.com/reconcile-dev/reconcile/reconcile/etcdclient"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// storeFlags choose the store's engine (docs/internals.md, "The store on
// etcd"): Badger in DATA/store (one server), or an external etcd cluster
// holding the store's log, with DATA/store as this server's view of it.
type storeFlags struct {
	engine, endpoints, caFile, certFile, keyFile, prefix string
}

func (s *storeFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.engine, "store", "badger", "the store's engine: badger (embedded, one server) or etcd (an etcd cluster, --etcd-endpoints)")
	fl.StringVar(&s.endpoints, "etcd-endpoints", "", "--store etcd: the etcd cluster's client URLs, comma-separated (https://10.0.0.1:2379,…)")
	fl.StringVar(&s.caFile, "etcd-cafile", "", "--store etcd: CA certificate that signed the etcd members' serving certificates")
	fl.StringVar(&s.certFile, "etcd-certfile", "", "--store etcd: this controller's client certificate for etcd")
	fl.StringVar(&s.keyFile, "etcd-keyfile", "", "--store etcd: the key of --etcd-certfile")
	fl.StringVar(&s.prefix, "etcd-prefix", "/reconcile/", "--store etcd: the prefix of every key the store writes in etcd (one cluster per prefix)")
}

// open opens the store: on the embedded etcd of a control plane of
// several servers (plane, from --cluster-init/--join), on an external
// etcd (--store etcd; its client is returned for the leader election), or
// Badger. The function returned closes it (and an external etcd's client).
func (s storeFlags) open(plane *controlplane.Plane, data string, log *slog.Logger, maxObject int64, maxCommitObjects int) (*store.Store, *clientv3.Client, func(), error) {
	if plane != nil {
		if s.endpoints != "" {
			return nil, nil, nil, fmt.Errorf("--cluster-init and --join run an etcd member in this server: drop --etcd-endpoints (an external etcd is --store etcd without them)")
		}
		st, err := s.openEtcd(plane.Client(), data, log, maxObject, maxCommitObjects)
		if err != nil {
			return nil, nil, nil, err
		}
		return st, nil, func() { st.Close() }, nil // the plane closes its client
	}
	switch s.engine {
	case "badger", "":
		st, err := openStore(data, log, maxObject, maxCommitObjects)
		if err != nil {
			return nil, nil, nil, err
		}
		return st, nil, func() { st.Close() }, nil
	case "etcd":
		cli, err := s.etcdClient()
		if err != nil {
			return nil, nil, nil, err
		}
		st, err := s.openEtcd(cli, data, log, maxObject, maxCommitObjects)
		if err != nil {
			cli.Close()
			return nil, nil, nil, err
		}
		return st, cli, func() { st.Close(); cli.Close() }, nil
	}
	return nil, nil, nil, fmt.Errorf("--store %q: want badger or etcd", s.engine)
}

// openEtcd opens the etcd store over cli, its view in DATA/store with the
// key and limits of a Badger store.
func (s storeFlags) openEtcd(cli *clientv3.Client, data string, log *slog.Logger, maxObject int64, maxCommitObjects int) (*store.Store, error) {
	dir, o, err := storeOptions(data, log, maxObject, maxCommitObjects)
	if err != nil {
		return nil, err
	}
	return store.OpenEtcd(dir, cli, o, store.EtcdOptions{Prefix: s.prefix})
}

// etcdClient is the client of the external etcd of --store etcd.
func (s storeFlags) etcdClient() (*clientv3.Client, error) {
	if s.endpoints == "" {
		return nil, fmt.Errorf("--store etcd needs --etcd-endpoints (the etcd cluster's client URLs)")
	}
	return etcdclient.New(etcdclient.Config{Endpoints: etcdclient.SplitEndpoints(s.endpoints),
		CAFile: s.caFile, CertFile: s.certFile, KeyFile: s.keyFile})
}
