package reconcile

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/clusternet"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ServiceNetwork is where Services get their virtual addresses.
type ServiceNetwork struct {
	// CIDR is the service range (default 10.96.0.0/16). Its first and
	// last addresses are never given out.
	CIDR netip.Prefix
	// NodePortMin..NodePortMax is the NodePort range (default 30000-32767).
	NodePortMin, NodePortMax int32
}

// DefaultServiceNetwork is Kubernetes' default service range and NodePort
// range (package clusternet).
var DefaultServiceNetwork = ServiceNetwork{CIDR: netip.MustParsePrefix(clusternet.DefaultServiceCIDR),
	NodePortMin: clusternet.DefaultNodePortMin, NodePortMax: clusternet.DefaultNodePortMax}

// SetServiceNetwork sets the ranges the Applier allocates from.
func (a *Applier) SetServiceNetwork(n ServiceNetwork) { a.net = n }

func (a *Applier) serviceNetwork() ServiceNetwork {
	n := a.net
	if !n.CIDR.IsValid() {
		n.CIDR = DefaultServiceNetwork.CIDR
	}
	if n.NodePortMin == 0 || n.NodePortMax < n.NodePortMin {
		n.NodePortMin, n.NodePortMax = DefaultServiceNetwork.NodePortMin, DefaultServiceNetwork.NodePortMax
	}
	return n
}

// Allocation happens inside the apply transaction of a commit, after
// planning and before writing: the plan's Services get their clusterIP
// and nodePorts set, and a conflict (a requested address or port held by
// another Service, or out of range) refuses the whole commit like a
// validation error, keeping the last good commit. Doing it here rather
// than in a controller means a Service is never stored without its
// address, and a user learns about a conflict in `reconcile status` for
// the commit that caused it.
//
// The allocations are side records in the same store (meta
// "alloc/clusterip/<ip>" and "alloc/nodeport/<port>" → owning Service
// key), written in the same transaction, so they survive restarts and
// always agree with the stored Services. An address whose record names a
// Service that no longer holds it (changed or deleted by another path) is
// free again. Re-applies keep addresses because the planner carries the
// stored clusterIP and nodePorts into a manifest that leaves them empty.

const (
	metaClusterIP     = "alloc/clusterip/"
	metaNodePort      = "alloc/nodeport/"
	metaClusterIPNext = "alloc/clusterip-next"
	metaNodePortNext  = "alloc/nodeport-next"
)

// allocator is one commit's allocation: the plan's view of every Service
// it touches, and the claims and releases to write if nothing failed.
type allocator struct {
	tx      *store.Tx
	net     ServiceNetwork
	planned map[objects.Key]*corev1.Service // Services of the plan after it (nil: deleted)
	claims  map[string]objects.Key          // meta key → owner, claimed in this commit
	release map[string]objects.Key          // meta key → previous owner, released in this commit
	errs    []PlanError
	nextIP  uint32
	nextNP  int32
}

// allocateServices assigns clusterIPs and nodePorts to the plan's
// Services and records them; it returns the conflicts (and writes
// nothing) when there are any.
func (a *Applier) allocateServices(tx *store.Tx, p Plan) ([]PlanError, error) {
	al := &allocator{tx: tx, net: a.serviceNetwork(), planned: map[objects.Key]*corev1.Service{},
		claims: map[string]objects.Key{}, release: map[string]objects.Key{}}
	for _, c := range p.Changes {
		if c.Key.Kind != "Service" {
			continue
		}
		svc, _ := c.Object.(*corev1.Service)
		al.planned[c.Key] = svc
	}
	if len(al.planned) == 0 {
		return nil, nil
	}
	if _, err := tx.GetMeta(metaClusterIPNext, &al.nextIP); err != nil {
		return nil, err
	}
	if _, err := tx.GetMeta(metaNodePortNext, &al.nextNP); err != nil {
		return nil, err
	}
	for _, c := range p.Changes {
		if c.Key.Kind != "Service" {
			continue
		}
		old, _ := c.Old.(*corev1.Service)
		svc, _ := c.Object.(*corev1.Service)
		if err := al.service(c.Key, c.Path, old, svc); err != nil {
			return nil, err
		}
	}
	if len(al.errs) > 0 {
		return al.errs, nil
	}
	return nil, al.write()
}

