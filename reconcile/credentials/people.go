package credentials

import (
	"context"
	"fmt"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// UserIssuer is the controller's API as `reconcile user create` uses it
// (apiclient.Client.CreateUser): the running controller issues and records
// people's credentials, the one process that may write its store.
type UserIssuer interface {
	CreateUser(ctx context.Context, req apitypes.UserRequest) (apitypes.UserCredential, error)
}

// RequestUser asks api for a credential of person name with role, lasting
// ttl (zero: the controller's default, a year), and returns the person's
// client config naming server: with token, a bearer token and the CA (no
// certificate); else a certificate for a key made here (only its CSR is
// sent: the key never leaves this machine) and the key. ca is the cluster
// CA (PEM) the config trusts when the answer carries none (a token's).
func RequestUser(ctx context.Context, api UserIssuer, server, ca, name, role string, ttl time.Duration, token bool) (*clientconfig.Config, error) {
	req, err := UserRequest(name, role) // refuse here what the controller would refuse
	if err != nil {
		return nil, err
	}
	if ttl < 0 {
		return nil, fmt.Errorf("--ttl %s: want a positive duration", ttl)
	}
	in := apitypes.UserRequest{Name: name, Role: role, Token: token}
	if ttl > 0 {
		in.TTL = ttl.String()
	}
	var keyPEM []byte
	if !token {
		key, err := pki.NewKey()
		if err != nil {
			return nil, err
		}
		csr, err := pki.NewCSR(key, req.Subject, nil, nil)
		if err != nil {
			return nil, err
		}
		if keyPEM, err = pki.EncodeKey(key); err != nil {
			return nil, err
		}
		in.CSR = string(csr)
	}
	out, err := api.CreateUser(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("asking the controller for user %q's credentials: %w", name, err)
	}
	c := clientconfig.New(out.Token, server)
	c.CertificateAuthority = ca
	if out.CertificateAuthority != "" {
		c.CertificateAuthority = out.CertificateAuthority
	}
	if !token {
		if out.Certificate == "" {
			return nil, fmt.Errorf("the controller answered no certificate for user %q", name)
		}
		c.ClientCertificate, c.ClientKey = out.Certificate, string(keyPEM)
	} else if out.Token == "" {
		return nil, fmt.Errorf("the controller answered no token for user %q", name)
	}
	return c, nil
}
