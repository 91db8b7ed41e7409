package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// SealedAnnotation, on a stored Secret, is the hash of the encrypted values
// it was decrypted from (SealedHash of the manifest). A live diff, which
// cannot decrypt, compares it instead of the values: same ciphertexts,
// same Secret. A hash of ciphertexts tells nothing about the plaintexts.
const SealedAnnotation = "reconcile.dev/sealed-sha256"

// SealedHash hashes a Secret's values as written in git (keys sorted).
func SealedHash(s *corev1.Secret) string {
	h := sha256.New()
	write := func(prefix string, m map[string][]byte) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			h.Write([]byte(prefix + k + "\x00"))
			h.Write(m[k])
			h.Write([]byte{0})
		}
	}
	write("data.", s.Data)
	sd := make(map[string][]byte, len(s.StringData))
	for k, v := range s.StringData {
		sd[k] = []byte(v)
	}
	write("stringData.", sd)
	return hex.EncodeToString(h.Sum(nil))
}

// Seal marks a decrypted copy with the hash of the manifest it came from.
func Seal(plain, manifest *corev1.Secret) {
	if plain.Annotations == nil {
		plain.Annotations = map[string]string{}
	}
	plain.Annotations[SealedAnnotation] = SealedHash(manifest)
}
