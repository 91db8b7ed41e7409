package nodecreds

import (
	"errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/nodelease"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DeleteNode removes node from the cluster in one transaction: its Node,
// the pods bound to it (removed at once, as Kubernetes' pod garbage
// collector does for a deleted node, so their controllers make new ones
// elsewhere), and its credentials: every serial issued to it is revoked
// and refused from the next request on.
func (is *Issuer) DeleteNode(node string) (apitypes.NodeDeleted, error) {
	out := apitypes.NodeDeleted{Node: node, RevokedSerials: []string{}}
	now := is.now().UTC()
	err := is.store.Update(func(tx *store.Tx) error {
		out.RevokedSerials, out.DeletedPods = []string{}, 0
		rec, err := nodeRecord(tx, node)
		if err != nil {
			return err
		}
		err = tx.Delete(objects.Key{Kind: "Node", Name: node})
		switch {
		case errors.Is(err, store.ErrNotFound) && rec == nil:
			return apierrors.New(apierrors.ReasonNotFound, "node %q not found: it has neither joined nor registered (see `reconcile get nodes`)", node)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := tx.DeleteMeta(nodelease.Key(node)); err != nil { // its heartbeats' record
			return err
		}
		pods, err := tx.List("Pod", "")
		if err != nil {
			return err
		}
		for _, o := range pods {
			if p := o.(*corev1.Pod); p.Spec.NodeName == node {
				if err := tx.Delete(objects.KeyOf(p)); err != nil {
					return err
				}
				out.DeletedPods++
			}
		}
		if rec == nil {
			return nil
		}
		for _, s := range rec.Serials {
			if err := tx.PutMeta(revokedPrefix+s.Serial, Revocation{Node: node, RevokedAt: now, NotAfter: s.NotAfter}); err != nil {
				return err
			}
			out.RevokedSerials = append(out.RevokedSerials, s.Serial)
		}
		return tx.DeleteMeta(nodePrefix + node)
	})
	if err != nil {
		return out, err
	}
	is.mu.Lock()
	for _, s := range out.RevokedSerials {
		is.revoked[s] = true
	}
	is.mu.Unlock()
	if is.onRevoke != nil && len(out.RevokedSerials) > 0 {
		is.onRevoke(node)
	}
	return out, nil
}

// RevokeUser revokes the serials of the certificates issued to person user
// (reconcile/usercreds, `reconcile user delete`): stored as a node's are,
// and refused by Revoked from the next request on, so one revocation list
// serves nodes and people.
func (is *Issuer) RevokeUser(user string, serials []Issued) error {
	if len(serials) == 0 {
		return nil
	}
	now := is.now().UTC()
	err := is.store.Update(func(tx *store.Tx) error {
		for _, s := range serials {
			if err := tx.PutMeta(revokedPrefix+s.Serial, Revocation{User: user, RevokedAt: now, NotAfter: s.NotAfter}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	is.mu.Lock()
	for _, s := range serials {
		is.revoked[s.Serial] = true
	}
	is.mu.Unlock()
	return nil
}
