package nodeipam

import (
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

func TestAllocate(t *testing.T) {
	cluster := netip.MustParsePrefix("10.244.0.0/16")
	tests := []struct {
		name    string
		cluster netip.Prefix
		taken   map[string]string
		node    string
		want    string
		wantErr string
	}{
		{name: "first node gets the lowest subnet", cluster: cluster, node: "a", want: "10.244.0.0/24"},
		{name: "a known node keeps its subnet", cluster: cluster, taken: map[string]string{"a": "10.244.7.0/24"}, node: "a", want: "10.244.7.0/24"},
		{name: "next free subnet", cluster: cluster, taken: map[string]string{"a": "10.244.0.0/24", "b": "10.244.1.0/24"}, node: "c", want: "10.244.2.0/24"},
		{name: "a hole is reused", cluster: cluster, taken: map[string]string{"a": "10.244.0.0/24", "b": "10.244.2.0/24"}, node: "c", want: "10.244.1.0/24"},
		{name: "a subnet outside the cluster CIDR is replaced", cluster: cluster, taken: map[string]string{"a": "10.50.0.0/24"}, node: "a", want: "10.244.0.0/24"},
		{name: "full", cluster: netip.MustParsePrefix("10.244.0.0/23"), taken: map[string]string{"a": "10.244.0.0/24", "b": "10.244.1.0/24"}, node: "c",
			wantErr: "all 2 node subnets of 10.244.0.0/23 are taken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Allocate(tc.cluster, 24, tc.taken, tc.node)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("Allocate = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{ClusterCIDR: "nonsense"}, {ClusterCIDR: "10.0.0.0/24", NodeMask: 16}, {ClusterCIDR: "fd00::/64"}} {
		if _, _, err := c.parse(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestGateway(t *testing.T) {
	gw, err := Gateway("10.244.3.0/24")
	if err != nil || gw.String() != "10.244.3.1" {
		t.Fatalf("Gateway = %v, %v", gw, err)
	}
}

// TestAssignIsStable registers nodes against real Badger: subnets are
// distinct, survive a re-registration with an empty spec and a reopened store.
func TestAssignIsStable(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	register := func(st *store.Store, name string) string {
		t.Helper()
		n := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := st.Update(func(tx *store.Tx) error { return Assign(tx, n, Config{}) }); err != nil {
			t.Fatal(err)
		}
		if len(n.Spec.PodCIDRs) != 1 || n.Spec.PodCIDRs[0] != n.Spec.PodCIDR {
			t.Fatalf("podCIDRs %v do not match podCIDR %s", n.Spec.PodCIDRs, n.Spec.PodCIDR)
		}
		return n.Spec.PodCIDR
	}
	a, b := register(st, "node-a"), register(st, "node-b")
	if a != "10.244.0.0/24" || b != "10.244.1.0/24" {
		t.Fatalf("subnets a=%s b=%s", a, b)
	}
	if again := register(st, "node-a"); again != a {
		t.Fatalf("re-registration moved node-a from %s to %s", a, again)
	}
	st.Close()
	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := register(st, "node-b"); got != b {
		t.Fatalf("after reopening the store node-b moved from %s to %s", b, got)
	}
	if c := register(st, "node-c"); c != "10.244.2.0/24" {
		t.Fatalf("node-c got %s", c)
	}
}

func TestConfigHolds(t *testing.T) {
	def := Config{}
	wide := Config{ClusterCIDR: "10.0.0.0/8", NodeMask: 24}
	tests := []struct {
		cfg     Config
		podCIDR string
		want    bool
	}{
		{def, "10.244.3.0/24", true},
		{def, "10.244.3.0/26", false}, // another node mask
		{def, "10.245.3.0/24", false}, // outside the cluster CIDR
		{def, "10.244.3.1/24", false}, // not a subnet's first address
		{def, "", false},              // never assigned
		{wide, "10.17.3.0/24", true},
		{wide, "10.244.3.0/24", true}, // 10.244/16 lies in 10/8
		{Config{ClusterCIDR: "nonsense"}, "10.244.3.0/24", false},
	}
	for _, tt := range tests {
		if got := tt.cfg.Holds(tt.podCIDR); got != tt.want {
			t.Errorf("%+v holds %q: %v, want %v", tt.cfg, tt.podCIDR, got, tt.want)
		}
	}
	if n, err := wide.Validate(); err != nil || n != 65536 {
		t.Errorf("10.0.0.0/8 by /24: %d subnets (%v), want 65,536", n, err)
	}
}
