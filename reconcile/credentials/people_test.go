package credentials

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// fakeAPI signs as the controller would, and remembers what it was sent.
type fakeAPI struct {
	ca   *pki.CA
	sent apitypes.UserRequest
}

func (f *fakeAPI) CreateUser(_ context.Context, req apitypes.UserRequest) (apitypes.UserCredential, error) {
	f.sent = req
	if req.Token {
		return apitypes.UserCredential{Name: req.Name, Role: req.Role, Kind: apitypes.UserKindToken, Token: "abcdef.0123456789abcdef", CertificateAuthority: string(f.ca.CertPEM)}, nil
	}
	csr, err := pki.ParseCSR([]byte(req.CSR))
	if err != nil {
		return apitypes.UserCredential{}, err
	}
	c, err := f.ca.Issue(pki.Request{Subject: pki.UserSubject(req.Name, req.Role), PublicKey: csr.PublicKey, Usage: pki.ClientAuth}, time.Now())
	if err != nil {
		return apitypes.UserCredential{}, err
	}
	return apitypes.UserCredential{Name: req.Name, Role: req.Role, Kind: apitypes.UserKindCertificate, Certificate: string(pki.EncodeCert(c.Raw)), CertificateAuthority: string(f.ca.CertPEM)}, nil
}

func TestRequestUser(t *testing.T) {
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	api := &fakeAPI{ca: ca}
	ctx := context.Background()

	c, err := RequestUser(ctx, api, "https://10.0.0.1:7420", "", "ann", "viewer", time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(api.sent.CSR, "PRIVATE KEY") || api.sent.TTL != "1h0m0s" || api.sent.Token {
		t.Errorf("sent %+v", api.sent)
	}
	if c.Token != "" || c.Server() != "https://10.0.0.1:7420" || c.CertificateAuthority != string(ca.CertPEM) {
		t.Errorf("certificate config %+v", c)
	}
	if _, err := c.TLSConfig(); err != nil {
		t.Errorf("the key does not match the certificate: %v", err)
	}

	c, err = RequestUser(ctx, api, "https://10.0.0.1:7420", "", "ci", "deployer", 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if api.sent.CSR != "" || api.sent.TTL != "" || c.Token != "abcdef.0123456789abcdef" || c.ClientCertificate != "" || c.ClientKey != "" || c.CertificateAuthority == "" {
		t.Errorf("token config %+v, sent %+v", c, api.sent)
	}

	for _, tc := range []struct{ name, role, msg string }{
		{"ann", "root", "unknown role"},
		{"node:x", "viewer", "reserved"},
	} {
		api.sent = apitypes.UserRequest{}
		if _, err := RequestUser(ctx, api, "https://x:1", "", tc.name, tc.role, 0, true); err == nil || !strings.Contains(err.Error(), tc.msg) || api.sent.Name != "" {
			t.Errorf("%s/%s: %v (sent %+v)", tc.name, tc.role, err, api.sent)
		}
	}
}
