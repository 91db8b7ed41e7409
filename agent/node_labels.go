package agent

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ValidNodeLabels checks the labels a node sets on itself (--node-labels)
// as the kubelet does: valid label keys and values, and under the
// kubernetes.io and k8s.io namespaces only the keys a node may set (the
// topology zone and region, the instance type, and the
// kubelet.kubernetes.io/ and node.kubernetes.io/ prefixes), so a node
// cannot claim e.g. node-role.kubernetes.io/control-plane.
func ValidNodeLabels(labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("--node-labels: key %q: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			return fmt.Errorf("--node-labels: value %q of %s: %s", labels[k], k, strings.Join(errs, "; "))
		}
		if !nodeMaySetLabel(k) {
			return fmt.Errorf("--node-labels: a node may not set %s itself (kubernetes.io and k8s.io keys are limited to %s and the prefixes kubelet.kubernetes.io/, node.kubernetes.io/)", k, strings.Join(allowedNodeLabels, ", "))
		}
	}
	return nil
}

var allowedNodeLabels = []string{
	"topology.kubernetes.io/zone", "topology.kubernetes.io/region", "node.kubernetes.io/instance-type",
	"kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
}

func nodeMaySetLabel(k string) bool {
	prefix, _, ok := strings.Cut(k, "/")
	if !ok {
		return true
	}
	restricted := prefix == "kubernetes.io" || strings.HasSuffix(prefix, ".kubernetes.io") || prefix == "k8s.io" || strings.HasSuffix(prefix, ".k8s.io")
	if !restricted || slices.Contains(allowedNodeLabels, k) {
		return true
	}
	return prefix == "kubelet.kubernetes.io" || prefix == "node.kubernetes.io"
}
