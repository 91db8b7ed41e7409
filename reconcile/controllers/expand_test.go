package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestExpandThroughRegistry(t *testing.T) {
	n := 0
	suffix := func() string { n++; return string(rune('a'+n)) + "0000" }
	grown := deployment("web", 5, "img")
	for _, tc := range []struct {
		name string
		in   PreviewInput
		want int
	}{
		{"created Deployment", PreviewInput{Object: deployment("web", 3, "img"), Created: true}, 3},
		{"grown Deployment: only the added replicas", PreviewInput{Object: grown, Old: deployment("web", 2, "img")}, 3},
		{"shrunk Deployment", PreviewInput{Object: deployment("web", 1, "img"), Old: deployment("web", 2, "img")}, 0},
		{"created Pod", PreviewInput{Object: pendingPod("p"), Created: true}, 1},
		{"updated Pod", PreviewInput{Object: pendingPod("p"), Old: pendingPod("p")}, 0},
		{"a kind without expansion", PreviewInput{Object: configMap("c"), Created: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := objects.Copy(tc.in.Object)
			tc.in.Suffix, tc.in.Now = suffix, t0
			pods := Expand(tc.in)
			if len(pods) != tc.want {
				t.Errorf("%d pods, want %d", len(pods), tc.want)
			}
			for _, p := range pods {
				if p.Status.Phase != corev1.PodRunning && objects.KindOf(tc.in.Object) != "Pod" {
					t.Errorf("pod %s not assumed running", p.Name)
				}
			}
			if tc.in.Object.GetUID() != before.GetUID() {
				t.Errorf("Expand changed its input")
			}
		})
	}
}
