package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestProbeStepThresholds(t *testing.T) {
	pp := probeParams{SuccessThreshold: 2, FailureThreshold: 3}
	cases := []struct {
		name     string
		kind     ProbeKind
		outcomes string // s = success, f = failure
		want     bool
	}{
		{"readiness starts not ready", Readiness, "", false},
		{"liveness starts alive", Liveness, "", true},
		{"one success is not enough with successThreshold 2", Readiness, "s", false},
		{"two successes make it ready", Readiness, "ss", true},
		{"a failure between successes resets the count", Readiness, "sfs", false},
		{"two failures keep it ready", Readiness, "ssff", true},
		{"three failures make it not ready", Readiness, "ssfff", false},
		{"liveness: two failures still alive", Liveness, "ff", true},
		{"liveness: three failures dead", Liveness, "fff", false},
		{"liveness: failures interrupted by a success", Liveness, "ffsff", true},
	}
	for _, tc := range cases {
		s := initialProbeState(tc.kind)
		for _, o := range tc.outcomes {
			s = probeStep(s, o == 's', "boom", pp)
		}
		if s.Success != tc.want {
			t.Errorf("%s: after %q result %v, want %v", tc.name, tc.outcomes, s.Success, tc.want)
		}
	}
}

func TestParamsDefaults(t *testing.T) {
	got := paramsOf(&corev1.Probe{SuccessThreshold: 5}, Liveness)
	want := probeParams{Period: 10 * time.Second, Timeout: time.Second, SuccessThreshold: 1, FailureThreshold: 3}
	if got != want {
		t.Errorf("liveness defaults %+v, want %+v (successThreshold forced to 1)", got, want)
	}
	if got := paramsOf(&corev1.Probe{SuccessThreshold: 2}, Readiness); got.SuccessThreshold != 2 {
		t.Errorf("readiness successThreshold %d, want 2", got.SuccessThreshold)
	}
}

func TestResolveProbe(t *testing.T) {
	c := &corev1.Container{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	cases := []struct {
		probe corev1.ProbeHandler
		want  string
	}{
		{corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "healthz", Port: intstr.FromString("http")}}, "GET http://10.88.0.5:8080/healthz"},
		{corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(9000), Scheme: corev1.URISchemeHTTPS, Host: "127.0.0.1"}}, "GET https://127.0.0.1:9000/"},
		{corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}}, "tcp 10.88.0.5:8080"},
		{corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/check", "-q"}}}, "exec /bin/check -q"},
		{corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("nope")}}, `error: probe port "nope" names no port of container app; add it to ports or use a number`},
		{corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}, `grpc 10.88.0.5:9090 service ""`},
		{corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr.To("liveness")}}, `grpc 10.88.0.5:9090 service "liveness"`},
		{corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 0}}, "error: grpc probe port 0 is out of range"},
		{corev1.ProbeHandler{}, "error: probe has no handler: set exec, httpGet, tcpSocket or grpc"},
	}
	for _, tc := range cases {
		target, err := resolveProbe(&corev1.Probe{ProbeHandler: tc.probe}, c, "10.88.0.5")
		got := target.String()
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tc.want {
			t.Errorf("resolveProbe(%+v) = %q, want %q", tc.probe, got, tc.want)
		}
	}
}

// The checks against real endpoints: an HTTP server and a TCP listener.
func TestRunProbeHTTPAndTCP(t *testing.T) {
	var mu sync.Mutex
	code := http.StatusOK
	var gotHeader, gotHost string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gotHeader, gotHost = r.Header.Get("X-Probe"), r.Host
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		w.WriteHeader(code)
	}))
	defer srv.Close()
	target := probeTarget{URL: srv.URL + "/healthz", Headers: map[string]string{"X-Probe": "yes"}, Host: "app.local"}
	if ok, msg := runProbe(context.Background(), nil, "", target, time.Second); !ok {
		t.Errorf("200: failed: %s", msg)
	}
	if gotHeader != "yes" || gotHost != "app.local" {
		t.Errorf("headers not sent: X-Probe %q Host %q", gotHeader, gotHost)
	}
	mu.Lock()
	code = http.StatusInternalServerError
	mu.Unlock()
	if ok, msg := runProbe(context.Background(), nil, "", target, time.Second); ok || msg != "HTTP probe failed with statuscode: 500" {
		t.Errorf("500: ok=%v msg %q", ok, msg)
	}
	if ok, _ := runProbe(context.Background(), nil, "", probeTarget{URL: srv.URL + "/slow"}, 50*time.Millisecond); ok {
		t.Error("a probe slower than its timeout passed")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if ok, msg := runProbe(context.Background(), nil, "", probeTarget{Addr: addr}, time.Second); !ok {
		t.Errorf("tcp to a listener failed: %s", msg)
	}
	ln.Close()
	if ok, msg := runProbe(context.Background(), nil, "", probeTarget{Addr: addr}, time.Second); ok || !strings.Contains(msg, "refused") {
		t.Errorf("tcp to a closed port: ok=%v msg %q", ok, msg)
	}
}

