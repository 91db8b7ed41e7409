package agent

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// A two-container pod comes up with its labels, env and volumes; a restarted
// agent adopts it without recreating anything; deleting it removes it.
func TestPodmanPodLifecycleAndAdoption(t *testing.T) {
	requirePodman(t)
	cp := newFakeControlPlane()
	cp.configMaps["default/cfg"] = &corev1.ConfigMap{Data: map[string]string{"greeting": "hello", "mode": "fast", "file.txt": "from-configmap"}}
	cp.secrets["default/sec"] = &corev1.Secret{Data: map[string][]byte{"password": []byte("s3cret"), "token": []byte("tok")}}
	dataDir := t.TempDir()

	app := testContainer("app",
		corev1.EnvVar{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "greeting"}}},
		corev1.EnvVar{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "password"}}},
		corev1.EnvVar{Name: "MISSING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "x", Optional: ptr.To(true)}}},
		corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		corev1.EnvVar{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		corev1.EnvVar{Name: "COMBINED", Value: "$(GREETING)-$(POD_NAME)"},
		corev1.EnvVar{Name: "FILES", Value: "/etc/cfg/renamed.txt,/etc/sec/password,/report/../etc/cfg/renamed.txt"},
	)
	app.EnvFrom = []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}
	app.WorkingDir = "/report"
	app.VolumeMounts = append(app.VolumeMounts,
		corev1.VolumeMount{Name: "cfg", MountPath: "/etc/cfg"},
		corev1.VolumeMount{Name: "sec", MountPath: "/etc/sec"})
	side := testContainer("side")
	pod := testPod("web", "11111111-aaaa-4000-8000-000000000001", app, side)
	mode := int32(0o600)
	pod.Spec.Volumes = []corev1.Volume{reportVolume(),
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
			Items:                []corev1.KeyToPath{{Key: "file.txt", Path: "renamed.txt"}}}}},
		{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "sec", DefaultMode: &mode}}},
	}
	cp.putPod(pod)

	ag := startAgent(t, cp, dataDir)
	st := waitStatus(t, cp, "web", 60*time.Second, "pod web Running with 2 ready containers", allRunning(2))

	// Status: IPs, container IDs matching Podman.
	if st.PodIP == "" || st.HostIP != "192.0.2.10" || st.StartTime == nil {
		t.Errorf("status: podIP %q hostIP %q startTime %v", st.PodIP, st.HostIP, st.StartTime)
	}
	inPodman := podmanContainers(t, ag.rt, string(pod.UID))
	for _, cs := range st.ContainerStatuses {
		oc, ok := inPodman[cs.ContainerID]
		if !ok || oc.Name != cs.Name || !oc.Running() {
			t.Errorf("containerStatus %s: id %s is not a running Podman container of that name (Podman has %v)", cs.Name, cs.ContainerID, inPodman)
		}
	}
	checkLabels(t, pod, 2)

	// What the process saw.
	r := readReport(t, dataDir, pod, "app")
	env := envMap(r.Env)
	want := map[string]string{"GREETING": "hello", "PASSWORD": "s3cret", "POD_NAME": "web", "COMBINED": "hello-web",
		"CM_mode": "fast", "CM_greeting": "hello", "POD_IP": st.PodIP}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if _, ok := env["MISSING"]; ok {
		t.Errorf("optional missing configMapKeyRef set MISSING=%q", env["MISSING"])
	}
	if r.Files["/etc/cfg/renamed.txt"] != "from-configmap" || r.Files["/etc/sec/password"] != "s3cret" {
		t.Errorf("mounted files: %v", r.Files)
	}
	if r.Hostname != "web" || r.Cwd != "/report" {
		t.Errorf("hostname %q cwd %q, want web and /report", r.Hostname, r.Cwd)
	}

	// kill -9 of the agent, then a new one: it adopts, recreates nothing.
	ag.stop()
	updates := cp.statusUpdates
	ag2 := startAgent(t, cp, dataDir)
	if _, err := ag2.agent.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := podmanContainers(t, ag2.rt, string(pod.UID))
	if len(after) != len(inPodman) {
		t.Errorf("after the agent restart Podman has %d containers, want the same %d", len(after), len(inPodman))
	}
	for id := range inPodman {
		if c, ok := after[id]; !ok || !c.Running() {
			t.Errorf("container %s was not adopted running after the agent restart", id)
		}
	}
	if n := countStarts(dataDir, pod, "app"); n != 1 {
		t.Errorf("app started %d times, want 1", n)
	}
	if cp.statusUpdates != updates {
		t.Errorf("the restarted agent wrote %d status updates for an unchanged pod", cp.statusUpdates-updates)
	}

	// An operator stops the Podman pod: restartPolicy Always brings every
	// container back in the same pod.
	if _, err := podmanCLI("pod", "stop", "-t", "1", podmanPodName(pod)); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, cp, "web", 30*time.Second, "containers restarted after podman pod stop", func(st corev1.PodStatus) bool {
		return allRunning(2)(st) && st.ContainerStatuses[0].RestartCount == 1 && st.ContainerStatuses[1].RestartCount == 1 && st.PodIP != ""
	})
	if n := countStarts(dataDir, pod, "app"); n != 2 {
		t.Errorf("app started %d times, want 2", n)
	}

	// Deleted from the store: gone from Podman and from the data dir.
	cp.deletePod("default", "web")
	eventually(t, 30*time.Second, "pod web removed from Podman", func() (bool, string) {
		n := len(podmanContainers(t, ag2.rt, string(pod.UID)))
		return n == 0, "containers left"
	})
	eventually(t, 10*time.Second, "the pod's data directory removed", func() (bool, string) {
		_, err := osStat(podDir(dataDir, string(pod.UID)))
		return err != nil, "still there"
	})
}

