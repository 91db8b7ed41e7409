package objects

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Key identifies an object: kind, namespace (empty for cluster-scoped
// kinds) and name.
type Key struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// KeyOf returns the key of o.
func KeyOf(o Object) Key {
	return Key{Kind: KindOf(o), Namespace: o.GetNamespace(), Name: o.GetName()}
}

// String renders the key as Kind/namespace/name, or Kind/name when the
// object is cluster-scoped.
func (k Key) String() string {
	if k.Namespace == "" {
		return k.Kind + "/" + k.Name
	}
	return k.Kind + "/" + k.Namespace + "/" + k.Name
}

// ParseKey is the inverse of Key.String.
func ParseKey(s string) (Key, error) {
	p := strings.Split(s, "/")
	switch len(p) {
	case 2:
		return Key{Kind: p[0], Name: p[1]}, nil
	case 3:
		return Key{Kind: p[0], Namespace: p[1], Name: p[2]}, nil
	}
	return Key{}, fmt.Errorf("bad object key %q: want Kind/namespace/name or Kind/name", s)
}

// Less orders keys by apply order of their kinds, then namespace, then name.
func (k Key) Less(o Key) bool {
	ki, oi := kindOrder(k.Kind), kindOrder(o.Kind)
	if ki != oi {
		return ki < oi
	}
	if k.Namespace != o.Namespace {
		return k.Namespace < o.Namespace
	}
	return k.Name < o.Name
}

func kindOrder(kind string) int {
	for i, k := range kinds {
		if k.Kind == kind {
			return i
		}
	}
	return len(kinds)
}

func gvk(apiVersion, kind string) schema.GroupVersionKind {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return gv.WithKind(kind)
}
