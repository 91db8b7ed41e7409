package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

var lbT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// lbService is a LoadBalancer Service created created minutes after lbT0
// with the given TCP ports.
func lbService(name string, created int, ports ...int32) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
		CreationTimestamp: metav1.NewTime(lbT0.Add(time.Duration(created) * time.Minute))},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
	objects.SetTypeMeta(s, "Service")
	for _, p := range ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: p, Protocol: corev1.ProtocolTCP})
	}
	return s
}

func lbNode(name, ip string, ready, cordoned bool, labels map[string]string) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.NodeSpec{Unschedulable: cordoned},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}}}
}

func TestLoadBalancerNodeAddresses(t *testing.T) {
	optIn := map[string]string{LabelLoadBalancerNode: "true"}
	external := lbNode("e", "10.0.0.5", true, false, nil)
	external.Status.Addresses = append(external.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.5"})
	for _, tc := range []struct {
		name  string
		nodes []*corev1.Node
		want  string
	}{
		{"ready nodes", []*corev1.Node{lbNode("b", "10.0.0.2", true, false, nil), lbNode("a", "10.0.0.1", true, false, nil)}, "10.0.0.1 10.0.0.2"},
		{"not ready and cordoned left out", []*corev1.Node{lbNode("a", "10.0.0.1", false, false, nil), lbNode("b", "10.0.0.2", true, true, nil), lbNode("c", "10.0.0.3", true, false, nil)}, "10.0.0.3"},
		{"excluded by Kubernetes' label", []*corev1.Node{lbNode("a", "10.0.0.1", true, false, map[string]string{corev1.LabelNodeExcludeBalancers: ""}), lbNode("b", "10.0.0.2", true, false, nil)}, "10.0.0.2"},
		{"opt-in label picks nodes", []*corev1.Node{lbNode("a", "10.0.0.1", true, false, optIn), lbNode("b", "10.0.0.2", true, false, nil)}, "10.0.0.1"},
		{"opted-in node not ready", []*corev1.Node{lbNode("a", "10.0.0.1", false, false, optIn), lbNode("b", "10.0.0.2", true, false, nil)}, ""},
		{"ExternalIP preferred", []*corev1.Node{external}, "203.0.113.5"},
		{"no nodes", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(LoadBalancerNodeAddresses(tc.nodes), " "); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseAddressPool(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "", ""},
		{"192.0.2.0/29", "192.0.2.1-192.0.2.6", ""},
		{"192.0.2.7/32", "192.0.2.7-192.0.2.7", ""},
		{"192.0.2.10-192.0.2.20", "192.0.2.10-192.0.2.20", ""},
		{" 192.0.2.10 - 192.0.2.10 ", "192.0.2.10-192.0.2.10", ""},
		{"192.0.2.20-192.0.2.10", "", "first <= last"},
		{"2001:db8::/64", "", "IPv4 CIDR"},
		{"pool", "", "IPv4 CIDR"},
	} {
		p, err := ParseAddressPool(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("%q: %q %v, want %q", tc.in, p.String(), err, tc.want)
		}
	}
}

func FuzzParseAddressPool(f *testing.F) {
	for _, s := range []string{"", "192.0.2.0/24", "10.0.0.1-10.0.0.9", "0.0.0.0/0", "1.2.3.4/32", "-", "a-b", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseAddressPool(s)
		if err != nil || p.Empty() {
			return
		}
		if !p.Contains(p.First) || !p.Contains(p.Last) || p.Last.Less(p.First) {
			t.Fatalf("%q: pool %s does not contain its ends", s, p)
		}
	})
}

func ingressIPs(r LoadBalancerResult) string {
	var ips []string
	for _, in := range r.Ingress {
		ips = append(ips, in.IP)
	}
	return strings.Join(ips, " ")
}

func TestAssignLoadBalancers(t *testing.T) {
	nodes := []string{"10.0.0.1", "10.0.0.2"}
	pool, _ := ParseAddressPool("192.0.2.10-192.0.2.12")
	withIP := func(s *corev1.Service, ip string) *corev1.Service { s.Spec.LoadBalancerIP = ip; return s }
	withStatus := func(s *corev1.Service, ip string) *corev1.Service {
		s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
		return s
	}
	udp := lbService("dns", 3, 53)
	udp.Spec.Ports[0].Protocol = corev1.ProtocolUDP
	for _, tc := range []struct {
		name  string
		svcs  []*corev1.Service
		nodes []string
		pool  AddressPool
		want  map[string]string // name → ingress IPs or "error: …"
	}{
		{"every node's address", []*corev1.Service{lbService("web", 0, 80, 443)}, nodes, AddressPool{},
			map[string]string{"web": "10.0.0.1 10.0.0.2"}},
		{"later service on a taken port is pending", []*corev1.Service{lbService("late", 2, 8080, 80), lbService("web", 0, 80), lbService("other", 1, 81)}, nodes, AddressPool{},
			map[string]string{"web": "10.0.0.1 10.0.0.2", "other": "10.0.0.1 10.0.0.2", "late": "error: port 80/TCP is already used by service default/web"}},
		{"same port, other protocol", []*corev1.Service{lbService("web", 0, 53), udp}, nodes, AddressPool{},
			map[string]string{"web": "10.0.0.1 10.0.0.2", "dns": "10.0.0.1 10.0.0.2"}},
		{"no eligible node", []*corev1.Service{lbService("web", 0, 80)}, nil, AddressPool{},
			map[string]string{"web": "error: no eligible node to answer on"}},
		{"loadBalancerIP without a pool", []*corev1.Service{withIP(lbService("web", 0, 80), "192.0.2.10")}, nodes, AddressPool{},
			map[string]string{"web": "error: spec.loadBalancerIP 192.0.2.10 cannot be honoured"}},
		{"pool: one address each, in order", []*corev1.Service{lbService("b", 1, 80), lbService("a", 0, 80)}, nodes, pool,
			map[string]string{"a": "192.0.2.10", "b": "192.0.2.11"}},
		{"pool: a kept address stays, new ones skip it", []*corev1.Service{withStatus(lbService("b", 1, 80), "192.0.2.10"), lbService("a", 0, 80)}, nodes, pool,
			map[string]string{"a": "192.0.2.11", "b": "192.0.2.10"}},
		{"pool: loadBalancerIP", []*corev1.Service{withIP(lbService("a", 0, 80), "192.0.2.12")}, nodes, pool,
			map[string]string{"a": "192.0.2.12"}},
		{"pool: loadBalancerIP outside", []*corev1.Service{withIP(lbService("a", 0, 80), "192.0.2.99")}, nodes, pool,
			map[string]string{"a": "error: spec.loadBalancerIP 192.0.2.99 is not in the address pool 192.0.2.10-192.0.2.12"}},
		{"pool: shared requested address, ports differ", []*corev1.Service{withIP(lbService("a", 0, 80), "192.0.2.10"), withIP(lbService("b", 1, 443), "192.0.2.10")}, nodes, pool,
			map[string]string{"a": "192.0.2.10", "b": "192.0.2.10"}},
		{"pool: shared requested address, same port", []*corev1.Service{withIP(lbService("a", 0, 80), "192.0.2.10"), withIP(lbService("b", 1, 80), "192.0.2.10")}, nodes, pool,
			map[string]string{"a": "192.0.2.10", "b": "error: port 80/TCP is already used by service default/a"}},
		{"pool: exhausted", []*corev1.Service{lbService("a", 0, 80), lbService("b", 1, 80), lbService("c", 2, 80), lbService("d", 3, 80)}, nodes, pool,
			map[string]string{"a": "192.0.2.10", "b": "192.0.2.11", "c": "192.0.2.12", "d": "error: no address left in the address pool"}},
		{"not LoadBalancer: nothing", []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"}}}, nodes, pool,
			map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AssignLoadBalancers(tc.svcs, tc.nodes, tc.pool)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d results, want %d: %+v", len(got), len(tc.want), got)
			}
			for name, want := range tc.want {
				r, ok := got[objects.Key{Kind: "Service", Namespace: "default", Name: name}]
				if !ok {
					t.Fatalf("%s: no result", name)
				}
				if e, isErr := strings.CutPrefix(want, "error: "); isErr {
					if len(r.Ingress) > 0 || !strings.Contains(r.Error, e) || r.Reason == "" {
						t.Errorf("%s: ingress %q error %q, want no ingress and an error containing %q", name, ingressIPs(r), r.Error, e)
					}
				} else if ingressIPs(r) != want || r.Error != "" {
					t.Errorf("%s: ingress %q error %q, want %q", name, ingressIPs(r), r.Error, want)
				}
			}
		})
	}
}

