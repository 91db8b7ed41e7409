package scheduler

import corev1 "k8s.io/api/core/v1"

// ReasonNodePorts is Kubernetes' NodePorts reason.
const ReasonNodePorts = "node(s) didn't have free ports for the requested pod ports"

// bindAll is the host address a hostPort without hostIP binds.
const bindAll = "0.0.0.0"

// hostPort is one (hostIP, protocol, hostPort) a pod takes on its node,
// sanitised as Kubernetes' HostPortInfo does: hostIP "" is 0.0.0.0,
// protocol "" is TCP.
type hostPort struct {
	ip       string
	protocol corev1.Protocol
	port     int32
}

// HostPorts are the host ports in use on a node, by host address, each
// with the number of pods holding it (so taking one pod off keeps what
// another, overcommitted, pod still holds).
type HostPorts map[string]map[hostPort]int

// podHostPorts lists the host ports of a pod's containers (and sidecars,
// which run alongside them), as Kubernetes' getContainerPorts.
func podHostPorts(p *corev1.Pod) []hostPort {
	var out []hostPort
	add := func(c *corev1.Container) {
		for _, cp := range c.Ports {
			if cp.HostPort <= 0 {
				continue
			}
			hp := hostPort{ip: cp.HostIP, protocol: cp.Protocol, port: cp.HostPort}
			if hp.ip == "" || hp.ip == "::" {
				hp.ip = bindAll
			}
			if hp.protocol == "" {
				hp.protocol = corev1.ProtocolTCP
			}
			out = append(out, hp)
		}
	}
	for i := range p.Spec.InitContainers {
		if c := &p.Spec.InitContainers[i]; c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(c)
		}
	}
	for i := range p.Spec.Containers {
		add(&p.Spec.Containers[i])
	}
	return out
}

func (h *HostPorts) add(ports []hostPort) {
	if len(ports) == 0 {
		return
	}
	if *h == nil {
		*h = HostPorts{}
	}
	for _, p := range ports {
		if (*h)[p.ip] == nil {
			(*h)[p.ip] = map[hostPort]int{}
		}
		(*h)[p.ip][hostPort{protocol: p.protocol, port: p.port}]++
	}
}

// remove gives back ports that add took.
func (h HostPorts) remove(ports []hostPort) {
	for _, p := range ports {
		key := hostPort{protocol: p.protocol, port: p.port}
		if h[p.ip][key]--; h[p.ip][key] <= 0 {
			delete(h[p.ip], key)
		}
	}
}

// conflicts is Kubernetes' HostPortInfo.CheckConflict: a port on 0.0.0.0
// conflicts with the same protocol and port on any address; one on a
// given address with the same on that address or on 0.0.0.0.
func (h HostPorts) conflicts(p hostPort) bool {
	key := hostPort{protocol: p.protocol, port: p.port}
	if p.ip == bindAll {
		for _, used := range h {
			if used[key] > 0 {
				return true
			}
		}
		return false
	}
	return h[bindAll][key] > 0 || h[p.ip][key] > 0
}

// NodePorts rejects nodes where one of the pod's host ports is taken by a
// pod already there (or placed before it in this round).
type NodePorts struct{}

func (NodePorts) Name() string { return "NodePorts" }
func (NodePorts) Filter(p *PodInfo, n *NodeInfo) []string {
	for _, hp := range p.hostPorts {
		if n.UsedPorts.conflicts(hp) {
			return []string{ReasonNodePorts}
		}
	}
	return nil
}
