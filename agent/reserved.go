package agent

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ParseReserved reads the kubelet's --system-reserved syntax,
// "cpu=500m,memory=1Gi": what the node keeps for itself, taken off its
// capacity to give status.allocatable (what the scheduler fills).
func ParseReserved(s string) (corev1.ResourceList, error) {
	out := corev1.ResourceList{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("--system-reserved: %q is not name=quantity (e.g. cpu=500m,memory=1Gi)", part)
		}
		rn := corev1.ResourceName(strings.TrimSpace(name))
		if rn != corev1.ResourceCPU && rn != corev1.ResourceMemory {
			return nil, fmt.Errorf("--system-reserved: unknown resource %q: only cpu and memory may be reserved", name)
		}
		q, err := resource.ParseQuantity(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("--system-reserved: %s=%q: %v (e.g. cpu=500m, memory=1Gi)", name, value, err)
		}
		if q.Sign() < 0 {
			return nil, fmt.Errorf("--system-reserved: %s must not be negative", name)
		}
		if _, dup := out[rn]; dup {
			return nil, fmt.Errorf("--system-reserved: %s given twice", name)
		}
		out[rn] = q
	}
	return out, nil
}

// allocatable is capacity minus reserved, never below zero (the kubelet's
// node allocatable without eviction thresholds).
func allocatable(capacity, reserved corev1.ResourceList) corev1.ResourceList {
	out := capacity.DeepCopy()
	for name, r := range reserved {
		c, ok := out[name]
		if !ok {
			continue
		}
		c.Sub(r)
		if c.Sign() < 0 {
			c = *resource.NewQuantity(0, c.Format)
		}
		out[name] = c
	}
	return out
}
