package reconcile

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// svc is a Service as the validator hands it out (typed, defaulted).
func svc(name, clusterIP string, typ corev1.ServiceType, nodePorts ...int32) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: clusterIP, Type: typ, Selector: map[string]string{"app": name}}}
	objects.SetTypeMeta(s, "Service")
	if len(nodePorts) == 0 {
		nodePorts = []int32{0}
	}
	for i, np := range nodePorts {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "p" + string(rune('a'+i)), Protocol: corev1.ProtocolTCP,
			Port: 80 + int32(i), TargetPort: intstr.FromInt32(8080), NodePort: np})
	}
	return s
}

func storedService(t *testing.T, st *store.Store, name string) *corev1.Service {
	t.Helper()
	o, err := st.Get(objects.Key{Kind: "Service", Namespace: "default", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return o.(*corev1.Service)
}

func TestAllocationIsStable(t *testing.T) {
	st := openStore(t)
	a := NewApplier(st)
	prune := ApplyOptions{Prune: true}
	res, err := a.Apply(src, commit("A"), want(svc("web", "", corev1.ServiceTypeNodePort), svc("db", "", corev1.ServiceTypeClusterIP)), nil, prune)
	if err != nil || len(res.Status.Errors) > 0 {
		t.Fatalf("apply: %v %v", err, res.Status.Errors)
	}
	web, db := storedService(t, st, "web"), storedService(t, st, "db")
	if web.Spec.ClusterIP == "" || db.Spec.ClusterIP == "" || web.Spec.ClusterIP == db.Spec.ClusterIP {
		t.Fatalf("clusterIPs %q and %q: want two different addresses", web.Spec.ClusterIP, db.Spec.ClusterIP)
	}
	if !strings.HasPrefix(web.Spec.ClusterIP, "10.96.") || web.Spec.ClusterIPs[0] != web.Spec.ClusterIP {
		t.Fatalf("clusterIP %q / %v not from 10.96.0.0/16", web.Spec.ClusterIP, web.Spec.ClusterIPs)
	}
	np := web.Spec.Ports[0].NodePort
	if np < 30000 || np > 32767 {
		t.Fatalf("nodePort %d outside 30000-32767", np)
	}
	if db.Spec.Ports[0].NodePort != 0 {
		t.Fatalf("a ClusterIP service got nodePort %d", db.Spec.Ports[0].NodePort)
	}
	if owner, _ := AllocatedClusterIP(st, web.Spec.ClusterIP); owner != "default/web" {
		t.Fatalf("allocation record of %s: %q", web.Spec.ClusterIP, owner)
	}

	// Re-apply with a changed label, a new Applier (a restarted
	// controller), and fresh manifests: same addresses, same port.
	changed := svc("web", "", corev1.ServiceTypeNodePort)
	changed.Labels = map[string]string{"tier": "front"}
	for i, a := range []*Applier{a, NewApplier(st)} {
		res, err := a.Apply(src, commit("B"), want(changed, svc("db", "", corev1.ServiceTypeClusterIP)), nil, prune)
		if err != nil || len(res.Status.Errors) > 0 {
			t.Fatalf("re-apply %d: %v %v", i, err, res.Status.Errors)
		}
		w := storedService(t, st, "web")
		if w.Spec.ClusterIP != web.Spec.ClusterIP || w.Spec.Ports[0].NodePort != np {
			t.Fatalf("re-apply %d changed the allocation: %s:%d, was %s:%d", i, w.Spec.ClusterIP, w.Spec.Ports[0].NodePort, web.Spec.ClusterIP, np)
		}
		if storedService(t, st, "db").Spec.ClusterIP != db.Spec.ClusterIP {
			t.Fatalf("re-apply %d changed db's clusterIP", i)
		}
	}
}

func TestAllocationConflictsRefuseTheCommit(t *testing.T) {
	st := openStore(t)
	a := NewApplier(st)
	prune := ApplyOptions{Prune: true}
	good := want(svc("web", "10.96.0.10", corev1.ServiceTypeNodePort, 30080), svc("headless", corev1.ClusterIPNone, corev1.ServiceTypeClusterIP))
	if res, _ := a.Apply(src, commit("A"), good, nil, prune); len(res.Status.Errors) > 0 {
		t.Fatal(res.Status.Errors)
	}
	if h := storedService(t, st, "headless"); h.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("headless service got clusterIP %q", h.Spec.ClusterIP)
	}
	for _, tc := range []struct {
		name string
		add  *corev1.Service
		want string
	}{
		{"taken clusterIP", svc("other", "10.96.0.10", corev1.ServiceTypeClusterIP), "spec.clusterIP: 10.96.0.10 is already allocated to Service default/web"},
		{"clusterIP out of range", svc("other", "10.0.0.10", corev1.ServiceTypeClusterIP), "spec.clusterIP: 10.0.0.10 is outside the service range 10.96.0.0/16"},
		{"not an address", svc("other", "ten", corev1.ServiceTypeClusterIP), `spec.clusterIP: "ten" is not an IPv4 address`},
		{"taken nodePort", svc("other", "", corev1.ServiceTypeNodePort, 30080), "spec.ports[0].nodePort: 30080 is already allocated to Service default/web"},
		{"nodePort out of range", svc("other", "", corev1.ServiceTypeNodePort, 80), "spec.ports[0].nodePort: 80 is outside the NodePort range 30000-32767"},
		{"nodePort on ClusterIP", svc("other", "", corev1.ServiceTypeClusterIP, 30090), `spec.ports[0].nodePort: may not be set when type is "ClusterIP"`},
		{"two new services want one address", nil, "spec.clusterIP: 10.96.0.77 is already allocated to Service default/other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rv := st.ResourceVersion()
			d := append(want(), good...)
			if tc.add != nil {
				d = append(d, want(tc.add)...)
			} else {
				d = append(d, want(svc("other", "10.96.0.77", corev1.ServiceTypeClusterIP), svc("zz-other", "10.96.0.77", corev1.ServiceTypeClusterIP))...)
			}
			res, err := a.Apply(src, commit("bad"), d, nil, prune)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Status.Errors) != 1 || !strings.Contains(res.Status.Errors[0], tc.want) {
				t.Fatalf("errors %q, want one containing %q", res.Status.Errors, tc.want)
			}
			if !strings.HasPrefix(res.Status.Errors[0], "apps/") {
				t.Errorf("error %q does not name the file", res.Status.Errors[0])
			}
			if st.ResourceVersion() != rv {
				t.Fatal("a refused commit wrote objects")
			}
			if res.Status.LastAppliedCommit != "A" {
				t.Fatalf("last applied %q, want A kept", res.Status.LastAppliedCommit)
			}
		})
	}
	// Changing an allocated clusterIP is refused too.
	res, _ := a.Apply(src, commit("C"), want(svc("web", "10.96.0.11", corev1.ServiceTypeNodePort, 30080)), nil, prune)
	if len(res.Status.Errors) != 1 || !strings.Contains(res.Status.Errors[0], "immutable") {
		t.Fatalf("errors %q, want the immutable clusterIP", res.Status.Errors)
	}
}

