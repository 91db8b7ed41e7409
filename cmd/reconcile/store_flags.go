package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

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

// open opens the store; the function returned closes it (and its etcd
// client).
func (s storeFlags) open(data string, log *slog.Logger, maxObject int64, maxCommitObjects int) (*store.Store, func(), error) {
	switch s.engine {
	case "badger", "":
		st, err := openStore(data, log, maxObject, maxCommitObjects)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	case "etcd":
		cli, err := etcdclient.New(etcdclient.Config{Endpoints: etcdclient.SplitEndpoints(s.endpoints),
			CAFile: s.caFile, CertFile: s.certFile, KeyFile: s.keyFile})
		if err != nil {
			return nil, nil, err
		}
		dir, o, err := storeOptions(data, log, maxObject, maxCommitObjects)
		if err != nil {
			cli.Close()
			return nil, nil, err
		}
		st, err := store.OpenEtcd(dir, cli, o, store.EtcdOptions{Prefix: s.prefix})
		if err != nil {
			cli.Close()
			return nil, nil, err
		}
		return st, func() { st.Close(); cli.Close() }, nil
	}
	return nil, nil, fmt.Errorf("--store %q: want badger or etcd", s.engine)
}