func TestLoadBalancerStatusEventsOnlyOnChange(t *testing.T) {
	s := lbService("late", 1, 80)
	conflict := LoadBalancerResult{Reason: ReasonPortInUse, Error: "port 80/TCP is already used by service default/web"}
	next, evs := loadBalancerStatus(s, conflict, "endpoint-controller", lbT0)
	c := apimeta.FindStatusCondition(next.Status.Conditions, corev1.LoadBalancerPortsError)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != "PortInUse" || c.Message != conflict.Error {
		t.Fatalf("condition %+v", c)
	}
	if len(evs) != 1 || evs[0].Type != events.Warning || evs[0].Reason != "SyncLoadBalancerFailed" ||
		evs[0].Message != "Error syncing load balancer: failed to ensure load balancer: port 80/TCP is already used by service default/web" {
		t.Fatalf("events %+v", evs)
	}
	if again, evs := loadBalancerStatus(next, conflict, "endpoint-controller", lbT0.Add(time.Minute)); again != nil || evs != nil {
		t.Fatalf("same result wrote %v and recorded %v", again, evs)
	}
	served := LoadBalancerResult{Ingress: ingressOf("10.0.0.1")}
	done, evs := loadBalancerStatus(next, served, "endpoint-controller", lbT0)
	if done == nil || len(done.Status.Conditions) != 0 || ingressIPs(LoadBalancerResult{Ingress: done.Status.LoadBalancer.Ingress}) != "10.0.0.1" {
		t.Fatalf("served: %+v", done)
	}
	if len(evs) != 1 || evs[0].Reason != "EnsuredLoadBalancer" || evs[0].Type != events.Normal {
		t.Fatalf("events %+v", evs)
	}
	// No longer a LoadBalancer: the status is cleared, without events.
	done.Spec.Type = corev1.ServiceTypeClusterIP
	cleared, evs := loadBalancerStatus(done, LoadBalancerResult{}, "endpoint-controller", lbT0)
	if cleared == nil || len(cleared.Status.LoadBalancer.Ingress) != 0 || len(evs) != 0 {
		t.Fatalf("cleared %+v events %+v", cleared, evs)
	}
	if none, _ := loadBalancerStatus(lbService("plain", 0, 80), LoadBalancerResult{}, "c", lbT0); none != nil {
		t.Fatal("a Service without load balancer status was written")
	}
}

