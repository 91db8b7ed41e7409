package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const testNode = "node-a"

// testClusterID labels the Podman objects of the package's tests that run
// their own Podman service.
const testClusterID = "agent-test"

// testClusterIDFor is the cluster of one test on the shared Podman service:
// each test sees only its own pods (as two installations on one host do),
// and removes them when it ends (startAgent).
func testClusterIDFor(t testing.TB) string {
	var b strings.Builder
	b.WriteString("t-")
	for _, r := range strings.ToLower(t.Name()) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if len(id) > 60 {
		id = strings.TrimRight(id[:60], "-")
	}
	return id
}

type runningAgent struct {
	agent *Agent
	rt    *PodmanRuntime
	stop  func()
}

// startAgent runs an Agent against the shared Podman service in the background.
func startAgent(t testing.TB, cp ControlPlane, dataDir string) *runningAgent {
	t.Helper()
	sock := requirePodman(t)
	rt, err := NewPodmanRuntime(context.Background(), sock, testClusterIDFor(t))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{NodeName: testNode, DataDir: dataDir, ControlPlane: cp, Runtime: rt,
		Host: &HostInfo{IP: "192.0.2.10", CPUs: 2, MemoryBytes: 1 << 30}, ResyncInterval: 300 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	ra := &runningAgent{agent: a, rt: rt}
	ra.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent Run: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			ra.stop()
		}
		removeClusterPods(rt)
	})
	return ra
}

// removeClusterPods removes what a test left in the shared service (more
// than once is fine).
func removeClusterPods(rt *PodmanRuntime) {
	list, _ := rt.List(context.Background())
	for _, op := range list {
		rt.RemovePod(context.Background(), op.ID, 0)
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testPod(name, uid string, containers ...corev1.Container) *corev1.Pod {
	grace := int64(1)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uid), Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{NodeName: testNode, Containers: containers, RestartPolicy: corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: &grace},
	}
}

func testContainer(name string, env ...corev1.EnvVar) corev1.Container {
	return corev1.Container{Name: name, Image: testImage, ImagePullPolicy: corev1.PullNever,
		Env:          append([]corev1.EnvVar{{Name: "NAME", Value: name}, {Name: "REPORT_DIR", Value: "/report"}}, env...),
		VolumeMounts: []corev1.VolumeMount{{Name: "report", MountPath: "/report"}}}
}

func reportVolume() corev1.Volume {
	return corev1.Volume{Name: "report", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
}

// waitPhase waits until the stored status of the pod has the phase and
// every container satisfies ok.
func waitStatus(t testing.TB, cp *fakeControlPlane, name string, limit time.Duration, what string, ok func(corev1.PodStatus) bool) corev1.PodStatus {
	t.Helper()
	var st corev1.PodStatus
	eventually(t, limit, what, func() (bool, string) {
		p := cp.pod("default", name)
		if p == nil {
			return false, "pod is gone"
		}
		st = p.Status
		b, _ := json.Marshal(st)
		return ok(st), string(b)
	})
	return st
}

type report struct {
	Env      []string          `json:"env"`
	Files    map[string]string `json:"files"`
	Hostname string            `json:"hostname"`
	Cwd      string            `json:"cwd"`
}

func readReport(t *testing.T, dataDir string, pod *corev1.Pod, name string) report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(volumeDir(dataDir, pod, "report"), name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func countStarts(dataDir string, pod *corev1.Pod, name string) int {
	b, _ := os.ReadFile(filepath.Join(volumeDir(dataDir, pod, "report"), name+".starts"))
	return strings.Count(string(b), "\n")
}

func podmanContainers(t *testing.T, rt *PodmanRuntime, uid string) map[string]ObservedContainer {
	t.Helper()
	list, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ObservedContainer{}
	for _, op := range list {
		if op.UID == uid {
			for _, c := range op.Containers {
				out[c.ID] = c
			}
		}
	}
	return out
}

func allRunning(n int) func(corev1.PodStatus) bool {
	return func(st corev1.PodStatus) bool {
		if st.Phase != corev1.PodRunning || len(st.ContainerStatuses) != n {
			return false
		}
		for _, cs := range st.ContainerStatuses {
			if cs.State.Running == nil || !cs.Ready {
				return false
			}
		}
		return true
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// checkLabels asks the podman CLI, as an operator would, for the contract labels.
func checkLabels(t *testing.T, pod *corev1.Pod, wantContainers int) {
	t.Helper()
	// The infra container carries the pod's labels too; it has no container label.
	out, err := podmanCLI("ps", "-a", "--no-trunc", "--filter", "label="+objects.LabelPodmanPod+"="+podKey(pod),
		"--filter", "label="+LabelCluster+"="+testClusterIDFor(t),
		"--filter", "label="+objects.LabelPodmanContainer,
		"--format", fmt.Sprintf(`{{.ID}} {{index .Labels %q}} {{index .Labels %q}}`, objects.LabelPodmanUID, objects.LabelPodmanContainer))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != wantContainers {
		t.Fatalf("podman ps --filter label=reconcile.pod=%s: want %d containers, got:\n%s", podKey(pod), wantContainers, out)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 || f[1] != string(pod.UID) {
			t.Errorf("container labels: want uid %s and a container name, got %q", pod.UID, l)
		}
	}
}

var osStat = os.Stat
