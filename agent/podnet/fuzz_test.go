package podnet

import (
	"net"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzDesiredState: other nodes' objects (address, podCIDR, the VXLAN MAC
// annotation) are outside input; whatever they hold, every entry the
// planner wants is well-formed for the kernel, and planning it against
// itself leaves nothing to do.
func FuzzDesiredState(f *testing.F) {
	f.Add("10.1.0.3", "10.244.1.0/24", "0a:00:00:00:00:0b", true)
	f.Add("10.2.0.2", "10.244.2.7/24", "0A-00-00-00-00-0C", false)
	f.Add("fd00::1", "fd00:244::/64", "00:11:22:33:44:55:66:77", false)
	f.Add("", "10.244.3.0", "not-a-mac", true)
	f.Add("node-b.example", "10.244.4.0/24", "0a:00:00:00:00:0b", false)
	f.Fuzz(func(t *testing.T, ip, cidr, mac string, onLink bool) {
		n := node("peer", cidr, ip)
		n.Annotations = map[string]string{AnnotationVXLANMAC: mac}
		for _, backend := range Backends {
			want := DesiredState(Peers([]*corev1.Node{node("self", "10.244.0.0/24", "10.1.0.2"), n}, "self"), backend, map[string]bool{ip: onLink})
			for _, r := range want.Routes {
				if _, err := netip.ParsePrefix(r.Dst); err != nil || net.ParseIP(r.Via).To4() == nil {
					t.Fatalf("%s: route %s", backend, r)
				}
			}
			for _, e := range want.Neighbours {
				if hw, err := net.ParseMAC(e.MAC); err != nil || len(hw) != 6 || net.ParseIP(e.IP) == nil {
					t.Fatalf("%s: neighbour %s", backend, e)
				}
			}
			for _, e := range want.FDB {
				if hw, err := net.ParseMAC(e.MAC); err != nil || len(hw) != 6 || net.ParseIP(e.Dst) == nil {
					t.Fatalf("%s: fdb %s", backend, e)
				}
			}
			if p := PlanState(want, want); !p.Empty() {
				t.Fatalf("%s: a state planned against itself:\n%s", backend, p)
			}
		}
	})
}
