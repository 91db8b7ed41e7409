package authz

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestAdmit(t *testing.T) {
	nodeA := Identity{Name: "node:a", Role: RoleNode, Node: "a"}
	node := func(name, cidr string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: cidr}}
	}
	event := func(ns, kind, ins, name string) *corev1.Event {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "e.1"},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ins, Name: name}}
	}
	for _, tc := range []struct {
		name      string
		id        Identity
		method, u string
		obj, old  objects.Object
		err       string // "" = admitted
	}{
		{"register itself", nodeA, "POST", "/api/v1/nodes", node("a", ""), nil, ""},
		{"re-register, podCIDR as stored", nodeA, "POST", "/api/v1/nodes", node("a", "10.244.1.0/24"), node("a", "10.244.1.0/24"), ""},
		{"register another node", nodeA, "POST", "/api/v1/nodes", node("b", ""), nil, `may register only itself, not "b"`},
		{"set its podCIDR", nodeA, "POST", "/api/v1/nodes", node("a", "10.244.9.0/24"), node("a", "10.244.1.0/24"), "may not set spec.podCIDR"},
		{"admin registers any node", Identity{Name: "x", Role: RoleAdmin}, "POST", "/api/v1/nodes", node("b", "10.0.0.0/24"), nil, ""},
		{"adopt its pod", nodeA, "POST", "/api/v1/pods/adopt", testPod("shop", "x", "a", corev1.PodSpec{}), nil, ""},
		{"adopt another node's pod", nodeA, "POST", "/api/v1/pods/adopt", testPod("shop", "x", "b", corev1.PodSpec{}), nil, "may adopt only pods bound to it"},
		{"event about its pod", nodeA, "POST", "/api/v1/events", event("shop", "Pod", "shop", "web"), nil, ""},
		{"event about its Node", nodeA, "POST", "/api/v1/events", event("default", "Node", "", "a"), nil, ""},
		{"event about another node's pod", nodeA, "POST", "/api/v1/events", event("shop", "Pod", "shop", "other"), nil, "no pod shop/other is bound to node a"},
		{"event about another Node", nodeA, "POST", "/api/v1/events", event("default", "Node", "", "b"), nil, `events about its own Node only, not about node "b"`},
		{"event in another namespace than its pod", nodeA, "POST", "/api/v1/events", event("default", "Pod", "shop", "web"), nil, "is not its pod's"},
		{"count its event again", nodeA, "POST", "/api/v1/events", event("shop", "Pod", "shop", "web"), event("shop", "Pod", "shop", "web"), ""},
		{"take over another pod's event", nodeA, "POST", "/api/v1/events", event("shop", "Pod", "shop", "web"), event("shop", "Pod", "shop", "other"), "is about Pod shop/other"},
		{"event about a Deployment", nodeA, "POST", "/api/v1/events", event("shop", "Deployment", "shop", "web"), nil, "not about a Deployment"},
	} {
		u, _ := url.Parse(tc.u)
		a, err := ParseRequest(tc.method, u)
		if err != nil {
			t.Fatal(err)
		}
		err = Admit(tc.id, a, tc.obj, tc.old, testGraph())
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, apierrors.ErrForbidden)):
			t.Errorf("%s: %v, want a Forbidden saying %q", tc.name, err, tc.err)
		}
	}
}

func TestVisibility(t *testing.T) {
	secret := func(ns, name string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	cm := func(ns, name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	g := testGraph()
	nodeA := Visibility(Identity{Name: "node:a", Role: RoleNode, Node: "a"}, g)
	viewer := Visibility(Identity{Name: "v", Role: RoleViewer}, g)
	for _, tc := range []struct {
		obj  objects.Object
		want bool
	}{
		{testPod("shop", "web", "a", corev1.PodSpec{}), true},
		{testPod("shop", "other", "b", corev1.PodSpec{}), false},
		{testPod("shop", "pending", "", corev1.PodSpec{}), false},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b"}}, true},
		{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "s"}}, true},
		{&corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "s"}}, true},
		{secret("shop", "db"), true},
		{secret("shop", "pull"), true},
		{secret("shop", "tls"), true},
		{secret("shop", "other-db"), false},
		{secret("shop", "site-tls"), true},     // Ingress shop/site's tls: the ingress proxy serves it
		{secret("default", "site-tls"), false}, // same name, no Ingress there
		{&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "i"}}, true},
		{&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, true},
		{secret("default", "db"), false},
		{cm("shop", "cfg"), true},
		{cm("shop", "db"), false}, // a Secret's name is no ConfigMap reference
		{&corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "e"}}, false},
	} {
		got, err := nodeA(tc.obj)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("node a sees %T %s/%s: %v, want %v", tc.obj, tc.obj.GetNamespace(), tc.obj.GetName(), got, tc.want)
		}
		if ok, _ := viewer(tc.obj); !ok {
			t.Errorf("a viewer does not see %T %s", tc.obj, tc.obj.GetName())
		}
	}
}

