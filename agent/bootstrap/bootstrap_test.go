package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/discovery"
	"github.com/reconcile-dev/reconcile/agent/podnet"
	"github.com/reconcile-dev/reconcile/agent/proxy"
)

// registrar fails its first failures calls, then succeeds.
type registrar struct {
	mu       sync.Mutex
	failures int
	nodes    []*corev1.Node
	onCall   func(n int) // after call n (1-based)
}

func (r *registrar) RegisterNode(_ context.Context, n *corev1.Node) error {
	r.mu.Lock()
	r.nodes = append(r.nodes, n)
	calls := len(r.nodes)
	r.mu.Unlock()
	if r.onCall != nil {
		r.onCall(calls)
	}
	if calls <= r.failures {
		return errors.New("connection refused")
	}
	return nil
}

func (r *registrar) calls() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.nodes) }

// nodeList is a NodeSource. Its node "self" gets podCIDR only after
// lateBy WaitNodes calls (the controller assigning it after a while).
// Later waits block until ctx ends.
type nodeList struct {
	mu      sync.Mutex
	podCIDR string
	lateBy  int
	waits   int
	lists   int
	others  []*corev1.Node
}

func (s *nodeList) ListNodes(context.Context) ([]*corev1.Node, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	self := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "self"}}
	if s.waits >= s.lateBy {
		self.Spec.PodCIDR = s.podCIDR
	}
	return append([]*corev1.Node{self}, s.others...), uint64(s.waits), nil
}

func (s *nodeList) WaitNodes(ctx context.Context, _ uint64) error {
	s.mu.Lock()
	late := s.waits < s.lateBy
	s.waits++
	s.mu.Unlock()
	if !late {
		<-ctx.Done()
	}
	return nil
}

// services is a proxy.Source with fixed services.
type services struct{ svcs []*corev1.Service }

func (s services) List(context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	return s.svcs, nil, 1, nil
}
func (services) Wait(ctx context.Context, _ uint64) error { <-ctx.Done(); return nil }

// host is a Host in memory; its masquerade chain goes to the proxy's fake
// iptables through podnet.Masquerade, as PodmanHost's goes to the real one.
type host struct {
	mu         sync.Mutex
	networkErr error
	forwarding int
	networks   []string // "name podCIDR mtu"
	ipt        *proxy.Fake
	routes     []podnet.Route
	neighs     []podnet.Neighbour
	fdb        []podnet.FDBEntry
	vxlanErr   error
	vxlan      []string // "nodeIP podCIDR" per EnsureVXLAN, "remove" per RemoveVXLAN
	onLink     map[string]bool
	routed     chan struct{} // closed at the first route
	dns        chan string   // the address ServeDNS was called with
}

func newHost() *host {
	return &host{ipt: proxy.NewFake(), routed: make(chan struct{}), dns: make(chan string, 1)}
}

func (h *host) EnableForwarding() error { h.mu.Lock(); h.forwarding++; h.mu.Unlock(); return nil }

func (h *host) EnsureNetwork(_ context.Context, name, podCIDR string, mtu int) (netip.Addr, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.networks = append(h.networks, fmt.Sprintf("%s %s %d", name, podCIDR, mtu))
	if h.networkErr != nil {
		return netip.Addr{}, h.networkErr
	}
	return netip.MustParsePrefix(podCIDR).Masked().Addr().Next(), nil
}

func (h *host) EnsureNoMasquerade(ctx context.Context, clusterCIDR string) error {
	return podnet.Masquerade{IPTables: h.ipt}.EnsureNoMasquerade(ctx, clusterCIDR)
}

func (h *host) List(context.Context) ([]podnet.Route, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.routes), nil
}

func (h *host) Replace(_ context.Context, r podnet.Route) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.routes = append(h.routes, r)
	if len(h.routes) == 1 {
		close(h.routed)
	}
	return nil
}

func (h *host) Delete(_ context.Context, r podnet.Route) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.routes = slices.DeleteFunc(h.routes, func(x podnet.Route) bool { return x == r })
	return nil
}

