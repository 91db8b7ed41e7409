package authz

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

func cert(cn string, orgs ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: orgs}}
}

func TestFromCertificate(t *testing.T) {
	for _, tc := range []struct {
		cert *x509.Certificate
		want Identity
		err  string // part of the 401's message
	}{
		{cert("node:a", pki.GroupNodes), Identity{Name: "node:a", Role: RoleNode, Node: "a"}, ""},
		{cert("alice", "admin"), Identity{Name: "alice", Role: RoleAdmin}, ""},
		{cert("bob", "deployer"), Identity{Name: "bob", Role: RoleDeployer}, ""},
		{cert("victor", "viewer", "viewer"), Identity{Name: "victor", Role: RoleViewer}, ""},
		{cert("node:a"), Identity{}, "must have organization reconcile:nodes"},
		{cert("node:a", "admin"), Identity{}, "must have organization reconcile:nodes"},
		{cert("node:", pki.GroupNodes), Identity{}, "node name after"},
		{cert("a", pki.GroupNodes), Identity{}, "needs the common name node:<name>"},
		{cert("reconcile:controller", pki.GroupControllers), Identity{}, "agents' log servers"},
		{cert("mallory"), Identity{}, "carries no role"},
		{cert("mallory", "root"), Identity{}, "carries no role"},
		{cert("mallory", "viewer", "admin"), Identity{}, "more than one role"},
		{cert("", "viewer"), Identity{}, "no common name"},
	} {
		got, err := FromCertificate(tc.cert)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v: %v", tc.cert.Subject, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v: error %v, want one saying %q", tc.cert.Subject, err, tc.err)
		case tc.err != "" && !errors.Is(err, apierrors.ErrUnauthorized):
			t.Errorf("%v: error %v is not Unauthorized", tc.cert.Subject, err)
		case got != tc.want:
			t.Errorf("%v: %+v, want %+v", tc.cert.Subject, got, tc.want)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	req := func(auth string, c *x509.Certificate) *http.Request {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/api/v1/pods"}, Header: http.Header{}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if c != nil {
			r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{c}}}
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *http.Request
		want Identity
		err  string
	}{
		{"admin token", req("Bearer s3cret", nil), Identity{Name: TokenUser, Role: RoleAdmin}, ""},
		{"wrong token", req("Bearer nope", nil), Identity{}, "wrong bearer token"},
		{"basic auth", req("Basic czNjcmV0", nil), Identity{}, "wrong bearer token"},
		{"nothing", req("", nil), Identity{}, "no credentials"},
		{"certificate", req("", cert("node:a", pki.GroupNodes)), Identity{Name: "node:a", Role: RoleNode, Node: "a"}, ""},
		{"certificate wins over the token", req("Bearer s3cret", cert("victor", "viewer")), Identity{Name: "victor", Role: RoleViewer}, ""},
		{"certificate without a role", req("Bearer s3cret", cert("x")), Identity{}, "carries no role"},
		{"a person's token", req("Bearer ann-tok", nil), Identity{Name: "ann", Role: RoleViewer}, ""},
		{"a person's expired token", req("Bearer old-tok", nil), Identity{}, "expired"},
		{"certificate wins over a person's token", req("Bearer ann-tok", cert("dora", "deployer")), Identity{Name: "dora", Role: RoleDeployer}, ""},
		{"a person's token without Bearer", req("ann-tok", nil), Identity{}, "wrong bearer token"},
	} {
		got, err := Authenticate(tc.r, "s3cret", fakePeople{})
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, apierrors.ErrUnauthorized)):
			t.Errorf("%s: error %v, want an Unauthorized saying %q", tc.name, err, tc.err)
		case got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// An unverified peer certificate (no chain to the CA) is no identity.
	r := req("", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert("alice", "admin")}}
	if _, err := Authenticate(r, "s3cret", nil); err == nil {
		t.Error("an unverified certificate authenticated")
	}
	// No admin token configured: no bearer token is right.
	if _, err := Authenticate(req("Bearer ", nil), "", fakePeople{}); err == nil {
		t.Error("an empty bearer token authenticated against an empty admin token")
	}
	// No people's tokens served: a person's token is a wrong one.
	if _, err := Authenticate(req("Bearer ann-tok", nil), "s3cret", nil); err == nil || !strings.Contains(err.Error(), "wrong bearer token") {
		t.Errorf("a person's token without People: %v", err)
	}
}

// fakePeople knows ann's token (a viewer) and an expired one.
type fakePeople struct{}

func (fakePeople) PersonByToken(bearer string) (Identity, bool, error) {
	switch bearer {
	case "ann-tok":
		return Identity{Name: "ann", Role: RoleViewer}, true, nil
	case "old-tok":
		return Identity{}, true, apierrors.New(apierrors.ReasonUnauthorized, "the token of user \"old\" expired")
	}
	return Identity{}, false, nil
}

func TestExempt(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/healthz", true},
		{"POST", "/healthz", false},
		{"POST", "/hooks/apps", true},
		{"GET", "/hooks/apps", false},
		{"POST", "/hooks/apps/x", false},
		{"POST", "/hooks/../api/v1/sync", false},
		{"GET", "/api/v1/pods", false},
	} {
		r := &http.Request{Method: tc.method, URL: &url.URL{Path: tc.path}}
		if got := Exempt(r); got != tc.want {
			t.Errorf("Exempt(%s %s) = %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}
