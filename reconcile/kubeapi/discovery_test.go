package kubeapi

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestDiscovery: the documents kubectl reads first, from the kinds
// registry; a kind added to objects.Kinds shows here by itself (the golden
// file changes with the registry).
func TestDiscovery(t *testing.T) {
	docs := map[string]any{"/api": APIVersions("127.0.0.1:7420"), "/apis": APIGroupList()}
	for _, g := range APIGroupList().Groups {
		gd, ok := APIGroup(g.Name)
		if !ok {
			t.Errorf("/apis lists %s but /apis/%s is not served", g.Name, g.Name)
		}
		docs["/apis/"+g.Name] = gd
		for _, v := range g.Versions {
			l, ok := APIResourceList(g.Name, v.Version)
			if !ok {
				t.Errorf("/apis/%s lists %s but it is not served", g.Name, v.GroupVersion)
			}
			docs["/apis/"+v.GroupVersion] = l
		}
	}
	core, ok := APIResourceList("", "v1")
	if !ok {
		t.Fatal("/api/v1 is not served")
	}
	docs["/api/v1"] = core
	testkit.GoldenJSON(t, "testdata/discovery.golden", docs)

	// Every registry kind is served at its group/version.
	for _, k := range objects.Kinds() {
		r, ok := ForKind(k.Kind)
		if !ok {
			t.Fatalf("ForKind(%s)", k.Kind)
		}
		if _, ok := Lookup(r.Group, r.Version, k.Plural); !ok {
			t.Errorf("%s is not served at %s/%s/%s", k.Kind, r.Group, r.Version, k.Plural)
		}
	}
	if _, ok := APIResourceList("nope.example.com", "v1"); ok {
		t.Error("an unknown group is served")
	}
}

// TestRegisterGroup: a group another package serves (metrics.k8s.io) is
// listed by /apis, and its version document served when given.
func TestRegisterGroup(t *testing.T) {
	gv := metav1.GroupVersionForDiscovery{GroupVersion: "metrics.k8s.io/v1beta1", Version: "v1beta1"}
	RegisterGroup(ExtraGroup{
		Group:     metav1.APIGroup{Name: "metrics.k8s.io", Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv},
		Resources: map[string]metav1.APIResourceList{"v1beta1": {GroupVersion: gv.GroupVersion, APIResources: []metav1.APIResource{{Name: "pods", Namespaced: true, Kind: "PodMetrics", Verbs: readVerbs}}}},
	})
	t.Cleanup(func() {
		extraMu.Lock()
		extra = nil
		extraMu.Unlock()
	})
	found := false
	for _, g := range APIGroupList().Groups {
		found = found || g.Name == "metrics.k8s.io"
	}
	if !found {
		t.Error("/apis does not list metrics.k8s.io")
	}
	if l, ok := APIResourceList("metrics.k8s.io", "v1beta1"); !ok || l.APIResources[0].Kind != "PodMetrics" {
		t.Errorf("metrics.k8s.io/v1beta1: %v %v", l, ok)
	}
	if _, ok := APIGroup("metrics.k8s.io"); !ok {
		t.Error("/apis/metrics.k8s.io is not served")
	}
}
