package discovery

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ServiceEnv returns the Kubernetes service variables of namespace's
// services, as the kubelet sets them: only services with a cluster IP
// (headless ones and those not yet allocated have none), the first port as
// NAME_SERVICE_PORT and NAME_PORT. It is pure.
func ServiceEnv(services []*corev1.Service, namespace string) map[string]string {
	env := map[string]string{}
	for _, svc := range services {
		if svc.Namespace != namespace || !hasClusterIP(svc) || len(svc.Spec.Ports) == 0 {
			continue
		}
		addServiceEnv(env, svc)
	}
	return env
}

func hasClusterIP(svc *corev1.Service) bool {
	ip := svc.Spec.ClusterIP
	return ip != "" && ip != corev1.ClusterIPNone
}

func addServiceEnv(env map[string]string, svc *corev1.Service) {
	name := envName(svc.Name)
	host := svc.Spec.ClusterIP
	first := svc.Spec.Ports[0]
	env[name+"_SERVICE_HOST"] = host
	env[name+"_SERVICE_PORT"] = strconv.Itoa(int(first.Port))
	for _, p := range svc.Spec.Ports {
		if p.Name != "" {
			env[name+"_SERVICE_PORT_"+envName(p.Name)] = strconv.Itoa(int(p.Port))
		}
	}
	// Docker link variables.
	env[name+"_PORT"] = linkURL(first, host)
	for _, p := range svc.Spec.Ports {
		proto := protocol(p)
		prefix := name + "_PORT_" + strconv.Itoa(int(p.Port)) + "_" + strings.ToUpper(proto)
		env[prefix] = linkURL(p, host)
		env[prefix+"_PROTO"] = proto
		env[prefix+"_PORT"] = strconv.Itoa(int(p.Port))
		env[prefix+"_ADDR"] = host
	}
}

func protocol(p corev1.ServicePort) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return strings.ToLower(string(p.Protocol))
}

func linkURL(p corev1.ServicePort, host string) string {
	return protocol(p) + "://" + host + ":" + strconv.Itoa(int(p.Port))
}

// envName is a service or port name as a variable name: upper case, dashes
// as underscores.
func envName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}
