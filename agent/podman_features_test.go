package agent

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func firstLine(path string) string {
	b, _ := os.ReadFile(path)
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}

func terminatedWith(st corev1.PodStatus) *corev1.ContainerStateTerminated {
	if len(st.ContainerStatuses) != 1 {
		return nil
	}
	return st.ContainerStatuses[0].State.Terminated
}

// Init containers run in order before the app; a memory limit is enforced
// and an OOM kill reported; termination messages come from the file or,
// with FallbackToLogsOnError, from the log; a persistentVolumeClaim is a
// named Podman volume that outlives its pod.
func TestPodmanInitLimitsMessagesVolumes(t *testing.T) {
	requirePodman(t)
	cp := newFakeControlPlane()
	dataDir := t.TempDir()
	exit := func(code string) corev1.EnvVar { return corev1.EnvVar{Name: "EXIT_CODE", Value: code} }

	initPod := testPod("init", "66666666-aaaa-4000-8000-000000000001", testContainer("app"))
	initPod.Spec.InitContainers = []corev1.Container{testContainer("first", exit("0")), testContainer("second", exit("0"))}
	initPod.Spec.Volumes = []corev1.Volume{reportVolume()}

	oom := testPod("oom", "66666666-aaaa-4000-8000-000000000002", testContainer("hog", corev1.EnvVar{Name: "ALLOC_MB", Value: "256"}))
	oom.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi"), corev1.ResourceCPU: resource.MustParse("500m")}
	oom.Spec.RestartPolicy = corev1.RestartPolicyNever
	oom.Spec.Volumes = []corev1.Volume{reportVolume()}

	msg := testPod("msg", "66666666-aaaa-4000-8000-000000000003", testContainer("m", exit("3"), corev1.EnvVar{Name: "TERMINATION_MESSAGE", Value: "bad config: no port"}))
	msg.Spec.RestartPolicy = corev1.RestartPolicyNever
	msg.Spec.Volumes = []corev1.Volume{reportVolume()}
	fallback := testPod("fallback", "66666666-aaaa-4000-8000-000000000004", testContainer("f", exit("4")))
	fallback.Spec.Containers[0].TerminationMessagePolicy = corev1.TerminationMessageFallbackToLogsOnError
	fallback.Spec.RestartPolicy = corev1.RestartPolicyNever
	fallback.Spec.Volumes = []corev1.Volume{reportVolume()}

	claim := "data-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	pvc := corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
	writer := testPod("writer", "66666666-aaaa-4000-8000-000000000005", testContainer("w", exit("0"), corev1.EnvVar{Name: "REPORT_DIR", Value: "/data"}))
	writer.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	writer.Spec.RestartPolicy = corev1.RestartPolicyNever
	writer.Spec.Volumes = []corev1.Volume{pvc}

	downward := testPod("downward", "66666666-aaaa-4000-8000-000000000007", testContainer("d", exit("0"),
		corev1.EnvVar{Name: "FILES", Value: "/etc/podinfo/labels,/etc/podinfo/mem"},
		corev1.EnvVar{Name: "CPU_MILLIS", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: resource.MustParse("1m")}}}))
	downward.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
	downward.Spec.Containers[0].VolumeMounts = append(downward.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "podinfo", MountPath: "/etc/podinfo"})
	downward.Spec.RestartPolicy = corev1.RestartPolicyNever
	downward.Spec.Volumes = []corev1.Volume{reportVolume(), {Name: "podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
		{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
		{Path: "mem", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "d", Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}},
	}}}}}
	for _, p := range []*corev1.Pod{initPod, oom, msg, fallback, writer, downward} {
		cp.putPod(p)
	}
	ag := startAgent(t, cp, dataDir)

	// Init order: first, then second, then the app.
	st := waitStatus(t, cp, "init", 60*time.Second, "init pod running after its init containers", allRunning(1))
	if len(st.InitContainerStatuses) != 2 || st.InitContainerStatuses[1].State.Terminated == nil || st.InitContainerStatuses[1].State.Terminated.Reason != "Completed" {
		t.Errorf("init container statuses: %+v", st.InitContainerStatuses)
	}
	if st.Conditions[1].Type != corev1.PodInitialized || st.Conditions[1].Status != corev1.ConditionTrue {
		t.Errorf("Initialized condition: %+v", st.Conditions[1])
	}
	rd := volumeDir(dataDir, initPod, "report")
	eventually(t, 10*time.Second, "the app wrote its start", func() (bool, string) {
		return firstLine(filepath.Join(rd, "app.starts")) != "", "not yet"
	})
	t1, t2, t3 := firstLine(filepath.Join(rd, "first.starts")), firstLine(filepath.Join(rd, "second.starts")), firstLine(filepath.Join(rd, "app.starts"))
	if !(t1 != "" && t1 < t2 && t2 < t3) {
		t.Errorf("start order: first %q second %q app %q, want strictly increasing", t1, t2, t3)
	}

	// Memory limit: OOMKilled, exit code 137.
	st = waitStatus(t, cp, "oom", 60*time.Second, "hog OOMKilled", func(st corev1.PodStatus) bool { return terminatedWith(st) != nil })
	if term := terminatedWith(st); term.Reason != "OOMKilled" || term.ExitCode != 137 || st.Phase != corev1.PodFailed {
		t.Errorf("over its memory limit: phase %s terminated %+v, want Failed, OOMKilled, 137", st.Phase, term)
	}
	out, err := podmanCLI("inspect", "--format", "{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}}", podmanContainerName(oom, "hog", 0))
	if err != nil || strings.TrimSpace(out) != "33554432 50000 100000" {
		t.Errorf("podman inspect limits: %q %v, want 33554432 50000 100000", out, err)
	}

	// Termination messages.
	st = waitStatus(t, cp, "msg", 30*time.Second, "msg terminated", func(st corev1.PodStatus) bool { return terminatedWith(st) != nil })
	if term := terminatedWith(st); term.Message != "bad config: no port" || term.ExitCode != 3 {
		t.Errorf("termination message from the file: %+v", term)
	}
	st = waitStatus(t, cp, "fallback", 30*time.Second, "fallback terminated with a message", func(st corev1.PodStatus) bool {
		return terminatedWith(st) != nil && terminatedWith(st).Message != ""
	})
	if term := terminatedWith(st); !strings.Contains(term.Message, "started f") || !strings.Contains(term.Message, "exiting with 4") {
		t.Errorf("FallbackToLogsOnError message: %q", term.Message)
	}
	var logs bytes.Buffer
	if err := ag.rt.Logs(context.Background(), st.ContainerStatuses[0].ContainerID, LogOptions{}, &logs); err != nil || logs.String() != "started f\nexiting with 4\n" {
		t.Errorf("Logs: %q %v", logs.String(), err)
	}

	// The same through the agent's log server, as the API server asks for it.
	// (Who may ask is TLS's business: logserver_tls_test.go.)
	logSrv := httptest.NewServer(ag.agent.LogHandler())
	defer logSrv.Close()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, logSrv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/containerLogs/default/fallback/f", "tok"); code != 200 || body != "started f\nexiting with 4\n" {
		t.Errorf("log server: %d %q", code, body)
	}
	if code, body := get("/containerLogs/default/fallback/f?previous=true", "tok"); code != http.StatusBadRequest || !strings.Contains(body, "previous terminated container") {
		t.Errorf("previous of a container that never restarted: %d %q", code, body)
	}

	// The downward API: labels and a limit as files, a limit as env.
	waitStatus(t, cp, "downward", 30*time.Second, "downward Succeeded", func(st corev1.PodStatus) bool { return st.Phase == corev1.PodSucceeded })
	r := readReport(t, dataDir, downward, "d")
	if r.Files["/etc/podinfo/labels"] != "app=\"downward\"\n" || r.Files["/etc/podinfo/mem"] != "64" || envMap(r.Env)["CPU_MILLIS"] != "250" {
		t.Errorf("downward API: files %q, CPU_MILLIS %q", r.Files, envMap(r.Env)["CPU_MILLIS"])
	}

	// The claim's volume outlives the pod and a new pod reads what the old one wrote.
	waitStatus(t, cp, "writer", 30*time.Second, "writer Succeeded", func(st corev1.PodStatus) bool { return st.Phase == corev1.PodSucceeded })
	cp.deletePod("default", "writer")
	eventually(t, 30*time.Second, "writer removed from Podman", func() (bool, string) {
		return len(podmanContainers(t, ag.rt, string(writer.UID))) == 0, "still there"
	})
	if _, err := podmanCLI("volume", "inspect", claim); err != nil {
		t.Fatalf("the claim's volume is gone with its pod: %v", err)
	}
	reader := testPod("reader", "66666666-aaaa-4000-8000-000000000006", testContainer("r", exit("0"), corev1.EnvVar{Name: "FILES", Value: "/data/w.json"}))
	reader.Spec.Containers[0].VolumeMounts = append(reader.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/data", ReadOnly: true})
	reader.Spec.RestartPolicy = corev1.RestartPolicyNever
	reader.Spec.Volumes = []corev1.Volume{reportVolume(), pvc}
	cp.putPod(reader)
	waitStatus(t, cp, "reader", 30*time.Second, "reader Succeeded", func(st corev1.PodStatus) bool { return st.Phase == corev1.PodSucceeded })
	if got := readReport(t, dataDir, reader, "r").Files["/data/w.json"]; !strings.Contains(got, `"hostname":"writer"`) {
		t.Errorf("the reader saw %q in the claim's volume, want the writer's report", got)
	}
}
