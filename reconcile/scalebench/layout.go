package scalebench

import (
	"fmt"
	"net/netip"
	"strings"
)

// Layout is how one size is laid out: Deployments of at most
// PerDeployment replicas totalling Pods, each node's pod subnet, and how
// many nodes disappear in the node-loss phase.
type Layout struct {
	Nodes       int
	Pods        int
	Replicas    []int  // one entry per Deployment
	NodeMask    int    // --node-cidr-mask-size
	NodePods    int    // --simulate-pods: the addresses of a node's subnet
	ClusterCIDR string // --cluster-cidr when the default /16 is too small; "" for the default
	LostNodes   int
}

// DefaultClusterCIDR is the controller's default pod CIDR
// (reconcile/nodeipam).
const DefaultClusterCIDR = "10.244.0.0/16"

// WideClusterCIDR is passed as --cluster-cidr when the nodes do not fit
// the default, if the controller has that flag.
const WideClusterCIDR = "10.0.0.0/8"

// PlanLayout lays out nodes × podsPerNode pods in Deployments of at most
// perDeployment replicas. Each node gets a subnet with room for twice its
// share (a rolling update's surge of 25 % and the pods of lost nodes land
// on the others; hollow nodes take the first free address after the
// gateway and leave the broadcast address). lose is capped at a tenth of
// the nodes (at least one), so small sizes lose part of the fleet, not all
// of it. wideCIDR says whether the controller accepts --cluster-cidr.
func PlanLayout(nodes, podsPerNode, perDeployment, lose int, wideCIDR bool) (Layout, error) {
	if nodes < 1 || podsPerNode < 1 || perDeployment < 1 {
		return Layout{}, fmt.Errorf("scale layout: nodes (%d), pods per node (%d) and pods per Deployment (%d) must be at least 1", nodes, podsPerNode, perDeployment)
	}
	l := Layout{Nodes: nodes, Pods: nodes * podsPerNode}
	for left := l.Pods; left > 0; left -= perDeployment {
		l.Replicas = append(l.Replicas, min(left, perDeployment))
	}
	hostBits := 2
	for (1<<hostBits)-3 < 2*podsPerNode {
		hostBits++
	}
	l.NodeMask = 32 - hostBits
	l.NodePods = (1 << hostBits) - 3
	if l.NodeMask < 17 {
		return Layout{}, fmt.Errorf("scale layout: %d pods per node need a /%d subnet per node, larger than the cluster CIDR's /16: use fewer pods per node", podsPerNode, l.NodeMask)
	}
	if !fits(DefaultClusterCIDR, l.NodeMask, nodes) {
		if !wideCIDR || !fits(WideClusterCIDR, l.NodeMask, nodes) {
			return Layout{}, fmt.Errorf("scale layout: %d nodes with a /%d pod subnet each do not fit the controller's cluster CIDR %s (at most %d nodes) and this controller has no --cluster-cidr flag to widen it",
				nodes, l.NodeMask, DefaultClusterCIDR, 1<<(l.NodeMask-16))
		}
		l.ClusterCIDR = WideClusterCIDR
	}
	l.LostNodes = max(1, min(lose, nodes/10))
	return l, nil
}

// fits reports whether nodes subnets of /mask fit in cidr.
func fits(cidr string, mask, nodes int) bool {
	p := netip.MustParsePrefix(cidr)
	return mask > p.Bits() && mask-p.Bits() < 31 && nodes <= 1<<(mask-p.Bits())
}

// LabelRevision is the template label the rolling update changes: every
// pod carries its Deployment's revision of the benchmark.
const LabelRevision = "scalebench.reconcile.dev/rev"

// DeploymentName is the name of the i-th Deployment.
func DeploymentName(i int) string { return fmt.Sprintf("scale-%04d", i) }

// Manifests returns the repo's files for a revision: one Deployment a file,
// with the revision in the pod template (a new revision replaces every
// pod).
func Manifests(replicas []int, revision int) map[string]string {
	files := make(map[string]string, len(replicas))
	for i, r := range replicas {
		name := DeploymentName(i)
		var b strings.Builder
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: default
spec:
  replicas: %d
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels: {app: %s, %s: "%d"}
    spec:
      containers:
        - name: app
          image: localhost/reconcile-hello:v1
`, name, r, name, name, LabelRevision, revision)
		files["scale/"+name+".yaml"] = b.String()
	}
	return files
}
