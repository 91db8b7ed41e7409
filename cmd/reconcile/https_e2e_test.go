package main

// HTTPS end to end (issue 9, part 1): the controller serves its API over
// TLS with the cluster CA on its listen address and --tls-san names; plain
// HTTP gets clear advice; admin.conf needs no flags; `user create` prints a
// config a person uses as RECONCILE_CONFIG; keys are 0600.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

func TestE2EControllerServesHTTPS(t *testing.T) {
	needE2EBinary(t)
	c := prepareCluster(t, baseFiles(1, "localhost/reconcile-hello:v1"))
	c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server,
		"--tls-san", "api.example.test", "--tls-san", "10.99.0.1")
	c.waitServer()
	admin := c.adminConfig()

	// The handshake on the listen address: the chain [serving, CA], the
	// SANs of the listen address and of --tls-san.
	caPEM, err := os.ReadFile(filepath.Join(c.data, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	for _, name := range []string{"api.example.test", "127.0.0.1", "localhost", "10.99.0.1"} {
		conn, err := tls.Dial("tcp", c.server, &tls.Config{RootCAs: roots, ServerName: name})
		if err != nil {
			t.Errorf("TLS to %s as %q: %v", c.server, name, err)
			continue
		}
		cs := conn.ConnectionState()
		conn.Close()
		if len(cs.PeerCertificates) != 2 || pki.CAHash(cs.PeerCertificates[1]) != pki.CAHash(mustCert(t, caPEM)) {
			t.Errorf("the handshake's chain has %d certificates, want [serving, cluster CA]", len(cs.PeerCertificates))
		}
	}
	if conn, err := tls.Dial("tcp", c.server, &tls.Config{RootCAs: roots, ServerName: "elsewhere.test"}); err == nil {
		conn.Close()
		t.Error("a name outside the certificate was accepted")
	}

	// Every key and credential file is 0600 (the directory 0700).
	for _, f := range []string{"pki/ca.key", "pki/serving.key", "pki/admin.key", "pki/controller.key", "pki/ca.crt", "admin.conf", "api-token"} {
		if st, err := os.Stat(filepath.Join(c.data, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, st, err)
		}
	}
	if st, err := os.Stat(filepath.Join(c.data, "pki")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("DATA/pki: %v %v, want mode 0700", st, err)
	}

	// admin.conf alone: https://, the CA, the admin's certificate.
	cfg, err := clientconfig.Load(admin)
	if err != nil || !strings.HasPrefix(cfg.Server(), "https://") || cfg.CertificateAuthority == "" || cfg.ClientCertificate == "" {
		t.Fatalf("admin.conf: %+v %v", cfg, err)
	}
	if out, err := runBin("get", "pods", "-A", "--config-file", admin); err != nil {
		t.Fatalf("admin.conf with no other flag: %v\n%s", err, out)
	}
	// ... and with its token removed, the certificate alone.
	cfg.Token = ""
	certOnly := filepath.Join(t.TempDir(), "cert-only.conf")
	clientconfig.Write(certOnly, cfg)
	if out, err := runBin("get", "pods", "-A", "--config-file", certOnly); err != nil {
		t.Errorf("the admin's certificate without the token: %v\n%s", err, out)
	}

	// Plain HTTP to the TLS port: clear advice.
	_, err = runBin("get", "pods", "--config-file", admin, "--server", "http://"+c.server)
	if err == nil || !strings.Contains(err.Error(), "serves HTTPS: use https://"+c.server) {
		t.Errorf("CLI over plain HTTP: %v", err)
	}
	// A token alone cannot verify the server: say what to pass.
	tokenOnly := exec.Command(env.bin, "get", "pods", "--server", "https://"+c.server, "--token-file", filepath.Join(c.data, "api-token"))
	tokenOnly.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), clientconfig.EnvConfig+"=")
	if out, err := tokenOnly.CombinedOutput(); err == nil || !strings.Contains(string(out), "no client config gives the cluster CA") {
		t.Errorf("--token-file alone: %v\n%s", err, out)
	}

	// A viewer's config from `user create`, used as RECONCILE_CONFIG.
	out, err := runBin("user", "create", "ann", "--role", "viewer", "--data", c.data)
	if err != nil {
		t.Fatal(err)
	}
	ann := filepath.Join(t.TempDir(), "ann.conf")
	if err := os.WriteFile(ann, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	annCfg, err := clientconfig.Load(ann)
	if err != nil || annCfg.Token != "" || annCfg.Server() != cfg.Server() {
		t.Fatalf("ann's config: %+v %v", annCfg, err)
	}
	if sub := mustCert(t, []byte(annCfg.ClientCertificate)).Subject; sub.CommonName != "ann" || sub.Organization[0] != "viewer" {
		t.Errorf("ann's certificate: %v", sub)
	}
	get := exec.Command(env.bin, "get", "pods", "-A")
	get.Env = append(os.Environ(), clientconfig.EnvConfig+"="+ann)
	if out, err := get.CombinedOutput(); err != nil {
		t.Errorf("RECONCILE_CONFIG=ann.conf reconcile get pods: %v\n%s", err, out)
	}
	// A viewer never sees Secret values: `get secrets --reveal` is refused (403).
	reveal := exec.Command(env.bin, "get", "secrets", "-A", "--reveal")
	reveal.Env = append(os.Environ(), clientconfig.EnvConfig+"="+ann)
	if out, err := reveal.CombinedOutput(); err == nil || !strings.Contains(string(out), `viewer "ann" cannot list resource "secrets"`) || !strings.Contains(string(out), "never sees Secret values") {
		t.Errorf("a viewer's get secrets --reveal: %v\n%s", err, out)
	}
	if _, err := runBin("user", "create", "bob", "--role", "root", "--data", c.data); err == nil || !strings.Contains(err.Error(), `unknown role "root"`) {
		t.Errorf("an unknown role: %v", err)
	}
	// People-management is an admin's: a viewer's config cannot make users.
	if _, err := runBin("user", "create", "bob", "--role", "admin", "--config-file", ann); err == nil || !strings.Contains(err.Error(), "people's credentials are for admins only") {
		t.Errorf("a viewer creating a user: %v", err)
	}

	// A node's credentials: its name and addresses, both usages.
	out, err = runBin("node", "credentials", "node-b", "--node-ip", "10.0.0.2", "--data", c.data, "--server", "https://10.99.0.1:7420")
	if err != nil {
		t.Fatal(err)
	}
	nodeCfg, err := clientconfig.Parse("node-b", []byte(out))
	if err != nil || nodeCfg.Server() != "https://10.99.0.1:7420" {
		t.Fatalf("node config: %+v %v", nodeCfg, err)
	}
	leaf := mustCert(t, []byte(nodeCfg.ClientCertificate))
	if pki.NodeName(leaf.Subject) != "node-b" || len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP("10.0.0.2")) || len(leaf.ExtKeyUsage) != 2 {
		t.Errorf("node certificate: %v %v %v", leaf.Subject, leaf.IPAddresses, leaf.ExtKeyUsage)
	}
	// An agent with a person's config is refused before it starts.
	if _, err := runBin("agent", "--config-file", ann); err == nil || !strings.Contains(err.Error(), "not a node's") {
		t.Errorf("agent with a viewer's config: %v", err)
	}
	if _, err := runBin("agent", "--config-file", admin, "--token-file", filepath.Join(c.data, "api-token")); err == nil || !strings.Contains(err.Error(), "not a bearer token") {
		t.Errorf("agent with the admin token: %v", err)
	}

	peopleByTokenAndDeletion(t, c.data, ann)
}

