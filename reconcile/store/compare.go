package store

import (
	"log"
	"reflect"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The store compares objects with equality.Semantic, Kubernetes' deep
// equality: quantities compare by value ("1" == "1000m") and nil equals
// empty for maps and slices, which is what a JSON round trip produces.

// sameObject reports whether a and b are equal in everything.
func sameObject(a, b objects.Object) bool { return equality.Semantic.DeepEqual(a, b) }

// sameSpec reports whether a and b agree in everything but metadata and
// status: the part whose change bumps the generation.
func sameSpec(a, b objects.Object) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	if va.Type() != vb.Type() {
		return false
	}
	for _, i := range SpecFields(va.Type()) {
		if !equality.Semantic.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return false
		}
	}
	return true
}

// copyStatus sets dst's Status field (if the kind has one) to src's.
func copyStatus(dst, src objects.Object) {
	vd, vs := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	if vd.Type() != vs.Type() {
		return
	}
	if f := vd.FieldByName("Status"); f.IsValid() {
		f.Set(vs.FieldByName("Status"))
	}
}

var specFieldCache sync.Map // reflect.Type → []int

// SpecFields lists the struct fields of an object type other than
// TypeMeta, ObjectMeta and Status (Spec, Data, Type, Subsets, …): what a
// generation counts and a planner compares.
func SpecFields(t reflect.Type) []int {
	if v, ok := specFieldCache.Load(t); ok {
		return v.([]int)
	}
	var idx []int
	for i := 0; i < t.NumField(); i++ {
		switch t.Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
		default:
			idx = append(idx, i)
		}
	}
	specFieldCache.Store(t, idx)
	return idx
}

func logf(format string, args ...any) { log.Printf(format, args...) }
