package apiserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// serveTLS runs the API server over TLS with the controller's PKI in a
// temporary data directory and returns its URL and the PKI.
func serveTLS(t testing.TB, st *store.Store, token string) (string, *credentials.ControllerPKI) {
	t.Helper()
	p, err := credentials.OpenControllerPKI(t.TempDir(), "127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Store: st, Token: token, TLS: p.APIServerTLS(), AgentTLS: p.AgentTLS}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return "https://" + ln.Addr().String(), p
}

func clientOf(t *testing.T, p *credentials.ControllerPKI, server, token string, withCert bool) *apiclient.Client {
	t.Helper()
	cfg := p.AdminConfig(server, token)
	if !withCert {
		cfg.ClientCertificate, cfg.ClientKey = "", ""
	}
	tc, err := cfg.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return apiclient.NewTLS(server, token, tc)
}

// Over TLS a client certificate of the cluster CA authenticates without
// the token, the token still works without a certificate, and neither is
// 401; plain HTTP beyond loopback is refused.
func TestServesTLS(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	server, p := serveTLS(t, st, "s3cret")
	ctx := context.Background()
	if _, _, err := clientOf(t, p, server, "", true).List(ctx, "Pod", "", nil); err != nil {
		t.Errorf("the admin's certificate: %v", err)
	}
	if _, _, err := clientOf(t, p, server, "s3cret", false).List(ctx, "Pod", "", nil); err != nil {
		t.Errorf("the token: %v", err)
	}
	if _, _, err := clientOf(t, p, server, "", false).List(ctx, "Pod", "", nil); err == nil || !strings.Contains(err.Error(), "no client certificate of the cluster CA") {
		t.Errorf("neither: %v", err)
	}
	if _, _, err := apiclient.New(strings.Replace(server, "https://", "http://", 1), "s3cret").List(ctx, "Pod", "", nil); err == nil || !strings.Contains(err.Error(), "serves HTTPS: use "+server) {
		t.Errorf("plain HTTP: %v", err)
	}
	plain := &Server{Store: st, Token: "s3cret"}
	if err := plain.ListenAndServe(ctx, "0.0.0.0:0"); err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("plain HTTP on every address: %v", err)
	}
}

// `reconcile logs` over TLS: the controller presents its certificate to
// the node's log server and accepts only that node's certificate.
func TestPodLogProxyOverTLS(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	server, p := serveTLS(t, st, "s3cret")
	// The agent of n1 with n1's credentials, or an impostor holding n2's.
	agentFor := func(node string) int {
		cfg, err := p.NodeConfig(server, node, nil)
		if err != nil {
			t.Fatal(err)
		}
		tc, err := credentials.AgentLogTLS(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", tc)
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s says hello to %s\n", node, r.TLS.PeerCertificates[0].Subject.CommonName)
		})}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
		return ln.Addr().(*net.TCPAddr).Port
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(agentFor("n1"))
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	objects.SetTypeMeta(node, "Node")
	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.Create(node); err != nil {
			return err
		}
		return tx.Create(pod("one", "n1"))
	}); err != nil {
		t.Fatal(err)
	}
	c := clientOf(t, p, server, "", true)
	var out bytes.Buffer
	if err := c.Logs(context.Background(), "default", "one", apiclient.LogOptions{}, &out); err != nil || out.String() != "n1 says hello to "+pki.ControllerName+"\n" {
		t.Fatalf("logs: %q %v", out.String(), err)
	}
	// Another node's agent at n1's address is not n1's.
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(agentFor("n2"))
	if err := st.Update(func(tx *store.Tx) error { return tx.UpdateStatus(node) }); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = c.Logs(context.Background(), "default", "one", apiclient.LogOptions{}, &out)
	if err == nil || !strings.Contains(err.Error(), `holds the certificate of "node:n2"`) || strings.Contains(out.String(), "hello") {
		t.Errorf("n2's agent answering for n1: %q %v", out.String(), err)
	}
}
