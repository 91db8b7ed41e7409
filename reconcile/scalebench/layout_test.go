package scalebench

import (
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestPlanLayout(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		nodes, perNode, perDep, lose int
		wide                         bool
		want                         Layout
		err                          string
	}{
		{name: "tiny", nodes: 5, perNode: 10, perDep: 25, lose: 500,
			want: Layout{Nodes: 5, Pods: 50, Replicas: []int{25, 25}, NodeMask: 27, NodePods: 29, LostNodes: 1}},
		{name: "remainder in the last Deployment", nodes: 7, perNode: 10, perDep: 30, lose: 1,
			want: Layout{Nodes: 7, Pods: 70, Replicas: []int{30, 30, 10}, NodeMask: 27, NodePods: 29, LostNodes: 1}},
		{name: "100 nodes lose a tenth", nodes: 100, perNode: 30, perDep: 100, lose: 500,
			want: Layout{Nodes: 100, Pods: 3000, Replicas: repeat(100, 30), NodeMask: 26, NodePods: 61, LostNodes: 10}},
		{name: "1,000 nodes fit the default /16", nodes: 1000, perNode: 30, perDep: 100, lose: 500,
			want: Layout{Nodes: 1000, Pods: 30000, Replicas: repeat(100, 300), NodeMask: 26, NodePods: 61, LostNodes: 100}},
		{name: "5,000 nodes with --cluster-cidr", nodes: 5000, perNode: 30, perDep: 100, lose: 500, wide: true,
			want: Layout{Nodes: 5000, Pods: 150000, Replicas: repeat(100, 1500), NodeMask: 26, NodePods: 61, ClusterCIDR: WideClusterCIDR, LostNodes: 500}},
		{name: "2,000 nodes without --cluster-cidr", nodes: 2000, perNode: 30, perDep: 100, lose: 500,
			err: "2000 nodes with a /26 pod subnet each do not fit the controller's cluster CIDR 10.244.0.0/16 (at most 1024 nodes)"},
		{name: "too many pods per node", nodes: 10, perNode: 20000, perDep: 100, lose: 1,
			err: "20000 pods per node need a /16 subnet per node"},
		{name: "no nodes", nodes: 0, perNode: 30, perDep: 100, lose: 1, err: "must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PlanLayout(tc.nodes, tc.perNode, tc.perDep, tc.lose, tc.wide)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalLayout(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func equalLayout(a, b Layout) bool {
	if len(a.Replicas) != len(b.Replicas) {
		return false
	}
	for i := range a.Replicas {
		if a.Replicas[i] != b.Replicas[i] {
			return false
		}
	}
	a.Replicas, b.Replicas = nil, nil
	return a.Nodes == b.Nodes && a.Pods == b.Pods && a.NodeMask == b.NodeMask && a.NodePods == b.NodePods &&
		a.ClusterCIDR == b.ClusterCIDR && a.LostNodes == b.LostNodes
}

// TestManifests: the repo's files for a revision (the rolling update
// changes only the revision label of the pod template).
func TestManifests(t *testing.T) {
	files := Manifests([]int{100, 7}, 2)
	var b strings.Builder
	for _, name := range []string{"scale/scale-0000.yaml", "scale/scale-0001.yaml"} {
		b.WriteString("# " + name + "\n" + files[name])
	}
	if len(files) != 2 {
		t.Errorf("%d files, want 2", len(files))
	}
	testkit.GoldenString(t, "testdata/manifests.golden", b.String())
}
