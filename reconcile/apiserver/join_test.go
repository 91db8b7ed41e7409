package apiserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// The join routes over plain HTTP in process (agent/join's tests run them
// over the controller's real TLS): the admin token reaches the token
// routes, a join is checked token first, renewal needs a node certificate.
func TestJoinRoutes(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	is, err := nodecreds.New(nodecreds.Options{Store: st, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer((&Server{Store: st, Token: "admin", Credentials: is, Revoked: is.Revoked}).Handler())
	t.Cleanup(hs.Close)
	ctx := context.Background()
	admin := apiclient.New(hs.URL, "admin")
	if _, err := apiclient.New(hs.URL, "").CreateToken(ctx, "", ""); !apierrors.Is(err, apierrors.ReasonUnauthorized) {
		t.Errorf("token create without credentials: %v", err)
	}
	tok, err := admin.CreateToken(ctx, "", "node-b")
	if err != nil || !strings.HasPrefix(tok.Token, "K10") || !tok.Expires.After(time.Now().Add(23*time.Hour)) {
		t.Fatalf("token create: %+v %v", tok, err)
	}
	if _, err := admin.CreateToken(ctx, "soon", ""); !apierrors.Is(err, apierrors.ReasonBadRequest) {
		t.Errorf("bad ttl: %v", err)
	}
	for _, tc := range []struct {
		name, bearer, body string
		code               int
		msg                string
	}{
		{"no token", "", `{}`, 401, "needs a join token"},
		{"garbage token", "x", `{}`, 400, "malformed join token"},
		{"unknown token, before the body", "abcdef.0123456789abcdef", `garbage`, 401, "never created"},
		{"good token, bad body", tok.Token, `garbage`, 400, "bad request body"},
		{"good token, bad CSR", tok.Token, `{"node":"node-b","csr":"x"}`, 400, "csr:"},
		{"good token, bad name", tok.Token, `{"node":"Node B","csr":"x"}`, 400, "not a valid node name"},
	} {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/join", strings.NewReader(tc.body))
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, resp.StatusCode, b, tc.code, tc.msg)
		}
	}
	if _, err := admin.RenewCertificate(ctx, "node-b", apitypes.CertificateRequest{}); !apierrors.Is(err, apierrors.ReasonForbidden) {
		t.Errorf("renewal without a node certificate: %v", err)
	}
	if _, err := admin.DeleteNode(ctx, "nope"); !apierrors.Is(err, apierrors.ReasonNotFound) {
		t.Errorf("delete of an unknown node: %v", err)
	}
	list, err := admin.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].Token != "" || list[0].Description != "node-b" {
		t.Fatalf("token list %+v %v", list, err)
	}
	if err := admin.DeleteToken(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteToken(ctx, list[0].ID); !apierrors.Is(err, apierrors.ReasonNotFound) {
		t.Errorf("second delete: %v", err)
	}
}
