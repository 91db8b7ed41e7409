package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// BenchmarkHTTPProbe is one httpGet probe round trip (new connection each
// time, as the kubelet does).
func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	target := probeTarget{URL: srv.URL + "/healthz"}
	for i := 0; i < b.N; i++ {
		if ok, msg := runProbe(context.Background(), nil, "", target, time.Second); !ok {
			b.Fatal(msg)
		}
	}
}

// BenchmarkPodmanExecProbe is one exec probe in a running container through
// the Podman API (create, start and attach, inspect): the costly kind.
//
//	go test -run '^$' -bench PodmanExecProbe -benchtime 20x ./agent
func BenchmarkPodmanExecProbe(b *testing.B) {
	requirePodman(b)
	cp := newFakeControlPlane()
	p := testPod("execbench", "77777777-aaaa-4000-8000-000000000001", testContainer("c"))
	p.Spec.Volumes = []corev1.Volume{reportVolume()}
	cp.putPod(p)
	ag := startAgent(b, cp, b.TempDir())
	st := waitStatus(b, cp, "execbench", 60*time.Second, "running", allRunning(1))
	id := st.ContainerStatuses[0].ContainerID
	target := probeTarget{Exec: []string{"/testprog", "check", "/report"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, msg := runProbe(context.Background(), ag.rt, id, target, 5*time.Second); !ok {
			b.Fatal(msg)
		}
	}
}
