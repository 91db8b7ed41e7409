package apiserver

import (
	"maps"
	"testing"
)

func TestAgentAnnotations(t *testing.T) {
	const k = "node.reconcile.dev/certificate-not-after"
	for _, tc := range []struct {
		name              string
		stored, sent, out map[string]string
	}{
		{"create", nil, map[string]string{k: "a", "other": "x"}, map[string]string{k: "a"}},
		{"replace", map[string]string{k: "a", "team": "x"}, map[string]string{k: "b"}, map[string]string{k: "b", "team": "x"}},
		{"other agent keys stay", map[string]string{k: "a", "node.reconcile.dev/vxlan-mac": "m"}, map[string]string{k: "b"}, map[string]string{k: "b", "node.reconcile.dev/vxlan-mac": "m"}},
		{"none sent", map[string]string{"team": "x", k: "a"}, nil, map[string]string{"team": "x", k: "a"}},
		{"none at all", nil, nil, nil},
	} {
		if got := agentAnnotations(tc.stored, tc.sent); !maps.Equal(got, tc.out) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.out)
		}
	}
}