func TestReferencesOf(t *testing.T) {
	opt := true
	p := testPod("ns", "p", "a", corev1.PodSpec{
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: "s-pull"}},
		Volumes: []corev1.Volume{
			{Name: "1", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s-vol"}}},
			{Name: "2", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c-vol"}}}},
			{Name: "3", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "s-proj"}}},
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "c-proj"}}}}}}},
		},
		InitContainers: []corev1.Container{{Name: "i", EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c-init"}, Optional: &opt}}}}},
		Containers: []corev1.Container{{Name: "c",
			EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s-envfrom"}}}},
			Env: []corev1.EnvVar{
				{Name: "A", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s-env"}}}},
				{Name: "B", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "c-env"}}}},
				{Name: "C", Value: "plain"},
			}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "e",
			Env: []corev1.EnvVar{{Name: "D", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s-eph"}}}}}}}},
	})
	r := ReferencesOf(p)
	wantS := []string{"s-pull", "s-vol", "s-proj", "s-envfrom", "s-env", "s-eph"}
	wantC := []string{"c-vol", "c-proj", "c-init", "c-env"}
	if len(r.Secrets) != len(wantS) || len(r.ConfigMaps) != len(wantC) {
		t.Fatalf("references %+v, want secrets %v and configmaps %v", r, wantS, wantC)
	}
	for _, s := range wantS {
		if !r.Secrets[s] {
			t.Errorf("secret %s not referenced", s)
		}
	}
	for _, c := range wantC {
		if !r.ConfigMaps[c] {
			t.Errorf("configmap %s not referenced", c)
		}
	}
}

// TestAdoptedPodsGrantOnlyWhatTheirControllerReferences: a pod a node
// reported for adoption lets it read a Secret only when the pod's
// controller's template references it too.
func TestAdoptedPodsGrantOnlyWhatTheirControllerReferences(t *testing.T) {
	envFrom := func(names ...string) []corev1.Container {
		c := corev1.Container{Name: "c"}
		for _, n := range names {
			c.EnvFrom = append(c.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: n}}})
		}
		return []corev1.Container{c}
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "rs", UID: "u-rs"},
		Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: envFrom("app-secret")}}}}
	objects.SetTypeMeta(rs, "ReplicaSet")
	yes := true
	adopted := func(name string, owner *metav1.OwnerReference) *corev1.Pod {
		p := testPod("shop", name, "a", corev1.PodSpec{Containers: envFrom("app-secret", "stolen")})
		p.Annotations = map[string]string{objects.AnnotationAdoptedFromNode: "a"}
		if owner != nil {
			p.OwnerReferences = []metav1.OwnerReference{*owner}
		}
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want map[string]bool // secret → visible
	}{
		{"owned by the ReplicaSet", adopted("owned", &metav1.OwnerReference{Kind: "ReplicaSet", Name: "rs", UID: "u-rs", Controller: &yes}),
			map[string]bool{"app-secret": true, "stolen": false}},
		{"no controller yet", adopted("orphan", nil), map[string]bool{"app-secret": false, "stolen": false}},
		{"a controller of another uid", adopted("stale", &metav1.OwnerReference{Kind: "ReplicaSet", Name: "rs", UID: "old", Controller: &yes}),
			map[string]bool{"app-secret": false, "stolen": false}},
		{"not adopted: its own references", func() *corev1.Pod {
			p := adopted("plain", nil)
			p.Annotations = nil
			return p
		}(), map[string]bool{"app-secret": true, "stolen": true}},
	} {
		g := graph{pods: map[string][]*corev1.Pod{"a": {tc.pod}}, owners: []objects.Object{rs}}
		see := Visibility(Identity{Name: "node:a", Role: RoleNode, Node: "a"}, g)
		for name, want := range tc.want {
			got, err := see(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}})
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: node a sees secret %s: %v, want %v", tc.name, name, got, want)
			}
			u, _ := url.Parse("/api/v1/secrets/" + name + "?namespace=shop&reveal=true")
			a, _ := ParseRequest("GET", u)
			if d, _ := Authorize(Identity{Name: "node:a", Role: RoleNode, Node: "a"}, a, g); d.Allowed != want {
				t.Errorf("%s: node a may get secret %s: %v, want %v (%s)", tc.name, name, d.Allowed, want, d.Message)
			}
		}
	}
}