func TestEventRecorderCountsRepeats(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp := newFakeControlPlane()
	r := newEventRecorder(cp, "n1", clock.Now, func(string, ...any) {})
	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	r.record(context.Background(), p, "app", corev1.EventTypeWarning, ReasonUnhealthy, "Readiness probe failed: %s", "boom")
	clock.Add(time.Second)
	r.record(context.Background(), p, "app", corev1.EventTypeWarning, ReasonUnhealthy, "Readiness probe failed: %s", "boom")
	r.record(context.Background(), p, "app", corev1.EventTypeNormal, ReasonKilling, "Stopping container app")
	r.flush() // events are sent in the background (events_send.go)
	got := strings.Join(cp.eventsFor("web"), "\n")
	want := "Killing: Stopping container app (1)\nUnhealthy: Readiness probe failed: boom (2)"
	if got != want {
		t.Errorf("events:\n%s\nwant:\n%s", got, want)
	}
	for _, ev := range cp.events {
		if ev.Reason == ReasonUnhealthy && (!ev.LastTimestamp.After(ev.FirstTimestamp.Time) || ev.InvolvedObject.FieldPath != "spec.containers{app}" ||
			ev.InvolvedObject.UID != "u-web" || ev.Source.Host != "n1") {
			t.Errorf("event fields: %+v", ev)
		}
	}
}

// The prober over the fake runtime with a scripted check: readiness flips
// the pod's Ready condition, a liveness failure restarts the container, and
// a startup probe holds both back.
func TestProberLoop(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	obs := &countingObserver{probes: map[ProbeKind]int{}}
	a.opts.Observer, a.probes.observer = obs, obs
	defer a.probes.stop()
	var mu sync.Mutex
	verdict := map[string]bool{} // "<kind>" → passes
	a.probes.check = func(_ context.Context, id string, tg probeTarget, _ time.Duration) (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		kind := strings.TrimPrefix(tg.Exec[0], "/")
		return verdict[kind], kind + " says no"
	}
	setVerdict := func(kind string, ok bool) { mu.Lock(); verdict[kind] = ok; mu.Unlock() }
	probe := func(kind string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/" + kind}}},
			PeriodSeconds: 1, FailureThreshold: 1}
	}
	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	p.Spec.Containers[0].StartupProbe = probe("startup")
	p.Spec.Containers[0].ReadinessProbe = probe("readiness")
	p.Spec.Containers[0].LivenessProbe = probe("liveness")
	p.Spec.Containers[0].LivenessProbe.FailureThreshold = 1000 // only the startup probe may kill here
	p.Spec.Containers[0].StartupProbe.FailureThreshold = 1000
	cp.putPod(p)
	setVerdict("readiness", true)
	setVerdict("liveness", true)

	status := func() corev1.ContainerStatus {
		st := cp.pod("default", "web").Status
		if len(st.ContainerStatuses) == 0 {
			return corev1.ContainerStatus{}
		}
		return st.ContainerStatuses[0]
	}
	syncOnce(t, a)
	if cs := status(); cs.Ready || cs.Started == nil || *cs.Started {
		t.Fatalf("before the startup probe passed: ready %v started %v", cs.Ready, cs.Started)
	}
	setVerdict("startup", true)
	eventually(t, 10*time.Second, "started and ready", func() (bool, string) {
		syncOnce(t, a)
		cs := status()
		return cs.Ready && *cs.Started, fmt.Sprintf("%+v", cs)
	})
	setVerdict("readiness", false)
	eventually(t, 10*time.Second, "not ready after the readiness probe fails", func() (bool, string) {
		syncOnce(t, a)
		cs := status()
		return !cs.Ready && cs.State.Running != nil && cs.RestartCount == 0, fmt.Sprintf("%+v", cs)
	})
	if c := cp.pod("default", "web").Status.Conditions; c[3].Type != corev1.PodReady || c[3].Status != corev1.ConditionFalse {
		t.Errorf("pod Ready condition: %+v", c[3])
	}
	p = cp.pod("default", "web")
	p.Spec.Containers[0].LivenessProbe.FailureThreshold = 2
	// Same spec hash matters: the probe is part of the container spec, so
	// changing it replaces the container (as Kubernetes would recreate the pod).
	cp.putPod(p)
	setVerdict("liveness", false)
	eventually(t, 15*time.Second, "restarted by the liveness probe", func() (bool, string) {
		clock.Add(11 * time.Second) // past any restart backoff
		syncOnce(t, a)
		cs := status()
		return cs.RestartCount >= 2 && cs.LastTerminationState.Terminated != nil, fmt.Sprintf("%+v", cs)
	})
	evs := strings.Join(cp.eventsFor("web"), "\n")
	for _, want := range []string{"Started: Started container app", "BackOff: Back-off restarting failed container app",
		"Killing: Container app failed liveness probe, will be restarted", "Unhealthy: Liveness probe failed: liveness says no", "Unhealthy: Readiness probe failed: readiness says no"} {
		if !strings.Contains(evs, want) {
			t.Errorf("events lack %q:\n%s", want, evs)
		}
	}
	// The observer (agentmetrics) saw the failures of each probe and the
	// restarts, and a sync's duration.
	if _, err := a.syncOnceObserved(context.Background()); err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.probes[Readiness] == 0 || obs.probes[Liveness] < 2 || obs.restarts < 1 || obs.syncs != 1 {
		t.Errorf("observer: probe failures %v, restarts %d, syncs %d", obs.probes, obs.restarts, obs.syncs)
	}
	_ = slog.Default
	_ = metav1.Now
}

// countingObserver is an agent.Observer that counts.
type countingObserver struct {
	mu              sync.Mutex
	syncs, restarts int
	probes          map[ProbeKind]int
}

func (o *countingObserver) PodSyncDone(time.Duration, error) { o.mu.Lock(); o.syncs++; o.mu.Unlock() }
func (o *countingObserver) ContainerRestarted()              { o.mu.Lock(); o.restarts++; o.mu.Unlock() }
func (o *countingObserver) ProbeFailed(k ProbeKind)          { o.mu.Lock(); o.probes[k]++; o.mu.Unlock() }
