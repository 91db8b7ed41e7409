package agent

import (
	"context"
	"maps"
	"time"
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
	a.statusPosted = a.opts.Clock()
	a.mu.Unlock()
	return nil
}

// DefaultNodeStatusReportFrequency is how often an agent posts its Node
// status when nothing changed: the kubelet's nodeStatusReportFrequency
// default. Between two posts its heartbeats only renew its lease.
const DefaultNodeStatusReportFrequency = 5 * time.Minute

// statusDue says whether NodeStatusReportFrequency has passed since the
// last status post.
func (a *Agent) statusDue() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.opts.Clock().Before(a.statusPosted.Add(a.opts.NodeStatusReportFrequency))
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
