package sources

import (
	"fmt"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/schema"
)

// SetIdentities gives the Manager the keys that decrypt "age:" Secret
// values (the controller's, from its data directory). Call before Run.
func (m *Manager) SetIdentities(ids ...age.Identity) { m.identities = ids }

// decryptSecrets decrypts the encrypted values of the commit's Secrets,
// after validation and before planning: only here do plaintexts exist
// outside the store. A Secret that cannot be decrypted refuses the commit
// like a validation error, at the manifest's file and line; the message
// names the key, never a value.
//
// The decrypted copy of an unchanged manifest is reused (keyed by the
// validator's cached object), so the planner's memo, which goes by object
// pointer, still skips unchanged Secrets and nothing is decrypted twice.
func (m *Manager) decryptSecrets(res schema.Result) ([]reconcile.Desired, []string) {
	m.decryptMu.Lock()
	defer m.decryptMu.Unlock()
	kept := map[*corev1.Secret]*corev1.Secret{}
	out := make([]reconcile.Desired, 0, len(res.Manifests))
	var errs []string
	for _, man := range res.Manifests {
		d := reconcile.Desired{Object: man.Object, Path: man.Path, Line: man.Line, Col: man.Col}
		if s, ok := man.Object.(*corev1.Secret); ok && secrets.HasEncrypted(s) {
			plain := m.decrypted[s]
			if plain == nil {
				var err error
				if plain, err = secrets.Decrypt(s, m.identities...); err != nil {
					errs = append(errs, fmt.Sprintf("%s:%d:1: Secret %s/%s: %v", man.Path, man.Line, s.Namespace, s.Name, err))
					continue
				}
				secrets.Seal(plain, s) // lets a live diff compare ciphertexts

			}
			kept[s] = plain
			d.Object = plain
		}
		out = append(out, d)
	}
	m.decrypted = kept
	return out, errs
}

// Identities returns the keys given to SetIdentities: the API server's
// live diff of Secrets (apiserver.SecretIdentities) compares with them.
func (m *Manager) Identities() []age.Identity { return m.identities }
