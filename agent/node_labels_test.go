package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestValidNodeLabels(t *testing.T) {
	cases := []struct {
		labels map[string]string
		want   string // part of the error; "" = valid
	}{
		{map[string]string{"disktype": "ssd", "topology.kubernetes.io/zone": "a", "example.com/rack": "r1"}, ""},
		{map[string]string{"node.kubernetes.io/pool": "blue", "kubelet.kubernetes.io/x": "y"}, ""},
		{map[string]string{"node-role.kubernetes.io/control-plane": ""}, "may not set node-role.kubernetes.io/control-plane"},
		{map[string]string{"k8s.io/x": "y"}, "may not set k8s.io/x"},
		{map[string]string{"bad key!": "x"}, `key "bad key!"`},
		{map[string]string{"disktype": "not valid!"}, `value "not valid!"`},
	}
	for _, tc := range cases {
		err := ValidNodeLabels(tc.labels)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ValidNodeLabels(%v) = %v, want %q", tc.labels, err, tc.want)
		}
	}
}

// The Node carries --node-labels beside the built-in labels, which they
// cannot replace.
func TestNodeLabelsOnTheNode(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp := newFakeControlPlane()
	a := newLoopAgent(t, cp, newFakeRuntime(clock.Now), clock)
	a.opts.NodeLabels = map[string]string{"disktype": "ssd", "kubernetes.io/hostname": "other"}
	if err := a.registerNode(context.Background()); err != nil {
		t.Fatal(err)
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	l := cp.nodes["n1"].Labels
	if l["disktype"] != "ssd" || l["kubernetes.io/hostname"] != "n1" {
		t.Errorf("node labels %v: want disktype=ssd and the hostname label kept", l)
	}
}
