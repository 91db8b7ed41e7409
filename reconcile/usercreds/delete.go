package usercreds

import (
	"fmt"
	"math/big"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

func nodecredsIssued(serial *big.Int, notAfter, now time.Time) nodecreds.Issued {
	return nodecreds.Issued{Serial: pki.SerialString(serial), NotAfter: notAfter.UTC(), IssuedAt: now}
}

// Delete removes person name and everything it could authenticate with:
// its tokens stop working at once (the in-memory map), its certificates'
// serials are revoked (nodecreds.Issuer.RevokeUser) before the record
// goes, so a failure half-way leaves them refused rather than working.
func (u *Users) Delete(name string) (apitypes.UserDeleted, error) {
	u.writes.Lock()
	defer u.writes.Unlock()
	out := apitypes.UserDeleted{Name: name, RevokedSerials: []string{}}
	var rec Record
	found, err := u.store.GetMeta(userPrefix+name, &rec)
	if err != nil {
		return out, err
	}
	if !found {
		return out, apierrors.New(apierrors.ReasonNotFound, "user %q not found: it has no credentials the controller issued (see `reconcile user list`; certificates made offline before users were recorded cannot be revoked by name: rotate the CA to drop them)", name)
	}
	if err := u.nodes.RevokeUser(name, rec.Certificates); err != nil {
		return out, fmt.Errorf("revoking the certificates of user %q: %w", name, err)
	}
	now := u.now().UTC()
	err = u.store.Update(func(tx *store.Tx) error {
		for _, t := range rec.Tokens {
			if err := tx.PutMeta(deletedPrefix+t.Hash, Deleted{Name: name, DeletedAt: now, NotAfter: t.NotAfter}); err != nil {
				return err
			}
		}
		return tx.DeleteMeta(userPrefix + name)
	})
	// The tokens stop working now, stored or not: the record of a
	// failed delete still lists them, and the next start loads them again.
	u.mu.Lock()
	for _, t := range rec.Tokens {
		delete(u.tokens, t.Hash)
		u.deleted[t.Hash] = Deleted{Name: name, DeletedAt: now, NotAfter: t.NotAfter}
	}
	u.mu.Unlock()
	if err != nil {
		return out, err
	}
	for _, c := range rec.Certificates {
		out.RevokedSerials = append(out.RevokedSerials, c.Serial)
	}
	out.DeletedTokens = len(rec.Tokens)
	return out, nil
}
