package etcdclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Config says how to reach an etcd cluster.
type Config struct {
	// Endpoints are client URLs: http://host:2379 or https://host:2379.
	Endpoints []string
	// CAFile verifies the members' serving certificates; CertFile and
	// KeyFile are this client's certificate (both or neither).
	CAFile, CertFile, KeyFile string
	// DialTimeout bounds the first connection; 10 s when zero.
	DialTimeout time.Duration
}

// ClientConfig checks c and returns the clientv3 configuration.
func (c Config) ClientConfig() (clientv3.Config, error) {
	if len(c.Endpoints) == 0 {
		return clientv3.Config{}, errors.New("etcd: no endpoints: set --etcd-endpoints https://HOST:2379[,…]")
	}
	secure := false
	for _, ep := range c.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return clientv3.Config{}, fmt.Errorf("etcd endpoint %q: want a URL such as https://10.0.0.1:2379", ep)
		}
		secure = secure || u.Scheme == "https"
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return clientv3.Config{}, errors.New("etcd: --etcd-certfile and --etcd-keyfile go together (the client certificate and its key)")
	}
	cfg := clientv3.Config{Endpoints: c.Endpoints, DialTimeout: c.DialTimeout, DialKeepAliveTime: 30 * time.Second, DialKeepAliveTimeout: 10 * time.Second,
		// The store's entries go up to ChunkBytes (1 MiB) per request and
		// its reads return up to 32 of them.
		MaxCallSendMsgSize: 2 << 20, MaxCallRecvMsgSize: 64 << 20}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if c.CAFile != "" || c.CertFile != "" || secure {
		if !secure {
			return clientv3.Config{}, errors.New("etcd: TLS files given but every endpoint is http://: use https:// endpoints")
		}
		tc, err := tlsConfig(c)
		if err != nil {
			return clientv3.Config{}, err
		}
		cfg.TLS = tc
	}
	return cfg, nil
}

func tlsConfig(c Config) (*tls.Config, error) {
	if c.CertFile == "" && c.CAFile == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil // system roots
	}
	info := transport.TLSInfo{CertFile: c.CertFile, KeyFile: c.KeyFile, TrustedCAFile: c.CAFile}
	tc, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("etcd TLS (ca %q, cert %q, key %q): %w", c.CAFile, c.CertFile, c.KeyFile, err)
	}
	return tc, nil
}

// New connects to the cluster.
func New(c Config) (*clientv3.Client, error) {
	cfg, err := c.ClientConfig()
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd client of %s: %w", strings.Join(c.Endpoints, ","), err)
	}
	return cli, nil
}

// SplitEndpoints splits a comma-separated --etcd-endpoints value.
func SplitEndpoints(s string) []string {
	var out []string
	for _, ep := range strings.Split(s, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			out = append(out, ep)
		}
	}
	return out
}
