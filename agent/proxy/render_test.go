package proxy

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/knftables"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func service(name, ip string, typ corev1.ServiceType, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: ip, Type: typ, Ports: ports}}
}

func port(name string, proto corev1.Protocol, p, nodePort int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: p, NodePort: nodePort, TargetPort: intstr.FromInt32(8080)}
}

// endpoints of service name: each port name with its target port, on
// every ready ip; notReady ips go to notReadyAddresses.
func endpoints(name string, ports map[string]int32, ready []string, notReady ...string) *corev1.Endpoints {
	ss := corev1.EndpointSubset{}
	for _, ip := range ready {
		ss.Addresses = append(ss.Addresses, corev1.EndpointAddress{IP: ip})
	}
	for _, ip := range notReady {
		ss.NotReadyAddresses = append(ss.NotReadyAddresses, corev1.EndpointAddress{IP: ip})
	}
	for n, p := range ports {
		ss.Ports = append(ss.Ports, corev1.EndpointPort{Name: n, Port: p, Protocol: corev1.ProtocolTCP})
	}
	return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Subsets: []corev1.EndpointSubset{ss}}
}

// onNodes sets the nodeName of ep's addresses from ip → node.
func onNodes(ep *corev1.Endpoints, nodes map[string]string) *corev1.Endpoints {
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Addresses {
			a := &ep.Subsets[i].Addresses[j]
			if n, ok := nodes[a.IP]; ok {
				a.NodeName = &n
			}
		}
	}
	return ep
}

