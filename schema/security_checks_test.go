package schema

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestSysctlsOfHostNamespaces: a pod in the host's network or IPC namespace
// may not set that namespace's sysctls (the host's own), as in Kubernetes.
func TestSysctlsOfHostNamespaces(t *testing.T) {
	spec := &corev1.PodSpec{HostNetwork: true, HostIPC: true, SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{
		{Name: "net.ipv4.tcp_keepalive_time", Value: "600"}, {Name: "kernel.shmmax", Value: "1"}, {Name: "fs.mqueue.msg_max", Value: "1"},
	}}}
	var got []string
	add := func(msg string, path ...string) { got = append(got, strings.Join(path, ".")+": "+msg) }
	securityChecks(spec, add, func(s ...string) []string { return append([]string{"spec"}, s...) })
	want := []string{
		"spec.securityContext.sysctls.0.name: may not be specified when 'hostNetwork' is true",
		"spec.securityContext.sysctls.1.name: may not be specified when 'hostIPC' is true",
		"spec.securityContext.sysctls.2.name: may not be specified when 'hostIPC' is true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
