package podnet

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name, cidr, ip string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: cidr}}
	if ip != "" {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}
	}
	return n
}

func TestDesiredRoutes(t *testing.T) {
	nodes := []*corev1.Node{
		node("c", "10.244.2.0/24", "10.99.0.3"),
		node("a", "10.244.0.0/24", "10.99.0.1"),
		node("b", "10.244.1.0/24", "10.99.0.2"),
		node("no-cidr", "", "10.99.0.4"),
		node("no-ip", "10.244.5.0/24", ""),
	}
	got := DesiredRoutes(nodes, "a")
	want := []Route{{Dst: "10.244.1.0/24", Via: "10.99.0.2"}, {Dst: "10.244.2.0/24", Via: "10.99.0.3"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DesiredRoutes = %v, want %v", got, want)
	}
}

func TestPlanRoutes(t *testing.T) {
	want := []Route{{Dst: "10.244.1.0/24", Via: "10.99.0.2"}, {Dst: "10.244.2.0/24", Via: "10.99.0.30"}}
	have := []Route{{Dst: "10.244.2.0/24", Via: "10.99.0.3"}, {Dst: "10.244.9.0/24", Via: "10.99.0.9"}, {Dst: "10.244.1.0/24", Via: "10.99.0.2"}}
	replace, remove := PlanRoutes(want, have)
	if fmt.Sprint(replace) != "[10.244.2.0/24 via 10.99.0.30]" || fmt.Sprint(remove) != "[10.244.9.0/24 via 10.99.0.9]" {
		t.Fatalf("replace %v remove %v", replace, remove)
	}
}

// fakeTable is a RouteTable in memory.
type fakeTable struct{ routes map[string]string }

func (f *fakeTable) List(context.Context) ([]Route, error) {
	var rs []Route
	for d, v := range f.routes {
		rs = append(rs, Route{Dst: d, Via: v})
	}
	return rs, nil
}
func (f *fakeTable) Replace(_ context.Context, r Route) error { f.routes[r.Dst] = r.Via; return nil }
func (f *fakeTable) Delete(_ context.Context, r Route) error  { delete(f.routes, r.Dst); return nil }

func TestSyncRoutes(t *testing.T) {
	tb := &fakeTable{routes: map[string]string{"10.244.9.0/24": "10.99.0.9", "10.244.1.0/24": "10.99.0.7"}}
	want := []Route{{Dst: "10.244.1.0/24", Via: "10.99.0.2"}, {Dst: "10.244.2.0/24", Via: "10.99.0.3"}}
	if err := SyncRoutes(context.Background(), tb, want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tb.routes, map[string]string{"10.244.1.0/24": "10.99.0.2", "10.244.2.0/24": "10.99.0.3"}) {
		t.Fatalf("routes after sync: %v", tb.routes)
	}
}
