package authz

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestAudienceIsVisibilityForEveryNode: AudienceOf(o).Has(node) is
// Visibility(node)(o) for every object and node of a graph with plain,
// adopted (owned, orphaned) and unbound pods, Ingress TLS Secrets, and
// kinds no node reads.
func TestAudienceIsVisibilityForEveryNode(t *testing.T) {
	g := testGraph()
	yes := true
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "rs", UID: "u-rs"},
		Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c",
			EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-secret"}}}}}}}}}}
	objects.SetTypeMeta(rs, "ReplicaSet")
	g.owners = append(g.owners, rs)
	stealing := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", EnvFrom: []corev1.EnvFromSource{
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-secret"}}},
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "stolen"}}}}}}}
	owned := testPod("shop", "owned", "c", stealing)
	owned.Annotations = map[string]string{objects.AnnotationAdoptedFromNode: "c"}
	owned.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "rs", UID: "u-rs", Controller: &yes}}
	orphan := testPod("shop", "orphan", "d", stealing)
	orphan.Annotations = map[string]string{objects.AnnotationAdoptedFromNode: "d"}
	g.pods["c"] = []*corev1.Pod{owned}
	g.pods["d"] = []*corev1.Pod{orphan}
	unbound := testPod("shop", "pending", "", stealing)
	g.pods[""] = []*corev1.Pod{unbound}
	elsewhere := testPod("other", "x", "b", corev1.PodSpec{ImagePullSecrets: []corev1.LocalObjectReference{{Name: "db"}}})
	g.pods["b"] = append(g.pods["b"], elsewhere)

	meta := func(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }
	objs := []objects.Object{
		g.pods["a"][0], g.pods["b"][0], owned, orphan, unbound, elsewhere,
		&corev1.ConfigMap{ObjectMeta: meta("shop", "cfg")}, &corev1.ConfigMap{ObjectMeta: meta("shop", "db")},
		&corev1.ConfigMap{ObjectMeta: meta("other", "cfg")},
	}
	for _, name := range []string{"db", "pull", "tls", "other-db", "site-tls", "app-secret", "stolen", "nobody"} {
		objs = append(objs, &corev1.Secret{ObjectMeta: meta("shop", name)}, &corev1.Secret{ObjectMeta: meta("other", name)})
	}
	objs = append(objs, &corev1.Node{ObjectMeta: meta("", "a")}, &corev1.Service{ObjectMeta: meta("shop", "web")},
		&corev1.Endpoints{ObjectMeta: meta("shop", "web")}, &networkingv1.Ingress{ObjectMeta: meta("shop", "site")},
		&networkingv1.IngressClass{ObjectMeta: meta("", "reconcile")}, rs, &corev1.Event{ObjectMeta: meta("shop", "e")},
		&appsv1.Deployment{ObjectMeta: meta("shop", "web")})
	all := func(ns string) []*corev1.Pod {
		var out []*corev1.Pod
		for _, pods := range g.pods {
			for _, p := range pods {
				if p.Namespace == ns {
					out = append(out, p)
				}
			}
		}
		return out
	}
	nodes := []string{"a", "b", "c", "d", "e"}
	for _, o := range objs {
		var pods []*corev1.Pod
		if NeedsPods(o) {
			pods = all(o.GetNamespace())
		}
		aud, err := AudienceOf(o, pods, g)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			want, err := Visibility(Identity{Name: "node:" + n, Role: RoleNode, Node: n}, g)(o)
			if err != nil {
				t.Fatal(err)
			}
			if got := aud.Has(n); got != want {
				t.Errorf("%T %s/%s: audience has node %s: %v, Visibility says %v", o, o.GetNamespace(), o.GetName(), n, got, want)
			}
		}
	}
}