func TestAllocationReleasedOnDelete(t *testing.T) {
	st := openStore(t)
	a := NewApplier(st)
	prune := ApplyOptions{Prune: true}
	if res, _ := a.Apply(src, commit("A"), want(svc("web", "10.96.0.10", corev1.ServiceTypeNodePort, 30080), svc("db", "", corev1.ServiceTypeClusterIP)), nil, prune); len(res.Status.Errors) > 0 {
		t.Fatal(res.Status.Errors)
	}
	// web deleted: its address and port are free in the same store.
	if res, _ := a.Apply(src, commit("B"), want(svc("db", "", corev1.ServiceTypeClusterIP)), nil, prune); len(res.Status.Errors) > 0 || res.Deleted != 1 {
		t.Fatalf("%+v", res)
	}
	if owner, _ := AllocatedClusterIP(st, "10.96.0.10"); owner != "" {
		t.Fatalf("10.96.0.10 still recorded for %q after the delete", owner)
	}
	res, _ := a.Apply(src, commit("C"), want(svc("db", "", corev1.ServiceTypeClusterIP), svc("api", "10.96.0.10", corev1.ServiceTypeNodePort, 30080)), nil, prune)
	if len(res.Status.Errors) > 0 {
		t.Fatalf("released address and port not reusable: %v", res.Status.Errors)
	}
	// NodePort -> ClusterIP releases the port; the stored port is dropped.
	res, _ = a.Apply(src, commit("D"), want(svc("db", "", corev1.ServiceTypeClusterIP), svc("api", "10.96.0.10", corev1.ServiceTypeClusterIP)), nil, prune)
	if len(res.Status.Errors) > 0 {
		t.Fatal(res.Status.Errors)
	}
	if np := storedService(t, st, "api").Spec.Ports[0].NodePort; np != 0 {
		t.Fatalf("nodePort %d kept after the type changed to ClusterIP", np)
	}
	res, _ = a.Apply(src, commit("E"), want(svc("db", "", corev1.ServiceTypeClusterIP), svc("api", "10.96.0.10", corev1.ServiceTypeClusterIP), svc("web", "", corev1.ServiceTypeNodePort, 30080)), nil, prune)
	if len(res.Status.Errors) > 0 {
		t.Fatalf("port of a type change not released: %v", res.Status.Errors)
	}
}

