package apiserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// testCA is a cluster CA made by reconcile/pki, as the controller's.
type testCA struct{ *pki.CA }

func newTestCA(t *testing.T) testCA {
	t.Helper()
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return testCA{ca}
}

// node issues node name's client certificate (pki.NodeSubject).
func (ca testCA) node(t *testing.T, name string) (tls.Certificate, *big.Int) {
	return ca.issue(t, pki.Request{Subject: pki.NodeSubject(name), Usage: pki.ClientAuth})
}

// user issues a person's client certificate (pki.UserSubject).
func (ca testCA) user(t *testing.T, name, role string) (tls.Certificate, *big.Int) {
	return ca.issue(t, pki.Request{Subject: pki.UserSubject(name, role), Usage: pki.ClientAuth})
}

func (ca testCA) issue(t *testing.T, req pki.Request) (tls.Certificate, *big.Int) {
	t.Helper()
	kp, err := ca.IssueKeyPair(req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := kp.TLS()
	if err != nil {
		t.Fatal(err)
	}
	return c, kp.Cert.SerialNumber
}

// tlsServer serves srv over TLS, asking for (not requiring) a client
// certificate of ca, as the controller does.
func tlsServer(t *testing.T, srv *Server, ca testCA) *httptest.Server {
	t.Helper()
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.TLS = &tls.Config{ClientCAs: ca.Pool(), ClientAuth: tls.VerifyClientCertIfGiven}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return hs
}

// clientFor is an HTTP client trusting hs and showing cert (none when
// cert is nil).
func clientFor(hs *httptest.Server, cert *tls.Certificate) *http.Client {
	tr := hs.Client().Transport.(*http.Transport).Clone()
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: tr}
}

type answer struct {
	code int
	body []byte
}

func (a answer) status(t *testing.T) apierrors.Status {
	t.Helper()
	var st apierrors.Status
	if err := json.Unmarshal(a.body, &st); err != nil {
		t.Fatalf("answer %d is not a Status: %s", a.code, a.body)
	}
	return st
}

func call(t *testing.T, c *http.Client, base, method, path string, body any, header ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, b}
}

// expect checks an answer's code and, for errors, that its Status names
// the reason of the code and says want.
func expect(t *testing.T, what string, a answer, code int, want string) {
	t.Helper()
	if a.code != code {
		t.Fatalf("%s: %d %s, want %d", what, a.code, a.body, code)
	}
	if code < 300 {
		return
	}
	st := a.status(t)
	if st.Reason != apierrors.ReasonForCode(code) || !strings.Contains(st.Message, want) {
		t.Fatalf("%s: Status %+v, want reason %s and a message saying %q", what, st, apierrors.ReasonForCode(code), want)
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
