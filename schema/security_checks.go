package schema

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// securityChecks are the API server's rules about securityContext that relate
// several fields: a Localhost seccomp profile names a file below the node's
// profile directory and only Localhost names one; privileged and
// CAP_SYS_ADMIN contradict allowPrivilegeEscalation: false; sysctls are
// namespaced, unique, and not of a namespace the pod shares with the host.
func securityChecks(spec *corev1.PodSpec, add func(string, ...string), p func(...string) []string) {
	if sc := spec.SecurityContext; sc != nil {
		seccompChecks(sc.SeccompProfile, add, p("securityContext", "seccompProfile")...)
		seen := map[string]bool{}
		for i, s := range sc.Sysctls {
			if !namespacedSysctl(s.Name) {
				add(fmt.Sprintf("%s is not a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*): a pod may not set the node's own kernel parameters", s.Name),
					p("securityContext", "sysctls", fmt.Sprint(i), "name")...)
			}
			name := strings.ReplaceAll(s.Name, "/", ".")
			if spec.HostNetwork && strings.HasPrefix(name, "net.") {
				add("may not be specified when 'hostNetwork' is true", p("securityContext", "sysctls", fmt.Sprint(i), "name")...)
			}
			if spec.HostIPC && !strings.HasPrefix(name, "net.") && namespacedSysctl(name) {
				add("may not be specified when 'hostIPC' is true", p("securityContext", "sysctls", fmt.Sprint(i), "name")...)
			}
			if seen[s.Name] {
				add(fmt.Sprintf("duplicate sysctl %q", s.Name), p("securityContext", "sysctls", fmt.Sprint(i), "name")...)
			}
			seen[s.Name] = true
		}
	}
	check := func(list string, cs []corev1.Container) {
		for i, c := range cs {
			sc := c.SecurityContext
			if sc == nil {
				continue
			}
			at := func(s ...string) []string {
				return p(append([]string{list, fmt.Sprint(i), "securityContext"}, s...)...)
			}
			seccompChecks(sc.SeccompProfile, add, at("seccompProfile")...)
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				continue
			}
			if sc.Privileged != nil && *sc.Privileged {
				add("cannot set `allowPrivilegeEscalation` to false and `privileged` to true", at("allowPrivilegeEscalation")...)
			}
			if sc.Capabilities != nil {
				for _, c := range sc.Capabilities.Add {
					if strings.EqualFold(string(c), "SYS_ADMIN") || strings.EqualFold(string(c), "CAP_SYS_ADMIN") {
						add("cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN", at("allowPrivilegeEscalation")...)
					}
				}
			}
		}
	}
	check("initContainers", spec.InitContainers)
	check("containers", spec.Containers)
}

func seccompChecks(sp *corev1.SeccompProfile, add func(string, ...string), at ...string) {
	if sp == nil {
		return
	}
	field := append(append([]string(nil), at...), "localhostProfile")
	if sp.Type != corev1.SeccompProfileTypeLocalhost {
		if sp.LocalhostProfile != nil {
			add("may only be set when type is Localhost", field...)
		}
		return
	}
	switch lp := sp.LocalhostProfile; {
	case lp == nil || *lp == "":
		add("required field is missing: must be set when type is Localhost: the profile's path relative to the node's seccomp directory (<agent data dir>/seccomp)", field...)
	case path.IsAbs(*lp) || strings.Contains("/"+*lp+"/", "/../"):
		add(fmt.Sprintf("%q must be a relative path below the node's seccomp directory, without '..'", *lp), field...)
	}
}

// namespacedSysctl says whether a sysctl lives in a namespace a pod has of
// its own (network or IPC), the only ones Kubernetes lets a pod set.
func namespacedSysctl(name string) bool {
	name = strings.ReplaceAll(name, "/", ".")
	if name == "kernel.sem" {
		return true
	}
	for _, prefix := range []string{"net.", "kernel.shm", "kernel.msg", "fs.mqueue."} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}
