package schema

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// volumeChecks are the rules of Kubernetes' pod validation that CUE does
// not express over one field: a projected volume's source is exactly one
// kind, subPath and subPathExpr exclude each other, and a subPath stays
// inside its volume.
func volumeChecks(spec *corev1.PodSpec, add func(string, ...string), p func(...string) []string) {
	for i, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for j, src := range v.Projected.Sources {
			n := 0
			for _, set := range []bool{src.ConfigMap != nil, src.Secret != nil, src.DownwardAPI != nil, src.ServiceAccountToken != nil, src.ClusterTrustBundle != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				add("a projected volume source needs exactly one of configMap, secret or downwardAPI", p("volumes", fmt.Sprint(i), "projected", "sources", fmt.Sprint(j))...)
			}
		}
	}
	check := func(list string, cs []corev1.Container) {
		for i, c := range cs {
			for j, m := range c.VolumeMounts {
				at := p(list, fmt.Sprint(i), "volumeMounts", fmt.Sprint(j))
				if m.SubPath != "" && m.SubPathExpr != "" {
					add("subPath and subPathExpr are mutually exclusive; keep one", at...)
				}
				if m.SubPath != "" && !subPathInside(m.SubPath) {
					add(fmt.Sprintf("subPath %q must be a relative path without '..'", m.SubPath), append(at, "subPath")...)
				}
			}
		}
	}
	check("initContainers", spec.InitContainers)
	check("containers", spec.Containers)
}

// subPathInside says whether a subPath is relative and has no ".." element
// (Kubernetes' validateLocalDescendingPath).
func subPathInside(s string) bool {
	if path.IsAbs(s) {
		return false
	}
	for _, e := range strings.Split(s, "/") {
		if e == ".." {
			return false
		}
	}
	return true
}
