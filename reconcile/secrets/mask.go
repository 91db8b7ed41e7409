package secrets

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Mask returns o with Secret values replaced by "(hidden: N bytes)" (a copy:
// stored objects are shared); other kinds come back as they are. The length
// is not a secret worth a round trip, and says that a key is set. No hash:
// a short password's hash can be guessed.
func Mask(o objects.Object) objects.Object {
	s, ok := o.(*corev1.Secret)
	if !ok || (len(s.Data) == 0 && len(s.StringData) == 0) {
		return o
	}
	c := s.DeepCopy()
	for k, v := range c.Data {
		c.Data[k] = []byte(hidden(len(v)))
	}
	for k, v := range c.StringData {
		c.StringData[k] = hidden(len(v))
	}
	return c
}

func hidden(n int) string { return fmt.Sprintf("(hidden: %d bytes; ask with --reveal)", n) }
