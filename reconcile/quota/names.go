package quota

import (
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Resource names a quota counts (Kubernetes' standard names).
const (
	Pods                  corev1.ResourceName = "pods"
	Services              corev1.ResourceName = "services"
	ServicesNodePorts     corev1.ResourceName = "services.nodeports"
	ServicesLoadBalancers corev1.ResourceName = "services.loadbalancers"
	ConfigMaps            corev1.ResourceName = "configmaps"
	Secrets               corev1.ResourceName = "secrets"
	ResourceQuotas        corev1.ResourceName = "resourcequotas"
)

// computeNames are the compute resources a pod charges: the requests
// (also under the bare name, as Kubernetes' cpu = requests.cpu) and the
// limits of cpu, memory and ephemeral-storage.
var computeNames = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage}

// IsCompute reports whether name is a compute resource of a pod
// (requests.*, limits.*, cpu, memory, ephemeral-storage).
func IsCompute(name corev1.ResourceName) bool {
	n := string(name)
	n = strings.TrimPrefix(strings.TrimPrefix(n, "requests."), "limits.")
	for _, c := range computeNames {
		if n == string(c) {
			return true
		}
	}
	return false
}

// podResources are the names a scoped quota may cap (Kubernetes refuses
// other names with a scope: scopes select pods).
func podResource(name corev1.ResourceName) bool {
	return name == Pods || name == "count/pods" || IsCompute(name)
}

// CountName is the count/<plural>[.<group>] name of kind (count/pods,
// count/deployments.apps).
func CountName(kind string) corev1.ResourceName { return countNamesByKind()[kind] }

// countNamesByKind is countName of every kind, made once (Usage runs for
// every object of a commit in a namespace with a quota).
var countNamesByKind = sync.OnceValue(func() map[string]corev1.ResourceName {
	m := map[string]corev1.ResourceName{}
	for _, info := range objects.Kinds() {
		m[info.Kind] = countName(info.Kind)
	}
	return m
})

func countName(kind string) corev1.ResourceName {
	info, ok := objects.Info(kind)
	if !ok {
		return ""
	}
	group, _, found := strings.Cut(info.APIVersion, "/")
	if !found {
		return corev1.ResourceName("count/" + info.Plural)
	}
	return corev1.ResourceName("count/" + info.Plural + "." + group)
}

// countKind is the namespaced kind a count/<plural>[.<group>] names.
func countKind(name corev1.ResourceName) (string, bool) {
	for _, info := range objects.Kinds() {
		if info.Namespaced && CountName(info.Kind) == name {
			return info.Kind, true
		}
	}
	return "", false
}

// CheckResourceName says why a quota may not cap name ("" when it may).
func CheckResourceName(name corev1.ResourceName) string {
	n := string(name)
	switch {
	case IsCompute(name), name == Pods, name == Services, name == ServicesNodePorts, name == ServicesLoadBalancers,
		name == ConfigMaps, name == Secrets, name == ResourceQuotas:
		return ""
	case n == "persistentvolumeclaims", n == "requests.storage", strings.Contains(n, ".storageclass.storage.k8s.io/"):
		return "reconcile has no PersistentVolumeClaim kind (volume claim templates are Podman volumes, not sized): remove " + n + " from the quota"
	case n == "replicationcontrollers":
		return "reconcile has no ReplicationController kind (use a Deployment): remove replicationcontrollers from the quota"
	case strings.HasPrefix(n, "hugepages-"), strings.HasPrefix(n, "requests.hugepages-"), strings.HasPrefix(n, "limits.hugepages-"):
		return "reconcile does not schedule huge pages: remove " + n + " from the quota"
	case strings.HasPrefix(n, "count/"):
		if _, ok := countKind(name); ok {
			return ""
		}
		return fmt.Sprintf("%s names no namespaced kind reconcile has; known: %s", n, strings.Join(countNames(), ", "))
	case strings.Contains(n, "/"):
		return "reconcile has no extended resources (" + n + "): remove it from the quota"
	}
	return fmt.Sprintf("unknown quota resource %q; use requests.cpu, requests.memory, limits.cpu, limits.memory, cpu, memory, ephemeral-storage, pods, services, services.nodeports, services.loadbalancers, configmaps, secrets, resourcequotas or count/<plural>.<group>", n)
}

func countNames() []string {
	var out []string
	for _, info := range objects.Kinds() {
		if info.Namespaced && info.Manifest {
			out = append(out, string(CountName(info.Kind)))
		}
	}
	return out
}