// TestManagerLoadBalancerStatus runs the Service step in the runner over a
// real store: addresses in status, a conflict reported and resolved when
// the older Service goes, a node leaving the addresses when NotReady.
func TestManagerLoadBalancerStatus(t *testing.T) {
	st := startManager(t, Options{})
	setNode := func(name, ip string, ready bool) {
		registerNode(t, st, name, "4", time.Now(), ready)
		write(t, st, func(tx *store.Tx) error {
			o, err := tx.Get(objects.Key{Kind: "Node", Name: name})
			if err != nil {
				return err
			}
			n := o.(*corev1.Node)
			n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
			return tx.UpdateStatus(n)
		})
	}
	setNode("n1", "10.0.0.1", true)
	setNode("n2", "10.0.0.2", true)
	first, late := lbService("a-first", 0, 80), lbService("b-late", 0, 8080, 80)
	first.CreationTimestamp, late.CreationTimestamp = metav1.Time{}, metav1.Time{}
	write(t, st, func(tx *store.Tx) error { return tx.Create(first) })
	write(t, st, func(tx *store.Tx) error { return tx.Create(late) })
	status := func(name string) (string, *metav1.Condition) {
		o, err := st.Get(objects.Key{Kind: "Service", Namespace: "default", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		s := o.(*corev1.Service)
		return ingressIPs(LoadBalancerResult{Ingress: s.Status.LoadBalancer.Ingress}), apimeta.FindStatusCondition(s.Status.Conditions, corev1.LoadBalancerPortsError)
	}
	expect := func(what, name, ips, condMsg string) {
		t.Helper()
		testkit.Eventually(t, 10*time.Second, what, func() error {
			got, c := status(name)
			msg := ""
			if c != nil {
				msg = c.Message
			}
			if got != ips || msg != condMsg {
				return fmt.Errorf("%s: ingress %q condition %q, want %q and %q", name, got, msg, ips, condMsg)
			}
			return nil
		})
	}
	expect("the first service on every node", "a-first", "10.0.0.1 10.0.0.2", "")
	expect("the later one pending", "b-late", "", "port 80/TCP is already used by service default/a-first")
	evs, _, err := st.List("Event", "default")
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, o := range evs {
		e := o.(*corev1.Event)
		warned = warned || (e.Reason == "SyncLoadBalancerFailed" && e.InvolvedObject.Name == "b-late" && e.Source.Component == "service-controller")
	}
	if !warned {
		t.Error("no SyncLoadBalancerFailed event for the pending service")
	}
	write(t, st, func(tx *store.Tx) error { return tx.Delete(objects.KeyOf(first)) })
	expect("the port freed", "b-late", "10.0.0.1 10.0.0.2", "")
	setNode("n2", "10.0.0.2", false)
	expect("a NotReady node leaves", "b-late", "10.0.0.1", "")
}

func TestLoadBalancersOnNodeChange(t *testing.T) {
	c := newCache()
	c.put(lbService("web", 0, 80))
	plain := lbService("plain", 0, 80)
	plain.Spec.Type = corev1.ServiceTypeClusterIP
	c.put(plain)
	ready := lbNode("n1", "10.0.0.1", true, false, nil)
	beat := ready.DeepCopy()
	beat.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(lbT0)
	for _, tc := range []struct {
		name     string
		old, cur *corev1.Node
		want     int
	}{
		{"heartbeat", ready, beat, 0},
		{"new node", nil, ready, 1},
		{"gone", ready, nil, 1},
		{"not ready", ready, lbNode("n1", "10.0.0.1", false, false, nil), 1},
		{"cordoned", ready, lbNode("n1", "10.0.0.1", true, true, nil), 1},
		{"new address", ready, lbNode("n1", "10.0.0.9", true, false, nil), 1},
		{"opted in", ready, lbNode("n1", "10.0.0.1", true, false, map[string]string{LabelLoadBalancerNode: "true"}), 1},
	} {
		var old, cur objects.Object
		if tc.old != nil {
			old = tc.old
		}
		if tc.cur != nil {
			cur = tc.cur
		}
		if got := loadBalancersOnNodeChange(c, old, cur); len(got) != tc.want {
			t.Errorf("%s: queued %v, want %d LoadBalancer", tc.name, got, tc.want)
		}
	}
}
