package usercreds

import (
	"crypto/x509"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/schema/excerpt"
)

// Request is a checked POST /api/v1/users: a certificate for CSR's key,
// or (CSR nil) a token.
type Request struct {
	Name, Role string
	TTL        time.Duration
	CSR        *x509.CertificateRequest
}

// ParseRequest decodes and checks the body of POST /api/v1/users: one JSON
// object, no unknown fields (nodecreds.DecodeStrict), a user name that
// cannot pass for a node, the controller or the admin token
// (credentials.CheckUserName, authz.TokenUser), a
// role, a positive ttl, and either a CSR (signature and key checked by
// pki.ParseCSR) or "token": true. Every error is a BadRequest naming the
// field.
func ParseRequest(body []byte) (Request, error) {
	var in apitypes.UserRequest
	if err := nodecreds.DecodeStrict(body, &in); err != nil {
		return Request{}, err
	}
	if err := credentials.CheckUserName(in.Name); err != nil {
		return Request{}, badRequest("name: %s", err)
	}
	if in.Name == authz.TokenUser {
		return Request{}, badRequest("name: %q is the name of the admin token's identity: pick another", in.Name)
	}
	if err := pki.CheckRole(in.Role); err != nil {
		return Request{}, badRequest("role: %s", err)
	}
	req := Request{Name: in.Name, Role: in.Role, TTL: pki.LeafLifetime}
	if in.TTL != "" {
		d, err := time.ParseDuration(in.TTL)
		if err != nil || d <= 0 {
			return Request{}, badRequest("ttl: %s is not a positive duration (e.g. 720h)", excerpt.Quote(in.TTL))
		}
		req.TTL = d
	}
	switch {
	case in.Token && in.CSR != "":
		return Request{}, badRequest("csr and token: ask for a certificate (csr) or a token, not both")
	case in.Token:
		return req, nil
	case in.CSR == "":
		return Request{}, badRequest("csr: missing: a PEM certificate signing request made with the person's key, or \"token\": true for a bearer token")
	}
	csr, err := pki.ParseCSR([]byte(in.CSR))
	if err != nil {
		return Request{}, badRequest("csr: %s", err)
	}
	req.CSR = csr
	return req, nil
}

func badRequest(format string, args ...any) error {
	return apierrors.New(apierrors.ReasonBadRequest, format, args...)
}
