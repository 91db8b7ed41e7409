package agent

import (
	"bufio"
	"fmt"
	"maps"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxPods is the pod capacity every node advertises (the kubelet's default).
const MaxPods = 110

// HostInfo is what the agent reports about its machine.
type HostInfo struct {
	Hostname       string
	CPUs           int
	MemoryBytes    int64
	IP             string
	KernelVersion  string
	OSImage        string
	RuntimeVersion string // e.g. podman://4.3.1
	// LogPort is the port of the agent's log server (0: none), reported as
	// status.daemonEndpoints.kubeletEndpoint.port. LogHost is the host it
	// listens on when that is not every interface: a loopback listener is
	// reported as the address {InternalDNS, localhost}, which the API
	// server prefers when it proxies `reconcile logs`.
	LogPort int32
	LogHost string
	// Annotations go on the Node (keys under node.reconcile.dev/, e.g.
	// the pod network's node.reconcile.dev/vxlan-mac); the controller
	// updates them at every registration.
	Annotations map[string]string
	// SystemReserved is taken off the capacity to give the allocatable
	// the scheduler fills (--system-reserved, as the kubelet's).
	SystemReserved corev1.ResourceList
	// MaxPods is the node's pod capacity; 0 means MaxPods (110). Simulated
	// nodes (agent/hollow) set it; a real agent keeps the kubelet's default.
	MaxPods int
}

// NodeObject builds the Node the agent registers. It is pure.
func NodeObject(name string, h HostInfo, version string, now time.Time) *corev1.Node {
	t := metav1.NewTime(now.Truncate(time.Second))
	maxPods := h.MaxPods
	if maxPods == 0 {
		maxPods = MaxPods
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(int64(h.CPUs), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(h.MemoryBytes, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(int64(maxPods), resource.DecimalSI),
	}
	n := &corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"kubernetes.io/hostname": name,
			"kubernetes.io/os":       runtime.GOOS,
			"kubernetes.io/arch":     runtime.GOARCH,
		}},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: allocatable(capacity, h.SystemReserved), // reserved.go
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "AgentReady",
				Message: "reconcile agent is posting ready status", LastHeartbeatTime: t, LastTransitionTime: t,
			}},
			NodeInfo: corev1.NodeSystemInfo{
				KernelVersion: h.KernelVersion, OSImage: h.OSImage, OperatingSystem: runtime.GOOS,
				Architecture: runtime.GOARCH, ContainerRuntimeVersion: h.RuntimeVersion,
				KubeletVersion: version, KubeProxyVersion: version,
			},
		},
	}
	if len(h.Annotations) > 0 {
		n.Annotations = maps.Clone(h.Annotations)
	}
	if h.IP != "" {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: h.IP})
	}
	if h.Hostname != "" {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: h.Hostname})
	}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = h.LogPort
	if ip := net.ParseIP(h.LogHost); h.LogPort != 0 && (h.LogHost == "localhost" || ip != nil && ip.IsLoopback()) {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalDNS, Address: "localhost"})
	}
	return n
}

// ReadHostInfo reads the machine's facts from the kernel: CPUs, /proc/meminfo,
// uname, /etc/os-release and the first global unicast address.
func ReadHostInfo() HostInfo {
	h := HostInfo{CPUs: runtime.NumCPU(), IP: HostIP()}
	h.Hostname, _ = os.Hostname()
	h.MemoryBytes, _ = memTotal("/proc/meminfo")
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		h.KernelVersion = utsString(u.Release[:])
	}
	h.OSImage = osImage("/etc/os-release")
	return h
}

func memTotal(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("%s: no MemTotal line", path)
}

func osImage(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func utsString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

// HostIP is the first global unicast IPv4 address of an up, non-loopback
// interface that is not a container bridge; "" when there is none.
func HostIP() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 ||
			strings.HasPrefix(ifc.Name, "podman") || strings.HasPrefix(ifc.Name, "veth") || strings.HasPrefix(ifc.Name, "cni") {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && ipn.IP.IsGlobalUnicast() {
				return ipn.IP.String()
			}
		}
	}
	return ""
}
