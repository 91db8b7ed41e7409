package clientconfig

import (
	"encoding/base64"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestKubeconfig(t *testing.T) {
	c := New("tok", "https://127.0.0.1:7420/")
	c.CertificateAuthority = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
	b, err := c.Kubeconfig("reconcile", "me")
	if err != nil {
		t.Fatal(err)
	}
	var k kubeconfig
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	ca, _ := base64.StdEncoding.DecodeString(k.Clusters[0].Cluster.CertificateAuthorityData)
	if k.CurrentContext != "reconcile" || k.Clusters[0].Cluster.Server != "https://127.0.0.1:7420" || string(ca) != c.CertificateAuthority ||
		k.Users[0].User.Token != "tok" || k.Contexts[0].Context.User != "me" {
		t.Errorf("token kubeconfig:\n%s", b)
	}

	// A certificate is preferred to the token: it names the person.
	c.ClientCertificate, c.ClientKey = "CERT", "KEY"
	b, _ = c.Kubeconfig("reconcile", "me")
	if !strings.Contains(string(b), "client-certificate-data: "+base64.StdEncoding.EncodeToString([]byte("CERT"))) || strings.Contains(string(b), "token:") {
		t.Errorf("certificate kubeconfig:\n%s", b)
	}

	if _, err := New("").Kubeconfig("r", "u"); err == nil {
		t.Error("a config without servers made a kubeconfig")
	}
	if _, err := New("", "https://x").Kubeconfig("r", "u"); err == nil || !strings.Contains(err.Error(), "neither a client certificate nor a token") {
		t.Errorf("a config without credentials: %v", err)
	}
}
