package kubeapi

import (
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Resource is one kind as the Kubernetes API serves it.
type Resource struct {
	objects.KindInfo
	Group, Version string
}

// GroupVersion is "v1" for the core group, "apps/v1" otherwise.
func (r Resource) GroupVersion() string { return r.KindInfo.APIVersion }

// Resources lists every kind of the registry (objects.Kinds) with its
// group and version: what discovery announces and the handlers serve.
func Resources() []Resource {
	var out []Resource
	for _, k := range objects.Kinds() {
		g, v := splitAPIVersion(k.APIVersion)
		out = append(out, Resource{KindInfo: k, Group: g, Version: v})
	}
	return out
}

// Lookup finds the resource served at group/version/plural.
func Lookup(group, version, plural string) (Resource, bool) {
	for _, r := range served() {
		if r.Group == group && r.Version == version && r.Plural == plural {
			return r, true
		}
	}
	return Resource{}, false
}

// ForKind finds the resource of a kind.
func ForKind(kind string) (Resource, bool) {
	k, ok := objects.Info(kind)
	if !ok {
		return Resource{}, false
	}
	g, v := splitAPIVersion(k.APIVersion)
	return Resource{KindInfo: k, Group: g, Version: v}, true
}

func splitAPIVersion(apiVersion string) (group, version string) {
	if g, v, ok := strings.Cut(apiVersion, "/"); ok {
		return g, v
	}
	return "", apiVersion
}

// ExtraGroup is an API group another package serves itself (the metrics
// slice's metrics.k8s.io): /apis lists it, and when Resources is set the
// discovery document of each of its versions is served from here.
type ExtraGroup struct {
	Group metav1.APIGroup
	// Resources per version ("v1beta1"), the document of
	// /apis/<group>/<version>; nil when the owner serves it.
	Resources map[string]metav1.APIResourceList
}

var (
	extraMu sync.RWMutex
	extra   []ExtraGroup
)

// RegisterGroup adds an API group served by another package to discovery
// (call it at init or before serving). A group registered twice replaces
// the earlier entry.
func RegisterGroup(g ExtraGroup) {
	extraMu.Lock()
	defer extraMu.Unlock()
	extra = slices.DeleteFunc(extra, func(e ExtraGroup) bool { return e.Group.Name == g.Group.Name })
	extra = append(extra, g)
}

func extraGroups() []ExtraGroup {
	extraMu.RLock()
	defer extraMu.RUnlock()
	return slices.Clone(extra)
}
