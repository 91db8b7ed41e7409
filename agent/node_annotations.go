package agent

import (
	"context"
	"maps"
)

// registerNode registers the Node with the annotations of the moment (the
// host's, such as the pod network's, and NodeAnnotations', such as the
// certificate's end) and the runtime's images, and remembers both.
func (a *Agent) registerNode(ctx context.Context) error {
	node := NodeObject(a.opts.NodeName, *a.opts.Host, a.opts.Version, a.opts.Clock())
	for k, v := range a.opts.NodeLabels {
		if _, builtin := node.Labels[k]; !builtin {
			node.Labels[k] = v
		}
	}
	imgs := a.nodeImages(ctx)
	node.Status.Images = imgs
	var ann map[string]string
	if a.opts.NodeAnnotations != nil {
		ann = a.opts.NodeAnnotations()
		if node.Annotations == nil && len(ann) > 0 {
			node.Annotations = map[string]string{}
		}
		maps.Copy(node.Annotations, ann)
	}
	if err := a.opts.ControlPlane.RegisterNode(ctx, node); err != nil {
		return err
	}
	a.mu.Lock()
	a.reported = ann
	a.reportedImages = imgs
	a.mu.Unlock()
	return nil
}

// annotationsChanged says whether NodeAnnotations differ from those last
// registered.
func (a *Agent) annotationsChanged() bool {
	if a.opts.NodeAnnotations == nil {
		return false
	}
	now := a.opts.NodeAnnotations()
	a.mu.Lock()
	defer a.mu.Unlock()
	return !maps.Equal(now, a.reported)
}
