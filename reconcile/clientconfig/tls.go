package clientconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// TLSConfig is the TLS a client with this configuration uses: the cluster
// CA as the only root (a server is verified against the cluster's CA, never
// the system's) and the client certificate when there is one. It is nil
// when the servers are plain http:// (tests served in-process only).
func (c *Config) TLSConfig() (*tls.Config, error) {
	if !strings.HasPrefix(c.Server(), "https://") {
		return nil, nil
	}
	if c.CertificateAuthority == "" {
		return nil, errors.New("client config has an https:// server but no certificateAuthority: use the admin.conf the controller wrote, or a config from `reconcile user create` or `reconcile join`")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(c.CertificateAuthority)) {
		return nil, errors.New("client config: certificateAuthority holds no PEM certificate")
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if c.ClientCertificate != "" || c.ClientKey != "" {
		cert, err := tls.X509KeyPair([]byte(c.ClientCertificate), []byte(c.ClientKey))
		if err != nil {
			return nil, fmt.Errorf("client config: clientCertificate/clientKey: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
