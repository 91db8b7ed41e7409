package usercreds

import (
	"slices"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// Create issues a credential for req's person and records it: a
// certificate for req.CSR's key, or a token. The answer carries the
// certificate and the CA, or the token: the only time a token is seen. A
// person has one role: another role for a known name is a Conflict (delete
// the person first).
func (u *Users) Create(req Request) (apitypes.UserCredential, error) {
	u.writes.Lock()
	defer u.writes.Unlock()
	now := u.now().UTC()
	out := apitypes.UserCredential{Name: req.Name, Role: req.Role, Created: now}
	var tok Token
	err := u.store.Update(func(tx *store.Tx) error {
		rec, err := record(tx, req.Name)
		if err != nil {
			return err
		}
		switch {
		case rec == nil:
			rec = &Record{Name: req.Name, Role: req.Role, Created: now}
		case rec.Role != req.Role:
			return apierrors.New(apierrors.ReasonConflict, "user %q has the role %s: a person has one role; to change it, `reconcile user delete %s` (that revokes the old credentials) and create it again", req.Name, rec.Role, req.Name)
		}
		if req.CSR == nil {
			t, err := jointoken.Generate("")
			if err != nil {
				return err
			}
			tok = Token{Hash: jointoken.HashSecret(t), IssuedAt: now, NotAfter: now.Add(req.TTL)}
			rec.Tokens = append(live(rec.Tokens, now), tok)
			out.Kind, out.Token, out.Expires = apitypes.UserKindToken, t.Bare(), tok.NotAfter
			out.CertificateAuthority = string(u.nodes.CA().CertPEM) // the config trusts the server by it
			return tx.PutMeta(userPrefix+req.Name, rec)
		}
		pr, err := credentials.UserRequest(req.Name, req.Role)
		if err != nil {
			return apierrors.New(apierrors.ReasonBadRequest, "%s", err)
		}
		pr.PublicKey, pr.Lifetime = req.CSR.PublicKey, req.TTL
		ca := u.nodes.CA()
		cert, err := ca.Issue(pr, now)
		if err != nil {
			return err
		}
		issued := nodecredsIssued(cert.SerialNumber, cert.NotAfter, now)
		rec.Certificates = append(rec.Certificates, issued)
		out.Kind, out.Serial, out.Expires = apitypes.UserKindCertificate, issued.Serial, issued.NotAfter
		out.Certificate, out.CertificateAuthority = string(pki.EncodeCert(cert.Raw)), string(ca.CertPEM)
		return tx.PutMeta(userPrefix+req.Name, rec)
	})
	if err != nil {
		return apitypes.UserCredential{}, err
	}
	if tok.Hash != "" {
		u.mu.Lock()
		u.tokens[tok.Hash] = person{name: req.Name, role: authz.Role(req.Role), notAfter: tok.NotAfter}
		u.mu.Unlock()
	}
	return out, nil
}

// live drops the tokens that ended before now: their hashes are of no use.
// (Certificates' serials stay until deletion, so that a certificate is
// revoked however its clock is skewed.)
func live(toks []Token, now time.Time) []Token {
	return slices.DeleteFunc(toks, func(t Token) bool { return !now.Before(t.NotAfter) })
}

// List returns every credential, by person then age, without secrets.
func (u *Users) List() ([]apitypes.UserCredential, error) {
	recs, err := u.records()
	if err != nil {
		return nil, err
	}
	out := []apitypes.UserCredential{}
	for _, r := range recs {
		var mine []apitypes.UserCredential
		for _, c := range r.Certificates {
			mine = append(mine, apitypes.UserCredential{Name: r.Name, Role: r.Role, Kind: apitypes.UserKindCertificate, Serial: c.Serial, Created: c.IssuedAt, Expires: c.NotAfter})
		}
		for _, t := range r.Tokens {
			mine = append(mine, apitypes.UserCredential{Name: r.Name, Role: r.Role, Kind: apitypes.UserKindToken, Created: t.IssuedAt, Expires: t.NotAfter})
		}
		slices.SortStableFunc(mine, func(a, b apitypes.UserCredential) int { return a.Created.Compare(b.Created) })
		out = append(out, mine...)
	}
	return out, nil
}
