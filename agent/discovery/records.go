package discovery

import (
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// DefaultDomain is the cluster domain, as Kubernetes' default.
const DefaultDomain = "cluster.local"

// TTL of every answer, in seconds: short, because pods come and go.
const TTL = 5

// SRVTarget is one SRV record's port and target name.
type SRVTarget struct {
	Port   uint16
	Target string // fully qualified, with the trailing dot
}

// Entry is what one name has: addresses and service records. A name
// without either exists (NODATA) but answers nothing.
type Entry struct {
	A   []net.IP
	SRV []SRVTarget
}

// Index holds every record of the cluster domain by lower-case, fully
// qualified name (with the trailing dot). It is built once per change and
// read by many queries; it is never modified after BuildIndex.
type Index struct {
	Domain string // "cluster.local." (fully qualified)
	Names  map[string]*Entry
}

// Lookup returns the entry of a fully qualified name and whether it exists.
func (ix *Index) Lookup(name string) (*Entry, bool) {
	e, ok := ix.Names[strings.ToLower(name)]
	return e, ok
}

// InDomain says whether name is the cluster domain or under it.
func (ix *Index) InDomain(name string) bool {
	name = strings.ToLower(name)
	return name == ix.Domain || strings.HasSuffix(name, "."+ix.Domain)
}

// BuildIndex computes the records of services and endpoints under domain
// (DefaultDomain when ""). It is pure: the same objects give the same index.
func BuildIndex(domain string, services []*corev1.Service, endpoints []*corev1.Endpoints) *Index {
	if domain == "" {
		domain = DefaultDomain
	}
	domain = strings.ToLower(strings.TrimSuffix(domain, ".")) + "."
	ix := &Index{Domain: domain, Names: map[string]*Entry{domain: {}}}
	eps := map[string]*corev1.Endpoints{}
	for _, ep := range endpoints {
		eps[ep.Namespace+"/"+ep.Name] = ep
	}
	for _, svc := range services {
		base := strings.ToLower(svc.Name + "." + svc.Namespace + ".svc." + domain)
		ix.entry(base)
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			ix.addHeadless(base, svc, eps[svc.Namespace+"/"+svc.Name])
			continue
		}
		ip := net.ParseIP(svc.Spec.ClusterIP)
		if ip == nil {
			continue // no address allocated yet: the name exists, without records
		}
		ix.entry(base).A = []net.IP{ip.To4()}
		for _, p := range svc.Spec.Ports {
			t := SRVTarget{Port: uint16(p.Port), Target: base}
			ix.entry(base).SRV = append(ix.entry(base).SRV, t)
			if p.Name != "" {
				ix.entry(srvName(p.Name, p.Protocol, base)).SRV = []SRVTarget{t}
			}
		}
	}
	for _, e := range ix.Names {
		sortEntry(e)
	}
	return ix
}

// addHeadless gives a headless service the addresses of its ready pods (and
// of not-ready ones when it publishes them), a name per pod, and SRV
// records pointing at those names.
func (ix *Index) addHeadless(base string, svc *corev1.Service, ep *corev1.Endpoints) {
	if ep == nil {
		return
	}
	for _, ss := range ep.Subsets {
		addrs := ss.Addresses
		if svc.Spec.PublishNotReadyAddresses {
			addrs = append(append([]corev1.EndpointAddress{}, addrs...), ss.NotReadyAddresses...)
		}
		for _, a := range addrs {
			ip := net.ParseIP(a.IP).To4()
			if ip == nil {
				continue
			}
			host := strings.ToLower(a.Hostname)
			if host == "" {
				host = strings.ReplaceAll(a.IP, ".", "-")
			}
			podName := host + "." + base
			ix.entry(base).A = appendIP(ix.entry(base).A, ip)
			ix.entry(podName).A = appendIP(ix.entry(podName).A, ip)
			for _, p := range ss.Ports {
				t := SRVTarget{Port: uint16(p.Port), Target: podName}
				ix.entry(base).SRV = append(ix.entry(base).SRV, t)
				if p.Name != "" {
					n := srvName(p.Name, p.Protocol, base)
					ix.entry(n).SRV = append(ix.entry(n).SRV, t)
				}
			}
		}
	}
}

// entry returns the entry of name, creating it and the names above it up
// to the domain (they exist too: a query for them is NODATA, not NXDOMAIN).
func (ix *Index) entry(name string) *Entry {
	if e, ok := ix.Names[name]; ok {
		return e
	}
	e := &Entry{}
	ix.Names[name] = e
	for parent := name; parent != ix.Domain; {
		i := strings.IndexByte(parent, '.')
		if i < 0 || i == len(parent)-1 {
			break
		}
		parent = parent[i+1:]
		if _, ok := ix.Names[parent]; ok {
			break
		}
		ix.Names[parent] = &Entry{}
	}
	return e
}

func srvName(port string, proto corev1.Protocol, base string) string {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	return strings.ToLower("_" + port + "._" + string(proto) + "." + base)
}

func appendIP(ips []net.IP, ip net.IP) []net.IP {
	for _, x := range ips {
		if x.Equal(ip) {
			return ips
		}
	}
	return append(ips, ip)
}

func sortEntry(e *Entry) {
	sort.Slice(e.A, func(i, j int) bool { return string(e.A[i]) < string(e.A[j]) })
	sort.Slice(e.SRV, func(i, j int) bool {
		if e.SRV[i].Target != e.SRV[j].Target {
			return e.SRV[i].Target < e.SRV[j].Target
		}
		return e.SRV[i].Port < e.SRV[j].Port
	})
	// The same target and port twice (a port listed in two subsets) is one record.
	out := e.SRV[:0]
	for i, s := range e.SRV {
		if i == 0 || s != e.SRV[i-1] {
			out = append(out, s)
		}
	}
	e.SRV = out
}