// loadBalancer is a LoadBalancer Service with ingress addresses ips.
func loadBalancer(name, clusterIP string, ips []string, ports ...corev1.ServicePort) *corev1.Service {
	s := service(name, clusterIP, corev1.ServiceTypeLoadBalancer, ports...)
	for _, ip := range ips {
		s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	return s
}

// renderCase is one golden file's input.
type renderCase struct {
	name string
	svcs []*corev1.Service
	eps  []*corev1.Endpoints
	opts Options
}

// renderCases are the inputs of the golden files testdata/NAME.golden
// and NAME.nft.golden.
func renderCases() []renderCase {
	affinity := service("sticky", "10.96.0.30", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))
	affinity.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	nodeIPs := []string{"192.168.1.2", "192.168.1.3"}
	ranged := loadBalancer("ranged", "10.96.0.51", []string{"192.0.2.10"}, port("", corev1.ProtocolTCP, 443, 0))
	ranged.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24", "198.51.100.7/32"}
	ext := func(s *corev1.Service) *corev1.Service {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		return s
	}
	internal := func(s *corev1.Service) *corev1.Service {
		l := corev1.ServiceInternalTrafficPolicyLocal
		s.Spec.InternalTrafficPolicy = &l
		return s
	}
	stickyLocal := ext(loadBalancer("sticky-local", "10.96.0.63", nodeIPs, port("", corev1.ProtocolTCP, 8443, 30443)))
	stickyLocal.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	onN1 := map[string]string{"10.88.0.2": "n1", "10.88.1.2": "n2", "10.88.1.3": "n2"}
	return []renderCase{
		{name: "clusterip",
			svcs: []*corev1.Service{service("web", "10.96.0.10", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))},
			eps:  []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.3", "10.88.0.2", "10.88.0.4"}, "10.88.0.9")}},
		{name: "nodeport",
			svcs: []*corev1.Service{service("web", "10.96.0.10", corev1.ServiceTypeNodePort, port("", corev1.ProtocolTCP, 80, 30080))},
			eps:  []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.0.3"})},
			opts: Options{ClusterCIDR: "10.88.0.0/16"}},
		{name: "several-ports",
			svcs: []*corev1.Service{service("dns", "10.96.0.20", corev1.ServiceTypeClusterIP,
				port("dns", corev1.ProtocolUDP, 53, 0), port("dns-tcp", corev1.ProtocolTCP, 53, 0), port("metrics", corev1.ProtocolTCP, 9153, 0))},
			eps: []*corev1.Endpoints{endpoints("dns", map[string]int32{"dns": 5353, "dns-tcp": 5353, "metrics": 9153}, []string{"10.88.0.5", "10.88.0.6"})}},
		{name: "local-hairpin",
			svcs: []*corev1.Service{service("web", "10.96.1.10", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))},
			eps:  []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.1.2"})},
			opts: Options{NodePodCIDR: "10.88.0.0/24"}},
		{name: "affinity",
			svcs: []*corev1.Service{affinity},
			eps:  []*corev1.Endpoints{endpoints("sticky", map[string]int32{"": 8080}, []string{"10.88.0.7", "10.88.0.8"})}},
		{name: "no-endpoints",
			svcs: []*corev1.Service{
				service("empty", "10.96.0.40", corev1.ServiceTypeNodePort, port("http", corev1.ProtocolTCP, 80, 30081)),
				service("unready", "10.96.0.41", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0)),
				service("headless", corev1.ClusterIPNone, corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0)),
			},
			eps: []*corev1.Endpoints{endpoints("unready", map[string]int32{"": 8080}, nil, "10.88.0.9"),
				endpoints("headless", map[string]int32{"": 8080}, []string{"10.88.0.10"})}},
		// The service CIDR's catch-all REJECT comes after the per-service
		// ones; a host address in the flag is masked to the network.
		{name: "service-cidr",
			svcs: []*corev1.Service{
				service("web", "10.96.0.10", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0)),
				service("empty", "10.96.0.40", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0)),
			},
			eps:  []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2"})},
			opts: Options{ServiceCIDR: "10.96.7.7/16"}},
		// LoadBalancer: every ingress address into the EXT chain (with a
		// NodePort, the same chain); source ranges filter the addresses;
		// no endpoints rejects on the addresses too.
		{name: "loadbalancer",
			svcs: []*corev1.Service{
				loadBalancer("shop", "10.96.0.50", nodeIPs, port("http", corev1.ProtocolTCP, 80, 30080)),
				ranged,
				loadBalancer("empty", "10.96.0.52", nodeIPs, port("", corev1.ProtocolTCP, 8080, 30081)),
				loadBalancer("pending", "10.96.0.53", nil, port("", corev1.ProtocolTCP, 80, 30082)),
			},
			eps: []*corev1.Endpoints{endpoints("shop", map[string]int32{"http": 8080}, []string{"10.88.0.2", "10.88.1.2"}),
				endpoints("ranged", map[string]int32{"": 8443}, []string{"10.88.0.3"})},
			opts: Options{ClusterCIDR: "10.88.0.0/16"}},
		// Traffic policies Local on node n1: only n1's endpoints for
		// outside clients (no masquerade), drops where n1 has none.
		{name: "traffic-policy-local",
			svcs: []*corev1.Service{
				ext(loadBalancer("local", "10.96.0.60", nodeIPs, port("", corev1.ProtocolTCP, 80, 30090))),
				ext(loadBalancer("elsewhere", "10.96.0.61", nodeIPs, port("", corev1.ProtocolTCP, 81, 30091))),
				ext(service("np-local", "10.96.0.62", corev1.ServiceTypeNodePort, port("", corev1.ProtocolTCP, 82, 30092))),
				stickyLocal,
				internal(service("internal", "10.96.0.70", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))),
				internal(service("internal-elsewhere", "10.96.0.71", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))),
			},
			eps: []*corev1.Endpoints{
				onNodes(endpoints("local", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.1.2"}), onN1),
				onNodes(endpoints("elsewhere", map[string]int32{"": 8080}, []string{"10.88.1.2"}), onN1),
				onNodes(endpoints("np-local", map[string]int32{"": 8080}, []string{"10.88.1.3"}), onN1),
				onNodes(endpoints("sticky-local", map[string]int32{"": 8443}, []string{"10.88.0.2", "10.88.1.2"}), onN1),
				onNodes(endpoints("internal", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.1.2"}), onN1),
				onNodes(endpoints("internal-elsewhere", map[string]int32{"": 8080}, []string{"10.88.1.3"}), onN1),
			},
			opts: Options{ClusterCIDR: "10.88.0.0/16", NodeName: "n1"}},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := RestoreText(Render(tc.svcs, tc.eps, tc.opts), nil, nil, nil)
			testkit.Golden(t, filepath.Join("testdata", tc.name+".golden"), got)
			// The fake (like iptables-restore) accepts it.
			if err := NewFake().Restore(t.Context(), got); err != nil {
				t.Fatal(err)
			}
			// The nftables mode, from the same input: its full-sync
			// transaction, which knftables' fake accepts.
			nrs := RenderNFT(tc.svcs, tc.eps, tc.opts)
			testkit.Golden(t, filepath.Join("testdata", tc.name+".nft.golden"), []byte(NFTText(nrs)))
			fake := knftables.NewFake(knftables.IPv4Family, NFTTable)
			tx := fake.NewTransaction()
			NFTTransaction(tx, nrs, nil)
			if err := fake.Run(t.Context(), tx); err != nil {
				t.Fatalf("knftables' fake refuses the nftables rules: %v", err)
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	a := service("a", "10.96.0.1", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))
	b := service("b", "10.96.0.2", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))
	ea := endpoints("a", map[string]int32{"": 80}, []string{"10.88.0.1", "10.88.0.2"})
	eb := endpoints("b", map[string]int32{"": 80}, []string{"10.88.0.3"})
	x := RestoreText(Render([]*corev1.Service{a, b}, []*corev1.Endpoints{ea, eb}, Options{}), nil, nil, nil)
	y := RestoreText(Render([]*corev1.Service{b, a}, []*corev1.Endpoints{eb, ea}, Options{}), nil, nil, nil)
	if string(x) != string(y) {
		t.Fatalf("order of the input changed the output:\n%s\n---\n%s", x, y)
	}
}

func TestSplitRule(t *testing.T) {
	got := SplitRule(`-m comment --comment "reconcile service portals" -j RECONCILE-SERVICES`)
	want := []string{"-m", "comment", "--comment", "reconcile service portals", "-j", "RECONCILE-SERVICES"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%q, want %q", got, want)
		}
	}
}

