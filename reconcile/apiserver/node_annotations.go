package apiserver

import (
	"maps"
	"strings"
)

// NodeAnnotationPrefix marks the Node annotations an agent owns on its own
// Node (node.reconcile.dev/certificate-not-after, …/vxlan-mac).
const NodeAnnotationPrefix = "node.reconcile.dev/"

// agentAnnotations is stored with the agent's annotations under
// NodeAnnotationPrefix replacing the stored ones under it (a key the agent
// no longer sends goes); annotations outside the prefix are the
// controller's and people's, never the agent's to set, and stay as stored.
func agentAnnotations(stored, sent map[string]string) map[string]string {
	out := maps.Clone(stored)
	for k := range out {
		if strings.HasPrefix(k, NodeAnnotationPrefix) {
			delete(out, k)
		}
	}
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
