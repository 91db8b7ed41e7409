package podnet

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func withMAC(n *corev1.Node, mac string) *corev1.Node {
	n.Annotations = map[string]string{AnnotationVXLANMAC: mac}
	return n
}

// TestPlanStateGolden: desired state (nodes with IP, podCIDR, MAC; the
// backend; which peers are on-link) against what the kernel holds, to the
// actions Apply runs (testdata/plan.golden; -update rewrites it).
func TestPlanStateGolden(t *testing.T) {
	macB, macC := "0a:00:00:00:00:0b", "0a:00:00:00:00:0c"
	nodes := []*corev1.Node{
		node("a", "10.244.0.0/24", "10.1.0.2"),
		withMAC(node("b", "10.244.1.0/24", "10.1.0.3"), macB),
		withMAC(node("c", "10.244.2.0/24", "10.2.0.2"), macC),
		withMAC(node("d-no-ip", "10.244.3.0/24", ""), "0a:00:00:00:00:0d"),
		node("e-no-mac", "10.244.4.0/24", "10.2.0.5"),
		withMAC(node("f-bad-mac", "10.244.5.0/24", "10.2.0.6"), "not-a-mac"),
		withMAC(node("g-bad-cidr", "10.244.6.0", "10.2.0.7"), "0a:00:00:00:00:0e"),
	}
	onLink := map[string]bool{"10.1.0.3": true} // b is on a's segment; c, e, f are routed
	overlayB := State{
		Routes:     []Route{{Dst: "10.244.1.0/24", Via: "10.244.1.0", Overlay: true}},
		Neighbours: []Neighbour{{IP: "10.244.1.0", MAC: macB}},
		FDB:        []FDBEntry{{MAC: macB, Dst: "10.1.0.3"}},
	}
	cases := []struct {
		name    string
		backend Backend
		have    State
	}{
		{"host-gw, nothing yet", HostGW, State{}},
		{"vxlan, nothing yet", VXLAN, State{}},
		{"auto, nothing yet: host-gw to b (on-link), the overlay to c", Auto, State{}},
		{"vxlan, in place", VXLAN, State{
			Routes:     append(overlayB.Routes, Route{Dst: "10.244.2.0/24", Via: "10.244.2.0", Overlay: true}),
			Neighbours: append(overlayB.Neighbours, Neighbour{IP: "10.244.2.0", MAC: macC}),
			FDB:        append(overlayB.FDB, FDBEntry{MAC: macC, Dst: "10.2.0.2"})}},
		{"auto after vxlan: b's overlay entries go, its route turns host-gw", Auto, overlayB},
		{"host-gw after vxlan: every overlay entry goes", HostGW, overlayB},
		{"vxlan: b moved to a new IP and MAC, a node that left", VXLAN, State{
			Routes:     []Route{{Dst: "10.244.1.0/24", Via: "10.244.1.0", Overlay: true}, {Dst: "10.244.9.0/24", Via: "10.244.9.0", Overlay: true}},
			Neighbours: []Neighbour{{IP: "10.244.1.0", MAC: "0a:00:00:00:00:99"}, {IP: "10.244.9.0", MAC: "0a:00:00:00:00:09"}},
			FDB:        []FDBEntry{{MAC: "0a:00:00:00:00:99", Dst: "10.1.0.99"}, {MAC: "0a:00:00:00:00:09", Dst: "10.2.0.9"}}}},
	}
	var out strings.Builder
	for _, c := range cases {
		want := DesiredState(Peers(nodes, "a"), c.backend, onLink)
		plan := PlanState(want, c.have)
		fmt.Fprintf(&out, "== %s (%s)\n%s", c.name, c.backend, plan)
		// Applying the plan reaches the desired state: planning again is empty.
		dp := newFakeDataplane(c.have)
		if err := Apply(t.Context(), dp, plan); err != nil {
			t.Fatal(err)
		}
		if again := PlanState(want, dp.state()); !again.Empty() {
			t.Errorf("%s: after applying, still to do:\n%s", c.name, again)
		}
	}
	testkit.GoldenString(t, "testdata/plan.golden", out.String())
}

func TestParseBackend(t *testing.T) {
	for in, want := range map[string]Backend{"": HostGW, "host-gw": HostGW, "vxlan": VXLAN, "auto": Auto} {
		if got, err := ParseBackend(in); err != nil || got != want {
			t.Errorf("ParseBackend(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseBackend("udp"); err == nil || !strings.Contains(err.Error(), "host-gw, vxlan, auto") {
		t.Errorf("ParseBackend(udp): %v", err)
	}
}

func TestVTEPAddrAndMAC(t *testing.T) {
	if a, err := VTEPAddr("10.244.7.9/24"); err != nil || a.String() != "10.244.7.0" {
		t.Errorf("VTEPAddr = %v, %v; want the podCIDR's first address 10.244.7.0", a, err)
	}
	if _, err := VTEPAddr("fd00::/64"); err == nil {
		t.Error("an IPv6 podCIDR is not an error")
	}
	m1, m2 := VTEPMAC("10.1.0.2"), VTEPMAC("10.1.0.3")
	if m1.String() != VTEPMAC("10.1.0.2").String() || m1.String() == m2.String() {
		t.Errorf("VTEPMAC is not stable per node IP or not distinct: %s %s", m1, m2)
	}
	if m1[0]&1 != 0 || m1[0]&2 == 0 {
		t.Errorf("VTEPMAC %s is not a locally administered unicast address", m1)
	}
}
