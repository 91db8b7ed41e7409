package usercreds

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

var t0 = time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)

func newUsers(t *testing.T) (*Users, *nodecreds.Issuer, *testkit.Clock, *store.Store) {
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
	is, err := nodecreds.New(nodecreds.Options{Store: st, CA: ca, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(Options{Store: st, Nodes: is, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return u, is, clock, st
}

func tokenFor(t *testing.T, u *Users, name, role string, ttl time.Duration) string {
	t.Helper()
	out, err := u.Create(Request{Name: name, Role: role, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return out.Token
}

func csrRequest(t *testing.T, name, role string, ttl time.Duration) Request {
	t.Helper()
	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.NewCSR(key, pki.UserSubject(name, role), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(apitypes.UserRequest{Name: name, Role: role, TTL: ttl.String(), CSR: string(csr)})
	req, err := ParseRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestPersonByToken: the identity a token gives, and why one gives none.
func TestPersonByToken(t *testing.T) {
	u, _, clock, _ := newUsers(t)
	viewer := tokenFor(t, u, "ann", "viewer", 48*time.Hour)
	deployer := tokenFor(t, u, "dora", "deployer", 48*time.Hour)
	admin := tokenFor(t, u, "ada", "admin", 48*time.Hour)
	short := tokenFor(t, u, "sam", "viewer", time.Hour)
	gone := tokenFor(t, u, "gus", "viewer", 48*time.Hour)
	if _, err := u.Delete("gus"); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour) // sam's token ends
	wrong := viewer[:len(viewer)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(viewer, "a")]
	for _, tc := range []struct {
		name, bearer string
		want         authz.Identity
		known        bool
		err          string
	}{
		{"viewer", viewer, authz.Identity{Name: "ann", Role: authz.RoleViewer}, true, ""},
		{"deployer", deployer, authz.Identity{Name: "dora", Role: authz.RoleDeployer}, true, ""},
		{"admin", admin, authz.Identity{Name: "ada", Role: authz.RoleAdmin}, true, ""},
		{"expired", short, authz.Identity{}, true, `the bearer token of user "sam" expired at 2026-12-07T07:00:00Z`},
		{"deleted", gone, authz.Identity{}, true, `the bearer token of user "gus" no longer works: the user was deleted`},
		{"wrong secret", wrong, authz.Identity{}, false, ""},
		{"not a token's form", "s3cret", authz.Identity{}, false, ""},
		{"empty", "", authz.Identity{}, false, ""},
	} {
		got, known, err := u.PersonByToken(tc.bearer)
		switch {
		case known != tc.known || got != tc.want:
			t.Errorf("%s: %+v known=%v, want %+v known=%v", tc.name, got, known, tc.want, tc.known)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (!apierrors.Is(err, apierrors.ReasonUnauthorized) || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an Unauthorized saying %q", tc.name, err, tc.err)
		}
	}
}

// TestCreateListDelete: certificates and tokens of one person, its one
// role, the list without secrets, deletion revoking the serials in
// nodecreds' list, and the state after a restart.
func TestCreateListDelete(t *testing.T) {
	u, is, clock, st := newUsers(t)
	cert, err := u.Create(csrRequest(t, "ann", "viewer", 24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := pki.ParseCert([]byte(cert.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != "ann" || leaf.Subject.Organization[0] != "viewer" || !leaf.NotAfter.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("certificate %v until %s", leaf.Subject, leaf.NotAfter)
	}
	if err := is.CA().Verify(leaf, clock.Now()); err != nil {
		t.Errorf("not signed by the cluster CA: %v", err)
	}
	clock.Add(time.Minute)
	tok := tokenFor(t, u, "ann", "viewer", time.Hour)
	if _, err := u.Create(Request{Name: "ann", Role: "admin", TTL: time.Hour}); !apierrors.Is(err, apierrors.ReasonConflict) {
		t.Errorf("another role for ann: %v", err)
	}
	tokenFor(t, u, "bob", "deployer", time.Hour)

	list, err := u.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		if c.Token != "" || c.Certificate != "" {
			t.Errorf("list shows a secret: %+v", c)
		}
		got = append(got, c.Name+"/"+c.Role+"/"+c.Kind)
	}
	if want := "ann/viewer/certificate ann/viewer/token bob/deployer/token"; strings.Join(got, " ") != want {
		t.Errorf("list %v, want %s", got, want)
	}

	// A restart loads the tokens again.
	again, err := New(Options{Store: st, Nodes: is, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if id, _, err := again.PersonByToken(tok); err != nil || id.Name != "ann" {
		t.Errorf("ann's token after a restart: %+v %v", id, err)
	}

	del, err := u.Delete("ann")
	if err != nil {
		t.Fatal(err)
	}
	if len(del.RevokedSerials) != 1 || del.RevokedSerials[0] != cert.Serial || del.DeletedTokens != 1 {
		t.Errorf("deleted %+v", del)
	}
	if !is.Revoked(leaf.SerialNumber) {
		t.Error("ann's certificate is not revoked")
	}
	if _, known, err := u.PersonByToken(tok); !known || err == nil {
		t.Errorf("ann's token after the delete: known=%v %v", known, err)
	}
	if _, err := u.Delete("ann"); !errors.Is(err, apierrors.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	// ... and after a restart, both are still refused.
	is2, err := nodecreds.New(nodecreds.Options{Store: st, CA: is.CA(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	u2, err := New(Options{Store: st, Nodes: is2, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !is2.Revoked(leaf.SerialNumber) {
		t.Error("the revocation was lost on restart")
	}
	if _, known, err := u2.PersonByToken(tok); !known || err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("ann's token after the delete and a restart: known=%v %v", known, err)
	}
	if list, _ := u2.List(); len(list) != 1 || list[0].Name != "bob" {
		t.Errorf("list after the delete: %+v", list)
	}
}

func TestParseRequestRefuses(t *testing.T) {
	key, _ := pki.NewKey()
	csr, _ := pki.NewCSR(key, pki.UserSubject("ann", "viewer"), nil, nil)
	good := quote(string(csr))
	for _, tc := range []struct{ body, msg string }{
		{`{`, "bad request body"},
		{`{"name":"ann","role":"viewer","token":true,"extra":1}`, "unknown field"},
		{`{"name":"","role":"viewer","token":true}`, "name: user name is empty"},
		{`{"name":"node:a","role":"viewer","token":true}`, "reserved for nodes"},
		{`{"name":"a b","role":"viewer","token":true}`, "no spaces"},
		{`{"name":"admin-token","role":"viewer","token":true}`, "admin token"},
		{`{"name":"ann","role":"root","token":true}`, `role: unknown role "root"`},
		{`{"name":"ann","role":"viewer","ttl":"soon","token":true}`, "ttl:"},
		{`{"name":"ann","role":"viewer","ttl":"-1h","token":true}`, "not a positive duration"},
		{`{"name":"ann","role":"viewer"}`, "csr: missing"},
		{`{"name":"ann","role":"viewer","csr":"hello"}`, "csr:"},
		{`{"name":"ann","role":"viewer","token":true,"csr":` + good + `}`, "not both"},
		{`{"name":"ann","role":"viewer","token":true} {}`, "more than one"},
	} {
		_, err := ParseRequest([]byte(tc.body))
		if !apierrors.Is(err, apierrors.ReasonBadRequest) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%.60s: %v, want %q", tc.body, err, tc.msg)
		}
	}
	req, err := ParseRequest([]byte(`{"name":"ann","role":"viewer","csr":` + good + `}`))
	if err != nil || req.CSR == nil || req.TTL != pki.LeafLifetime {
		t.Errorf("good request: %+v %v", req, err)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// FuzzUserRequest: whatever the body, ParseRequest answers a BadRequest
// (or RequestTooLarge) or a request Create may act on.
func FuzzUserRequest(f *testing.F) {
	key, _ := pki.NewKey()
	csr, _ := pki.NewCSR(key, pki.UserSubject("ann", "viewer"), nil, nil)
	good, _ := json.Marshal(apitypes.UserRequest{Name: "ann", Role: "viewer", TTL: "720h", CSR: string(csr)})
	f.Add(good)
	f.Add([]byte(`{"name":"ci","role":"deployer","token":true}`))
	f.Add([]byte(`{"name":"ci","role":"deployer","ttl":"1ns","token":true}`))
	f.Add([]byte(`{"name":"system:x","role":"admin","token":true}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseRequest(body)
		if err != nil {
			if r := apierrors.ReasonOf(err); r != apierrors.ReasonBadRequest && r != apierrors.ReasonRequestTooLarge {
				t.Fatalf("error of reason %s: %v", r, err)
			}
			return
		}
		if pki.CheckRole(req.Role) != nil || req.TTL <= 0 || req.Name == "" || strings.HasPrefix(req.Name, pki.NodePrefix) || req.Name == authz.TokenUser {
			t.Fatalf("accepted %+v", req)
		}
		if req.CSR != nil && req.CSR.CheckSignature() != nil {
			t.Fatalf("accepted a CSR whose signature fails")
		}
	})
}
