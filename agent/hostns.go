package agent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containers/podman/v5/pkg/specgen"
	corev1 "k8s.io/api/core/v1"
)

// This file realises a pod's host fields: hostNetwork, hostPID, hostIPC
// and shareProcessNamespace as the Podman pod's namespaces, hostPorts as
// Podman port mappings, and /etc/hosts as the kubelet writes it.

// podNamespaces fills the namespace fields of cfg from the pod spec.
func podNamespaces(pod *corev1.Pod, cfg *PodConfig) {
	cfg.HostNetwork = pod.Spec.HostNetwork
	cfg.HostPID = pod.Spec.HostPID
	cfg.HostIPC = pod.Spec.HostIPC
	cfg.SharePID = pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace
	if cfg.HostNetwork {
		// The node's UTS namespace goes with its network, as with the
		// kubelet: the pod's hostname is the node's.
		cfg.Hostname = ""
	}
}

// podPorts are the pod's host ports as Podman port mappings. A hostNetwork
// pod has none: its containers bind the node's ports themselves.
func podPorts(pod *corev1.Pod) []PortMapping {
	if pod.Spec.HostNetwork {
		return nil
	}
	var ports []PortMapping
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, p := range c.Ports {
				if p.HostPort == 0 {
					continue
				}
				proto := strings.ToLower(string(p.Protocol))
				if proto == "" {
					proto = "tcp"
				}
				ports = append(ports, PortMapping{HostIP: p.HostIP, HostPort: uint16(p.HostPort), ContainerPort: uint16(p.ContainerPort), Protocol: proto})
			}
		}
	}
	return ports
}

// podNamespaceSpec sets a Podman pod spec's namespaces from cfg. The
// pod's infra container holds them and every container joins them: the
// shared set is Podman's default (ipc, net, uts) plus pid when the
// containers share one process namespace (shareProcessNamespace) or the
// node's (hostPID). Host namespaces are the infra container's, so the
// containers that join it are on the host's too; but for IPC, which
// Podman 4 cannot set on a pod: there each container asks for the host's
// (containerNamespaceSpec) and the pod shares none.
func podNamespaceSpec(ps *specgen.PodSpecGenerator, cfg PodConfig) {
	shared := []string{"ipc", "net", "uts"}
	if cfg.HostIPC {
		shared = []string{"net", "uts"}
	}
	if cfg.SharePID || cfg.HostPID {
		shared = append(shared, "pid")
	}
	ps.SharedNamespaces = shared
	if cfg.HostNetwork {
		ps.NetNS = specgen.Namespace{NSMode: specgen.Host}
		ps.Networks = nil
		ps.PortMappings = nil
		ps.UtsNs = specgen.Namespace{NSMode: specgen.Host}
		ps.Hostname = ""
	}
	if cfg.HostPID {
		ps.Pid = specgen.Namespace{NSMode: specgen.Host}
	}
}

// containerNamespaceSpec sets the namespaces a container asks for itself.
func containerNamespaceSpec(s *specgen.SpecGenerator, cfg ContainerConfig) {
	if cfg.HostIPC {
		s.IpcNS = specgen.Namespace{NSMode: specgen.Host}
	}
}

// EtcHostsHeader starts every /etc/hosts the agent writes, as the kubelet's.
const EtcHostsHeader = "# Kubernetes-managed hosts file.\n"

// etcHosts is the kubelet's /etc/hosts of a pod (managedHostsFileContent):
// localhost lines, the pod's address with its hostname (fully qualified
// when the pod has a subdomain: hostname.subdomain.ns.svc.<domain>), then
// the hostAliases under "# Entries added by HostAliases.". A hostNetwork
// pod gets the node's file (nodeHosts) with the aliases appended instead.
// It is pure.
func etcHosts(pod *corev1.Pod, podIP, clusterDomain string, nodeHosts []byte) []byte {
	var b bytes.Buffer
	if pod.Spec.HostNetwork {
		b.Write(nodeHosts)
		if len(nodeHosts) > 0 && !bytes.HasSuffix(nodeHosts, []byte("\n")) {
			b.WriteByte('\n')
		}
	} else {
		b.WriteString(EtcHostsHeader)
		b.WriteString("127.0.0.1\tlocalhost\n")
		b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
		b.WriteString("fe00::0\tip6-localnet\n")
		b.WriteString("fe00::0\tip6-mcastprefix\n")
		b.WriteString("fe00::1\tip6-allnodes\n")
		b.WriteString("fe00::2\tip6-allrouters\n")
		host := podHostname(pod)
		if podIP != "" {
			if pod.Spec.Subdomain != "" {
				domain := strings.TrimSuffix(clusterDomain, ".")
				if domain == "" {
					domain = "cluster.local"
				}
				fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", podIP, host, pod.Spec.Subdomain, pod.Namespace, domain, host)
			} else {
				fmt.Fprintf(&b, "%s\t%s\n", podIP, host)
			}
		}
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range pod.Spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
		}
	}
	return b.Bytes()
}

