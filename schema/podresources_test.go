package schema

import (
	"strings"
	"testing"
)

// Pod-level resources and gRPC probes validate; Kubernetes' consistency
// rules between pod-level and container resources hold.
func TestPodLevelResourcesAndGRPCProbe(t *testing.T) {
	mustOne(t, "ok.yaml", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources:
    requests: {cpu: "1", memory: 100Mi}
    limits: {cpu: "1", memory: 200Mi}
  containers:
  - name: a
    image: a:1
    resources: {requests: {cpu: 500m, memory: 50Mi}, limits: {memory: 100Mi}}
    livenessProbe: {grpc: {port: 9090, service: liveness}}
  - name: b
    image: b:1
`)
	res := validateOne(t, "bad.yaml", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources:
    requests: {cpu: "2", memory: 100Mi}
    limits: {cpu: "1", memory: 200Mi}
  containers:
  - name: a
    image: a:1
    resources: {requests: {memory: 150Mi}, limits: {memory: 300Mi}}
    readinessProbe: {grpc: {port: 9090}, tcpSocket: {port: 80}}
`)
	want := `bad.yaml:6:21: spec.resources.requests.cpu: must be less than or equal to the pod-level cpu limit 1
bad.yaml:6:34: spec.resources.requests.memory: must be greater than or equal to the aggregate container requests of memory (150Mi)
bad.yaml:11:61: spec.containers[0].resources.limits.memory: must be less than or equal to the pod-level memory limit 200Mi
bad.yaml:12:21: spec.containers[0].readinessProbe: a probe needs exactly one of exec, httpGet, tcpSocket or grpc
`
	if got := res.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	res = validateOne(t, "eph.yaml", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {limits: {ephemeral-storage: 1Gi}}
  containers: [{name: a, image: a:1}]
`)
	if got := res.String(); !strings.Contains(got, "pod-level resources take only cpu and memory") {
		t.Errorf("ephemeral-storage at pod level: %s", got)
	}
}
