package nodecreds

import (
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// UseServerToken checks that bearer is a server join token (its
// description starts with jointoken.ServerDescription) that works now,
// and counts its use. A node's token is Forbidden: a server receives the
// cluster's keys.
func (is *Issuer) UseServerToken(bearer string) error {
	return is.store.Update(func(tx *store.Tx) error {
		tok, rec, err := checkToken(tx.GetMeta, bearer, is.now())
		if err != nil {
			return err
		}
		if !strings.HasPrefix(rec.Description, jointoken.ServerDescription) {
			return apierrors.New(apierrors.ReasonForbidden, "join token %q is a node's: a server joins with a server token, which receives the cluster's keys; make one with `reconcile token create --control-plane` on a running server", tok.ID)
		}
		_, _, err = useToken(tx, bearer, is.now())
		return err
	})
}
