package agent

import (
	"reflect"
	"testing"
	"time"

	"github.com/containers/podman/v5/pkg/specgen"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func hostPod(spec corev1.PodSpec) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-0", UID: "u1"}, Spec: spec}
}

// TestPodNamespaceSpec: the pod spec's host fields as the Podman pod's
// namespaces (what `podman pod create --network host --pid host --ipc host
// --share ipc,net,uts,pid` would make).
func TestPodNamespaceSpec(t *testing.T) {
	host := specgen.Namespace{NSMode: specgen.Host}
	tests := []struct {
		name               string
		spec               corev1.PodSpec
		share              []string
		net, pid, ipc, uts specgen.Namespace
		hostname           string
		ports              int
	}{
		{name: "plain pod: Podman's default set, own namespaces", share: []string{"ipc", "net", "uts"}, hostname: "web-0", ports: 1},
		{name: "shareProcessNamespace shares pid", spec: corev1.PodSpec{ShareProcessNamespace: ptr.To(true)},
			share: []string{"ipc", "net", "uts", "pid"}, hostname: "web-0", ports: 1},
		{name: "shareProcessNamespace false", spec: corev1.PodSpec{ShareProcessNamespace: ptr.To(false)},
			share: []string{"ipc", "net", "uts"}, hostname: "web-0", ports: 1},
		{name: "hostNetwork: the node's network and UTS, no port mappings, no hostname",
			spec: corev1.PodSpec{HostNetwork: true}, share: []string{"ipc", "net", "uts"}, net: host, uts: host},
		{name: "hostPID: the node's pid namespace, shared", spec: corev1.PodSpec{HostPID: true},
			share: []string{"ipc", "net", "uts", "pid"}, pid: host, hostname: "web-0", ports: 1},
		{name: "hostIPC: each container asks for the host's (Podman 4 has no pod --ipc)", spec: corev1.PodSpec{HostIPC: true},
			share: []string{"net", "uts"}, hostname: "web-0", ports: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Containers = []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080, HostIP: "127.0.0.1"}}}}
			pod := hostPod(tc.spec)
			cfg := PodConfig{Name: "p", Hostname: podHostname(pod), Ports: podPorts(pod), Network: "reconcile"}
			if pod.Spec.HostNetwork {
				cfg.Network = "" // podNetwork's part
			}
			podNamespaces(pod, &cfg)
			var ps specgen.PodSpecGenerator
			ps.Hostname = cfg.Hostname
			for _, p := range cfg.Ports {
				ps.PortMappings = append(ps.PortMappings, portMapping(p))
			}
			podNetworkSpec(&ps, cfg)
			podNamespaceSpec(&ps, cfg)
			if !reflect.DeepEqual(ps.SharedNamespaces, tc.share) {
				t.Errorf("shared %v, want %v", ps.SharedNamespaces, tc.share)
			}
			if tc.net.NSMode == "" {
				tc.net = specgen.Namespace{NSMode: specgen.Bridge}
			}
			if ps.NetNS != tc.net || ps.Pid != tc.pid || ps.Ipc != tc.ipc || ps.UtsNs != tc.uts {
				t.Errorf("net %v pid %v ipc %v uts %v; want %v %v %v %v", ps.NetNS, ps.Pid, ps.Ipc, ps.UtsNs, tc.net, tc.pid, tc.ipc, tc.uts)
			}
			if ps.Hostname != tc.hostname || len(ps.PortMappings) != tc.ports {
				t.Errorf("hostname %q ports %v; want %q and %d", ps.Hostname, ps.PortMappings, tc.hostname, tc.ports)
			}
			if tc.ports > 0 && (ps.PortMappings[0].HostIP != "127.0.0.1" || ps.PortMappings[0].HostPort != 8080 || ps.PortMappings[0].Protocol != "tcp") {
				t.Errorf("port mapping %+v", ps.PortMappings[0])
			}
		})
	}
}

func TestContainerNamespaceSpec(t *testing.T) {
	var s specgen.SpecGenerator
	containerNamespaceSpec(&s, ContainerConfig{HostIPC: true})
	if s.IpcNS.NSMode != specgen.Host {
		t.Fatalf("hostIPC container: ipc %v", s.IpcNS)
	}
	var plain specgen.SpecGenerator
	containerNamespaceSpec(&plain, ContainerConfig{})
	if plain.IpcNS.NSMode != "" {
		t.Fatalf("plain container: ipc %v, want the pod's", plain.IpcNS)
	}
}

