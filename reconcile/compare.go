package reconcile

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// systemAnnotationPrefixes mark annotations the system writes on objects
// that also come from git (e.g. deployment.kubernetes.io/revision, and
// kubernetes.io/limit-ranger on a bare pod LimitRanger defaulted). The
// planner neither compares nor removes them unless the manifest sets them.
var systemAnnotationPrefixes = []string{"deployment.kubernetes.io/", "reconcile.dev/", "kubernetes.io/limit-ranger"}

func systemAnnotation(k string) bool {
	for _, p := range systemAnnotationPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// stamped returns a copy of o without system metadata, annotated with the
// source, path and commit (each only when non-empty).
func stamped(o objects.Object, source, path, commit string) objects.Object {
	c := objects.Copy(o)
	c.SetUID("")
	c.SetResourceVersion("")
	c.SetGeneration(0)
	c.SetCreationTimestamp(metav1.Time{})
	c.SetManagedFields(nil)
	objects.SetTypeMeta(c, objects.KindOf(o))
	a := make(map[string]string, len(o.GetAnnotations())+3)
	for k, v := range o.GetAnnotations() {
		a[k] = v
	}
	for k, v := range map[string]string{objects.AnnotationSource: source, objects.AnnotationSourcePath: path, objects.AnnotationCommit: commit} {
		if v != "" {
			a[k] = v
		}
	}
	c.SetAnnotations(a)
	return c
}

// merged is the object an update writes: the desired object stamped, plus
// what the system owns on the stored one (system annotations the manifest
// does not set, ownerReferences and finalizers when the manifest has none).
func merged(want, s objects.Object, source, path, commit string) objects.Object {
	next := stamped(want, source, path, commit)
	a := next.GetAnnotations()
	for k, v := range s.GetAnnotations() {
		if _, set := a[k]; !set && systemAnnotation(k) && k != objects.AnnotationSource && k != objects.AnnotationSourcePath {
			a[k] = v
		}
	}
	if len(next.GetOwnerReferences()) == 0 {
		next.SetOwnerReferences(s.GetOwnerReferences())
	}
	if len(next.GetFinalizers()) == 0 {
		next.SetFinalizers(s.GetFinalizers())
	}
	return next
}

// sameUserFields reports whether stored s already is desired d as the
// source would write it (ignoring the commit annotation).
func sameUserFields(d, s objects.Object, source, path string) bool {
	return sameMeta(d, s, source, path) && sameSpec(d, s)
}

// sameMeta compares the metadata a user writes: labels and annotations
// (with the source annotations as the source would stamp them).
func sameMeta(d, s objects.Object, source, path string) bool {
	if !sameStrings(d.GetLabels(), s.GetLabels()) {
		return false
	}
	want := d.GetAnnotations()
	have := s.GetAnnotations()
	expect := func(k string) (string, bool) {
		switch {
		case k == objects.AnnotationCommit:
			return "", false
		case k == objects.AnnotationSource && source != "":
			return source, true
		case k == objects.AnnotationSourcePath && path != "":
			return path, true
		}
		v, ok := want[k]
		return v, ok
	}
	n := 0
	for k, v := range have {
		w, ok := expect(k)
		switch {
		case ok && w != v:
			return false
		case ok:
			n++
		case k != objects.AnnotationCommit && !systemAnnotation(k):
			return false // an annotation the manifest dropped
		}
	}
	// Every expected annotation must be present: count them.
	m := 0
	for k := range want {
		if _, ok := expect(k); ok && !(k == objects.AnnotationSource && source != "") && !(k == objects.AnnotationSourcePath && path != "") {
			m++
		}
	}
	if source != "" {
		m++
	}
	if path != "" {
		m++
	}
	return n == m
}

// sameSpec compares everything outside TypeMeta, ObjectMeta and Status.
func sameSpec(a, b objects.Object) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	if va.Type() != vb.Type() {
		return false
	}
	for _, i := range store.SpecFields(va.Type()) {
		x, y := va.Field(i).Addr().Interface(), vb.Field(i).Addr().Interface() // pointers: no copy
		// reflect.DeepEqual is several times faster and right for the
		// common case; only when it says "different" may nil-vs-empty or
		// a quantity's cached string be the reason.
		if !reflect.DeepEqual(x, y) && !equality.Semantic.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// withSystemFields returns d, or a copy of d with the spec fields the
// system assigns (and the manifest left empty) taken from stored s, so a
// commit never undoes a scheduling decision or an allocated IP or port.
func withSystemFields(d, s objects.Object) objects.Object {
	switch dv := d.(type) {
	case *corev1.Pod:
		sv, ok := s.(*corev1.Pod)
		if !ok {
			return d
		}
		bind := dv.Spec.NodeName == "" && sv.Spec.NodeName != ""
		// Priority admission resolved the stored pod's class once; the
		// same class keeps that value (a class changed later does not
		// touch existing pods, as in Kubernetes).
		prio := dv.Spec.PriorityClassName == sv.Spec.PriorityClassName &&
			(dv.Spec.Priority == nil && sv.Spec.Priority != nil || dv.Spec.PreemptionPolicy == nil && sv.Spec.PreemptionPolicy != nil)
		// LimitRanger defaulted the stored pod's resources the manifest
		// leaves unset; they stay (a pod's resources are fixed at creation).
		limits := inheritsResources(dv, sv)
		if bind || prio || limits {
			c := dv.DeepCopy()
			if limits {
				inheritResources(c, sv)
			}
			if bind {
				c.Spec.NodeName = sv.Spec.NodeName
			}
			if prio && c.Spec.Priority == nil {
				c.Spec.Priority = sv.Spec.Priority
			}
			if prio && c.Spec.PreemptionPolicy == nil {
				c.Spec.PreemptionPolicy = sv.Spec.PreemptionPolicy
			}
			return c
		}
	case *corev1.Service:
		if sv, ok := s.(*corev1.Service); ok && serviceNeedsInherit(&dv.Spec, &sv.Spec) {
			c := dv.DeepCopy()
			inheritService(&c.Spec, &sv.Spec)
			return c
		}
	}
	return d
}

// inheritsResources reports whether stored pod s has container requests
// or limits that LimitRanger set (its kubernetes.io/limit-ranger
// annotation) and desired pod d leaves unset. Only those: a limit the
// user removed from git is removed.
func inheritsResources(d, s *corev1.Pod) bool {
	set := quota.DefaultedBy(s)
	if len(set) == 0 {
		return false
	}
	for _, dc := range [][]corev1.Container{d.Spec.Containers, d.Spec.InitContainers} {
		for i := range dc {
			for _, f := range set[dc[i].Name] {
				if _, ok := f.List(&dc[i].Resources)[f.Resource]; !ok {
					return true
				}
			}
		}
	}
	return false
}

// inheritResources copies into d's containers the requests and limits
// LimitRanger set on s's containers of the same name that d leaves unset.
func inheritResources(d, s *corev1.Pod) {
	set := quota.DefaultedBy(s)
	stored := map[string]*corev1.Container{}
	for _, sc := range [][]corev1.Container{s.Spec.Containers, s.Spec.InitContainers} {
		for i := range sc {
			stored[sc[i].Name] = &sc[i]
		}
	}
	for _, dc := range [][]corev1.Container{d.Spec.Containers, d.Spec.InitContainers} {
		for i := range dc {
			sc := stored[dc[i].Name]
			if sc == nil {
				continue
			}
			for _, f := range set[dc[i].Name] {
				v, ok := f.List(&sc.Resources)[f.Resource]
				if !ok {
					continue
				}
				if _, has := f.List(&dc[i].Resources)[f.Resource]; !has {
					f.Set(&dc[i].Resources, v.DeepCopy())
				}
			}
		}
	}
}

func serviceNeedsInherit(d, s *corev1.ServiceSpec) bool {
	c := d.DeepCopy()
	inheritService(c, s)
	return !equality.Semantic.DeepEqual(c, d)
}

func inheritService(d, s *corev1.ServiceSpec) {
	if d.ClusterIP == "" {
		d.ClusterIP = s.ClusterIP
	}
	if len(d.ClusterIPs) == 0 {
		d.ClusterIPs = s.ClusterIPs
	}
	if len(d.IPFamilies) == 0 {
		d.IPFamilies = s.IPFamilies
	}
	if d.IPFamilyPolicy == nil {
		d.IPFamilyPolicy = s.IPFamilyPolicy
	}
	if d.HealthCheckNodePort == 0 {
		d.HealthCheckNodePort = s.HealthCheckNodePort
	}
	for i := range d.Ports {
		if d.Ports[i].NodePort != 0 {
			continue
		}
		for _, sp := range s.Ports {
			if sp.Port == d.Ports[i].Port && sp.Protocol == d.Ports[i].Protocol {
				d.Ports[i].NodePort = sp.NodePort
			}
		}
	}
}

func sameStrings(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