// Exited containers restart per restartPolicy, and phases follow.
func TestPodmanRestartPolicies(t *testing.T) {
	requirePodman(t)
	cp := newFakeControlPlane()
	dataDir := t.TempDir()
	exit := func(code string) corev1.EnvVar { return corev1.EnvVar{Name: "EXIT_CODE", Value: code} }

	crash := testPod("crash", "22222222-aaaa-4000-8000-000000000002", testContainer("c", exit("3")))
	crash.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	crash.Spec.Volumes = []corev1.Volume{reportVolume()}
	done := testPod("done", "22222222-aaaa-4000-8000-000000000003", testContainer("c", exit("0")))
	done.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	done.Spec.Volumes = []corev1.Volume{reportVolume()}
	failed := testPod("failed", "22222222-aaaa-4000-8000-000000000004", testContainer("c", exit("7")))
	failed.Spec.RestartPolicy = corev1.RestartPolicyNever
	failed.Spec.Volumes = []corev1.Volume{reportVolume()}
	watcher, err := NewPodmanRuntime(context.Background(), requirePodman(t), testClusterIDFor(t))
	if err != nil {
		t.Fatal(err)
	}
	wctx, stopWatching := context.WithCancel(context.Background())
	defer stopWatching()
	died := watcher.Changes(wctx)
	time.Sleep(200 * time.Millisecond) // let the event stream connect (no assertion depends on timing)
	for _, p := range []*corev1.Pod{crash, done, failed} {
		cp.putPod(p)
	}
	ag := startAgent(t, cp, dataDir)
	select {
	case <-died:
	case <-time.After(30 * time.Second):
		t.Error("Changes reported no died event for the exiting containers")
	}

	st := waitStatus(t, cp, "crash", 60*time.Second, "crash restarted once and backing off", func(st corev1.PodStatus) bool {
		if len(st.ContainerStatuses) != 1 {
			return false
		}
		cs := st.ContainerStatuses[0]
		return cs.RestartCount >= 1 && cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" &&
			cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.ExitCode == 3
	})
	if st.Phase != corev1.PodRunning {
		t.Errorf("crash-looping OnFailure pod: phase %s, want Running", st.Phase)
	}
	waitStatus(t, cp, "done", 30*time.Second, "done Succeeded", func(st corev1.PodStatus) bool {
		return st.Phase == corev1.PodSucceeded && len(st.ContainerStatuses) == 1 &&
			st.ContainerStatuses[0].State.Terminated != nil && st.ContainerStatuses[0].State.Terminated.Reason == "Completed"
	})
	waitStatus(t, cp, "failed", 30*time.Second, "failed Failed with exit code 7", func(st corev1.PodStatus) bool {
		return st.Phase == corev1.PodFailed && len(st.ContainerStatuses) == 1 &&
			st.ContainerStatuses[0].State.Terminated != nil && st.ContainerStatuses[0].State.Terminated.ExitCode == 7
	})
	// The next sync must not restart a finished or Never pod.
	if _, err := ag.agent.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*corev1.Pod{done, failed} {
		if n := countStarts(dataDir, p, "c"); n != 1 {
			t.Errorf("pod %s: container started %d times, want 1", p.Name, n)
		}
	}
}

// Image problems become waiting reasons, never a crash, and a fixed spec
// starts at once.
func TestPodmanImageErrors(t *testing.T) {
	requirePodman(t)
	cp := newFakeControlPlane()
	never := testPod("never", "33333333-aaaa-4000-8000-000000000005", corev1.Container{Name: "c", Image: "localhost/not-here:v1", ImagePullPolicy: corev1.PullNever})
	pull := testPod("pull", "33333333-aaaa-4000-8000-000000000006", corev1.Container{Name: "c", Image: "localhost:1/not-here:v1", ImagePullPolicy: corev1.PullIfNotPresent})
	cfgErr := testPod("cfgerr", "33333333-aaaa-4000-8000-000000000007", testContainer("c", corev1.EnvVar{Name: "X",
		ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k"}}}))
	cfgErr.Spec.Volumes = []corev1.Volume{reportVolume()}
	for _, p := range []*corev1.Pod{never, pull, cfgErr} {
		cp.putPod(p)
	}
	startAgent(t, cp, t.TempDir())
	for name, reason := range map[string]string{"never": "ErrImageNeverPull", "pull": "ErrImagePull", "cfgerr": "CreateContainerConfigError"} {
		st := waitStatus(t, cp, name, 30*time.Second, "waiting "+reason, func(st corev1.PodStatus) bool {
			return len(st.ContainerStatuses) == 1 && st.ContainerStatuses[0].State.Waiting != nil &&
				st.ContainerStatuses[0].State.Waiting.Reason == reason
		})
		if st.Phase != corev1.PodPending || st.ContainerStatuses[0].State.Waiting.Message == "" {
			t.Errorf("pod %s: phase %s message %q, want Pending with a message", name, st.Phase, st.ContainerStatuses[0].State.Waiting.Message)
		}
	}
	// Fix the image: the new spec is tried at once, not after the backoff.
	fixed := cp.pod("default", "never")
	fixed.Spec.Containers[0] = testContainer("c")
	fixed.Spec.Volumes = []corev1.Volume{reportVolume()}
	fixed.ObjectMeta.Generation++
	cp.putPod(fixed)
	waitStatus(t, cp, "never", 30*time.Second, "fixed pod Running", allRunning(1))
	_ = metav1.Now
}
