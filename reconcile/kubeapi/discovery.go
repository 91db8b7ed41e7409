package kubeapi

import (
	"runtime"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
)

// readVerbs are what every resource allows: the API is read-only (writes
// answer 405 with the git file to change).
var readVerbs = metav1.Verbs{"get", "list", "watch"}

// allCategory are the kinds `kubectl get all` lists (its "all" category).
var allCategory = map[string]bool{"Pod": true, "Service": true, "Deployment": true, "ReplicaSet": true,
	"StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true, "HorizontalPodAutoscaler": true,
	"ReplicationController": true}

// AllKinds are the kinds of `get all`, in kubectl's order, among those the
// registry has.
func AllKinds() []string {
	var out []string
	for _, k := range []string{"Pod", "Service", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet",
		"HorizontalPodAutoscaler", "CronJob", "Job"} {
		if _, ok := ForKind(k); ok {
			out = append(out, k)
		}
	}
	return out
}

// APIVersions is /api. serverAddress is the address the client used.
func APIVersions(serverAddress string) *metav1.APIVersions {
	return &metav1.APIVersions{
		TypeMeta:                   metav1.TypeMeta{Kind: "APIVersions"},
		Versions:                   []string{"v1"},
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: serverAddress}},
	}
}

// APIGroupList is /apis: the groups of the registry's kinds, in the
// registry's order, then the groups other packages registered.
func APIGroupList() *metav1.APIGroupList {
	l := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}}
	for _, g := range groups() {
		l.Groups = append(l.Groups, *g)
	}
	return l
}

// APIGroup is /apis/<group>.
func APIGroup(name string) (*metav1.APIGroup, bool) {
	for _, g := range groups() {
		if g.Name == name {
			return g, true
		}
	}
	return nil, false
}

func groups() []*metav1.APIGroup {
	var out []*metav1.APIGroup
	byName := map[string]*metav1.APIGroup{}
	for _, r := range served() {
		if r.Group == "" {
			continue
		}
		g := byName[r.Group]
		if g == nil {
			g = &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: r.Group}
			byName[r.Group] = g
			out = append(out, g)
		}
		gv := metav1.GroupVersionForDiscovery{GroupVersion: r.Group + "/" + r.Version, Version: r.Version}
		if !slices.Contains(g.Versions, gv) {
			g.Versions = append(g.Versions, gv)
			g.PreferredVersion = g.Versions[0]
		}
	}
	for _, e := range extraGroups() {
		if byName[e.Group.Name] != nil {
			continue
		}
		g := e.Group
		g.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
		out = append(out, &g)
	}
	return out
}

// APIResourceList is /api/v1 (group "") or /apis/<group>/<version>; false
// when no resource is served there.
func APIResourceList(group, ver string) (*metav1.APIResourceList, bool) {
	gv := ver
	if group != "" {
		gv = group + "/" + ver
	}
	l := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv}
	for _, r := range served() {
		if r.Group != group || r.Version != ver {
			continue
		}
		res := metav1.APIResource{Name: r.Plural, SingularName: strings.ToLower(r.Kind), Namespaced: r.Namespaced,
			Kind: r.Kind, Verbs: readVerbs, ShortNames: r.Short}
		if allCategory[r.Kind] {
			res.Categories = []string{"all"}
		}
		l.APIResources = append(l.APIResources, res)
		if r.Kind == "Pod" {
			l.APIResources = append(l.APIResources, metav1.APIResource{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: metav1.Verbs{"get"}})
		}
	}
	if len(l.APIResources) == 0 {
		for _, e := range extraGroups() {
			if res, ok := e.Resources[ver]; ok && e.Group.Name == group {
				res.TypeMeta = l.TypeMeta
				return &res, true
			}
		}
		return nil, false
	}
	return l, true
}

// Version is /version: the product's build in Kubernetes' shape. kubectl
// compares major and minor with its own and only warns when they are far
// apart, so they say the Kubernetes API version served (the k8s.io/api
// module's).
func Version(build string) version.Info {
	return version.Info{Major: "1", Minor: "34", GitVersion: "v1.34.0+reconcile-" + build,
		GoVersion: runtime.Version(), Compiler: runtime.Compiler, Platform: runtime.GOOS + "/" + runtime.GOARCH}
}
