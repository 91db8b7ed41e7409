package agent

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDownwardAPI(t *testing.T) {
	host := HostInfo{CPUs: 4, MemoryBytes: 8 << 30}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", Labels: map[string]string{"app": "web", "tier": "front"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi"), corev1.ResourceCPU: resource.MustParse("1500m")},
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}}}, {Name: "bare"}}}}
	q := resource.MustParse
	cases := []struct {
		container, res string
		divisor        resource.Quantity
		want           string
	}{
		{"c", "limits.memory", resource.Quantity{}, "67108864"},
		{"c", "limits.memory", q("1Mi"), "64"},
		{"c", "limits.cpu", resource.Quantity{}, "2"}, // 1.5 rounded up, as the kubelet does
		{"c", "limits.cpu", q("1m"), "1500"},
		{"c", "requests.cpu", q("1m"), "250"},
		{"bare", "limits.cpu", resource.Quantity{}, "4"}, // unset: the node's allocatable
		{"bare", "limits.memory", q("1Gi"), "8"},         // unset: the node's allocatable
		{"bare", "requests.memory", resource.Quantity{}, "0"},
	}
	for _, tc := range cases {
		got, err := resourceValue(p, tc.container, &corev1.ResourceFieldSelector{Resource: tc.res, Divisor: tc.divisor}, host)
		if err != nil || got != tc.want {
			t.Errorf("%s %s / %s = %q %v, want %q", tc.container, tc.res, tc.divisor.String(), got, err, tc.want)
		}
	}
	files, _, err := downwardFiles(p, &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
		{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
		{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}},
		{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "c", Resource: "limits.memory", Divisor: q("1Mi")}},
	}}, host)
	if err != nil {
		t.Fatal(err)
	}
	if string(files["labels"]) != "app=\"web\"\ntier=\"front\"\n" || string(files["ns"]) != "prod" || string(files["mem"]) != "64" {
		t.Errorf("downwardAPI files: %q", files)
	}
}
