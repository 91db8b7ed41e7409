package nodecreds

import (
	"crypto/x509"
	"errors"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Join admits a node: bearer is the join token (Authorization header), req
// a checked request (ParseJoinRequest). The name must be free, or held by
// the same key (a host joining again gets a fresh certificate for the key
// it has). A Node of that name registered without joining (the local agent
// of `reconcile up` before nodes joined) holds its name too, except against
// up's own one-use token (jointoken.LocalDescription), which takes it over.
func (is *Issuer) Join(bearer string, req Request) (apitypes.Certificate, error) {
	var out apitypes.Certificate
	now := is.now()
	err := is.store.Update(func(tx *store.Tx) error {
		tok, tokRec, err := useToken(tx, bearer, now)
		if err != nil {
			return err
		}
		rec, err := nodeRecord(tx, req.Node)
		if err != nil {
			return err
		}
		key := KeyHash(req.CSR)
		switch {
		case rec != nil && rec.KeyHash != key:
			return apierrors.New(apierrors.ReasonConflict, "node %q has already joined with another key: if this is a new host or its data directory was lost, run `reconcile node delete %s` on the controller first (that revokes the old credentials), then join again; else pick another --node name", req.Node, req.Node)
		case rec == nil:
			_, err := tx.Get(objects.Key{Kind: "Node", Name: req.Node})
			switch {
			case err == nil && tokRec.Description == jointoken.LocalDescription:
				// `reconcile up` upgraded over a data directory whose agent
				// registered before nodes joined: the same machine's node.
			case err == nil:
				return apierrors.New(apierrors.ReasonConflict, "a node %q is registered that did not join with a token (the controller's own agent?): pick another --node name, or `reconcile node delete %s` first", req.Node, req.Node)
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			rec = &NodeRecord{Node: req.Node, KeyHash: key}
		}
		rec.Token = tok.ID
		cert, err := is.issue(tx, rec, req, now)
		if err != nil {
			return err
		}
		out = is.answer(req.Node, cert)
		return nil
	})
	return out, err
}

// Renew issues node a certificate for a new key; presented is the
// certificate the node authenticated with (its verified leaf), which must
// be this node's and not revoked (the caller checked the chain).
func (is *Issuer) Renew(presented *x509.Certificate, req Request) (apitypes.Certificate, error) {
	var out apitypes.Certificate
	if pki.NodeName(presented.Subject) != req.Node {
		return out, apierrors.New(apierrors.ReasonForbidden, "%s may renew only its own certificate, not node %q's", presented.Subject.CommonName, req.Node)
	}
	if is.Revoked(presented.SerialNumber) {
		return out, apierrors.New(apierrors.ReasonUnauthorized, "the certificate of node %q was revoked (the node was deleted): join again with a token", req.Node)
	}
	now := is.now()
	err := is.store.Update(func(tx *store.Tx) error {
		rec, err := nodeRecord(tx, req.Node)
		if err != nil {
			return err
		}
		if rec == nil {
			// Offline-provisioned credentials (`reconcile node credentials`)
			// have no record: the verified, unrevoked certificate proves the
			// node; from now on its serials are recorded (and revocable).
			rec = &NodeRecord{Node: req.Node, Serials: []Issued{{Serial: pki.SerialString(presented.SerialNumber), NotAfter: presented.NotAfter.UTC()}}}
		}
		rec.KeyHash = KeyHash(req.CSR)
		cert, err := is.issue(tx, rec, req, now)
		if err != nil {
			return err
		}
		out = is.answer(req.Node, cert)
		return nil
	})
	return out, err
}

// issue signs req for rec's node, records the serial (dropping expired
// ones) and stores rec, in tx.
func (is *Issuer) issue(tx *store.Tx, rec *NodeRecord, req Request, now time.Time) (*x509.Certificate, error) {
	pr := credentials.NodeRequest(req.Node, req.IPs) // NodeSubject, ClientAuth|ServerAuth
	pr.PublicKey, pr.Lifetime = req.CSR.PublicKey, is.lifetime
	cert, err := is.ca.Issue(pr, now)
	if err != nil {
		return nil, err
	}
	kept := rec.Serials[:0]
	for _, s := range rec.Serials {
		if s.NotAfter.After(now) {
			kept = append(kept, s)
		}
	}
	rec.Serials = append(kept, Issued{Serial: pki.SerialString(cert.SerialNumber), NotAfter: cert.NotAfter.UTC(), IssuedAt: now.UTC()})
	return cert, tx.PutMeta(nodePrefix+req.Node, rec)
}

func (is *Issuer) answer(node string, cert *x509.Certificate) apitypes.Certificate {
	return apitypes.Certificate{Node: node, Certificate: string(pki.EncodeCert(cert.Raw)),
		CertificateAuthority: string(is.ca.CertPEM), NotAfter: cert.NotAfter.UTC()}
}
