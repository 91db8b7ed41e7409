package secrets

import (
	"crypto/subtle"
	"sort"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
)

// KeyState is what a live diff says about one key of a Secret: never its
// value, nor a hash of it.
type KeyState string

// The states of a key, desired (git) against stored (the controller).
const (
	KeyUnchanged KeyState = "unchanged"
	KeyChanged   KeyState = "changed"
	KeyAdded     KeyState = "added"   // in git, not stored
	KeyRemoved   KeyState = "removed" // stored, not in git
)

// Comparison is the answer of POST /api/v1/diff/secrets for one Secret.
type Comparison struct {
	Namespace string              `json:"namespace"`
	Name      string              `json:"name"`
	Stored    bool                `json:"stored"` // false: the Secret would be created
	Keys      map[string]KeyState `json:"keys"`
	// Errors name the keys whose encrypted value the controller cannot
	// decrypt ("data.k: encrypted to another key: …"), never a value.
	Errors []string `json:"errors,omitempty"`
}

// DiffRequest is the body of POST /api/v1/diff/secrets: the Secrets as the
// CLI has them after validation (values plain or "age:" ciphertexts).
type DiffRequest struct {
	Secrets []*corev1.Secret `json:"secrets"`
}

// DiffResponse answers a DiffRequest, one Comparison per Secret, in order.
type DiffResponse struct {
	Secrets []Comparison `json:"secrets"`
}

// Compare tells, key by key, whether applying desired would change stored
// (nil: not stored). Encrypted values are compared by the sealed hash when
// the whole Secret's ciphertexts are those the stored copy was decrypted
// from, else decrypted with ids and compared in constant time. Pure but for
// the decryption.
func Compare(desired, stored *corev1.Secret, ids ...age.Identity) Comparison {
	c := Comparison{Namespace: desired.Namespace, Name: desired.Name, Stored: stored != nil, Keys: map[string]KeyState{}}
	want := values(desired)
	if stored == nil {
		for k := range want {
			c.Keys[k] = KeyAdded
		}
		return c
	}
	have := values(stored)
	sealed := HasEncrypted(desired) && stored.Annotations[SealedAnnotation] == SealedHash(desired)
	for k, v := range want {
		old, ok := have[k]
		switch {
		case !ok:
			c.Keys[k] = KeyAdded
		case sealed:
			c.Keys[k] = KeyUnchanged // the very ciphertexts the stored values came from
		default:
			if IsEncrypted(v) {
				p, err := DecryptValue(v, ids...)
				if err != nil {
					c.Errors = append(c.Errors, "data."+k+": "+err.Error())
					c.Keys[k] = KeyChanged
					continue
				}
				v = p
			}
			if subtle.ConstantTimeCompare(v, old) == 1 {
				c.Keys[k] = KeyUnchanged
			} else {
				c.Keys[k] = KeyChanged
			}
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			c.Keys[k] = KeyRemoved
		}
	}
	sort.Strings(c.Errors)
	return c
}

// values merges stringData into data, as the API server does on write.
func values(s *corev1.Secret) map[string][]byte {
	out := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		out[k] = v
	}
	for k, v := range s.StringData {
		out[k] = []byte(v)
	}
	return out
}

// changedPlaceholder stands, in a live plan, for a value the controller
// said differs: it differs from any masked stored value.
const changedPlaceholder = "(changed)"

// ForLivePlan rewrites a desired Secret for a live plan against stored
// (masked by the API; nil when absent) after the controller compared them
// (cmp): unchanged keys take the stored value, changed and added keys a
// placeholder; an encrypted Secret carries the sealed annotation the
// controller stores with it. No value of desired survives.
func ForLivePlan(desired, stored *corev1.Secret, cmp Comparison) *corev1.Secret {
	c := desired.DeepCopy()
	if HasEncrypted(desired) {
		Seal(c, desired)
	}
	c.StringData = nil
	c.Data = make(map[string][]byte, len(cmp.Keys))
	for k, st := range cmp.Keys {
		switch {
		case st == KeyRemoved:
		case st == KeyUnchanged && stored != nil:
			if v, ok := stored.Data[k]; ok {
				c.Data[k] = v
			} else {
				c.Data[k] = []byte(stored.StringData[k])
			}
		default:
			c.Data[k] = []byte(changedPlaceholder)
		}
	}
	return c
}
