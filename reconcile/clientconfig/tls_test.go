package clientconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

func TestTLSConfig(t *testing.T) {
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.IssueKeyPair(pki.Request{Subject: pki.UserSubject("ann", "viewer"), Usage: pki.ClientAuth}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := New("", "https://10.0.0.1:7420")
	if _, err := c.TLSConfig(); err == nil || !strings.Contains(err.Error(), "no certificateAuthority") {
		t.Fatalf("https without a CA: %v", err)
	}
	c.CertificateAuthority = string(ca.CertPEM)
	c.ClientCertificate, c.ClientKey = string(kp.CertPEM), string(kp.KeyPEM)
	cfg, err := c.TLSConfig()
	if err != nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil {
		t.Fatalf("cfg %+v err %v", cfg, err)
	}
	c.ClientKey = "garbage"
	if _, err := c.TLSConfig(); err == nil {
		t.Fatal("a bad key was accepted")
	}
	if cfg, err := New("tok", "http://127.0.0.1:1").TLSConfig(); cfg != nil || err != nil {
		t.Fatalf("plain http: %v %v", cfg, err)
	}
}
