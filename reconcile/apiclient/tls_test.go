package apiclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// A client given http:// for a TLS controller says to use https://, and
// one that does not trust the server's CA says so, instead of Go's words.
func TestTLSMistakesAreExplained(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":"1"},"items":[]}`))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "https://")
	ctx := context.Background()

	_, _, err := apiclient.New("http://"+addr, "tok").List(ctx, "Pod", "", nil)
	if err == nil || !strings.Contains(err.Error(), "serves HTTPS: use https://"+addr) {
		t.Errorf("plain HTTP to a TLS port: %v", err)
	}
	_, _, err = apiclient.NewTLS(srv.URL, "tok", &tls.Config{RootCAs: x509.NewCertPool()}).List(ctx, "Pod", "", nil)
	if err == nil || !strings.Contains(err.Error(), "certificateAuthority did not sign") {
		t.Errorf("a server of another CA: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	if _, _, err := apiclient.NewTLS(addr, "tok", &tls.Config{RootCAs: pool}).List(ctx, "Pod", "", nil); err != nil {
		t.Errorf("an address without a scheme is https://: %v", err)
	}

	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	_, _, err = apiclient.NewTLS("https://"+strings.TrimPrefix(plain.URL, "http://"), "", &tls.Config{RootCAs: pool}).List(ctx, "Pod", "", nil)
	if err == nil || !strings.Contains(err.Error(), "answers plain HTTP, not TLS") {
		t.Errorf("TLS to a plain server: %v", err)
	}
}
