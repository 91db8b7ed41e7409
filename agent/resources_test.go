package agent

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestContainerResources(t *testing.T) {
	q := resource.MustParse
	cases := []struct {
		name     string
		limits   corev1.ResourceList
		requests corev1.ResourceList
		want     Resources
	}{
		{"none", nil, nil, Resources{}},
		{"memory 64Mi", corev1.ResourceList{corev1.ResourceMemory: q("64Mi")}, nil, Resources{MemoryLimit: 64 << 20}},
		{"cpu 500m limit only: request = limit", corev1.ResourceList{corev1.ResourceCPU: q("500m")}, nil, Resources{CPUQuota: 50000, CPUPeriod: 100000, CPUShares: 512}},
		{"cpu 2 limit, 250m request", corev1.ResourceList{corev1.ResourceCPU: q("2")}, corev1.ResourceList{corev1.ResourceCPU: q("250m")}, Resources{CPUQuota: 200000, CPUPeriod: 100000, CPUShares: 256}},
		{"tiny cpu: minimum quota and shares", corev1.ResourceList{corev1.ResourceCPU: q("1m")}, nil, Resources{CPUQuota: 1000, CPUPeriod: 100000, CPUShares: 2}},
	}
	for _, tc := range cases {
		c := &corev1.Container{Resources: corev1.ResourceRequirements{Limits: tc.limits, Requests: tc.requests}}
		if got := containerResources(c); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestPodResources(t *testing.T) {
	q := resource.MustParse
	if got := podResources(&corev1.Pod{}); got != (Resources{}) {
		t.Errorf("no pod-level resources: %+v", got)
	}
	p := &corev1.Pod{Spec: corev1.PodSpec{Resources: &corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("200Mi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m")}}}}
	want := Resources{MemoryLimit: 200 << 20, CPUQuota: 100000, CPUPeriod: 100000, CPUShares: 512}
	if got := podResources(p); got != want {
		t.Errorf("pod-level resources: %+v, want %+v", got, want)
	}
}

// A container without a limit sees the pod-level limit through the
// downward API (resourceFieldRef), not the node's allocatable.
func TestDownwardLimitsFromPodLevelResources(t *testing.T) {
	q := resource.MustParse
	host := HostInfo{CPUs: 4, MemoryBytes: 8 << 30}
	p := &corev1.Pod{Spec: corev1.PodSpec{
		Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: q("200Mi")}},
		Containers: []corev1.Container{{Name: "bare"}, {Name: "own", Resources: corev1.ResourceRequirements{
			Limits: corev1.ResourceList{corev1.ResourceMemory: q("100Mi")}}}}}}
	for _, tc := range []struct{ container, res, want string }{
		{"bare", "limits.memory", "200"},
		{"own", "limits.memory", "100"},
		{"bare", "limits.cpu", "4000"}, // no pod-level cpu limit: the node's
	} {
		div := q("1Mi")
		if tc.res == "limits.cpu" {
			div = q("1m")
		}
		got, err := resourceValue(p, tc.container, &corev1.ResourceFieldSelector{Resource: tc.res, Divisor: div}, host)
		if err != nil || got != tc.want {
			t.Errorf("%s %s = %q %v, want %s", tc.container, tc.res, got, err, tc.want)
		}
	}
}