// service allocates for one Service change (svc nil: deleted).
func (al *allocator) service(key objects.Key, path string, old, svc *corev1.Service) error {
	fail := func(format string, args ...any) {
		al.errs = append(al.errs, PlanError{Key: key, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	// Release what the old version held and the new one does not.
	if old != nil {
		for _, k := range heldKeys(old) {
			if svc == nil || !slices.Contains(heldKeys(svc), k) {
				al.release[k] = key
			}
		}
	}
	if svc == nil {
		return nil
	}
	spec := &svc.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if old != nil && old.Spec.ClusterIP != "" && spec.ClusterIP != old.Spec.ClusterIP {
		fail("spec.clusterIP: cannot change from %s to %q (the field is immutable): remove the Service in one commit and add it back in the next, or keep %s", old.Spec.ClusterIP, spec.ClusterIP, old.Spec.ClusterIP)
		return nil
	}
	switch ip := spec.ClusterIP; {
	case ip == corev1.ClusterIPNone: // headless: no virtual address
	case ip != "":
		addr, err := netip.ParseAddr(ip)
		if err != nil || !addr.Is4() {
			fail("spec.clusterIP: %q is not an IPv4 address: write one in %s, or leave it empty to get one", ip, al.net.CIDR)
			return nil
		}
		if !al.net.CIDR.Contains(addr) || addr == al.net.CIDR.Masked().Addr() || addr == lastAddr(al.net.CIDR) {
			fail("spec.clusterIP: %s is outside the service range %s (or its first or last address): pick an address inside it, or leave clusterIP empty to get one", ip, al.net.CIDR)
			return nil
		}
		owner, held, err := al.holder(metaClusterIP + ip)
		if err != nil {
			return err
		}
		if held && owner != key {
			fail("spec.clusterIP: %s is already allocated to Service %s/%s: pick another address in %s, or leave clusterIP empty to get one", ip, owner.Namespace, owner.Name, al.net.CIDR)
			return nil
		}
		al.claim(metaClusterIP+ip, key)
	default:
		ip, err := al.freeIP(key)
		if err != nil {
			return err
		}
		if ip == "" {
			fail("spec.clusterIP: the service range %s is full: remove unused Services or configure a larger range", al.net.CIDR)
			return nil
		}
		spec.ClusterIP = ip
	}
	if spec.ClusterIP != "" && len(spec.ClusterIPs) == 0 {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
	if len(spec.IPFamilies) == 0 && spec.ClusterIP != corev1.ClusterIPNone {
		spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if spec.IPFamilyPolicy == nil && spec.ClusterIP != corev1.ClusterIPNone {
		single := corev1.IPFamilyPolicySingleStack
		spec.IPFamilyPolicy = &single
	}
	return al.nodePorts(key, old, svc, fail)
}

func (al *allocator) nodePorts(key objects.Key, old, svc *corev1.Service, fail func(string, ...any)) error {
	wants := hasNodePorts(svc)
	// A LoadBalancer with allocateLoadBalancerNodePorts false gets no
	// NodePort it did not ask for (Kubernetes' rule); one it names is
	// still claimed, and one the planner carried over from the stored
	// version is kept, as the API server keeps it.
	auto := wants && !(svc.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		svc.Spec.AllocateLoadBalancerNodePorts != nil && !*svc.Spec.AllocateLoadBalancerNodePorts)
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if !wants {
			if p.NodePort != 0 && old != nil && oldHad(old, p.NodePort) {
				p.NodePort = 0 // carried over from the stored NodePort version: the type changed
			} else if p.NodePort != 0 {
				fail("spec.ports[%d].nodePort: may not be set when type is %q: remove it or use type NodePort", i, svc.Spec.Type)
			}
			continue
		}
		if p.NodePort == 0 && !auto {
			continue
		}
		if p.NodePort == 0 {
			np, err := al.freeNodePort(key)
			if err != nil {
				return err
			}
			if np == 0 {
				fail("spec.ports[%d].nodePort: the NodePort range %d-%d is full: remove unused NodePort Services", i, al.net.NodePortMin, al.net.NodePortMax)
				continue
			}
			p.NodePort = np
			continue
		}
		if p.NodePort < al.net.NodePortMin || p.NodePort > al.net.NodePortMax {
			fail("spec.ports[%d].nodePort: %d is outside the NodePort range %d-%d: pick a port inside it, or leave nodePort empty to get one", i, p.NodePort, al.net.NodePortMin, al.net.NodePortMax)
			continue
		}
		mk := metaNodePort + strconv.Itoa(int(p.NodePort))
		owner, held, err := al.holder(mk)
		if err != nil {
			return err
		}
		if held && owner != key {
			fail("spec.ports[%d].nodePort: %d is already allocated to Service %s/%s: pick another port in %d-%d, or leave nodePort empty to get one", i, p.NodePort, owner.Namespace, owner.Name, al.net.NodePortMin, al.net.NodePortMax)
			continue
		}
		al.claim(mk, key)
	}
	return al.healthCheckNodePort(key, old, svc, fail)
}

// healthCheckNodePort allocates the port of a LoadBalancer with
// externalTrafficPolicy Local on which each node's agent answers external
// load balancers' health checks (Kubernetes allocates it from the NodePort
// range too). One carried over from a stored Local version is dropped when
// the service no longer needs it.
func (al *allocator) healthCheckNodePort(key objects.Key, old, svc *corev1.Service, fail func(string, ...any)) error {
	spec := &svc.Spec
	if !needsHealthCheck(svc) {
		if spec.HealthCheckNodePort != 0 && old != nil && old.Spec.HealthCheckNodePort == spec.HealthCheckNodePort {
			spec.HealthCheckNodePort = 0
		} else if spec.HealthCheckNodePort != 0 {
			fail("spec.healthCheckNodePort: may only be set when type is LoadBalancer and externalTrafficPolicy is Local")
		}
		return nil
	}
	if spec.HealthCheckNodePort == 0 {
		np, err := al.freeNodePort(key)
		if err != nil {
			return err
		}
		if np == 0 {
			fail("spec.healthCheckNodePort: the NodePort range %d-%d is full: remove unused NodePort Services", al.net.NodePortMin, al.net.NodePortMax)
			return nil
		}
		spec.HealthCheckNodePort = np
		return nil
	}
	if spec.HealthCheckNodePort < al.net.NodePortMin || spec.HealthCheckNodePort > al.net.NodePortMax {
		fail("spec.healthCheckNodePort: %d is outside the NodePort range %d-%d: pick a port inside it, or leave it empty to get one", spec.HealthCheckNodePort, al.net.NodePortMin, al.net.NodePortMax)
		return nil
	}
	mk := metaNodePort + strconv.Itoa(int(spec.HealthCheckNodePort))
	owner, held, err := al.holder(mk)
	if err != nil {
		return err
	}
	if held && owner != key {
		fail("spec.healthCheckNodePort: %d is already allocated to Service %s/%s: pick another port in %d-%d, or leave it empty to get one", spec.HealthCheckNodePort, owner.Namespace, owner.Name, al.net.NodePortMin, al.net.NodePortMax)
		return nil
	}
	if slices.ContainsFunc(spec.Ports, func(p corev1.ServicePort) bool { return p.NodePort == spec.HealthCheckNodePort }) {
		fail("spec.healthCheckNodePort: %d is also a nodePort of this Service: pick another port, or leave it empty to get one", spec.HealthCheckNodePort)
		return nil
	}
	al.claim(mk, key)
	return nil
}

// hasNodePorts: the service type that may hold NodePorts.
func hasNodePorts(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

// needsHealthCheck: a LoadBalancer with externalTrafficPolicy Local has a
// healthCheckNodePort.
func needsHealthCheck(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

func (al *allocator) claim(mk string, key objects.Key) {
	al.claims[mk] = key
	delete(al.release, mk)
}

// holder says who holds an address or port: a claim of this commit, or a
// stored record whose Service (as the plan leaves it) still holds it.
func (al *allocator) holder(mk string) (objects.Key, bool, error) {
	if k, ok := al.claims[mk]; ok {
		return k, true, nil
	}
	var s string
	found, err := al.tx.GetMeta(mk, &s)
	if err != nil || !found {
		return objects.Key{}, false, err
	}
	owner, err := parseServiceKey(s)
	if err != nil {
		return objects.Key{}, false, nil // unreadable record: treat as free
	}
	svc, planned := al.planned[owner]
	if !planned {
		o, err := al.tx.Get(owner)
		if err != nil {
			return objects.Key{}, false, nil // owner gone: the record is stale
		}
		svc, _ = o.(*corev1.Service)
	}
	if svc == nil || !slices.Contains(heldKeys(svc), mk) {
		return objects.Key{}, false, nil
	}
	return owner, true, nil
}

// freeIP takes the next free address after the cursor (addresses are
// handed out in order and reused only after the range wraps, so a just
// released address is not given to a new Service at once).
func (al *allocator) freeIP(key objects.Key) (string, error) {
	base := al.net.CIDR.Masked().Addr().As4()
	b := binary.BigEndian.Uint32(base[:])
	size := uint32(1) << (32 - al.net.CIDR.Bits())
	if size < 4 {
		return "", nil
	}
	for range size {
		al.nextIP++
		if al.nextIP == 0 || al.nextIP >= size-1 {
			al.nextIP = 1
		}
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], b+al.nextIP)
		ip := netip.AddrFrom4(a).String()
		_, held, err := al.holder(metaClusterIP + ip)
		if err != nil {
			return "", err
		}
		if !held {
			al.claim(metaClusterIP+ip, key)
			return ip, nil
		}
	}
	return "", nil
}

func (al *allocator) freeNodePort(key objects.Key) (int32, error) {
	n := al.net.NodePortMax - al.net.NodePortMin + 1
	for range n {
		if al.nextNP < al.net.NodePortMin || al.nextNP >= al.net.NodePortMax {
			al.nextNP = al.net.NodePortMin
		} else {
			al.nextNP++
		}
		mk := metaNodePort + strconv.Itoa(int(al.nextNP))
		_, held, err := al.holder(mk)
		if err != nil {
			return 0, err
		}
		if !held {
			al.claim(mk, key)
			return al.nextNP, nil
		}
	}
	return 0, nil
}

// write records the claims and drops the released records.
func (al *allocator) write() error {
	for mk, owner := range al.release {
		if _, reclaimed := al.claims[mk]; reclaimed {
			continue
		}
		var s string
		if found, err := al.tx.GetMeta(mk, &s); err != nil {
			return err
		} else if found && s == serviceKey(owner) {
			if err := al.tx.DeleteMeta(mk); err != nil {
				return err
			}
		}
	}
	for mk, owner := range al.claims {
		if err := al.tx.PutMeta(mk, serviceKey(owner)); err != nil {
			return err
		}
	}
	if err := al.tx.PutMeta(metaClusterIPNext, al.nextIP); err != nil {
		return err
	}
	return al.tx.PutMeta(metaNodePortNext, al.nextNP)
}

// heldKeys are the meta keys of what svc holds.
func heldKeys(svc *corev1.Service) []string {
	var out []string
	if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
		out = append(out, metaClusterIP+ip)
	}
	if hasNodePorts(svc) {
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				out = append(out, metaNodePort+strconv.Itoa(int(p.NodePort)))
			}
		}
	}
	if needsHealthCheck(svc) && svc.Spec.HealthCheckNodePort != 0 {
		out = append(out, metaNodePort+strconv.Itoa(int(svc.Spec.HealthCheckNodePort)))
	}
	return out
}

func oldHad(old *corev1.Service, nodePort int32) bool {
	for _, p := range old.Spec.Ports {
		if p.NodePort == nodePort {
			return true
		}
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) | (uint32(1)<<(32-p.Bits()) - 1)
	binary.BigEndian.PutUint32(a[:], v)
	return netip.AddrFrom4(a)
}

func serviceKey(k objects.Key) string { return k.Namespace + "/" + k.Name }

func parseServiceKey(s string) (objects.Key, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return objects.Key{Kind: "Service", Namespace: s[:i], Name: s[i+1:]}, nil
		}
	}
	return objects.Key{}, fmt.Errorf("bad service key %q", s)
}

// AllocatedClusterIP returns the Service holding ip according to the
// allocation records ("" when free), for tests and `describe`.
func AllocatedClusterIP(st *store.Store, ip string) (string, error) {
	var s string
	_, err := st.GetMeta(metaClusterIP+ip, &s)
	return s, err
}
