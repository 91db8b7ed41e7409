package pki

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pair issues a pair from ca for subject with usage, valid now.
func pair(t *testing.T, ca *CA, req Request) *Rotating {
	t.Helper()
	kp, err := ca.IssueKeyPair(req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := ca.NewRotating(func(time.Time) (*KeyPair, bool, error) { return kp, false, nil }, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func nodeReq(name string) Request {
	return Request{Subject: NodeSubject(name), Usage: ClientAuth | ServerAuth}
}

// serveAgent serves an agent's log server over TLS with node's pair and
// returns its address.
func serveAgent(t *testing.T, ca *CA, node *Rotating) string {
	t.Helper()
	cert, _ := node.GetCertificate(nil)
	tc, err := AgentServerTLS(ca.CertPEM, *cert)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tc)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "log line\n") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func get(addr string, tc *tls.Config) (string, error) {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
	resp, err := c.Get("https://" + addr + "/containerLogs/default/p/c")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// The agent's log server answers the controller's certificate only: no
// certificate, a node's, a person's, or a "controller" of another CA are
// refused in the handshake.
func TestAgentLogServerAcceptsOnlyTheController(t *testing.T) {
	ca, _ := NewCA(time.Now())
	other, _ := NewCA(time.Now())
	addr := serveAgent(t, ca, pair(t, ca, nodeReq("n1")))
	controllerReq := Request{Subject: ControllerSubject(), Usage: ClientAuth}

	if out, err := get(addr, ca.AgentClientTLS("n1", pair(t, ca, controllerReq))); err != nil || out != "log line\n" {
		t.Fatalf("the controller: %q %v", out, err)
	}
	insecure := func(r *Rotating) *tls.Config {
		tc := &tls.Config{InsecureSkipVerify: true}
		if r != nil {
			tc.GetClientCertificate = r.GetClientCertificate
		}
		return tc
	}
	if _, err := get(addr, insecure(pair(t, ca, controllerReq))); err != nil {
		t.Fatalf("the controller's certificate from a client that skips verifying the agent: %v", err)
	}
	for name, tc := range map[string]*tls.Config{
		"no certificate":            insecure(nil),
		"a node's certificate":      insecure(pair(t, ca, nodeReq("n2"))),
		"an admin's certificate":    insecure(pair(t, ca, Request{Subject: UserSubject("admin", "admin"), Usage: ClientAuth})),
		"another CA's controller":   insecure(pair(t, other, controllerReq)),
		"the controller's, no role": insecure(pair(t, ca, Request{Subject: UserSubject(ControllerName, "admin"), Usage: ClientAuth})),
	} {
		if out, err := get(addr, tc); err == nil {
			t.Errorf("%s: served %q, want a refused handshake", name, out)
		}
	}
}

// The controller accepts only the named node's certificate of the cluster
// CA at that node's address: another node's, another CA's, or a plain
// server are refused.
func TestControllerVerifiesTheNodeItCalls(t *testing.T) {
	ca, _ := NewCA(time.Now())
	other, _ := NewCA(time.Now())
	controller := pair(t, ca, Request{Subject: ControllerSubject(), Usage: ClientAuth})
	n1 := serveAgent(t, ca, pair(t, ca, nodeReq("n1")))
	if _, err := get(n1, ca.AgentClientTLS("n1", controller)); err != nil {
		t.Fatalf("node n1 at its address: %v", err)
	}
	if _, err := get(n1, ca.AgentClientTLS("n2", controller)); err == nil || !strings.Contains(err.Error(), `holds the certificate of "node:n1"`) {
		t.Errorf("n1's agent answering for n2: %v", err)
	}
	// A node of another cluster, which would also trust our controller's
	// CA if it were misconfigured to: refused by the chain.
	foreign := serveAgent(t, other, pair(t, other, nodeReq("n1")))
	if _, err := get(foreign, ca.AgentClientTLS("n1", controller)); err == nil || !strings.Contains(err.Error(), "not one of the cluster CA's") {
		t.Errorf("another CA's n1: %v", err)
	}
	// A server certificate without ServerAuth (a client-only node pair).
	clientOnly := serveAgent(t, ca, pair(t, ca, Request{Subject: NodeSubject("n1"), Usage: ClientAuth}))
	if _, err := get(clientOnly, ca.AgentClientTLS("n1", controller)); err == nil {
		t.Error("a client-only certificate served as the agent's")
	}
}

// The API server's TLS: the chain [leaf, CA] in the handshake, a client
// certificate verified when given (and refused when of another CA), none
// needed.
func TestAPIServerTLS(t *testing.T) {
	dir := t.TempDir()
	ca, _ := LoadOrCreateCA(dir, time.Now())
	other, _ := NewCA(time.Now())
	serving, err := ca.NewRotating(func(now time.Time) (*KeyPair, bool, error) {
		return ca.EnsureServing(dir, "127.0.0.1:0", []string{"api.example.test"}, now)
	}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.APIServerTLS(serving))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.VerifiedChains) > 0 {
			io.WriteString(w, r.TLS.VerifiedChains[0][0].Subject.CommonName)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	dial := func(server string, client *Rotating) (tls.ConnectionState, string, error) {
		tc := &tls.Config{RootCAs: ca.Pool(), ServerName: server}
		if client != nil {
			tc.GetClientCertificate = client.GetClientCertificate
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		resp, err := c.Get("https://" + addr + "/")
		if err != nil {
			return tls.ConnectionState{}, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return *resp.TLS, string(b), nil
	}
	cs, who, err := dial("api.example.test", nil)
	if err != nil || who != "" {
		t.Fatalf("no client certificate: %q %v", who, err)
	}
	if len(cs.PeerCertificates) != 2 || !cs.PeerCertificates[1].Equal(ca.Cert) || CAHash(cs.PeerCertificates[1]) != ca.Hash() {
		t.Errorf("handshake chain: %d certificates, want [leaf, CA]", len(cs.PeerCertificates))
	}
	if cs.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", cs.Version)
	}
	for _, name := range []string{"127.0.0.1", "localhost"} {
		if _, _, err := dial(name, nil); err != nil {
			t.Errorf("SAN %s: %v", name, err)
		}
	}
	if _, _, err := dial("not-in-the-cert.test", nil); err == nil {
		t.Error("a name outside the SANs was accepted")
	}
	if _, who, err := dial("127.0.0.1", pair(t, ca, Request{Subject: UserSubject("ann", "viewer"), Usage: ClientAuth})); err != nil || who != "ann" {
		t.Errorf("ann's certificate: %q %v", who, err)
	}
	if _, _, err := dial("127.0.0.1", pair(t, other, Request{Subject: UserSubject("ann", "viewer"), Usage: ClientAuth})); err == nil {
		t.Error("a certificate of another CA was accepted")
	}
	// Plain HTTP on the TLS port: Go's 400 that apiclient turns into advice.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	b, _ := io.ReadAll(conn)
	if !strings.Contains(string(b), "400") || !strings.Contains(string(b), "Client sent an HTTP request to an HTTPS server") {
		t.Errorf("plain HTTP answered %q", b)
	}
}