func (h *host) EnsureVXLAN(_ context.Context, nodeIP, podCIDR string) (podnet.VTEP, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.vxlan = append(h.vxlan, nodeIP+" "+podCIDR)
	if h.vxlanErr != nil {
		return podnet.VTEP{}, h.vxlanErr
	}
	return podnet.VTEP{MAC: "0a:00:00:00:00:01", MTU: 1450}, nil
}
func (h *host) OverlayMTU(context.Context, string) (int, error) { return 1450, nil }
func (h *host) RemoveVXLAN(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.vxlan = append(h.vxlan, "remove")
	return nil
}
func (h *host) OnLink(_ context.Context, ip string) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.onLink[ip], nil
}
func (h *host) ListNeighbours(context.Context) ([]podnet.Neighbour, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.neighs), nil
}
func (h *host) ReplaceNeighbour(_ context.Context, n podnet.Neighbour) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.neighs = append(slices.DeleteFunc(h.neighs, func(x podnet.Neighbour) bool { return x.IP == n.IP }), n)
	return nil
}
func (h *host) DeleteNeighbour(_ context.Context, n podnet.Neighbour) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.neighs = slices.DeleteFunc(h.neighs, func(x podnet.Neighbour) bool { return x == n })
	return nil
}
func (h *host) ListFDB(context.Context) ([]podnet.FDBEntry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.fdb), nil
}
func (h *host) ReplaceFDB(_ context.Context, f podnet.FDBEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fdb = append(slices.DeleteFunc(h.fdb, func(x podnet.FDBEntry) bool { return x.MAC == f.MAC }), f)
	return nil
}
func (h *host) DeleteFDB(_ context.Context, f podnet.FDBEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fdb = slices.DeleteFunc(h.fdb, func(x podnet.FDBEntry) bool { return x == f })
	return nil
}
func (h *host) ServeDNS(ctx context.Context, _ *discovery.Server, addr string) {
	h.dns <- addr
	<-ctx.Done()
}

func options(t *testing.T, reg *registrar, nodes *nodeList, h *host) Options {
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(resolv, []byte("nameserver 192.0.2.53\n"), 0o644)
	web := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}}
	return Options{NodeName: "self", Network: "reconcile", ClusterCIDR: "10.244.0.0/16", ResolvConf: resolv,
		Registrar: reg, Nodes: nodes, Services: services{[]*corev1.Service{web}}, Host: h,
		ClusterBackend: func(context.Context) (string, error) { return "auto", nil },
		Backoff:        wait.Backoff{Duration: time.Millisecond}}
}

// within fails the test when ch gives nothing for a long while: a guard
// against hanging, not a timing assertion.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s never happened", what)
	}
	var zero T
	return zero
}

// TestStartRetriesRegistration: registration fails twice, then succeeds;
// the node gets its network, the no-masquerade chain (through the proxy's
// iptables runner), DNS on the gateway, routes to the other node, and the
// agent gets service variables from the service source.
func TestStartRetriesRegistration(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reg := &registrar{failures: 2}
	other := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: corev1.NodeSpec{PodCIDR: "10.244.2.0/24"},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.0.2.20"}}}}
	nodes := &nodeList{podCIDR: "10.244.1.0/24", others: []*corev1.Node{other}}
	h := newHost()
	h.onLink = map[string]bool{"192.0.2.20": true}
	o := options(t, reg, nodes, h)
	o.NodeIP = "192.0.2.10"
	res, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if reg.calls() != 3 {
		t.Errorf("registered %d times, want 3 (two failures, one success)", reg.calls())
	}
	if n := reg.nodes[0]; n.Name != "self" || podnet.InternalIP(n) != "192.0.2.10" {
		t.Errorf("registered node %s with InternalIP %q, want self with --node-ip 192.0.2.10", n.Name, podnet.InternalIP(n))
	}
	if res.Network != "reconcile" || res.PodCIDR != "10.244.1.0/24" || res.DNS == nil || res.DNS.Server != "10.244.1.1" ||
		res.DNS.ClusterDomain != discovery.DefaultDomain || res.HostInfo == nil || res.HostInfo.IP != "192.0.2.10" {
		t.Fatalf("result %+v (DNS %+v)", res, res.DNS)
	}
	if !slices.Equal(h.networks, []string{"reconcile 10.244.1.0/24 1450"}) || h.forwarding != 1 {
		t.Errorf("networks made %q (want the overlay's MTU: auto may use it), forwarding enabled %d times", h.networks, h.forwarding)
	}
	if !slices.Equal(h.vxlan, []string{"192.0.2.10 10.244.1.0/24"}) {
		t.Errorf("VXLAN devices made: %q", h.vxlan)
	}
	if a := res.HostInfo.Annotations; a[podnet.AnnotationVXLANMAC] != "0a:00:00:00:00:01" || a[podnet.AnnotationBackend] != "auto" {
		t.Errorf("annotations the agent registers with: %v", a)
	}
	if chain := h.ipt.Tables[proxy.TableNAT][podnet.ChainNoMasq]; len(chain) != 1 || !strings.Contains(chain[0], "-s 10.244.0.0/16 -d 10.244.0.0/16") {
		t.Errorf("no-masquerade chain in the proxy's iptables: %q", chain)
	}
	if addr := within(t, h.dns, "the DNS server start"); addr != "10.244.1.1:53" {
		t.Errorf("DNS served on %s, want the gateway 10.244.1.1:53", addr)
	}
	within(t, h.routed, "a route to the other node")
	if rs, _ := h.List(ctx); len(rs) != 1 || rs[0] != (podnet.Route{Dst: "10.244.2.0/24", Via: "192.0.2.20"}) {
		t.Errorf("routes %v", rs)
	}
	env, err := res.ServiceEnv(ctx, "default")
	if err != nil || env["WEB_SERVICE_HOST"] != "10.96.0.10" {
		t.Errorf("service variables %v, %v", env, err)
	}
	var opts agent.Options
	res.AgentOptions(&opts)
	if opts.Network != "reconcile" || opts.DNS != res.DNS || opts.Host != res.HostInfo || opts.ServiceEnv == nil {
		t.Errorf("agent options %+v", opts)
	}
}