// etcHostsMount writes the pod's /etc/hosts into its directory (in place,
// so containers that mount it already see the new content) and returns
// the mount of it. A hostNetwork pod without hostAliases keeps Podman's
// copy of the node's file.
func (a *Agent) etcHostsMount(pod *corev1.Pod, podIP string) (*Mount, error) {
	if pod.Spec.HostNetwork && len(pod.Spec.HostAliases) == 0 {
		return nil, nil
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, m := range c.VolumeMounts {
				if filepath.Clean(m.MountPath) == "/etc/hosts" {
					return nil, nil // the kubelet leaves a mounted /etc/hosts alone too
				}
			}
		}
	}
	var nodeHosts []byte
	if pod.Spec.HostNetwork {
		nodeHosts, _ = os.ReadFile("/etc/hosts") // none: only the aliases
	}
	domain := ""
	if a.opts.DNS != nil {
		domain = a.opts.DNS.ClusterDomain
	}
	want := etcHosts(pod, podIP, domain, nodeHosts)
	path := filepath.Join(podDir(a.opts.DataDir, string(pod.UID)), "etc-hosts")
	if have, err := os.ReadFile(path); err != nil || !bytes.Equal(have, want) {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			return nil, fmt.Errorf("writing /etc/hosts of pod %s: %w", podKey(pod), err)
		}
	}
	return &Mount{Source: path, Destination: "/etc/hosts"}, nil
}

// podIPOf is a pod's address: the node's for a hostNetwork pod (as
// Kubernetes reports it), else its infra container's.
func podIPOf(pod *corev1.Pod, infraIP, hostIP string) string {
	if pod.Spec.HostNetwork {
		return hostIP
	}
	return infraIP
}

// resolvConf is a resolv.conf of the given servers, search path and
// options, as the kubelet writes it for the runtime. It is pure.
func resolvConf(servers, searches, options []string) []byte {
	var b bytes.Buffer
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(searches, " "))
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.Bytes()
}

// resolvConfMount gives a hostNetwork pod with its own resolver
// (ClusterFirstWithHostNet, None, dnsConfig nameservers) its resolv.conf:
// Podman gives a container on the host's network the host's file whatever
// the pod's DNS settings, so the agent writes it, as the kubelet does,
// into the pod's directory and mounts it. Other pods get theirs from
// Podman (podNetworkSpec).
func (a *Agent) resolvConfMount(pod *corev1.Pod) (*Mount, error) {
	if !pod.Spec.HostNetwork {
		return nil, nil
	}
	servers, searches, options := podDNSConfig(pod, a.opts.DNS, a.nodeResolverFor(pod))
	if len(servers) == 0 {
		return nil, nil // the node's resolver (Default)
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, m := range c.VolumeMounts {
				if filepath.Clean(m.MountPath) == "/etc/resolv.conf" {
					return nil, nil
				}
			}
		}
	}
	want := resolvConf(servers, searches, options)
	path := filepath.Join(podDir(a.opts.DataDir, string(pod.UID)), "resolv.conf")
	if have, err := os.ReadFile(path); err != nil || !bytes.Equal(have, want) {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			return nil, fmt.Errorf("writing /etc/resolv.conf of pod %s: %w", podKey(pod), err)
		}
	}
	return &Mount{Source: path, Destination: "/etc/resolv.conf"}, nil
}

// sandboxHash sums what a Podman pod is made from and cannot change
// afterwards: its namespaces, hostname, host ports and resolver.
func sandboxHash(pod *corev1.Pod) string {
	h := fnv.New64a()
	s := pod.Spec
	dns, _ := json.Marshal(s.DNSConfig) // not %v: its options hold pointers
	fmt.Fprintf(h, "%t %t %t %t %q %v %q %s", s.HostNetwork, s.HostPID, s.HostIPC,
		s.ShareProcessNamespace != nil && *s.ShareProcessNamespace, podHostname(pod), podPorts(pod), s.DNSPolicy, dns)
	return strconv.FormatUint(h.Sum64(), 16)
}

// sandboxChanged says whether a running pod's Podman pod was made from other
// sandbox fields (a pod from git whose hostNetwork, say, was edited): the
// kubelet's podSandboxChanged. Finished pods and Podman pods of older agents
// (no hash) are left alone.
func sandboxChanged(pod *corev1.Pod, op *ObservedPod) bool {
	return op != nil && op.SandboxHash != "" && !isTerminal(pod.Status.Phase) && op.SandboxHash != sandboxHash(pod)
}

// recreateSandbox removes the Podman pod; the next sync makes it again. The
// pod's directory (emptyDir volumes) stays: it is the same pod.
func recreateSandbox(op *ObservedPod) Action {
	return Action{Kind: ActRemovePod, PodmanPodID: op.ID, Grace: op.Grace,
		Reason: "Pod sandbox changed, it will be killed and re-created."}
}
