package apiserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/reconcile/usercreds"
)

// TestPeopleOverTLS: an admin issues a viewer a token and another a
// certificate through POST /api/v1/users; each reads pods but never
// Secret values and writes nothing; people-management is an admin's; the
// list shows no secret; deleting a person refuses its token and its
// certificate on the next request, on the same kept-alive connection.
func TestPeopleOverTLS(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	ca := newTestCA(t)
	is, err := nodecreds.New(nodecreds.Options{Store: st, CA: ca.CA})
	if err != nil {
		t.Fatal(err)
	}
	users, err := usercreds.New(usercreds.Options{Store: st, Nodes: is})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Store: st, Token: "admin-token", Credentials: is, Users: users, Revoked: is.Revoked}
	hs := tlsServer(t, srv, ca)
	anon := clientFor(hs, nil)
	asAdmin := func(method, path string, body any) answer {
		return call(t, anon, hs.URL, method, path, body, "Authorization", "Bearer admin-token")
	}

	// A viewer with a token.
	ans := asAdmin("POST", "/api/v1/users", apitypes.UserRequest{Name: "ann", Role: "viewer", Token: true})
	expect(t, "create ann's token", ans, 201, "")
	var annTok apitypes.UserCredential
	if err := json.Unmarshal(ans.body, &annTok); err != nil || annTok.Token == "" || annTok.Kind != apitypes.UserKindToken || annTok.CertificateAuthority == "" {
		t.Fatalf("ann's token: %s %v", ans.body, err)
	}
	asAnn := func(method, path string, body any) answer {
		return call(t, anon, hs.URL, method, path, body, "Authorization", "Bearer "+annTok.Token)
	}
	expect(t, "ann lists pods", asAnn("GET", "/api/v1/pods?namespace=shop", nil), 200, "")
	expect(t, "ann reveals Secrets", asAnn("GET", "/api/v1/secrets?namespace=shop&reveal=true", nil), 403, `viewer "ann" cannot list resource "secrets"`)
	expect(t, "ann replaces a Deployment", asAnn("PUT", "/api/v1/deployments/web?namespace=shop", nil), 403, `viewer "ann" cannot update resource "deployments"`)
	expect(t, "ann lists users", asAnn("GET", "/api/v1/users", nil), 403, "people's credentials are for admins only")
	expect(t, "ann makes herself an admin", asAnn("POST", "/api/v1/users", apitypes.UserRequest{Name: "ann", Role: "admin", Token: true}), 403, "for admins only")

	// A viewer with a certificate for a key made here (only the CSR is sent).
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.NewCSR(key, pki.UserSubject("carl", "admin"), nil, nil) // the controller decides the subject
	if err != nil {
		t.Fatal(err)
	}
	ans = asAdmin("POST", "/api/v1/users", apitypes.UserRequest{Name: "carl", Role: "viewer", CSR: string(csr)})
	expect(t, "create carl's certificate", ans, 201, "")
	var carlCert apitypes.UserCredential
	if err := json.Unmarshal(ans.body, &carlCert); err != nil || carlCert.Certificate == "" || carlCert.Serial == "" {
		t.Fatalf("carl's certificate: %s %v", ans.body, err)
	}
	if sub := mustParseCert(t, carlCert.Certificate).Subject; sub.CommonName != "carl" || len(sub.Organization) != 1 || sub.Organization[0] != "viewer" {
		t.Fatalf("carl's certificate names %v, want CN carl O viewer", sub)
	}
	keyPEM, _ := pki.EncodeKey(key)
	pair, err := tls.X509KeyPair([]byte(carlCert.Certificate), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	carl := clientFor(hs, &pair)
	expect(t, "carl lists pods", call(t, carl, hs.URL, "GET", "/api/v1/pods?namespace=shop", nil), 200, "")
	expect(t, "carl reveals Secrets", call(t, carl, hs.URL, "GET", "/api/v1/secrets?namespace=shop&reveal=true", nil), 403, `viewer "carl"`)
	expect(t, "carl replaces a Deployment", call(t, carl, hs.URL, "PUT", "/api/v1/deployments/web?namespace=shop", nil), 403, `viewer "carl" cannot update`)

	// Refusals of the create route.
	expect(t, "another role for ann", asAdmin("POST", "/api/v1/users", apitypes.UserRequest{Name: "ann", Role: "admin", Token: true}), 409, "a person has one role")
	expect(t, "a node's name", asAdmin("POST", "/api/v1/users", apitypes.UserRequest{Name: "node:a", Role: "admin", Token: true}), 400, "reserved for nodes")
	expect(t, "neither csr nor token", asAdmin("POST", "/api/v1/users", apitypes.UserRequest{Name: "x", Role: "viewer"}), 400, "csr: missing")

	// The list: both, no secret.
	ans = asAdmin("GET", "/api/v1/users", nil)
	expect(t, "list users", ans, 200, "")
	var list []apitypes.UserCredential
	if err := json.Unmarshal(ans.body, &list); err != nil || len(list) != 2 {
		t.Fatalf("list: %s %v", ans.body, err)
	}
	if strings.Contains(string(ans.body), annTok.Token) || strings.Contains(string(ans.body), `"token":"`) || strings.Contains(string(ans.body), "BEGIN") {
		t.Errorf("the list shows a secret or a certificate: %s", ans.body)
	}

	// Delete: at once, on the connections already open, and ann's open
	// watch ends.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a bound for a broken test, not a timing assertion
	defer cancel()
	wreq, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/v1/watch?resourceVersion=0", nil)
	wreq.Header.Set("Authorization", "Bearer "+annTok.Token)
	watch, err := anon.Do(wreq)
	if err != nil || watch.StatusCode != 200 {
		t.Fatalf("ann's watch: %v %v", watch, err)
	}
	defer watch.Body.Close()
	testkit.Eventually(t, 30*time.Second, "ann's watch is open", func() error {
		if n := srv.OpenPersonRequests("ann"); n != 1 {
			return fmt.Errorf("%d open requests of ann", n)
		}
		return nil
	})
	expect(t, "delete ann", asAdmin("DELETE", "/api/v1/users/ann", nil), 200, "")
	if _, err := io.Copy(io.Discard, watch.Body); ctx.Err() != nil {
		t.Errorf("ann's watch did not end when ann was deleted: %v", err)
	}
	expect(t, "ann's token after the delete", asAnn("GET", "/api/v1/pods?namespace=shop", nil), 401, `the bearer token of user "ann" no longer works: the user was deleted`)
	ans = asAdmin("DELETE", "/api/v1/users/carl", nil)
	expect(t, "delete carl", ans, 200, "")
	var del apitypes.UserDeleted
	if err := json.Unmarshal(ans.body, &del); err != nil || len(del.RevokedSerials) != 1 || del.RevokedSerials[0] != carlCert.Serial {
		t.Fatalf("delete carl: %s %v", ans.body, err)
	}
	expect(t, "carl's certificate after the delete", call(t, carl, hs.URL, "GET", "/api/v1/pods?namespace=shop", nil), 401, `certificate revoked: serial `+carlCert.Serial+` of user "carl"`)
	expect(t, "delete carl again", asAdmin("DELETE", "/api/v1/users/carl", nil), 404, `user "carl" not found`)
	expect(t, "a wrong token", call(t, anon, hs.URL, "GET", "/api/v1/pods", nil, "Authorization", "Bearer abcdef.0123456789abcdef"), 401, "wrong bearer token")
}

func mustParseCert(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	c, err := pki.ParseCert([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