// TestStartWaitsForLatePodCIDR: the node's podCIDR shows up only after
// two node changes; Start waits for it and makes the network with it.
func TestStartWaitsForLatePodCIDR(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	nodes := &nodeList{podCIDR: "10.244.7.0/24", lateBy: 2}
	h := newHost()
	res, err := Start(ctx, options(t, &registrar{}, nodes, h))
	if err != nil {
		t.Fatal(err)
	}
	if res.PodCIDR != "10.244.7.0/24" || !slices.Equal(h.networks, []string{"reconcile 10.244.7.0/24 1450"}) {
		t.Fatalf("podCIDR %q, networks %q", res.PodCIDR, h.networks)
	}
	nodes.mu.Lock()
	defer nodes.mu.Unlock()
	if nodes.lists < 3 {
		t.Fatalf("nodes listed %d times before the podCIDR came, want at least 3", nodes.lists)
	}
}

// TestStartFallsBackToPodmanDefaultNetwork: when the Podman network cannot
// be made, Start succeeds with no network, podCIDR, DNS or service
// variables (pods run on Podman's default network) and writes no rules.
func TestStartFallsBackToPodmanDefaultNetwork(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	h := newHost()
	h.networkErr = errors.New("netavark: subnet overlaps")
	res, err := Start(ctx, options(t, &registrar{}, &nodeList{podCIDR: "10.244.1.0/24"}, h))
	if err != nil {
		t.Fatal(err)
	}
	if res.Network != "" || res.PodCIDR != "" || res.DNS != nil || res.ServiceEnv != nil {
		t.Fatalf("after a network failure: %+v, want Podman's default network", res)
	}
	if got, want := h.ipt.Save(), proxy.NewFake().Save(); got != want {
		t.Errorf("rules written after a network failure:\n%s", got)
	}
	select {
	case addr := <-h.dns:
		t.Errorf("DNS started on %s without a network", addr)
	default:
	}
}

// TestStartWithoutNetwork: --pod-network= registers nothing and touches
// nothing; --node-ip still reaches the agent.
func TestStartWithoutNetwork(t *testing.T) {
	reg := &registrar{}
	res, err := Start(t.Context(), Options{NodeName: "self", NodeIP: "192.0.2.10", Registrar: reg})
	if err != nil {
		t.Fatal(err)
	}
	if reg.calls() != 0 || res.Network != "" || res.HostInfo == nil || res.HostInfo.IP != "192.0.2.10" {
		t.Fatalf("registered %d times, result %+v", reg.calls(), res)
	}
}

// TestStartEndsWithContext: a registration that never succeeds ends when
// ctx does, with an error naming the last failure.
func TestStartEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reg := &registrar{failures: 1 << 30, onCall: func(n int) {
		if n == 3 {
			cancel()
		}
	}}
	_, err := Start(ctx, options(t, reg, &nodeList{}, newHost()))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v, want context.Canceled with the last failure", err)
	}
}

// TestStartRefusesMissingOptions: a wiring mistake is an error, not a panic.
func TestStartRefusesMissingOptions(t *testing.T) {
	_, err := Start(t.Context(), Options{NodeName: "self", Network: "reconcile"})
	for _, name := range []string{"ClusterCIDR", "Registrar", "Nodes", "Services", "Host", "ClusterBackend"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("err = %v, want it to name %s", err, name)
		}
	}
}

// TestCleanup removes the chain (through the proxy's fake) and the
// agent's routes, and nothing else.
func TestCleanup(t *testing.T) {
	ctx := t.Context()
	foreign := "nat POSTROUTING -j MASQUERADE"
	ipt := proxy.NewFake(foreign)
	if err := (podnet.Masquerade{IPTables: ipt}).EnsureNoMasquerade(ctx, "10.244.0.0/16"); err != nil {
		t.Fatal(err)
	}
	h := newHost()
	h.Replace(ctx, podnet.Route{Dst: "10.244.2.0/24", Via: "192.0.2.20"})
	if err := Cleanup(ctx, ipt, h); err != nil {
		t.Fatal(err)
	}
	if got, want := ipt.Save(), proxy.NewFake(foreign).Save(); got != want {
		t.Errorf("after cleanup:\n%s\nwant:\n%s", got, want)
	}
	if rs, _ := h.List(ctx); len(rs) != 0 || !slices.Equal(h.vxlan, []string{"remove"}) {
		t.Errorf("routes left: %v; VXLAN calls %q, want the device removed", rs, h.vxlan)
	}
}

