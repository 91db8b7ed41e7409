package usercreds

import (
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
)

// PersonByToken is authz.People: the identity of a person's bearer token,
// from memory (a SHA-256 and a map read). A string that is no token's
// form, or whose hash is unknown, is not known (the caller says "wrong
// token"); an expired token, or one of a deleted person, is known and an
// Unauthorized saying so.
func (u *Users) PersonByToken(bearer string) (authz.Identity, bool, error) {
	tok, err := jointoken.Parse(bearer)
	if err != nil {
		return authz.Identity{}, false, nil
	}
	h := jointoken.HashSecret(tok)
	u.mu.RLock()
	p, ok := u.tokens[h]
	d, gone := u.deleted[h]
	u.mu.RUnlock()
	switch {
	case ok && !u.now().Before(p.notAfter):
		return authz.Identity{}, true, apierrors.New(apierrors.ReasonUnauthorized, "the bearer token of user %q expired at %s: ask an admin for a new one (`reconcile user create %s --role %s --token`)", p.name, p.notAfter.UTC().Format(time.RFC3339), p.name, p.role)
	case ok:
		return authz.Identity{Name: p.name, Role: p.role}, true, nil
	case gone:
		return authz.Identity{}, true, apierrors.New(apierrors.ReasonUnauthorized, "the bearer token of user %q no longer works: the user was deleted at %s (`reconcile user delete`); ask an admin for new credentials", d.Name, d.DeletedAt.UTC().Format(time.RFC3339))
	}
	return authz.Identity{}, false, nil
}