func TestAllocationLoadBalancer(t *testing.T) {
	st := openStore(t)
	a := NewApplier(st)
	prune := ApplyOptions{Prune: true}
	noNodePorts := false
	lb := svc("shop", "", corev1.ServiceTypeLoadBalancer)
	local := svc("local", "", corev1.ServiceTypeLoadBalancer)
	local.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	bare := svc("bare", "", corev1.ServiceTypeLoadBalancer)
	bare.Spec.AllocateLoadBalancerNodePorts = &noNodePorts
	if res, err := a.Apply(src, commit("A"), want(lb, local, bare), nil, prune); err != nil || len(res.Status.Errors) > 0 {
		t.Fatalf("apply: %v %v", err, res.Status.Errors)
	}
	shop, l, b := storedService(t, st, "shop"), storedService(t, st, "local"), storedService(t, st, "bare")
	if shop.Spec.Ports[0].NodePort == 0 || shop.Spec.HealthCheckNodePort != 0 {
		t.Fatalf("LoadBalancer: nodePort %d healthCheckNodePort %d, want a nodePort and no health check port", shop.Spec.Ports[0].NodePort, shop.Spec.HealthCheckNodePort)
	}
	if b.Spec.Ports[0].NodePort != 0 {
		t.Fatalf("allocateLoadBalancerNodePorts false got nodePort %d", b.Spec.Ports[0].NodePort)
	}
	hc := l.Spec.HealthCheckNodePort
	if hc < 30000 || hc > 32767 || hc == l.Spec.Ports[0].NodePort || l.Spec.Ports[0].NodePort == 0 {
		t.Fatalf("Local: healthCheckNodePort %d nodePort %d, want two different ports in range", hc, l.Spec.Ports[0].NodePort)
	}
	// Stable across re-applies; another Service cannot take the port.
	taken := svc("taker", "", corev1.ServiceTypeNodePort, hc)
	res, _ := a.Apply(src, commit("B"), want(lb, local, bare, taken), nil, prune)
	if len(res.Status.Errors) != 1 || !strings.Contains(res.Status.Errors[0], "is already allocated to Service default/local") {
		t.Fatalf("errors %q, want the health check port taken", res.Status.Errors)
	}
	if got := storedService(t, st, "local").Spec.HealthCheckNodePort; got != hc {
		t.Fatalf("re-apply changed healthCheckNodePort %d to %d", hc, got)
	}
	// Back to Cluster: the port is dropped and free for another Service.
	cluster := svc("local", "", corev1.ServiceTypeLoadBalancer)
	if res, _ := a.Apply(src, commit("C"), want(lb, cluster, bare), nil, prune); len(res.Status.Errors) > 0 {
		t.Fatal(res.Status.Errors)
	}
	if got := storedService(t, st, "local").Spec.HealthCheckNodePort; got != 0 {
		t.Fatalf("Cluster policy kept healthCheckNodePort %d", got)
	}
	if res, _ := a.Apply(src, commit("D"), want(lb, cluster, bare, taken), nil, prune); len(res.Status.Errors) > 0 {
		t.Fatalf("released health check port still held: %v", res.Status.Errors)
	}
}