// TestStartBackends: the cluster's backend decides the VXLAN device, the
// pods' MTU, the annotations and the entries kept for a peer that is not
// on-link; a device that cannot be made leaves the node on host-gw.
func TestStartBackends(t *testing.T) {
	other := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "other", Annotations: map[string]string{podnet.AnnotationVXLANMAC: "0a:00:00:00:00:02"}},
		Spec:   corev1.NodeSpec{PodCIDR: "10.244.2.0/24"},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "198.51.100.20"}}}}
	for _, c := range []struct {
		cluster, override string
		vxlanErr          error
		network, vxlan    string
		annotations       string
		routes            string
	}{
		{"vxlan", "", nil, "reconcile 10.244.1.0/24 1450", "[192.0.2.10 10.244.1.0/24]",
			"map[node.reconcile.dev/pod-network-backend:vxlan node.reconcile.dev/vxlan-mac:0a:00:00:00:00:01]",
			"[10.244.2.0/24 via 10.244.2.0 dev reconcile.1 onlink] [10.244.2.0 lladdr 0a:00:00:00:00:02 permanent] [0a:00:00:00:00:02 dst 198.51.100.20 self permanent]"},
		{"auto", "", nil, "reconcile 10.244.1.0/24 1450", "[192.0.2.10 10.244.1.0/24]",
			"map[node.reconcile.dev/pod-network-backend:auto node.reconcile.dev/vxlan-mac:0a:00:00:00:00:01]",
			"[10.244.2.0/24 via 10.244.2.0 dev reconcile.1 onlink] [10.244.2.0 lladdr 0a:00:00:00:00:02 permanent] [0a:00:00:00:00:02 dst 198.51.100.20 self permanent]"},
		{"host-gw", "", nil, "reconcile 10.244.1.0/24 0", "[remove]",
			"map[node.reconcile.dev/pod-network-backend:host-gw]", "[10.244.2.0/24 via 198.51.100.20] [] []"},
		{"host-gw", "vxlan", nil, "reconcile 10.244.1.0/24 1450", "[192.0.2.10 10.244.1.0/24]", // the agent's override wins
			"map[node.reconcile.dev/pod-network-backend:vxlan node.reconcile.dev/vxlan-mac:0a:00:00:00:00:01]",
			"[10.244.2.0/24 via 10.244.2.0 dev reconcile.1 onlink] [10.244.2.0 lladdr 0a:00:00:00:00:02 permanent] [0a:00:00:00:00:02 dst 198.51.100.20 self permanent]"},
		{"vxlan", "", errors.New("no vxlan module"), "reconcile 10.244.1.0/24 1450", "[192.0.2.10 10.244.1.0/24]", // the MTU is set before the device is tried
			"map[node.reconcile.dev/pod-network-backend:host-gw]", "[10.244.2.0/24 via 198.51.100.20] [] []"},
	} {
		t.Run(c.cluster+"/"+c.override, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			h := newHost()
			h.vxlanErr = c.vxlanErr
			o := options(t, &registrar{}, &nodeList{podCIDR: "10.244.1.0/24", others: []*corev1.Node{other}}, h)
			o.NodeIP, o.Backend = "192.0.2.10", podnet.Backend(c.override)
			asked := 0
			o.ClusterBackend = func(context.Context) (string, error) {
				if asked++; asked == 1 {
					return "", errors.New("connection refused") // retried
				}
				return c.cluster, nil
			}
			res, err := Start(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			within(t, h.routed, "a route to the other node")
			h.mu.Lock()
			defer h.mu.Unlock()
			got := []string{fmt.Sprint(h.networks[0]), fmt.Sprint(h.vxlan), fmt.Sprint(res.HostInfo.Annotations),
				fmt.Sprint(h.routes) + " " + fmt.Sprint(h.neighs) + " " + fmt.Sprint(h.fdb)}
			want := []string{c.network, c.vxlan, c.annotations, c.routes}
			if !slices.Equal(got, want) {
				t.Errorf("network, vxlan, annotations, entries:\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestStartRefusesABadBackend: a backend the agent does not know is an
// error, not a silent host-gw.
func TestStartRefusesABadBackend(t *testing.T) {
	o := options(t, &registrar{}, &nodeList{podCIDR: "10.244.1.0/24"}, newHost())
	o.Backend = "udp"
	if _, err := Start(t.Context(), o); err == nil || !strings.Contains(err.Error(), "host-gw, vxlan, auto") {
		t.Fatalf("err = %v", err)
	}
}
