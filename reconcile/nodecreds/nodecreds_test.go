package nodecreds

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

var t0 = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

func newIssuer(t *testing.T, lifetime time.Duration) (*Issuer, *testkit.Clock, *store.Store) {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ca, err := pki.NewCA(t0)
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(t0)
	is, err := New(Options{Store: st, CA: ca, Now: clock.Now, Lifetime: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	return is, clock, st
}

func joinRequest(t *testing.T, node string, addrs ...string) (Request, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var ips []net.IP
	for _, a := range addrs {
		ips = append(ips, net.ParseIP(a))
	}
	csr, err := pki.NewCSR(key, pki.NodeSubject(node), nil, ips)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(apitypes.JoinRequest{Node: node, Addresses: addrs, CSR: string(csr)})
	req, err := ParseJoinRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return req, key
}

func TestTokenLifecycle(t *testing.T) {
	is, clock, _ := newIssuer(t, 0)
	tok, rec, err := is.CreateToken(time.Hour, "for node-b")
	if err != nil {
		t.Fatal(err)
	}
	if tok.CAHash != is.CA().Hash() || !strings.HasPrefix(tok.String(), "K10") || rec.Expires != t0.Add(time.Hour) {
		t.Fatalf("token %s, record %+v", tok, rec)
	}
	never, _, err := is.CreateToken(0, "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := is.ListTokens()
	if err != nil || len(list) != 2 {
		t.Fatalf("list %+v %v", list, err)
	}
	for _, r := range list {
		if r.SecretHash != "" {
			t.Errorf("list shows the secret's hash: %+v", r)
		}
	}
	if err := is.CheckToken(tok.String()); err != nil {
		t.Errorf("fresh token: %v", err)
	}
	if err := is.CheckToken(tok.Bare()); err != nil {
		t.Errorf("bare form: %v", err)
	}
	clock.Add(time.Hour)
	if err := is.CheckToken(tok.String()); !apierrors.Is(err, apierrors.ReasonUnauthorized) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}
	if err := is.CheckToken(never.String()); err != nil {
		t.Errorf("token without ttl: %v", err)
	}
	if err := is.DeleteToken(never.ID); err != nil {
		t.Fatal(err)
	}
	if err := is.CheckToken(never.String()); !apierrors.Is(err, apierrors.ReasonUnauthorized) || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("deleted token: %v", err)
	}
	if err := is.DeleteToken(never.ID); !errors.Is(err, apierrors.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if err := is.DeleteToken("../x"); !apierrors.Is(err, apierrors.ReasonBadRequest) {
		t.Errorf("bad id: %v", err)
	}
	if _, _, err := is.CreateToken(-time.Second, ""); !apierrors.Is(err, apierrors.ReasonBadRequest) {
		t.Errorf("negative ttl: %v", err)
	}
	if err := is.PruneExpired("for "); err != nil {
		t.Fatal(err)
	}
	if list, _ := is.ListTokens(); len(list) != 0 {
		t.Errorf("after pruning expired start tokens: %+v", list)
	}
}

func TestJoinChecksTheToken(t *testing.T) {
	is, clock, _ := newIssuer(t, 0)
	tok, _, _ := is.CreateToken(time.Hour, "")
	deleted, _, _ := is.CreateToken(time.Hour, "")
	is.DeleteToken(deleted.ID)
	wrong := tok
	wrong.Secret = strings.Repeat("z", 16)
	expired, _, _ := is.CreateToken(time.Minute, "")
	clock.Add(time.Minute)
	req, _ := joinRequest(t, "node-b", "10.0.0.2")
	for _, tc := range []struct {
		name, bearer string
		reason       apierrors.Reason
		msg          string
	}{
		{"none", "", apierrors.ReasonUnauthorized, "needs a join token"},
		{"garbage", "hello", apierrors.ReasonBadRequest, "malformed join token"},
		{"deleted", deleted.String(), apierrors.ReasonUnauthorized, "was deleted"},
		{"wrong secret", wrong.String(), apierrors.ReasonUnauthorized, "does not match"},
		{"expired", expired.String(), apierrors.ReasonUnauthorized, "expired at"},
	} {
		_, err := is.Join(tc.bearer, req)
		if !apierrors.Is(err, tc.reason) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %s with %q", tc.name, err, tc.reason, tc.msg)
		}
	}
	if rec, _ := is.NodeRecord("node-b"); rec != nil {
		t.Fatalf("a refused join left a record: %+v", rec)
	}
	out, err := is.Join(tok.String(), req)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCert([]byte(out.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	if pki.NodeName(cert.Subject) != "node-b" || len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.ParseIP("10.0.0.2")) {
		t.Errorf("certificate subject %v, IPs %v", cert.Subject, cert.IPAddresses)
	}
	if len(cert.ExtKeyUsage) != 2 {
		t.Errorf("usages %v, want client and server", cert.ExtKeyUsage)
	}
	if err := is.CA().Verify(cert, clock.Now()); err != nil {
		t.Errorf("not signed by the CA: %v", err)
	}
	list, _ := is.ListTokens()
	for _, r := range list {
		if r.ID == tok.ID && r.Uses != 1 {
			t.Errorf("uses %d, want 1", r.Uses)
		}
	}
}

func TestJoinNameHeldByItsKey(t *testing.T) {
	is, _, st := newIssuer(t, 0)
	tok, _, _ := is.CreateToken(time.Hour, "")
	req, key := joinRequest(t, "node-b")
	if _, err := is.Join(tok.String(), req); err != nil {
		t.Fatal(err)
	}
	// The same key again (a host re-running join): a fresh certificate.
	again, err := pki.NewCSR(key, pki.NodeSubject("node-b"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(apitypes.JoinRequest{Node: "node-b", CSR: string(again)})
	same, _ := ParseJoinRequest(body)
	if _, err := is.Join(tok.String(), same); err != nil {
		t.Errorf("same key: %v", err)
	}
	// Another key: refused until the node is deleted.
	other, _ := joinRequest(t, "node-b")
	if _, err := is.Join(tok.String(), other); !apierrors.Is(err, apierrors.ReasonConflict) || !strings.Contains(err.Error(), "reconcile node delete node-b") {
		t.Errorf("another key: %v", err)
	}
	if _, err := is.DeleteNode("node-b"); err != nil {
		t.Fatal(err)
	}
	if _, err := is.Join(tok.String(), other); err != nil {
		t.Errorf("after node delete: %v", err)
	}
	// A Node registered without a join (the local agent of `up`) holds its name.
	if err := st.Update(func(tx *store.Tx) error {
		return tx.Create(&corev1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "local"}})
	}); err != nil {
		t.Fatal(err)
	}
	local, _ := joinRequest(t, "local")
	if _, err := is.Join(tok.String(), local); !apierrors.Is(err, apierrors.ReasonConflict) {
		t.Errorf("name of a registered node: %v", err)
	}
	// ... except for up's own one-use token: `reconcile up` upgraded over a
	// data directory whose agent registered before nodes joined takes its
	// own node over.
	upTok, _, _ := is.CreateToken(time.Hour, jointoken.LocalDescription)
	if _, err := is.Join(upTok.String(), local); err != nil {
		t.Errorf("up's own agent over its earlier node: %v", err)
	}
}

func TestRenewAndRevoke(t *testing.T) {
	is, clock, st := newIssuer(t, 3*time.Hour)
	tok, _, _ := is.CreateToken(0, "")
	req, _ := joinRequest(t, "node-b", "10.0.0.2")
	out, err := is.Join(tok.String(), req)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := pki.ParseCert([]byte(out.Certificate))
	if !first.NotAfter.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("lifetime: notAfter %s", first.NotAfter)
	}
	clock.Add(2*time.Hour + time.Minute) // past RenewAt
	if !pki.NeedsRenewal(first, clock.Now()) {
		t.Fatal("test setup: not yet due")
	}
	// Another node's certificate may not renew node-b's.
	otherReq, _ := joinRequest(t, "node-c")
	otherOut, err := is.Join(tok.String(), otherReq)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := pki.ParseCert([]byte(otherOut.Certificate))
	renewal, _ := joinRequest(t, "node-b", "10.0.0.2")
	if _, err := is.Renew(other, renewal); !apierrors.Is(err, apierrors.ReasonForbidden) {
		t.Errorf("renewal by another node: %v", err)
	}
	out2, err := is.Renew(first, renewal)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := pki.ParseCert([]byte(out2.Certificate))
	if !second.NotAfter.After(first.NotAfter) || second.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Errorf("renewed: %s serial %s", second.NotAfter, second.SerialNumber)
	}
	// A pod on node-b, deleted with it.
	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.Create(&corev1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "node-b"}}); err != nil {
			return err
		}
		return tx.Create(&corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: "node-b"}})
	}); err != nil {
		t.Fatal(err)
	}
	var revokedNode string
	is.OnRevoke(func(n string) { revokedNode = n })
	del, err := is.DeleteNode("node-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(del.RevokedSerials) != 2 || del.DeletedPods != 1 || revokedNode != "node-b" {
		t.Errorf("deleted %+v, told %q", del, revokedNode)
	}
	for _, c := range []*pki.KeyPair{{Cert: first}, {Cert: second}} {
		if !is.Revoked(c.Cert.SerialNumber) {
			t.Errorf("serial %s not revoked", pki.SerialString(c.Cert.SerialNumber))
		}
	}
	if is.Revoked(other.SerialNumber) {
		t.Error("another node's serial revoked")
	}
	if _, err := st.Get(objects.Key{Kind: "Pod", Namespace: "default", Name: "p"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pod of the deleted node: %v", err)
	}
	if _, err := is.Renew(second, renewal); !apierrors.Is(err, apierrors.ReasonUnauthorized) {
		t.Errorf("renewal after revocation: %v", err)
	}
	if _, err := is.DeleteNode("node-b"); !errors.Is(err, apierrors.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	// A node provisioned offline (a certificate of the CA, no record) renews,
	// and from then on its serials are recorded: node delete revokes them.
	offline, err := is.CA().Issue(pki.Request{Subject: pki.NodeSubject("node-d"), PublicKey: renewal.CSR.PublicKey, Usage: pki.ClientAuth}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	renewD, _ := joinRequest(t, "node-d")
	if _, err := is.Renew(offline, renewD); err != nil {
		t.Fatalf("renewal of offline credentials: %v", err)
	}
	delD, err := is.DeleteNode("node-d")
	if err != nil || len(delD.RevokedSerials) != 2 || !is.Revoked(offline.SerialNumber) {
		t.Errorf("node delete after an offline node's renewal: %+v %v", delD, err)
	}
	// Revocations survive a restart of the controller.
	again, err := New(Options{Store: st, CA: is.CA(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Revoked(second.SerialNumber) {
		t.Error("revocation lost on restart")
	}
}

func TestParseJoinRequestRefuses(t *testing.T) {
	req, key := joinRequest(t, "node-b")
	_ = req
	csr, _ := pki.NewCSR(key, pki.NodeSubject("node-b"), nil, nil)
	good := string(csr)
	for _, tc := range []struct{ body, msg string }{
		{`{`, "bad request body"},
		{`{"node":"node-b","csr":"x","extra":1}`, "unknown field"},
		{`{"node":"Node_B","csr":""}`, "not a valid node name"},
		{`{"node":"","csr":""}`, "not a valid node name"},
		{`{"node":"b","csr":""}`, "csr: missing"},
		{`{"node":"b","csr":"hello"}`, "csr: no PEM"},
		{`{"node":"b","addresses":["10.0.0.300"],"csr":"x"}`, "addresses[0]"},
		{`{"node":"b","addresses":["0.0.0.0"],"csr":"x"}`, "addresses[0]"},
		{`{"node":"b","csr":` + quote(good) + `} {}`, "more than one"},
		{`{"node":"b","csr":` + quote(strings.Replace(good, "A", "B", 3)) + `}`, "csr:"},
	} {
		_, err := ParseJoinRequest([]byte(tc.body))
		if !apierrors.Is(err, apierrors.ReasonBadRequest) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%.60s: %v, want %q", tc.body, err, tc.msg)
		}
	}
	if _, err := ParseJoinRequest([]byte(`{"node":"b","csr":` + quote(good) + `}`)); err != nil {
		t.Errorf("good request: %v", err)
	}
	big := `{"node":"b","csr":"` + strings.Repeat("x", MaxRequestBytes) + `"}`
	if _, err := ParseJoinRequest([]byte(big)); !apierrors.Is(err, apierrors.ReasonRequestTooLarge) {
		t.Errorf("large body: %v", err)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func FuzzJoinRequest(f *testing.F) {
	key, _ := pki.NewKey()
	csr, _ := pki.NewCSR(key, pki.NodeSubject("node-b"), nil, []net.IP{net.ParseIP("10.0.0.2")})
	good, _ := json.Marshal(apitypes.JoinRequest{Node: "node-b", Addresses: []string{"10.0.0.2"}, CSR: string(csr)})
	f.Add(good)
	f.Add([]byte(`{"node":"a","csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"node":"a","addresses":["::1","1.2.3.4"],"csr":""}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseJoinRequest(body)
		if err != nil {
			if r := apierrors.ReasonOf(err); r != apierrors.ReasonBadRequest && r != apierrors.ReasonRequestTooLarge {
				t.Fatalf("error of reason %s: %v", r, err)
			}
			return
		}
		if req.CSR == nil || req.CSR.CheckSignature() != nil || req.Node == "" || len(req.IPs) > MaxAddresses {
			t.Fatalf("accepted %+v", req)
		}
		if _, ok := req.CSR.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Fatalf("accepted a %T key", req.CSR.PublicKey)
		}
		_ = jointoken.Token{}
	})
}

func TestJoinURL(t *testing.T) {
	for _, tc := range []struct {
		listen, hostIP, url string
		local               bool
	}{
		{"127.0.0.1:7420", "10.0.0.1", "https://127.0.0.1:7420", true},
		{"0.0.0.0:7420", "10.0.0.1", "https://10.0.0.1:7420", false},
		{":7420", "10.0.0.1", "https://10.0.0.1:7420", false},
		{"[::]:7420", "", "https://127.0.0.1:7420", true},
		{"10.0.0.5:7420", "10.0.0.1", "https://10.0.0.5:7420", false},
		{"[fd00::1]:7420", "", "https://[fd00::1]:7420", false},
	} {
		url, local := JoinURL(tc.listen, tc.hostIP)
		if url != tc.url || local != tc.local {
			t.Errorf("JoinURL(%q, %q) = %q %v, want %q %v", tc.listen, tc.hostIP, url, local, tc.url, tc.local)
		}
	}
}

func TestStartToken(t *testing.T) {
	is, clock, _ := newIssuer(t, 0)
	first, err := is.StartToken()
	if err != nil {
		t.Fatal(err)
	}
	kept, _, _ := is.CreateToken(time.Hour, "someone's")
	clock.Add(DefaultTTL)
	second, err := is.StartToken()
	if err != nil {
		t.Fatal(err)
	}
	list, _ := is.ListTokens()
	ids := map[string]bool{}
	for _, r := range list {
		ids[r.ID] = true
	}
	if ids[first.ID] || !ids[second.ID] || !ids[kept.ID] {
		t.Errorf("after a restart a day later: %v (first %s, second %s, a person's expired %s)", ids, first.ID, second.ID, kept.ID)
	}
	if got := JoinLine("https://10.0.0.1:7420", second); got != "reconcile join https://10.0.0.1:7420 --token "+second.String() {
		t.Errorf("join line %q", got)
	}
}
