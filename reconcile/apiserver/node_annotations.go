package apiserver

import (
	"maps"
	"strings"
)

// NodeAnnotationPrefix marks the Node annotations an agent owns on its own
// Node (node.reconcile.dev/certificate-not-after, …/vxlan-mac).
const NodeAnnotationPrefix = "node.reconcile.dev/"

// agentAnnotations is stored with the agent's annotations under
// NodeAnnotationPrefix set over the stored ones; annotations outside the
// prefix are the controller's and people's, never the agent's to set, and
// stay as stored. A key the agent does not send stays too: parts of the
// agent may report their keys on other paths (the pod network's).
func agentAnnotations(stored, sent map[string]string) map[string]string {
	out := maps.Clone(stored)
	for k, v := range sent {
		if strings.HasPrefix(k, NodeAnnotationPrefix) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
