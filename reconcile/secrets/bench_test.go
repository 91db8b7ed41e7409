package secrets

import (
	"testing"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
)

// BenchmarkDecryptSecret decrypts a Secret of 4 values (one X25519 unwrap
// and one ChaCha20-Poly1305 open per value): the source loop's cost per
// changed Secret (unchanged ones are reused).
func BenchmarkDecryptSecret(b *testing.B) {
	id, _ := age.GenerateX25519Identity()
	s := &corev1.Secret{Data: map[string][]byte{}}
	for _, k := range []string{"a", "b", "c", "d"} {
		v, err := EncryptValue([]byte("value-of-"+k), id.Recipient().String())
		if err != nil {
			b.Fatal(err)
		}
		s.Data[k] = []byte(v)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := Decrypt(s, id); err != nil {
			b.Fatal(err)
		}
	}
}
