package agent

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestNodeImagesLargestFirstAtMost50(t *testing.T) {
	var in []corev1.ContainerImage
	for i := range 60 {
		in = append(in, corev1.ContainerImage{Names: []string{fmt.Sprintf("localhost/img-%02d:v1", i)}, SizeBytes: int64(i%7) << 20})
	}
	in = append(in, corev1.ContainerImage{SizeBytes: 1 << 40}) // dangling: no name
	got := NodeImages(in)
	if len(got) != maxNodeImages {
		t.Fatalf("%d images, want %d", len(got), maxNodeImages)
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.SizeBytes < b.SizeBytes || a.SizeBytes == b.SizeBytes && a.Names[0] > b.Names[0] {
			t.Fatalf("not largest first, then by name: %v before %v", a, b)
		}
	}
	if len(got[0].Names) == 0 {
		t.Error("an image without a name was reported")
	}
}

// imageRuntime is the fake runtime with an image list.
type imageRuntime struct {
	*fakeRuntime
	mu   sync.Mutex
	imgs []corev1.ContainerImage
}

func (r *imageRuntime) Images(context.Context) ([]corev1.ContainerImage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]corev1.ContainerImage(nil), r.imgs...), nil
}

// The Node reports the runtime's images when the agent registers and,
// when they change (a pull), at the next heartbeat.
func TestNodeImagesFollowChanges(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp := newFakeControlPlane()
	rt := &imageRuntime{fakeRuntime: newFakeRuntime(clock.Now), imgs: []corev1.ContainerImage{{Names: []string{"localhost/a:v1"}, SizeBytes: 100}}}
	a := newLoopAgent(t, cp, rt, clock)
	ctx := context.Background()
	if err := a.registerNode(ctx); err != nil {
		t.Fatal(err)
	}
	images := func() []corev1.ContainerImage {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		return cp.nodes["n1"].Status.Images
	}
	if got := images(); !reflect.DeepEqual(got, rt.imgs) {
		t.Fatalf("registered images %v, want %v", got, rt.imgs)
	}
	beats := cp.heartbeats
	if err := a.reportReadiness(ctx); err != nil || cp.heartbeats != beats+1 {
		t.Fatalf("unchanged images: a plain heartbeat (%d → %d) %v", beats, cp.heartbeats, err)
	}
	rt.mu.Lock()
	rt.imgs = append(rt.imgs, corev1.ContainerImage{Names: []string{"localhost/b:v1"}, SizeBytes: 200})
	rt.mu.Unlock()
	if err := a.reportReadiness(ctx); err != nil {
		t.Fatal(err)
	}
	want := []corev1.ContainerImage{{Names: []string{"localhost/b:v1"}, SizeBytes: 200}, {Names: []string{"localhost/a:v1"}, SizeBytes: 100}}
	if got := images(); !reflect.DeepEqual(got, want) {
		t.Fatalf("images after a pull %v, want %v", got, want)
	}
}

// The real Podman lists the agent tests' image with its tag and a size.
func TestPodmanImagesListsTheTestImage(t *testing.T) {
	sock := requirePodman(t)
	rt, err := NewPodmanRuntime(context.Background(), sock, testClusterIDFor(t))
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := rt.Images(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range NodeImages(imgs) {
		for _, n := range im.Names {
			if n == testImage {
				if im.SizeBytes <= 0 {
					t.Errorf("%s has size %d", n, im.SizeBytes)
				}
				return
			}
		}
	}
	t.Errorf("%s not among the node's images %v", testImage, imgs)
}
