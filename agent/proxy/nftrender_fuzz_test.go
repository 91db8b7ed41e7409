package proxy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/knftables"
)

// FuzzRenderNFT: whatever valid-looking Service and Endpoints arrive from
// the API, the nftables renderer does not panic, knftables' fake accepts
// its transaction and the netlink writer compiles it.
func FuzzRenderNFT(f *testing.F) {
	f.Add("web", "http", "10.96.0.10", "TCP", int32(80), int32(30080), "10.88.0.2", int32(8080), "192.0.2.1", "203.0.113.0/24", true)
	f.Add("dns", "", "10.96.0.20", "UDP", int32(53), int32(0), "10.88.0.5", int32(5353), "", "", false)
	f.Add("x", "p", "None", "SCTP", int32(1), int32(65535), "not-an-ip", int32(0), "2001:db8::1", "bogus", true)
	f.Add("open", "", "10.96.0.30", "TCP", int32(443), int32(0), "10.88.0.6", int32(8443), "192.0.2.2", "0.0.0.0/0", false)
	f.Fuzz(func(t *testing.T, name, portName, clusterIP, proto string, p, nodePort int32, epIP string, epPort int32, lbIP, sourceRange string, local bool) {
		if len(validation.IsDNS1123Label(name)) > 0 || (portName != "" && len(validation.IsDNS1123Label(portName)) > 0) {
			t.Skip("the API server refuses such names")
		}
		if proto != "TCP" && proto != "UDP" && proto != "SCTP" {
			t.Skip("the API server refuses such protocols")
		}
		if p < 1 || p > 65535 || nodePort < 0 || nodePort > 65535 || epPort < 1 || epPort > 65535 {
			t.Skip("ports out of range are refused by the API server")
		}
		svc := loadBalancer(name, clusterIP, []string{lbIP}, port(portName, corev1.Protocol(proto), p, nodePort))
		svc.Spec.LoadBalancerSourceRanges = []string{sourceRange}
		if local {
			svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		}
		ep := onNodes(endpoints(name, map[string]int32{portName: epPort}, []string{epIP}), map[string]string{epIP: "n1"})
		rs := RenderNFT([]*corev1.Service{svc}, []*corev1.Endpoints{ep}, Options{ClusterCIDR: "10.88.0.0/16", NodeName: "n1", ServiceCIDR: "10.96.0.0/16"})
		fake := knftables.NewFake(knftables.IPv4Family, NFTTable)
		tx := fake.NewTransaction()
		NFTTransaction(tx, rs, nil)
		if err := fake.Run(t.Context(), tx); err != nil {
			t.Fatalf("knftables' fake refuses the rules: %v\n%s", err, tx)
		}
		// The netlink writer compiles every rule and element of it.
		b := newNFTBatch()
		nftDiff(b, rs, nil)
		if b.endElements(); b.err != nil {
			t.Fatalf("the netlink writer refuses the rules: %v\n%s", b.err, tx)
		}
	})
}
