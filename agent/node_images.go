package agent

import (
	"cmp"
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// ImageLister is a Runtime that can list its images, for the Node's
// status.images (what the scheduler's ImageLocality score reads).
type ImageLister interface {
	Images(ctx context.Context) ([]corev1.ContainerImage, error)
}

// maxNodeImages is how many images a Node reports, largest first, as the
// kubelet's nodeStatusMaxImages.
const maxNodeImages = 50

// NodeImages orders images as the kubelet reports them: largest first
// (then by first name), at most maxNodeImages, images without a name left
// out. It is pure.
func NodeImages(imgs []corev1.ContainerImage) []corev1.ContainerImage {
	out := slices.DeleteFunc(slices.Clone(imgs), func(i corev1.ContainerImage) bool { return len(i.Names) == 0 })
	slices.SortStableFunc(out, func(a, b corev1.ContainerImage) int {
		if a.SizeBytes != b.SizeBytes {
			if a.SizeBytes > b.SizeBytes {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Names[0], b.Names[0])
	})
	if len(out) > maxNodeImages {
		out = out[:maxNodeImages]
	}
	return out
}

// nodeImages lists the runtime's images now (nil when the runtime cannot
// or the list fails: the Node then keeps reporting none).
func (a *Agent) nodeImages(ctx context.Context) []corev1.ContainerImage {
	l, ok := a.opts.Runtime.(ImageLister)
	if !ok {
		return nil
	}
	imgs, err := l.Images(ctx)
	if err != nil {
		a.opts.Logger.Debug("listing images for the node status", "err", err)
		return nil
	}
	return NodeImages(imgs)
}

// imagesChanged says whether the runtime's images differ from those last
// registered; a heartbeat then registers the Node again with them.
func (a *Agent) imagesChanged(ctx context.Context) bool {
	if _, ok := a.opts.Runtime.(ImageLister); !ok {
		return false
	}
	now := a.nodeImages(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	return !equality.Semantic.DeepEqual(now, a.reportedImages)
}