// TestSandboxChanged: a pod whose sandbox fields change gets a new Podman
// pod (the kubelet's SandboxChanged); a container-level change, a finished
// pod and a Podman pod of an older agent do not; the hash is stable.
func TestSandboxChanged(t *testing.T) {
	two := "2"
	base := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a:v1"}},
		DNSConfig: &corev1.PodDNSConfig{Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &two}}}}
	pod := hostPod(base)
	op := &ObservedPod{ID: "podman-1", UID: "u1", Key: "shop/web-0", SandboxHash: sandboxHash(pod), Grace: 30 * time.Second}
	if again := hostPod(*base.DeepCopy()); sandboxHash(again) != op.SandboxHash {
		t.Fatal("the hash of an equal pod differs")
	}
	change := func(f func(*corev1.PodSpec)) *corev1.Pod {
		p := hostPod(*base.DeepCopy())
		f(&p.Spec)
		return p
	}
	for name, p := range map[string]*corev1.Pod{
		"hostNetwork": change(func(s *corev1.PodSpec) { s.HostNetwork = true }),
		"hostPID":     change(func(s *corev1.PodSpec) { s.HostPID = true }),
		"hostIPC":     change(func(s *corev1.PodSpec) { s.HostIPC = true }),
		"share":       change(func(s *corev1.PodSpec) { s.ShareProcessNamespace = ptr.To(true) }),
		"hostname":    change(func(s *corev1.PodSpec) { s.Hostname = "other" }),
		"hostPort": change(func(s *corev1.PodSpec) {
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}
		}),
		"dnsPolicy": change(func(s *corev1.PodSpec) { s.DNSPolicy = corev1.DNSDefault }),
	} {
		acts := Sync([]*corev1.Pod{p}, []ObservedPod{*op}, time.Now())
		if len(acts) != 1 || acts[0].Kind != ActRemovePod || acts[0].PodmanPodID != "podman-1" || acts[0].UID != "" {
			t.Errorf("%s changed: actions %v", name, acts)
		}
	}
	same := change(func(s *corev1.PodSpec) { s.Containers[0].Image = "a:v2" })
	if sandboxChanged(same, op) {
		t.Error("an image change recreates the sandbox")
	}
	if sandboxChanged(change(func(s *corev1.PodSpec) { s.HostNetwork = true }), &ObservedPod{}) {
		t.Error("a Podman pod without the label is recreated")
	}
	done := change(func(s *corev1.PodSpec) { s.HostNetwork = true })
	done.Status.Phase = corev1.PodSucceeded
	if sandboxChanged(done, op) {
		t.Error("a finished pod is recreated")
	}
}

// TestEtcHosts: the kubelet's managed hosts file (the same bytes as its
// managedHostsFileContent and nodeHostsFileContent).
func TestEtcHosts(t *testing.T) {
	local := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
	aliases := []corev1.HostAlias{{IP: "127.0.0.1", Hostnames: []string{"foo.local", "bar.local"}}, {IP: "10.1.2.3", Hostnames: []string{"foo.remote"}}}
	tests := []struct {
		name, ip, domain, node string
		spec                   corev1.PodSpec
		want                   string
	}{
		{name: "pod name as hostname", ip: "10.244.1.5", want: local + "10.244.1.5\tweb-0\n"},
		{name: "hostname and subdomain", ip: "10.244.1.5", spec: corev1.PodSpec{Hostname: "first", Subdomain: "named"},
			want: local + "10.244.1.5\tfirst.named.shop.svc.cluster.local\tfirst\n"},
		{name: "another cluster domain", ip: "10.244.1.5", domain: "corp.internal.", spec: corev1.PodSpec{Subdomain: "named"},
			want: local + "10.244.1.5\tweb-0.named.shop.svc.corp.internal\tweb-0\n"},
		{name: "hostAliases", ip: "10.244.1.5", spec: corev1.PodSpec{HostAliases: aliases},
			want: local + "10.244.1.5\tweb-0\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n"},
		{name: "hostNetwork: the node's file and the aliases", node: "127.0.0.1 localhost\n10.0.0.2 node-a", spec: corev1.PodSpec{HostNetwork: true, HostAliases: aliases[1:]},
			want: "127.0.0.1 localhost\n10.0.0.2 node-a\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\n"},
		{name: "address not known yet", want: local},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(etcHosts(hostPod(tc.spec), tc.ip, tc.domain, []byte(tc.node))); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestResolvConf(t *testing.T) {
	got := string(resolvConf([]string{"10.244.1.1"}, []string{"shop.svc.cluster.local", "svc.cluster.local"}, []string{"ndots:5"}))
	want := "nameserver 10.244.1.1\nsearch shop.svc.cluster.local svc.cluster.local\noptions ndots:5\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestHostNetworkPodIP: a hostNetwork pod's podIP is the node's, as
// Kubernetes reports it.
func TestHostNetworkPodIP(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pod := hostPod(corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "c"}}})
	st := Status(pod, &ObservedPod{}, now, "10.250.1.2")
	if st.PodIP != "10.250.1.2" || len(st.PodIPs) != 1 || st.PodIPs[0].IP != "10.250.1.2" || st.HostIP != "10.250.1.2" {
		t.Fatalf("status %+v", st)
	}
	pod.Spec.HostNetwork = false
	if st := Status(pod, &ObservedPod{IP: "10.244.1.5"}, now, "10.250.1.2"); st.PodIP != "10.244.1.5" {
		t.Fatalf("pod network pod: podIP %q", st.PodIP)
	}
}
