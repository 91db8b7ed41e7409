package drain

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// testPod is a pod of node n1 controlled by a kind ("" = none).
func testPod(name, owner string, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID("uid-" + name)},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "img"}}}}
	if owner != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: owner, Name: name + "-owner", UID: "owner", Controller: ptr.To(true)}}
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func withEmptyDir(p *corev1.Pod) {
	p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
}

func finished(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }

func names(ps []*corev1.Pod) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return strings.Join(out, ",")
}

func skipped(ss []Skipped) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Pod.Name+": "+s.Reason)
	}
	return strings.Join(out, "; ")
}

func TestFilter(t *testing.T) {
	pods := []*corev1.Pod{
		testPod("web", "ReplicaSet"),
		testPod("db-0", "StatefulSet"),
		testPod("logs", "DaemonSet"),
		testPod("bare", ""),
		testPod("cache", "ReplicaSet", withEmptyDir),
		testPod("job-done", "", finished),
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"defaults: bare and emptyDir pods refuse", Options{},
			"evict=db-0,job-done,web ignored=logs: ignoring DaemonSet-managed Pods warnings= refused=bare: cannot delete Pods that declare no controller (use --force to override); cache: cannot delete Pods with local storage (use --delete-emptydir-data to override)"},
		{"--force", Options{Force: true},
			"evict=bare,db-0,job-done,web ignored=logs: ignoring DaemonSet-managed Pods warnings=bare: deleting Pods that declare no controller refused=cache: cannot delete Pods with local storage (use --delete-emptydir-data to override)"},
		{"--force --delete-emptydir-data", Options{Force: true, DeleteEmptyDirData: true},
			"evict=bare,cache,db-0,job-done,web ignored=logs: ignoring DaemonSet-managed Pods warnings=bare: deleting Pods that declare no controller refused="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Filter(pods, tt.opts)
			got := fmt.Sprintf("evict=%s ignored=%s warnings=%s refused=%s", names(p.Evict), skipped(p.Ignored), skipped(p.Warnings), skipped(p.Refused))
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestGroupIsKubectlWording(t *testing.T) {
	got := group([]Skipped{{testPod("a", "DaemonSet"), reasonDaemonSet}, {testPod("b", "DaemonSet"), reasonDaemonSet}, {testPod("c", ""), reasonNoCtlForce}})
	want := []string{"ignoring DaemonSet-managed Pods: default/a, default/b", "deleting Pods that declare no controller: default/c"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