// TestRendererMemory: a Renderer that remembers rules by resourceVersion
// renders what Render renders, after changes of services and endpoints.
func TestRendererMemory(t *testing.T) {
	svcs, eps := world(20)
	r := &Renderer{}
	check := func(step string) {
		t.Helper()
		got := RestoreText(r.Render(svcs, eps), nil, nil, nil)
		want := RestoreText(Render(svcs, eps, r.Options), nil, nil, nil)
		if string(got) != string(want) {
			t.Fatalf("%s: the remembered rules differ from a fresh render", step)
		}
	}
	check("first")
	check("unchanged")
	eps[3] = endpoints("svc-00003", map[string]int32{"http": 8080}, []string{"10.244.9.9"})
	eps[3].UID, eps[3].ResourceVersion = "svc-00003-ep", "1000"
	check("endpoints changed")
	svcs[5] = svcs[5].DeepCopy()
	svcs[5].Spec.Type, svcs[5].Spec.Ports[0].NodePort, svcs[5].ResourceVersion = corev1.ServiceTypeNodePort, 30005, "1001"
	check("service changed")
	svcs, eps = svcs[1:], eps[1:]
	check("service deleted")
	if len(r.memo) != 19 {
		t.Fatalf("the memory holds %d services, want 19", len(r.memo))
	}
	r.Options.NodePodCIDR = "10.244.0.0/30" // fewer hairpin rules: nothing remembered may stay
	check("options changed")
	r.Options.ServiceCIDR = "10.96.0.0/16"
	check("service CIDR set")
}

// TestServiceCIDRReject: the catch-all rule is there only with a valid
// IPv4 service CIDR, once, whatever the number of services.
func TestServiceCIDRReject(t *testing.T) {
	svcs, eps := world(3)
	for _, tc := range []struct {
		cidr string
		want int
	}{{"", 0}, {"10.96.0.0/16", 1}, {"10.96.3.4/16", 1}, {"fd00::/108", 0}, {"10.96.0.0", 0}} {
		n := 0
		for _, c := range Render(svcs, eps, Options{ServiceCIDR: tc.cidr}).Chains {
			for _, r := range c.Rules {
				if strings.Contains(r, "no service at this cluster IP") {
					n++
					if c.Table != TableFilter || c.Name != ChainServices || !strings.HasPrefix(r, "-d 10.96.0.0/16 ") {
						t.Errorf("ServiceCIDR %q: rule %q in %s %s", tc.cidr, r, c.Table, c.Name)
					}
				}
			}
		}
		if n != tc.want {
			t.Errorf("ServiceCIDR %q: %d catch-all rules, want %d", tc.cidr, n, tc.want)
		}
	}
}
