package etcdmember

import (
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// NewClient is an etcd client of endpoints over mTLS with the etcd client
// pair in pkiDir and the cluster CA as the only root.
func NewClient(endpoints []string, pkiDir string, ca *pki.CA) (*clientv3.Client, error) {
	tc, err := ClientTLS(pkiDir, ca)
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		TLS:         tc,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
		// Keepalive so a dead member is noticed and the client moves on.
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client of %v: %w", endpoints, err)
	}
	return cli, nil
}