// peopleByTokenAndDeletion: a viewer with a token from `user create
// --token` reads pods and is refused Secret values; `user list` shows the
// certificate user ann (config annConf) and the token user, never a
// secret; `user delete` refuses the token and ann's certificate at once
// (401).
func peopleByTokenAndDeletion(t *testing.T, data, annConf string) {
	t.Helper()
	out, err := runBin("user", "create", "tim", "--role", "viewer", "--token", "--ttl", "1h", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	tim := filepath.Join(t.TempDir(), "tim.conf")
	if err := os.WriteFile(tim, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	timCfg, err := clientconfig.Load(tim)
	if err != nil || timCfg.Token == "" || timCfg.ClientCertificate != "" || timCfg.ClientKey != "" || timCfg.CertificateAuthority == "" {
		t.Fatalf("tim's config: %+v %v", timCfg, err)
	}
	as := func(conf string, args ...string) (string, error) {
		cmd := exec.Command(env.bin, args...)
		cmd.Env = append(os.Environ(), clientconfig.EnvConfig+"="+conf)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := as(tim, "get", "pods", "-A"); err != nil {
		t.Errorf("tim's token: get pods: %v\n%s", err, out)
	}
	if out, err := as(tim, "get", "secrets", "-A", "--reveal"); err == nil || !strings.Contains(out, `viewer "tim" cannot list resource "secrets"`) {
		t.Errorf("tim's token: get secrets --reveal: %v\n%s", err, out)
	}

	list, err := runBin("user", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^ann\s+viewer\s+cert\s+in `).MatchString(list) || !regexp.MustCompile(`(?m)^tim\s+viewer\s+token\s+in (59m|60m|1h)`).MatchString(list) || strings.Contains(list, timCfg.Token) {
		t.Errorf("user list:\n%s", list)
	}

	for _, who := range []struct{ name, conf, refused string }{
		{"tim", tim, `the bearer token of user "tim" no longer works: the user was deleted`},
		{"ann", annConf, `certificate revoked: serial`},
	} {
		if out, err := runBin("user", "delete", who.name, "--data", data); err != nil || !strings.Contains(out, "user "+who.name+" deleted") {
			t.Fatalf("user delete %s: %v\n%s", who.name, err, out)
		}
		if out, err := as(who.conf, "get", "pods", "-A"); err == nil || !strings.Contains(out, who.refused) {
			t.Errorf("%s after user delete: %v\n%s", who.name, err, out)
		}
	}
	if list, err := runBin("user", "list", "--data", data); err != nil || strings.Contains(list, "tim") || strings.Contains(list, "ann") {
		t.Errorf("user list after the deletes: %v\n%s", err, list)
	}
}

// The hidden plain-HTTP switch (for the TLS cost benchmark) refuses any
// address beyond loopback.
func TestE2EPlainHTTPOnlyOnLoopback(t *testing.T) {
	needE2EBinary(t)
	_, err := runBin("controller", "--repo", t.TempDir(), "--data", t.TempDir(), "--listen", "0.0.0.0:7999", "--insecure-plain-http")
	if err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Errorf("--insecure-plain-http on 0.0.0.0: %v", err)
	}
}

func mustCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	c, err := pki.ParseCert(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// logServerRefusesAllButTheController dials node's agent log server (its
// port from the Node) without a certificate, with a node's, and with a
// "controller" certificate of another CA: each handshake must fail, while
// `reconcile logs` (the controller's certificate) works.
func (c *cluster) logServerRefusesAllButTheController(node string) {
	c.t.Helper()
	out, err := c.run("get", "node", node, "-o", "json")
	if err != nil {
		c.t.Fatal(err)
	}
	var n corev1.Node
	if err := json.Unmarshal([]byte(out), &n); err != nil {
		c.t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(n.Status.DaemonEndpoints.KubeletEndpoint.Port)))
	nodeCfg, err := clientconfig.Load(c.nodeCredentials("another-node"))
	if err != nil {
		c.t.Fatal(err)
	}
	nodePair, err := tls.X509KeyPair([]byte(nodeCfg.ClientCertificate), []byte(nodeCfg.ClientKey))
	if err != nil {
		c.t.Fatal(err)
	}
	other, _ := pki.NewCA(time.Now())
	fake, err := other.IssueKeyPair(pki.Request{Subject: pki.ControllerSubject(), Usage: pki.ClientAuth}, time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	fakePair, _ := fake.TLS()
	for name, certs := range map[string][]tls.Certificate{
		"no certificate":                         nil,
		"another node's certificate":             {nodePair},
		"a controller certificate of another CA": {fakePair},
	} {
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, Certificates: certs}}}
		resp, err := hc.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			c.t.Errorf("agent log server with %s: HTTP %d, want a refused handshake", name, resp.StatusCode)
		}
	}
	// Plain HTTP gets nothing either.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			c.t.Error("agent log server answered plain HTTP")
		}
	}
}
