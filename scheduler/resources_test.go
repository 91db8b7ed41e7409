package scheduler

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Pod-level resources (Kubernetes 1.32+ PodLevelResources): the pod's
// effective requests, for fit and for scoring, as Kubernetes computes them.
func TestPodLevelRequests(t *testing.T) {
	list := func(kv ...string) corev1.ResourceList {
		l := corev1.ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return l
	}
	ctr := func(req, lim corev1.ResourceList) corev1.Container {
		return corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}}
	}
	cases := []struct {
		name       string
		pod        *corev1.ResourceRequirements
		containers []corev1.Container
		overhead   corev1.ResourceList
		fit, score Resources
	}{
		{"no pod-level resources: the containers' sum", nil,
			[]corev1.Container{ctr(list("cpu", "500m", "memory", "50Mi"), nil), ctr(nil, nil)}, nil,
			Resources{500, 50 << 20, 1}, Resources{600, 50<<20 + defaultMemoryRequest, 1}},
		{"pod-level requests replace the containers'", &corev1.ResourceRequirements{Requests: list("cpu", "1", "memory", "100Mi"), Limits: list("cpu", "1", "memory", "200Mi")},
			[]corev1.Container{ctr(list("cpu", "500m", "memory", "50Mi"), list("cpu", "500m", "memory", "100Mi")), ctr(nil, nil)}, nil,
			Resources{1000, 100 << 20, 1}, Resources{1000, 100 << 20, 1}},
		{"only memory at pod level: cpu from the containers", &corev1.ResourceRequirements{Requests: list("memory", "1Gi")},
			[]corev1.Container{ctr(list("cpu", "250m"), nil)}, nil,
			Resources{250, 1 << 30, 1}, Resources{250, 1 << 30, 1}},
		{"pod-level limits only, no container requests: requests default to the limits", &corev1.ResourceRequirements{Limits: list("cpu", "2", "memory", "256Mi")},
			[]corev1.Container{ctr(nil, nil), ctr(nil, nil)}, nil,
			Resources{2000, 256 << 20, 1}, Resources{2000, 256 << 20, 1}},
		{"pod-level limits, containers request: requests default to the containers' sum", &corev1.ResourceRequirements{Limits: list("cpu", "2", "memory", "256Mi")},
			[]corev1.Container{ctr(list("cpu", "300m"), nil), ctr(nil, list("memory", "64Mi"))}, nil,
			Resources{300, 64 << 20, 1}, Resources{300, 64 << 20, 1}},
		{"overhead is added to pod-level requests", &corev1.ResourceRequirements{Requests: list("cpu", "1", "memory", "100Mi")},
			nil, list("cpu", "100m", "memory", "10Mi"),
			Resources{1100, 110 << 20, 1}, Resources{1000, 100 << 20, 1}},
	}
	for _, tc := range cases {
		p := &corev1.Pod{Spec: corev1.PodSpec{Resources: tc.pod, Containers: tc.containers, Overhead: tc.overhead}}
		if got := PodRequests(p); got != tc.fit {
			t.Errorf("%s: PodRequests = %+v, want %+v", tc.name, got, tc.fit)
		}
		if got := scoringRequests(p); got != tc.score {
			t.Errorf("%s: scoringRequests = %+v, want %+v", tc.name, got, tc.score)
		}
	}
}
